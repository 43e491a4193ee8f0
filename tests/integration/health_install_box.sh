#!/usr/bin/env bash
# health_install_box.sh - scripts/install-box in a scratch root.
#
#   - the first run installs the binary, the users (systemd-sysusers), the
#     units enabled, the udev rules, the NetworkManager profiles (mode 0600),
#     connectivity checking and the dispatcher script (0755), and the
#     configuration files, owned and moded as the services need them;
#   - a second run gives the same tree: same files, content, modes, owners,
#     link targets and time stamps (nothing rewritten);
#   - the operator's edits of /etc/tzsigner/serve.env survive a third run,
#     while a changed unit file is put back;
#   - the installed units pass `systemd-analyze verify`, and the installed
#     tunnel.conf template, once filled in, is accepted by `tzsigner tunnel -n`;
#   - bad options are refused, naming them.
set -uo pipefail
. "$(dirname "$0")/health_lib.sh"
hl_init
command -v systemd-sysusers >/dev/null || hl_fail "systemd-sysusers is missing (apt-get install systemd)"

root=$HL_TMP/root
mkdir "$root"
opts=(--root "$root" --binary "$REL" --endpoint tunnel.example.net:2222 --apn iot.example --main-iface end0
	--power-gpio gpiochip0:6:active-low)

# path type mode uid gid size mtime link sha256
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %U %G %s %T@ %l\n' | sort | while read -r p y rest; do
		if [ "$y" = f ]; then
			echo "$p $y $rest $(sha256sum <"$p" | cut -d' ' -f1)"
		elif [ "$y" = d ]; then
			echo "$p $y $(cut -d' ' -f1-3 <<<"$rest")" # a directory's size and mtime say nothing here
		else
			echo "$p $y $rest"
		fi
	done)
}

scripts/install-box "${opts[@]}" >"$HL_TMP/run1.log" 2>&1 || hl_fail "first run: $(cat "$HL_TMP/run1.log")"
snapshot "$root" >"$HL_TMP/tree1"
sleep 1.1 # a rewrite would show in the time stamps
scripts/install-box "${opts[@]}" >"$HL_TMP/run2.log" 2>&1 || hl_fail "second run: $(cat "$HL_TMP/run2.log")"
snapshot "$root" >"$HL_TMP/tree2"
diff -u "$HL_TMP/tree1" "$HL_TMP/tree2" >"$HL_TMP/tree.diff" || hl_fail "the second run changed the tree: $(cat "$HL_TMP/tree.diff")"
grep -q 'wrote' "$HL_TMP/run2.log" && hl_fail "the second run wrote files: $(cat "$HL_TMP/run2.log")"
hl_log "install-box twice: the same tree ($(wc -l <"$HL_TMP/tree1") entries)"

# ---- what was installed
expect() { # path type mode uid gid
	local line
	line=$(grep -E "^\./${1#/} " "$HL_TMP/tree1") || hl_fail "$1 is missing"
	read -r _ y m u g _ <<<"$line"
	[ "$y $m $u $g" = "$2 $3 $4 $5" ] || hl_fail "$1 is '$y $m $u $g', expected '$2 $3 $4 $5'"
}
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$root/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$root/etc/group"; }
us=$(uid_of tzsigner) ut=$(uid_of tzsigner-tunnel) gs=$(gid_of tzsigner) gt=$(gid_of tzsigner-tunnel)
[ -n "$us" ] && [ -n "$ut" ] && [ "$us" != "$ut" ] || hl_fail "two system users expected: $(cat "$root/etc/passwd")"
[ "$us" -lt 1000 ] && [ "$ut" -lt 1000 ] || hl_fail "not system users: $us $ut"
grep -q "^tzsigner:x:$us:$gs:[^:]*:/var/lib/tzsigner:/usr/sbin/nologin$" "$root/etc/passwd" || hl_fail "tzsigner's passwd line"
grep -q "^tzsigner-tunnel:x:$ut:$gt:[^:]*:/var/lib/tzsigner-tunnel:/usr/sbin/nologin$" "$root/etc/passwd" || hl_fail "tunnel's passwd line"
expect /usr/local/bin/tzsigner f 755 0 0
cmp -s "$root/usr/local/bin/tzsigner" "$REL" || hl_fail "the installed binary is not $REL"
expect /etc/systemd/system/tzsigner-serve.service f 644 0 0
expect /etc/systemd/system/tzsigner-tunnel.service f 644 0 0
expect /etc/systemd/system/multi-user.target.wants/tzsigner-serve.service l 777 0 0
expect /etc/systemd/system/multi-user.target.wants/tzsigner-tunnel.service l 777 0 0
[ "$(readlink "$root/etc/systemd/system/multi-user.target.wants/tzsigner-serve.service")" = /etc/systemd/system/tzsigner-serve.service ] ||
	hl_fail "enable link"
