#!/usr/bin/env bash
# box_inside.sh - run by scripts/test-fresh (stage box) inside a fresh Debian
# 12 root booted with systemd (systemd-nspawn -b, a private network), as root,
# from a clean clone of the repository with build/tzsigner built in a fresh
# root. Prints "ok …" / "FAIL …" lines; the caller counts them.
#
#   box_inside.sh bare       install-box without --endpoint
#   box_inside.sh endpoint   install-box --endpoint (no host key yet), then the
#                            whole appliance: keys, reload, watchdog, stop, and
#                            the tunnel to an sshd endpoint started here
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?bare or endpoint}
. "$(dirname "$0")/lib.sh"
prop() { systemctl show -P "$2" "$1"; }
unit_state() { echo "$(prop "$1" ActiveState)/$(prop "$1" SubState) restarts=$(prop "$1" NRestarts)"; }
is_active() { [ "$(prop "$1" ActiveState)" = active ]; }

wait_for 60 sh -c 'systemctl is-system-running 2>/dev/null | grep -qE "running|degraded"' ||
	bad "systemd did not finish booting: $(systemctl is-system-running)"

# --no-auth: this stage signs with plain curl to check the appliance under
# systemd (units, watchdog, reload, tunnel); request authentication, install-box's
# default, is checked by health_install_box.sh and make demo (a stranger's 401).
opts=(--no-auth)
[ "$mode" = endpoint ] && opts+=(--endpoint 127.0.0.1:2222)
if scripts/install-box "${opts[@]}" >/tmp/install-box.log 2>&1; then
	ok "install-box ${opts[*]}: exit 0"
else
	bad "install-box ${opts[*]}: exit $?: $(tail -15 /tmp/install-box.log)"
fi

# ---- what a fresh install must leave: no unit in a restart loop, NM loaded
wait_for 30 is_active tzsigner-serve.service &&
	[ "$(prop tzsigner-serve.service Type)" = notify ] &&
	ok "tzsigner-serve active through Type=notify ($(prop tzsigner-serve.service StatusText))" ||
	bad "tzsigner-serve: $(unit_state tzsigner-serve.service); $(journalctl -u tzsigner-serve -n 15 --no-pager)"
# The network front under the unit (README "Two processes"): serve's child,
# with its own seccomp filter stacked on the unit's, no capability, the
# unit's user, the key holder not dumpable (its /proc/PID/mem is root's).
kh=$(prop tzsigner-serve.service MainPID)
front=""
for c in $(ps -o pid= --ppid "$kh"); do
	[ "$(tr '\0' ' ' <"/proc/$c/cmdline" | awk '{ print $2 }')" = front ] && front=$c
done
filters() { sed -n 's/^Seccomp_filters:\t//p' "/proc/$1/status"; }
if [ -n "$front" ] && [ "$(filters "$front")" = $(($(filters "$kh") + 1)) ] &&
	grep -qx $'NoNewPrivs:\t1' "/proc/$front/status" &&
	grep -qx $'CapEff:\t0000000000000000' "/proc/$front/status" &&
	grep -qx $'CapPrm:\t0000000000000000' "/proc/$front/status" &&
	[ "$(awk '/^Uid:/ { print $3 }' "/proc/$front/status")" = "$(id -u tzsigner)" ] &&
	[ "$(stat -c %U "/proc/$kh/mem")" = root ]; then
	ok "the front (pid $front) runs as tzsigner under its own seccomp filter ($(filters "$front") filters, the unit's $(filters "$kh")), no capability; the key holder is not dumpable"
else
	bad "the front under the unit: pid '${front:-none}' of key holder $kh: $(grep -E '^(Uid|NoNewPrivs|Seccomp|CapEff)' "/proc/${front:-$kh}/status" | tr '\n\t' '  '); $(journalctl -u tzsigner-serve -n 15 --no-pager)"
fi
sleep 12 # two of the tunnel's RestartSec: a loop would show
t=$(unit_state tzsigner-tunnel.service)
case $t in
inactive/dead\ restarts=0) ok "tzsigner-tunnel waits for its settings, no restart loop ($t)" ;;
*) bad "tzsigner-tunnel is $t before its settings are complete: $(journalctl -u tzsigner-tunnel -n 10 --no-pager)" ;;
esac
grep -q "waits for its settings" /tmp/install-box.log && ok "install-box says the tunnel waits for its settings" ||
	bad "install-box does not say the tunnel waits: $(cat /tmp/install-box.log)"
