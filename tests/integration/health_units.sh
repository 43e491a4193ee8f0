#!/usr/bin/env bash
# health_units.sh - the appliance's systemd units and udev rules.
#
#   - `systemd-analyze verify` accepts deploy/systemd/*.service without a
#     word (it exits 0 even on unknown keys, so any output fails the test;
#     a unit with a typo in it shows that the check catches one);
#   - `tzsigner serve` speaks the Type=notify protocol the unit declares:
#     READY=1 once listening, WATCHDOG=1 every WatchdogSec/2, STOPPING=1 on
#     SIGTERM (checked on a notify socket of our own);
#   - the udev rules parse with udev's own parser (`udevadm test` in a
#     private mount namespace that holds only these rules; Debian 12's
#     udevadm has no `verify`), a broken copy is reported, every key and
#     operator is one udev knows, and the product-id patterns match each
#     model's ids (Nano S, X, S Plus, Stax, Flex) and nothing else.
set -uo pipefail
. "$(dirname "$0")/health_lib.sh"
hl_init
command -v systemd-analyze >/dev/null || hl_fail "systemd-analyze is missing (apt-get install systemd)"
command -v udevadm >/dev/null || hl_fail "udevadm is missing (apt-get install udev)"
command -v python3 >/dev/null || hl_fail "python3 is missing"

# ---- systemd-analyze verify
units="deploy/systemd/tzsigner-serve.service deploy/systemd/tzsigner-tunnel.service"
out=$(hl_in_mount_ns "systemd-analyze verify --man=no $units" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || hl_fail "systemd-analyze verify $units: exit $rc: $out"
hl_log "systemd-analyze verify: both units accepted, no warning"
sed -e 's/^WatchdogSec=30s/WatchdogSec=30s\nWatchdogSecs=30/' -e 's/^DeviceAllow=char-hidraw rw/DeviceAllow=char-hidraw rwx/' \
	deploy/systemd/tzsigner-serve.service >"$HL_TMP/typo.service"
out=$(hl_in_mount_ns "systemd-analyze verify --man=no $HL_TMP/typo.service" 2>&1)
grep -q "Unknown key.*WatchdogSecs" <<<"$out" && grep -q "Invalid device rights" <<<"$out" ||
	hl_fail "systemd-analyze verify did not report the typos: $out"
for key in Type=notify WatchdogSec= NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes RestrictAddressFamilies=; do
	for u in $units; do
		grep -q "^$key" "$u" || hl_fail "$u has no $key"
	done
done
grep -q '^User=tzsigner$' deploy/systemd/tzsigner-serve.service || hl_fail "serve's user"
# The front's own filter is loaded with seccomp(2), outside @system-service.
grep -q '^SystemCallFilter=seccomp$' deploy/systemd/tzsigner-serve.service ||
	hl_fail "serve's unit must allow seccomp (the front's filter)"
grep -q '^User=tzsigner-tunnel$' deploy/systemd/tzsigner-tunnel.service || hl_fail "tunnel's user"
[ "$(grep -c '^DeviceAllow=' deploy/systemd/tzsigner-serve.service)" = 1 ] &&
	grep -q '^DevicePolicy=closed$' deploy/systemd/tzsigner-serve.service &&
	grep -q '^DeviceAllow=char-hidraw rw$' deploy/systemd/tzsigner-serve.service ||
	hl_fail "serve must allow the Ledger's hidraw devices and nothing else"
grep -q '^PrivateDevices=yes$' deploy/systemd/tzsigner-tunnel.service || hl_fail "the tunnel must see no device"

# ---- the notify protocol, as systemd would see it
sock=$HL_TMP/notify.sock
python3 - "$sock" >"$HL_TMP/notify.log" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
t0 = time.monotonic()
while True:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        break
    for line in msg.split("\n"):
        print(f"{time.monotonic() - t0:.3f} {line}", flush=True)
    if "STOPPING=1" in msg:
        break
EOF
listener=$!
hl_cleanup "kill $listener"
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || hl_fail "the notify listener did not start: $(cat "$HL_TMP/notify.log")"
base=$HL_TMP/base
mkdir -m 700 "$base"
"$TZSIGNER" keys gen k1 --type tz1 -d "$base" >/dev/null || hl_fail "keys gen"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 "$TZSIGNER" serve -d "$base" -p 0 --power-sysfs none \
	2>"$HL_TMP/serve.log" &
serve=$!
hl_cleanup "kill $serve"
sleep 3
kill -TERM $serve
wait $serve
rc=$?
wait $listener
[ $rc -eq 0 ] || hl_fail "serve exited $rc: $(tail -5 "$HL_TMP/serve.log")"
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$HL_TMP/serve.log" && hl_fail "sanitizer: $(cat "$HL_TMP/serve.log")"
grep -q ' READY=1$' "$HL_TMP/notify.log" || hl_fail "no READY=1: $(cat "$HL_TMP/notify.log")"
grep -q ' STATUS=serving 1 keys on 127.0.0.1 port ' "$HL_TMP/notify.log" || hl_fail "no STATUS: $(cat "$HL_TMP/notify.log")"
pings=$(grep -c ' WATCHDOG=1$' "$HL_TMP/notify.log")
[ "$pings" -ge 4 ] && [ "$pings" -le 9 ] || hl_fail "$pings watchdog pings in ~3 s with WatchdogSec=1s: $(cat "$HL_TMP/notify.log")"
grep -q ' STOPPING=1$' "$HL_TMP/notify.log" || hl_fail "no STOPPING=1 on SIGTERM"
ready_line=$(grep -n ' READY=1$' "$HL_TMP/notify.log" | cut -d: -f1)
first_ping=$(grep -n ' WATCHDOG=1$' "$HL_TMP/notify.log" | head -1 | cut -d: -f1)
[ "$ready_line" -lt "$first_ping" ] || hl_fail "a watchdog ping before READY"
hl_log "serve: READY=1, $pings watchdog pings in 3 s at WatchdogSec=1s, STOPPING=1"

# ---- udev rules: udev's parser, in a mount namespace with only our rules
rules=deploy/udev/70-tzsigner-ledger.rules
udev_check() { # FILE → udevadm test's report about that file
	local f=$1
	cp /etc/group "$HL_TMP/group"
	grep -q '^tzsigner:' "$HL_TMP/group" || echo 'tzsigner:x:999:' >>"$HL_TMP/group"
	unshare -m sh -c "mount --make-rprivate / && \
		mount -t tmpfs none /etc/udev/rules.d && mount -t tmpfs none /usr/lib/udev/rules.d && \
		mkdir -p /run/udev && mount -t tmpfs none /run/udev && \
		mount --bind '$HL_TMP/group' /etc/group && \
		cp '$f' /etc/udev/rules.d/70-tzsigner-ledger.rules && \
		udevadm test --action=add /sys/class/net/lo" 2>&1
}
report=$(udev_check "$rules")
grep -q 'Reading rules file: /etc/udev/rules.d/70-tzsigner-ledger.rules' <<<"$report" ||
	hl_fail "udevadm test did not read the rules: $report"
if grep -E '70-tzsigner-ledger\.rules:[0-9]+' <<<"$report"; then
	hl_fail "udev reports problems in $rules"
fi
sed -e 's/GROUP="tzsigner", MODE="0660"/GROUP="tzsigner" MODE=="0660"/' -e '0,/ATTRS{idVendor}=="2c97"/s//ATTRS{idVendor}="2c97"/' \
	"$rules" >"$HL_TMP/broken.rules"
report=$(udev_check "$HL_TMP/broken.rules")
[ "$(grep -cE '70-tzsigner-ledger\.rules:[0-9]+' <<<"$report")" -ge 2 ] ||
	hl_fail "udevadm test did not report the broken rules: $report"
hl_log "udev: udevadm test parses the rules without a complaint and reports a broken copy"

# every line: KEY[{attr}] OP "value" pairs udev knows, separated by ", "
known='ACTION|SUBSYSTEM|SUBSYSTEMS|KERNEL|ATTRS\{[a-zA-Z_]+\}|ATTR\{[a-zA-Z_]+\}|ENV\{[A-Z_]+\}|GROUP|MODE|OWNER|TAG|GOTO|LABEL|SYMLINK'
pair="($known)(==|!=|=|\\+=|:=)\"[^\"]*\""
n=0
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	n=$((n + 1))
	grep -Eqx "$pair(, $pair)*" <<<"$line" || hl_fail "not a udev rule line: $line"
	case $line in LABEL=* | GOTO=* | ACTION=* | SUBSYSTEM!=*) ;; *)
		grep -q 'GROUP="tzsigner", MODE="0660"' <<<"$line" || hl_fail "a Ledger line without group tzsigner 0660: $line" ;;
	esac
	grep -q 'MODE="0666"' <<<"$line" && hl_fail "world-writable: $line"