expect /etc/systemd/system/tzsigner-serve.service.d/gpio.conf f 644 0 0
grep -qx 'DeviceAllow=char-gpiochip r' "$root/etc/systemd/system/tzsigner-serve.service.d/gpio.conf" || hl_fail "gpio drop-in"
expect /etc/udev/rules.d/70-tzsigner-ledger.rules f 644 0 0
expect /etc/NetworkManager/system-connections/tzsigner-main.nmconnection f 600 0 0
expect /etc/NetworkManager/system-connections/tzsigner-4g.nmconnection f 600 0 0
expect /etc/NetworkManager/conf.d/90-tzsigner-connectivity.conf f 644 0 0
expect /etc/NetworkManager/dispatcher.d/90-tzsigner-uplink f 755 0 0
expect /etc/tzsigner d 755 0 0
expect /etc/tzsigner/serve.env f 640 0 "$gs"
expect /etc/tzsigner/tunnel.conf f 640 0 "$gt"
expect /etc/sysusers.d/tzsigner.conf f 644 0 0
grep -qx 'interface-name=end0' "$root/etc/NetworkManager/system-connections/tzsigner-main.nmconnection" || hl_fail "main iface"
grep -qx 'apn=iot.example' "$root/etc/NetworkManager/system-connections/tzsigner-4g.nmconnection" || hl_fail "apn"
grep -qx 'route-metric=100' "$root/etc/NetworkManager/system-connections/tzsigner-main.nmconnection" || hl_fail "main metric"
grep -qx 'route-metric=700' "$root/etc/NetworkManager/system-connections/tzsigner-4g.nmconnection" || hl_fail "4g metric"
grep -q '@' "$root"/etc/NetworkManager/system-connections/* "$root"/etc/NetworkManager/conf.d/* "$root"/etc/tzsigner/* &&
	hl_fail "a placeholder was left: $(grep -n '@[A-Z_]*@' "$root"/etc/NetworkManager/*/* "$root"/etc/tzsigner/*)"
args=$(sed -n 's/^TZSIGNER_SERVE_ARGS="\(.*\)"$/\1/p' "$root/etc/tzsigner/serve.env")
[ "$args" = "-A -a 127.0.0.1 -p 6732 --status-port 6733 --tunnel-state /run/tzsigner-tunnel/state.json --uplink-endpoint tunnel.example.net:2222 --uplink-primary end0 --uplink-backup wwan0,ppp0 --power-gpio gpiochip0:6:active-low" ] ||
	hl_fail "serve.env: $args"
# the options serve.env gives are ones serve takes: parse them for real (it fails
# afterwards, exit 1 on the missing base directory, not 2 on an option)
# shellcheck disable=SC2086
out=$("$TZSIGNER" serve -d "$HL_TMP/none" $args 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "$HL_TMP/none" <<<"$out" || hl_fail "serve does not take serve.env's options (exit $rc): $out"
hl_log "installed: users $us/$ut, units enabled, udev, NetworkManager (0600 profiles), dispatcher, configuration"

# ---- the operator's edits stay; a changed unit is put back
sed -i 's/--status-port 6733/--status-port 9999/' "$root/etc/tzsigner/serve.env"
echo "# local change" >>"$root/etc/systemd/system/tzsigner-serve.service"
scripts/install-box "${opts[@]}" >"$HL_TMP/run3.log" 2>&1 || hl_fail "third run: $(cat "$HL_TMP/run3.log")"
grep -q -- '--status-port 9999' "$root/etc/tzsigner/serve.env" || hl_fail "the operator's serve.env was overwritten"
cmp -s deploy/systemd/tzsigner-serve.service "$root/etc/systemd/system/tzsigner-serve.service" ||
	hl_fail "the unit was not put back"
grep -qx 'install-box: wrote /etc/systemd/system/tzsigner-serve.service' "$HL_TMP/run3.log" &&
	[ "$(grep -c wrote "$HL_TMP/run3.log")" = 1 ] || hl_fail "third run: $(cat "$HL_TMP/run3.log")"
hl_log "a third run keeps serve.env's edits and restores the unit"

# ---- the installed units verify; tunnel.conf, once completed, parses
out=$(hl_in_mount_ns "systemd-analyze verify --man=no $root/etc/systemd/system/tzsigner-serve.service \
	$root/etc/systemd/system/tzsigner-tunnel.service" 2>&1) && [ -z "$out" ] ||
	hl_fail "systemd-analyze verify of the installed units: $out"
ssh-keygen -q -t ed25519 -N '' -C test -f "$HL_TMP/id" >/dev/null || hl_fail "ssh-keygen"
sed "s|/var/lib/tzsigner-tunnel/id_ed25519|$HL_TMP/id|" "$root/etc/tzsigner/tunnel.conf" >"$HL_TMP/tunnel.conf"
printf 'remote-port = 7001\nhost-key = %s\n' "$(cut -d' ' -f1,2 "$HL_TMP/id.pub")" >>"$HL_TMP/tunnel.conf"
out=$("$TZSIGNER" tunnel -n -c "$HL_TMP/tunnel.conf" --state "$HL_TMP/state.json" 2>&1) ||
	hl_fail "tunnel -n with the installed tunnel.conf: $out"
grep -q '^OK endpoint=tunnel.example.net:2222 remote_port=7001' <<<"$out" || hl_fail "tunnel -n: $out"
hl_log "installed units verify; tunnel.conf's template parses once filled in"

# ---- refusals
for bad in "--main-iface eth0;reboot" "--apn a|b" "--endpoint host:port:x" "--power-gpio gpiochip0" "--bogus" \
	"--baker-key edpk;x" "--baker-key tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb"; do
	# shellcheck disable=SC2086
	if out=$(scripts/install-box --root "$root" --binary "$REL" $bad 2>&1); then
		hl_fail "install-box accepted $bad"
	fi
	grep -q "install-box: .*${bad%% *}" <<<"$out" || hl_fail "install-box $bad: $out"
done
out=$(scripts/install-box --root "$root" --binary "$HL_TMP/no-such-binary" 2>&1) && hl_fail "a missing binary was accepted"
grep -q 'no-such-binary is missing' <<<"$out" || hl_fail "missing binary: $out"
snapshot "$root" | grep -v '/etc/tzsigner/serve.env \|tzsigner-serve.service ' >"$HL_TMP/tree4"
grep -v '/etc/tzsigner/serve.env \|tzsigner-serve.service ' "$HL_TMP/tree1" | diff -u - "$HL_TMP/tree4" >/dev/null ||
	hl_fail "a refused run changed the tree"
hl_log "bad options refused, nothing changed"

# ---- --baker-key: the baker's authentication key, authorized as user tzsigner
root2=$HL_TMP/root2
mkdir "$root2"
chmod 0755 "$HL_TMP" # user tzsigner goes through it, as through / on a box
bk=$(cd tests/node && node --input-type=module -e '
	import { InMemorySigner } from "@taquito/signer";
	import { randomBytes } from "node:crypto";
	import { b58Encode, PrefixV2 } from "@taquito/utils";
	console.log(await new InMemorySigner(b58Encode(randomBytes(32), PrefixV2.Ed25519Seed)).publicKey());') ||
	hl_fail "no test key"
scripts/install-box --root "$root2" --binary "$REL" --baker-key "$bk" >"$HL_TMP/bk1.log" 2>&1 || hl_fail "--baker-key: $(cat "$HL_TMP/bk1.log")"
ak=$root2/var/lib/tzsigner/authorized_keys
grep -q "\"value\": *\"$bk\"" "$ak" || hl_fail "authorized_keys: $(cat "$ak" 2>&1)"
[ "$(stat -c '%u %a' "$root2/var/lib/tzsigner")" = "$(awk -F: '$1 == "tzsigner" { print $3 }' "$root2/etc/passwd") 700" ] ||
	hl_fail "/var/lib/tzsigner: $(stat -c '%u %a' "$root2/var/lib/tzsigner")"
scripts/install-box --root "$root2" --binary "$REL" --baker-key "$bk" >"$HL_TMP/bk2.log" 2>&1 || hl_fail "--baker-key again"
grep -q 'wrote\|authorized' "$HL_TMP/bk2.log" && hl_fail "the second --baker-key run changed something: $(cat "$HL_TMP/bk2.log")"
# the signer, as installed (user tzsigner), takes it: serve -A with that base directory starts
us2=$(awk -F: '$1 == "tzsigner" { print $3 }' "$root2/etc/passwd")
gs2=$(awk -F: '$1 == "tzsigner" { print $3 }' "$root2/etc/group")
as_signer() { setpriv --reuid="$us2" --regid="$gs2" --clear-groups "$@"; }
as_signer "$REL" keys gen k --type tz1 -d "$root2/var/lib/tzsigner" >/dev/null 2>&1 || hl_fail "keys gen"
out=$(timeout 3 setpriv --reuid="$us2" --regid="$gs2" --clear-groups "$REL" serve -A -d "$root2/var/lib/tzsigner" \
	-a 127.0.0.1 -p 0 2>&1)
grep -q 'event=listening .*auth=required' <<<"$out" || hl_fail "serve -A with the installed authorized_keys: $out"
hl_log "--baker-key: authorized in /var/lib/tzsigner/authorized_keys (user tzsigner, 0700), serve -A takes it"
hl_log "ok"