for u in NetworkManager.service ModemManager.service; do
	systemctl is-enabled --quiet "$u" && ok "$u enabled" || bad "$u not enabled ($(systemctl is-enabled "$u"))"
done
profiles=$(nmcli -g NAME connection show 2>&1)
if grep -qx tzsigner-main <<<"$profiles" && grep -qx tzsigner-4g <<<"$profiles"; then
	ok "NetworkManager loaded tzsigner-main and tzsigner-4g"
else
	bad "NetworkManager profiles: $profiles"
fi
[ "$mode" = endpoint ] || exit 0

# ---- keys imported afterwards sign after a reload; the hardened signer's files
as_signer() { runuser -u tzsigner -- "$@"; }
as_tunnel() { runuser -u tzsigner-tunnel -- "$@"; }
as_signer tzsigner keys gen baker --type tz1 -d /var/lib/tzsigner >/tmp/keygen.out 2>/tmp/keygen.log ||
	bad "keys gen as tzsigner: $(cat /tmp/keygen.log)"
pkh=$(awk '$1 == "baker" { print $2 }' /tmp/keygen.out)
sign() { sign_attestation "http://127.0.0.1:$1" "$pkh" "$2" /tmp/sign.out; }
code=$(sign 6732 100)
[ "$code" = 404 ] && ok "a key imported after the start is unknown before the reload (404)" ||
	bad "before the reload: $code $(cat /tmp/sign.out)"
pid0=$(prop tzsigner-serve.service MainPID)
systemctl reload tzsigner-serve.service || bad "systemctl reload tzsigner-serve failed"
wait_for 10 sh -c "journalctl -u tzsigner-serve --no-pager | grep -q 'event=key_added .*pkh=$pkh'" &&
	ok "reload: the journal names the added key" || bad "reload: no event=key_added for $pkh"
[ "$(prop tzsigner-serve.service MainPID)" = "$pid0" ] && ok "reload kept the process (pid $pid0)" ||
	bad "reload replaced the process"
code=$(sign 6732 100)
grep -q '"signature":"edsig' /tmp/sign.out && [ "$code" = 200 ] && ok "the new key signs after the reload" ||
	bad "after the reload: $code $(cat /tmp/sign.out)"
st=$(stat -c '%U %a' /var/lib/tzsigner)
[ "$st" = "tzsigner 700" ] && ok "base dir /var/lib/tzsigner is tzsigner 700" || bad "base dir is $st"
wm=/var/lib/tzsigner/tzsigner_high_watermarks.json
# The record may still be in the journal beside the file (design §2.2):
# `watermarks list` reads both.
[ -f "$wm" ] && [ "$(stat -c %U "$wm")" = tzsigner ] &&
	as_signer tzsigner watermarks list -d /var/lib/tzsigner 2>/dev/null | grep -q "$pkh" &&
	ok "the hardened signer wrote its watermark file" ||
	bad "watermark file: $(ls -l /var/lib/tzsigner); $(as_signer tzsigner watermarks list -d /var/lib/tzsigner 2>&1 | tail -3)"
code=$(sign 6732 99)
[ "$code" = 409 ] && ok "a lower level is refused after the reload (409)" || bad "level 99: $code"

