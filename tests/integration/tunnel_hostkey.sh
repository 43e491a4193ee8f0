#!/usr/bin/env bash
# tunnel_hostkey.sh - the pinned host key, against real sshd endpoints.
#
#   - A rebuilt endpoint with the same host key (a new sshd process at a new
#     address, found by the same DNS name): the tunnel reconnects by itself,
#     with no change on the box (known_hosts untouched).
#   - An endpoint with a different host key: the tunnel refuses to connect,
#     the state file and the log say "host key mismatch" with the offered
#     key's fingerprint, nothing prompts, and it does not retry fast.
#   - The right key back plus SIGHUP (what an operator does): up at once.
set -uo pipefail
. "$(dirname "$0")/tunnel_lib.sh"
tl_init

tl_netns hostkey
NS=$TL_NS
P=7100
tl_hosts "$NS" "127.0.0.1 endpoint.test"

tl_keypair key_a
tl_keypair key_b
mkdir -m 700 "$TL_TMP/box"
line=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box2 --remote-port $P \
	2>"$TL_TMP/keygen.log") || tl_fail "keygen failed"
read -r _ _ ktype kb64 <<<"$line"
echo "$ktype $kb64" >"$TL_TMP/box.pub"
tl_box_key_line $P "$TL_TMP/box.pub" >"$TL_TMP/authorized_keys"

tl_signer_start "$NS"

# endpoint NAME ADDR HOSTKEY
endpoint() {
	local cfg
	cfg=$(tl_sshd_config "$1" "$2:2200" "$3" "$TL_TMP/authorized_keys" \
		"ClientAliveInterval 1" "ClientAliveCountMax 3")
	tl_sshd_start "$1" "$NS" "$cfg" "$2" 2200
}

# The rebuilt endpoint gets its own copy of host key A.
cp "$TL_TMP/key_a" "$TL_TMP/key_a_rebuilt"
chmod 600 "$TL_TMP/key_a_rebuilt"

endpoint e1 127.0.0.1 "$TL_TMP/key_a"

STATE=$TL_TMP/state.json
TLOG=$TL_TMP/tunnel.log
ip netns exec "$NS" "$TZSIGNER" tunnel --endpoint endpoint.test:2200 --user root \
	--identity "$TL_TMP/box/id_ed25519" --host-key "$(cat "$TL_TMP/key_a.pub")" \
	--remote-port $P --signer "127.0.0.1:$TL_SIGNER_PORT" --ssh 127.0.0.1:22 \
	--state "$STATE" --run-dir "$TL_TMP/run" --alive-interval 1 --alive-count 3 \
	--probe-interval 1 --stable-after 1 --refused-retry 60 </dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
tl_wait_state "$STATE" state up 20 || tl_fail "the tunnel did not come up"
tl_sign "$NS" $P || tl_fail "sign through e1 failed"
cp "$TL_TMP/run/known_hosts" "$TL_TMP/known_hosts.before"
tl_log "up through e1 (127.0.0.1:2200, host key A)"

# ---- rebuilt endpoint: same key, new process, new address, same name
tl_sshd_kill e1
tl_hosts "$NS" "127.0.0.2 endpoint.test"
t0=$(tl_now)
endpoint e2 127.0.0.2 "$TL_TMP/key_a_rebuilt"
for _ in $(seq 1 300); do
	[ "$(tl_state_get "$STATE" state)" = up ] && [ "$(tl_state_get "$STATE" peer)" = 127.0.0.2:2200 ] && break
	sleep 0.1
done
[ "$(tl_state_get "$STATE" peer)" = 127.0.0.2:2200 ] && [ "$(tl_state_get "$STATE" state)" = up ] ||
	tl_fail "no reconnect to the rebuilt endpoint at 127.0.0.2: $(cat "$STATE")"
tl_log "rebuilt endpoint (127.0.0.2, same key): up again after $(tl_elapsed "$t0") s"
cmp -s "$TL_TMP/known_hosts.before" "$TL_TMP/run/known_hosts" || tl_fail "known_hosts changed"
tl_sign "$NS" $P || tl_fail "sign through the rebuilt endpoint failed"

# ---- a different host key
tl_sshd_kill e2
endpoint e3 127.0.0.2 "$TL_TMP/key_b"
fp_b=$(ssh-keygen -l -f "$TL_TMP/key_b.pub" | awk '{print $2}')
tl_wait_state "$STATE" error_kind host_key_mismatch 30 ||
	tl_fail "a changed host key was not reported: $(cat "$STATE")"
[ "$(tl_state_get "$STATE" state)" = down ] || tl_fail "state is not down: $(cat "$STATE")"
last=$(tl_state_get "$STATE" last_error)
case $last in "host key mismatch: "*"$fp_b"*) ;; *) tl_fail "last_error does not name the mismatch and $fp_b: $last" ;; esac
grep -q 'level=error fn=tunnel_ssh_exited event=host_key_mismatch .*host key mismatch' "$TLOG" ||
	tl_fail "no error log line saying host key mismatch"
grep -qE 'level=error .*event=state state=down .*error_kind=host_key_mismatch' "$TLOG" ||
	tl_fail "the state log line does not say host_key_mismatch"
if grep -qiE 'continue connecting|yes/no|password:|passphrase' "$TLOG"; then
	tl_fail "something prompted: $(grep -iE 'continue connecting|yes/no|password:|passphrase' "$TLOG")"
fi
kill -0 "$TUN" || tl_fail "the tunnel exited on a host key mismatch"
if tl_sign "$NS" $P 1; then tl_fail "signing worked through an endpoint with the wrong host key"; fi
attempts=$(tl_state_get "$STATE" attempts)
sleep 3
[ "$(tl_state_get "$STATE" attempts)" = "$attempts" ] || tl_fail "it retried fast after a host key mismatch"
grep -q 'Host key verification failed' "$TLOG" || tl_fail "ssh's own words are not in the log"
tl_log "changed host key: refused, reported ($fp_b), no prompt, no fast retry"

# ---- the operator puts the right endpoint back and sends SIGHUP
tl_sshd_kill e3
endpoint e4 127.0.0.2 "$TL_TMP/key_a_rebuilt"
t0=$(tl_now)
kill -HUP "$TUN"
tl_wait_state "$STATE" state up 5 || tl_fail "SIGHUP after fixing the endpoint did not bring it up"
tl_log "right key back + SIGHUP: up after $(tl_elapsed "$t0") s"
tl_sign "$NS" $P || tl_fail "sign after the fix failed"

tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exit status $TL_RC after SIGTERM"
tl_verify_all
tl_sanitizer_check "$TLOG" "$TL_TMP/signer.log" "$TL_TMP/keygen.log"
tl_log "ok"
