#!/usr/bin/env bash
# deb_inside.sh - run by scripts/test-fresh (stage deb) inside a fresh Debian
# 12 root booted with systemd (systemd-nspawn -b, a private network), as root,
# after `apt-get install ./PACKAGE.deb` put the package in (apt resolved its
# Depends from the Debian mirror). Prints "ok …" / "FAIL …" lines; the
# caller counts them.
#
#   deb_inside.sh box REQUESTS    tzsigner: the users, the signer configured
#                                 as the README says (a key imported, the
#                                 baker's client authorized: the package's
#                                 serve.env has -A), signing over HTTP,
#                                 reload, status, stop, apt-get purge
#   deb_inside.sh cloud           tzsigner-forwarder: its unit with a minimal
#                                 signers file and a host key, apt-get purge
# REQUESTS: the NAME=value file of tests/node/lib/deb_requests.mjs.
set -uo pipefail
mode=${1:?box or cloud}
. "$(dirname "$0")/lib.sh"
prop() { systemctl show -P "$2" "$1"; }
unit_state() { echo "$(prop "$1" ActiveState)/$(prop "$1" SubState) restarts=$(prop "$1" NRestarts) result=$(prop "$1" Result)"; }
is_active() { [ "$(prop "$1" ActiveState)" = active ]; }
journal() { journalctl -u "$1" -n 15 --no-pager; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

wait_for 60 sh -c 'systemctl is-system-running 2>/dev/null | grep -qE "running|degraded"' ||
	bad "systemd did not finish booting: $(systemctl is-system-running)"

# purge PACKAGE FILES…: apt-get purge leaves none of FILES, no failed unit.
purge() {
	local p=$1 f left=""
	shift
	if ! DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$p" >/tmp/purge.log 2>&1; then
		bad "apt-get purge $p: $(tail -10 /tmp/purge.log)"
		return
	fi
	for f in "$@"; do [ ! -e "$f" ] || left="$left $f"; done
	if installed "$p" || [ -n "$left" ] || systemctl --failed --no-legend | grep -q .; then
		bad "apt-get purge $p: left${left:- nothing}; $(dpkg-query -W -f='${Status}' "$p" 2>&1); failed units: $(systemctl --failed --no-legend)"
	else
		ok "apt-get purge $p: package gone with its files and conffiles ($*), no failed unit"
	fi
}

if [ "$mode" = cloud ]; then
	installed tzsigner-forwarder && ok "tzsigner-forwarder installed ($(dpkg-query -W -f='${Version}' tzsigner-forwarder))" ||
		bad "tzsigner-forwarder is not installed"
	getent passwd tzsigner >/dev/null && ok "sysusers made the login account: $(getent passwd tzsigner)" ||
		bad "no account tzsigner (sysusers)"
	st=$(prop tzsigner-forwarder.service ActiveState)
	[ "$st" = inactive ] && ok "tzsigner-forwarder is not started before its signers file exists ($st)" ||
		bad "tzsigner-forwarder before its settings: $(unit_state tzsigner-forwarder.service)"
	install -d -m 0755 /etc/tzsigner-forwarder
	ssh-keygen -q -t ed25519 -N '' -C endpoint -f /etc/tzsigner-forwarder/ssh_host_ed25519_key
	ssh-keygen -q -t ed25519 -N '' -C box -f /root/box
	echo "box1 7001 $(cat /root/box.pub)" >/etc/tzsigner-forwarder/signers
	systemctl enable --now tzsigner-forwarder.service >/tmp/enable.log 2>&1 || bad "systemctl enable --now: $(cat /tmp/enable.log)"
	wait_for 30 sh -c 'curl -sf http://127.0.0.1:9732/status >/tmp/fwd.status' &&
		is_active tzsigner-forwarder.service &&
		ok "tzsigner-forwarder active, its /status answers on 127.0.0.1:9732: $(cut -c1-120 /tmp/fwd.status)" ||
		bad "tzsigner-forwarder: $(unit_state tzsigner-forwarder.service); $(journal tzsigner-forwarder)"
	# ss is in iproute2, not necessarily here: /proc/net/tcp (0.0.0.0:2222 = 00000000:08AE, LISTEN = 0A).
	grep -qE '^ *[0-9]+: 00000000:08AE 00000000:0000 0A' /proc/net/tcp && ok "sshd endpoint listening on 0.0.0.0:2222" ||
		bad "nothing listens on 2222: $(journal tzsigner-forwarder)"
	tzsigner-forwarder status >/tmp/fwd.txt 2>&1
	grep -q box1 /tmp/fwd.txt && ok "tzsigner-forwarder status names box1: $(grep box1 /tmp/fwd.txt | tr -s ' ')" ||
		bad "tzsigner-forwarder status: $(cat /tmp/fwd.txt)"
	systemctl reload tzsigner-forwarder.service && sleep 1 && is_active tzsigner-forwarder.service &&
		ok "systemctl reload tzsigner-forwarder" || bad "reload: $(unit_state tzsigner-forwarder.service)"
	systemctl stop tzsigner-forwarder.service
	r=$(prop tzsigner-forwarder.service ActiveState)
	[ "$r" = inactive ] && ok "systemctl stop tzsigner-forwarder: $(unit_state tzsigner-forwarder.service)" ||
		bad "stop: $(unit_state tzsigner-forwarder.service)"
	purge tzsigner-forwarder /usr/bin/tzsigner-forwarder /usr/lib/tzsigner-forwarder /lib/systemd/system/tzsigner-forwarder.service \
		/etc/default/tzsigner-forwarder
	exit 0
fi

. "${2:?the requests file}"
installed tzsigner && ok "tzsigner installed ($(dpkg-query -W -f='${Version}' tzsigner)); apt pulled in: $(grep -c . /root/deb-pulled.txt 2>/dev/null) packages" ||
	bad "tzsigner is not installed"
u=$(getent passwd tzsigner tzsigner-tunnel | cut -d: -f1,6 | tr '\n' ' ')
[ "$u" = "tzsigner:/var/lib/tzsigner tzsigner-tunnel:/var/lib/tzsigner-tunnel " ] &&
	ok "sysusers made the users tzsigner and tzsigner-tunnel ($u)" || bad "users: '$u'"
[ "$(systemctl is-enabled tzsigner-serve.service)" = disabled ] && ! is_active tzsigner-serve.service &&
	ok "tzsigner-serve installed, not enabled nor started" ||
	bad "tzsigner-serve after install: $(systemctl is-enabled tzsigner-serve.service) $(unit_state tzsigner-serve.service)"

st=$(stat -c '%U %a' /var/lib/tzsigner /var/lib/tzsigner-tunnel 2>&1 | tr '\n' ' ')
[ "$st" = "tzsigner 700 tzsigner-tunnel 700 " ] && ok "state directories made at install: /var/lib/tzsigner, /var/lib/tzsigner-tunnel ($st)" ||
	bad "state directories: $st"
runuser -u tzsigner-tunnel -- tzsigner tunnel keygen --name box1 --remote-port 7001 >/tmp/boxline 2>/tmp/tkeygen.log &&
	[ "$(stat -c %U /var/lib/tzsigner-tunnel/id_ed25519)" = tzsigner-tunnel ] &&
	ok "tunnel keygen as tzsigner-tunnel (the README's command): $(cut -c1-40 /tmp/boxline)…" ||
	bad "tunnel keygen as tzsigner-tunnel: $(cat /tmp/tkeygen.log)"

# As the README says: the key imported as the signer's user, the baker's
# client key authorized (serve.env: -A), then the unit enabled.
as_signer() { runuser -u tzsigner -- "$@"; }
printf '%s\n' "$BAKER_SK" | as_signer tzsigner keys import baker - -d /var/lib/tzsigner >/tmp/import.log 2>&1 &&
	as_signer tzsigner keys authorize "$CLIENT_PK" --name baker-client -d /var/lib/tzsigner >>/tmp/import.log 2>&1 &&
	ok "keys import and keys authorize as tzsigner into /var/lib/tzsigner" ||
	bad "keys import/authorize as tzsigner: $(cat /tmp/import.log)"
systemctl enable --now tzsigner-serve.service >/tmp/enable.log 2>&1 || bad "systemctl enable --now: $(cat /tmp/enable.log)"
wait_for 30 is_active tzsigner-serve.service &&
	ok "tzsigner-serve active through Type=notify ($(prop tzsigner-serve.service StatusText))" ||
	bad "tzsigner-serve: $(unit_state tzsigner-serve.service); $(journal tzsigner-serve)"

# post DATA [AUTH]: POST /keys/BAKER_PKH; prints the HTTP status.
post() {
	curl -s -o /tmp/sign.out -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data "\"$1\"" \
		"http://127.0.0.1:6732/keys/$BAKER_PKH${2:+?authentication=$2}"
}
code=$(post "$ATT100_DATA")
[ "$code" = 401 ] && ok "an unauthenticated request is refused (401: the package's -A)" || bad "unauthenticated: $code $(cat /tmp/sign.out)"
code=$(post "$ATT100_DATA" "$ATT100_AUTH")
[ "$code" = 200 ] && grep -q '"signature":"edsig' /tmp/sign.out && cp /tmp/sign.out /root/deb-out/att100.json &&
	ok "an authenticated attestation (0x13, level 100) is signed: 200 $(cut -c1-60 /tmp/sign.out)…" ||
	bad "authenticated attestation: $code $(cat /tmp/sign.out)"
pid0=$(prop tzsigner-serve.service MainPID)
systemctl reload tzsigner-serve.service || bad "systemctl reload tzsigner-serve failed"
wait_for 10 sh -c "journalctl -u tzsigner-serve --no-pager | grep -q 'event=reload'" || true
is_active tzsigner-serve.service && [ "$(prop tzsigner-serve.service MainPID)" = "$pid0" ] &&
	ok "systemctl reload: active, the same process (pid $pid0)" || bad "reload: $(unit_state tzsigner-serve.service)"
code=$(post "$PRE101_DATA" "$PRE101_AUTH")
[ "$code" = 200 ] && grep -q '"signature":"edsig' /tmp/sign.out && cp /tmp/sign.out /root/deb-out/pre101.json &&
	ok "after the reload a preattestation (0x12, level 101) is signed: 200" || bad "preattestation: $code $(cat /tmp/sign.out)"
code=$(post "$ATT99_DATA" "$ATT99_AUTH")
[ "$code" = 409 ] && ok "an attestation below the watermark (level 99) is refused: 409" || bad "level 99: $code $(cat /tmp/sign.out)"
# The attestation signed before the reload is still the last one shown.
tzsigner status >/tmp/status.txt 2>&1
s=$?
grep "$BAKER_PKH" /tmp/status.txt | grep -qE ' yes +- +101/0 .* 100/0 ' && [ $s = 0 ] &&
	ok "tzsigner status (exit 0): $(grep "$BAKER_PKH" /tmp/status.txt | tr -s ' ')" || bad "tzsigner status: exit $s $(cat /tmp/status.txt)"
systemctl stop tzsigner-serve.service
r="$(prop tzsigner-serve.service ActiveState) $(prop tzsigner-serve.service Result)"
[ "$r" = "inactive success" ] && ok "systemctl stop tzsigner-serve: inactive, result success" || bad "stop: $r"
purge tzsigner /usr/bin/tzsigner /lib/systemd/system/tzsigner-serve.service /lib/systemd/system/tzsigner-tunnel.service \
	/etc/tzsigner /lib/udev/rules.d/70-tzsigner-ledger.rules /usr/lib/sysusers.d/tzsigner.conf
# Keys and watermarks are the baker's: purge leaves them (a reinstall keeps
# the key's history, no double signature).
grep -q "$BAKER_PKH" /var/lib/tzsigner/public_key_hashs 2>/dev/null && [ -n "$(ls /var/lib/tzsigner/*watermark* 2>/dev/null)" ] &&
	ok "after the purge the keys and watermarks in /var/lib/tzsigner are still there: $(ls /var/lib/tzsigner | tr '\n' ' ')" ||
	bad "after the purge /var/lib/tzsigner holds: $(ls -la /var/lib/tzsigner 2>&1 | tr '\n' ' ')"
exit 0