done <"$rules"
[ "$(grep -c '^LABEL="tzsigner_ledger_end"' "$rules")" = 1 ] && [ "$(grep -c 'GOTO="tzsigner_ledger_end"' "$rules")" = 2 ] ||
	hl_fail "GOTO/LABEL mismatch"

# the product-id patterns, matched the way udev matches them (fnmatch with | alternatives)
model_of() { # product id → the ID_TZSIGNER_LEDGER of the first rule that matches, or ""
	local pid=$1 line pat alt
	while IFS= read -r line; do
		[[ $line == *'ATTRS{idProduct}=="'* ]] || continue
		pat=${line#*ATTRS\{idProduct\}==\"}
		pat=${pat%%\"*}
		IFS='|' read -ra alts <<<"$pat"
		for alt in "${alts[@]}"; do
			# shellcheck disable=SC2053 # a glob, as udev reads it
			if [[ $pid == $alt ]]; then
				line=${line#*ID_TZSIGNER_LEDGER\}=\"}
				echo "${line%%\"*}"
				return
			fi
		done
	done <"$rules"
}
for want in 0001:nano-s 1011:nano-s 1015:nano-s 0004:nano-x 4011:nano-x 4015:nano-x 0005:nano-s-plus \
	5011:nano-s-plus 5015:nano-s-plus 0006:stax 6011:stax 6015:stax 0007:flex 7011:flex 7015:flex \
	0000: 0002: 0003: 0008: 1100: 8011: 2581: abcd:; do
	pid=${want%%:*} model=${want#*:}
	got=$(model_of "$pid")
	[ "$got" = "$model" ] || hl_fail "product id $pid: rules say '${got}', expected '${model}'"
done
hl_log "udev: $n rule lines well formed; Nano S, X, S Plus, Stax and Flex ids matched, others not"
hl_log "ok"
