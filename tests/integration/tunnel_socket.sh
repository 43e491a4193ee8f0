#!/usr/bin/env bash
# tunnel_socket.sh - octez's socket signer protocol through `tzsigner tunnel`
# and a real OpenSSH sshd endpoint (design §2.5, §2.8).
#
# In a network namespace: `tzsigner serve --socket tcp://127.0.0.1:7732`,
# the endpoint (sshd) whose key line for the box also permits listening on
# Q, and the tunnel with --socket-remote-port Q. Shows:
#   - `tunnel -n` prints the third -R (Q → the socket listener);
#   - signatures asked for at the endpoint's port Q, as octez's socket client
#     asks (lib/socket_sign_cli.mjs), come back and verify with Taquito;
#   - HTTP through P keeps working beside it;
#   - the tunnel is up only once all three forwards are accepted; an endpoint
#     that does not permit Q refuses that forward, and the tunnel says so
#     ("the socket protocol port") instead of coming up half-way;
#   - SIGTERM stops cleanly, no sanitizer report.
set -uo pipefail
. "$(dirname "$0")/tunnel_lib.sh"
tl_init

tl_netns socket
NS=$TL_NS
P=7200
Q=9200
tl_hosts "$NS" "127.0.0.1 endpoint.test"
tl_keypair endpoint_host
mkdir -m 700 "$TL_TMP/box"
line=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box1 --remote-port $P \
	2>"$TL_TMP/keygen.log") || tl_fail "keygen: $(cat "$TL_TMP/keygen.log")"
read -r _ _ ktype kb64 _ <<<"$line"

tl_signer_start "$NS" --socket tcp://127.0.0.1:7732
grep -q "event=socket_listening socket=tcp://127.0.0.1:7732" "$TL_TMP/signer.log" ||
	tl_fail "the signer does not listen on its socket: $(tail -5 "$TL_TMP/signer.log")"

base_line=$(tl_box_key_line $P /dev/stdin <<<"$ktype $kb64 box1")
printf '%s\n' "${base_line/permitopen=/permitlisten=\"localhost:$Q\",permitopen=}" >"$TL_TMP/endpoint_authorized_keys"
cfg=$(tl_sshd_config endpoint 127.0.0.1:2200 "$TL_TMP/endpoint_host" "$TL_TMP/endpoint_authorized_keys" \
	"ClientAliveInterval 2" "ClientAliveCountMax 3")
tl_sshd_start endpoint "$NS" "$cfg" 127.0.0.1 2200

cat >"$TL_TMP/tunnel.conf" <<CONF
endpoint = endpoint.test:2200
user = root
identity = $TL_TMP/box/id_ed25519
host-key = $TL_TMP/endpoint_host.pub
remote-port = $P
signer = 127.0.0.1:$TL_SIGNER_PORT
socket-remote-port = $Q
socket-signer = 127.0.0.1:7732
alive-interval = 1
alive-count = 3
CONF
check=$("$TZSIGNER" tunnel -n -c "$TL_TMP/tunnel.conf" 2>&1) || tl_fail "tunnel -n: $check"
grep -q -- "-R $Q:127.0.0.1:7732" <<<"$check" || tl_fail "tunnel -n: no -R for the socket port: $check"

STATE=$TL_TMP/state.json
TLOG=$TL_TMP/tunnel.log
ip netns exec "$NS" "$TZSIGNER" tunnel -c "$TL_TMP/tunnel.conf" --state "$STATE" --run-dir "$TL_TMP/run" \
	</dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
tl_wait_state "$STATE" state up 20 || tl_fail "the tunnel did not come up within 20 s: $(tail -5 "$TLOG")"

out=$(cd "$TL_REPO/tests/node" && tl_in "$NS" node lib/socket_sign_cli.mjs $Q "$TL_PKH" "$TL_PK" 5 2>&1) ||
	tl_fail "signing through the endpoint's port $Q: $out"
tl_log "$out (through the endpoint's port $Q)"
tl_sign "$NS" $P || tl_fail "HTTP through port $P beside the socket forward failed"
tl_verify_all

tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exited $TL_RC after SIGTERM"

# An endpoint that permits only P and P+1000: the forward of Q is refused.
printf '%s\n' "$base_line" >"$TL_TMP/endpoint_authorized_keys"
: >"$TLOG"
ip netns exec "$NS" "$TZSIGNER" tunnel -c "$TL_TMP/tunnel.conf" --state "$STATE" --run-dir "$TL_TMP/run" \
	</dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
tl_wait_log "$TLOG" "forward refused by policy.*port $Q \(the socket protocol port\)" 20 ||
	tl_fail "a refused socket forward is not reported: $(tail -5 "$TLOG")"
[ "$(tl_state_get "$STATE" state)" != up ] || tl_fail "the tunnel says up although the endpoint refused port $Q"
! grep -q "event=tunnel_up" "$TLOG" || tl_fail "the tunnel came up before the endpoint answered the forward of $Q"
tl_log "refused forward reported: $(grep -E "refused|$Q" "$TLOG" | tail -1)"
tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exited $TL_RC after SIGTERM"
tl_term "$TL_SIGNER_PID"
[ "$TL_RC" -eq 0 ] || tl_fail "tzsigner serve exited $TL_RC after SIGTERM"
tl_sanitizer_check "$TLOG" "$TL_TMP/signer.log" "$TL_TMP/keygen.log"
tl_log "ok"