# ---- the watchdog restarts a stopped signer
pid1=$(prop tzsigner-serve.service MainPID)
n0=$(prop tzsigner-serve.service NRestarts)
kill -STOP "$pid1"
if wait_for 90 sh -c "[ \"\$(systemctl show -P MainPID tzsigner-serve)\" != $pid1 ] &&
	[ \"\$(systemctl show -P ActiveState tzsigner-serve)\" = active ]"; then
	ok "the watchdog restarted the SIGSTOPped signer (restarts $n0 -> $(prop tzsigner-serve.service NRestarts))"
else
	bad "watchdog: $(unit_state tzsigner-serve.service)"
fi
journalctl -u tzsigner-serve --no-pager >/tmp/serve.journal
grep -q 'Watchdog timeout' /tmp/serve.journal && ok "the journal says: $(grep -m1 -o 'Watchdog timeout.*' /tmp/serve.journal)" ||
	bad "no watchdog timeout in the journal"
# Levels past 100 were reserved on disk (--durability reserve, a window of W
# levels): after a crash they count as signed (a crash may cost up to W
# levels, never a double signature); the first level past the window signs.
code=$(sign 6732 101)
[ "$code" = 409 ] && ok "after the crash the reserved level 101 counts as signed (409)" || bad "level 101 after the restart: $code"
hw=$(sed -n 's/.*not above high watermark (\([0-9]*\), any round).*/\1/p' /tmp/sign.out)
if [ -n "$hw" ] && [ "$hw" -gt 100 ] && [ "$hw" -le 356 ]; then
	ok "the crash cost levels 101..$hw (the reserved window, at most 256)"
else
	bad "the watermark after the crash: '$hw' ($(cat /tmp/sign.out))"
	hw=356
fi
code=$(sign 6732 $((hw + 1)))
[ "$code" = 200 ] && ok "the restarted signer signs level $((hw + 1))" || bad "level $((hw + 1)) after the restart: $code $(cat /tmp/sign.out)"

# ---- the tunnel, to an sshd endpoint (tzsigner forwarder run) started here
as_tunnel tzsigner tunnel keygen --name box1 --remote-port 7001 >/tmp/boxline 2>/tmp/keygen2.log ||
	bad "tunnel keygen as tzsigner-tunnel: $(cat /tmp/keygen2.log)"
[ "$(stat -c %U /var/lib/tzsigner-tunnel/id_ed25519 2>/dev/null)" = tzsigner-tunnel ] &&
	ok "tunnel keygen made /var/lib/tzsigner-tunnel/id_ed25519, the tunnel's own" || bad "keygen: $(cat /tmp/keygen2.log)"
useradd --system --home-dir /var/lib/tzfwd --shell /usr/sbin/nologin tzfwd && usermod -p '*' tzfwd
install -d -m 0755 /var/lib/tzfwd
ssh-keygen -q -t ed25519 -N '' -f /var/lib/tzfwd/host_key
cp /tmp/boxline /var/lib/tzfwd/signers
systemd-run --unit=tzs-endpoint --quiet /usr/local/bin/tzsigner forwarder run --signers /var/lib/tzfwd/signers \
	--host-key /var/lib/tzfwd/host_key --out /var/lib/tzfwd/out --listen 127.0.0.1:2222 --metrics 127.0.0.1:9733 --user tzfwd
wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:2222 "' && ok "endpoint listening" ||
	bad "endpoint: $(journalctl -u tzs-endpoint -n 20 --no-pager)"
{
	echo "user = tzfwd"
	echo "host-key = $(cut -d' ' -f1,2 /var/lib/tzfwd/host_key.pub)"
	echo "remote-port = 7001"
} >>/etc/tzsigner/tunnel.conf
if scripts/install-box --no-auth --endpoint 127.0.0.1:2222 >/tmp/install-box2.log 2>&1; then
	ok "install-box again with the settings complete: exit 0"
else
	bad "install-box again: $(tail -15 /tmp/install-box2.log)"
fi
wait_for 30 is_active tzsigner-tunnel.service && ok "tzsigner-tunnel active through Type=notify" ||
	bad "tunnel: $(unit_state tzsigner-tunnel.service) $(journalctl -u tzsigner-tunnel -n 20 --no-pager)"
if wait_for 30 sh -c 'grep -q "\"state\":\"up\"" /run/tzsigner-tunnel/state.json'; then
	ok "the tunnel is up ($(cut -c1-120 /run/tzsigner-tunnel/state.json))"
else
	bad "tunnel state: $(cat /run/tzsigner-tunnel/state.json 2>&1) $(journalctl -u tzsigner-tunnel -n 20 --no-pager)"
fi
code=$(sign 7001 $((hw + 2)))
[ "$code" = 200 ] && ok "signed through the endpoint's port 7001" || bad "through the tunnel: $code $(cat /tmp/sign.out)"

# ---- stop
systemctl stop tzsigner-tunnel.service tzsigner-serve.service
for u in tzsigner-serve tzsigner-tunnel; do
	r="$(prop $u.service ActiveState) $(prop $u.service Result)"
	[ "$r" = "inactive success" ] && ok "systemctl stop $u: inactive, result success" || bad "stop $u: $r"
done
systemctl stop tzs-endpoint 2>/dev/null
exit 0
