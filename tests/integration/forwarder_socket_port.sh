#!/usr/bin/env bash
# forwarder_socket_port.sh - a box's socket-protocol port Q (signers file
# `socket=Q`, design §2.5, §2.8) on the real endpoint: `tzsigner forwarder
# run` and the sshd it runs per connection. Shows:
#   - render writes permitlisten="Q" for a box with socket=Q and nothing for
#     an old-style line, and sshd -t accepts the files; check prints Q;
#   - with plain OpenSSH clients as boxes: a box may not listen on another
#     box's Q, nor on a Q when its line has none, nor on a port nobody has
#     (sshd denies each: the forwarder logs forward_refused for it);
#   - a box with socket=Q listens on it: `tzsigner tunnel
#     --socket-remote-port Q` comes up with all three forwards, and octez's
#     socket client (lib/socket_sign_cli.mjs) signs through the endpoint's Q,
#     checked by Taquito; a plain client's Q reaches its own signer;
#   - a reload that removes a box's socket= ends that box's session (it
#     logged in with the old permissions), and its new session may no
#     longer listen on Q.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_keypair beta
fl_keypair gamma
signers_with() {
	fl_signers "# alpha and beta have a socket port, gamma (an old-style line) has none" \
		"alpha 7001 socket=9001 $(cat "$FL_TMP/alpha.pub")" \
		"beta  7002 $1 $(cat "$FL_TMP/beta.pub")" \
		"gamma 7003 $(cat "$FL_TMP/gamma.pub")"
}
signers_with socket=9002
fl_known_hosts

fl_log "check and render: permitlisten=\"Q\" for the boxes with socket=Q, sshd -t accepts it"
"$TZSIGNER" forwarder check --signers "$FL_TMP/signers" >"$FL_TMP/check.log" 2>&1 || fl_fail "check: $(cat "$FL_TMP/check.log")"
grep -qE '^  alpha +P=7001 +sshd=8001 +socket=9001 ' "$FL_TMP/check.log" || fl_fail "check does not show Q: $(cat "$FL_TMP/check.log")"
grep -qE '^  gamma +P=7003 +sshd=8003 +socket=- ' "$FL_TMP/check.log" || fl_fail "check: gamma: $(cat "$FL_TMP/check.log")"
"$TZSIGNER" forwarder render --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" --user root \
	--out "$FL_TMP/out" --listen 127.0.0.1:$FL_SSH_PORT --check >"$FL_TMP/render.log" 2>&1 ||
	fl_fail "render --check: $(cat "$FL_TMP/render.log")"
grep -q '^sshd -t: OK' "$FL_TMP/render.log" || fl_fail "render --check did not run sshd -t"
ak=$FL_TMP/out/authorized_keys
grep -qx "restrict,port-forwarding,permitlisten=\"7001\",permitlisten=\"8001\",permitlisten=\"9001\" $(cut -d' ' -f1,2 "$FL_TMP/alpha.pub") tzsigner:alpha" "$ak" ||
	fl_fail "authorized_keys line of alpha: $(cat "$ak")"
grep -qx "restrict,port-forwarding,permitlisten=\"7003\",permitlisten=\"8003\" $(cut -d' ' -f1,2 "$FL_TMP/gamma.pub") tzsigner:gamma" "$ak" ||
	fl_fail "authorized_keys line of gamma: $(cat "$ak")"
grep -qx 'PermitListen 7001 8001 9001 7002 8002 9002 7003 8003' "$FL_TMP/out/sshd_config" ||
	fl_fail "PermitListen: $(grep PermitListen "$FL_TMP/out/sshd_config")"

# alpha's signer speaks HTTP on 16001 and octez's socket protocol on 17001;
# beta's speaks HTTP on 16002 (its Q is forwarded there: a port is a port).
"$TZSIGNER" keys gen baker --type tz1 -d "$FL_TMP/signer-alpha" >/dev/null 2>"$FL_TMP/keys-alpha.log" ||
	fl_fail "keys gen: $(cat "$FL_TMP/keys-alpha.log")"
read -r _ PKH PK _ < <("$TZSIGNER" keys list -d "$FL_TMP/signer-alpha" | awk '$1 == "baker"')
ip netns exec "$FL_NS" "$TZSIGNER" serve -d "$FL_TMP/signer-alpha" -a 127.0.0.1 -p 16001 --socket tcp://127.0.0.1:17001 \
	2>"$FL_TMP/signer-alpha.log" &
FL_PIDS+=($!)
fl_wait 30 grep -q 'event=socket_listening socket=tcp://127.0.0.1:17001' "$FL_TMP/signer-alpha.log" ||
	fl_fail "alpha's signer does not listen on its socket: $(tail -5 "$FL_TMP/signer-alpha.log")"
fl_signer beta 16002
fl_forwarder_start

# denied SPEC BOX: BOX's key asking to listen on SPEC is refused by sshd's
# policy (not by a port in use: nothing holds these ports now).
denied() {
	local box=$1 spec=$2 out n0
	n0=$(grep -c "forward_refused box=$box " "$FL_TMP/forwarder.log")
	out=$(fl_ssh "$box" -N -R "$spec" "$FL_TARGET" 2>&1) && fl_fail "$box -R $spec was accepted"
	grep -q 'remote port forwarding failed' <<<"$out" || fl_fail "$box -R $spec: $out"
	fl_wait 5 bash -c '[ "$(grep -c "forward_refused box='"$box"' " "$1")" -gt "$2" ]' _ "$FL_TMP/forwarder.log" "$n0" ||
		fl_fail "$box -R $spec: the forwarder logged no forward_refused: $(tail -3 "$FL_TMP/forwarder.log")"
}
fl_log "no box may listen on another box's Q, on a Q its line does not give, or on anybody else's port"
denied alpha 9002:127.0.0.1:22      # beta's Q
denied beta 9001:127.0.0.1:22       # alpha's Q
denied gamma 9001:127.0.0.1:22      # gamma has no socket=
denied gamma 9003:127.0.0.1:22
denied alpha 9003:127.0.0.1:22      # nobody's port
grep -q 'forward_refused box=alpha .*9002.*denied' "$FL_TMP/forwarder.log" ||
	fl_fail "sshd's denial is not in the log: $(grep forward_refused "$FL_TMP/forwarder.log" | tail -3)"

fl_log "beta, a plain ssh client, listens on its Q beside P and P+1000"
fl_in timeout 300 ssh -F none -T -N -o BatchMode=yes -o ExitOnForwardFailure=yes \
	-o UserKnownHostsFile="$FL_TMP/known_hosts" -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes \
	-o IdentityAgent=none -i "$FL_TMP/beta" -p $FL_SSH_PORT \
	-R 7002:127.0.0.1:16002 -R 8002:127.0.0.1:22 -R 9002:127.0.0.1:16002 "$FL_TARGET" >"$FL_TMP/box-beta.log" 2>&1 &
BETA=$!
FL_PIDS+=($BETA)
fl_wait 20 fl_answers 9002 || fl_fail "beta's signer does not answer at the endpoint's 9002: $(cat "$FL_TMP/box-beta.log")"
fl_answers 7002 || fl_fail "beta's P does not answer"

fl_log "alpha, tzsigner tunnel --socket-remote-port 9001: octez's socket client signs through the endpoint's 9001"
cat >"$FL_TMP/tunnel-alpha.conf" <<CONF
endpoint = 127.0.0.1:$FL_SSH_PORT
user = $(id -un)
identity = $FL_TMP/alpha
host-key = $FL_TMP/hostkey.pub
remote-port = 7001
signer = 127.0.0.1:16001
socket-remote-port = 9001
socket-signer = 127.0.0.1:17001
alive-interval = 1
alive-count = 3
CONF
mkdir -m 700 "$FL_TMP/run-alpha"
ip netns exec "$FL_NS" "$TZSIGNER" tunnel -c "$FL_TMP/tunnel-alpha.conf" --state "$FL_TMP/tunnel-alpha.json" \
	--run-dir "$FL_TMP/run-alpha" </dev/null 2>"$FL_TMP/tunnel-alpha.log" &
TUN=$!
FL_PIDS+=($TUN)
fl_wait 30 grep -q '"state":"up"' "$FL_TMP/tunnel-alpha.json" 2>/dev/null ||
	fl_fail "alpha's tunnel did not come up: $(tail -5 "$FL_TMP/tunnel-alpha.log")"
out=$(cd "$FL_REPO/tests/node" && fl_in node lib/socket_sign_cli.mjs 9001 "$PKH" "$PK" 3 2>&1) ||
	fl_fail "signing through the endpoint's 9001: $out"
fl_log "$out"
code=$(fl_in curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:7001/keys/$PKH")
[ "$code" = 200 ] || fl_fail "alpha's P answered $code beside the socket port"

fl_log "a reload that takes beta's socket= away ends its session; its next one may not listen on 9002"
signers_with ""
fl_wait 15 grep -q "event=session_ended_by_reload box=beta" "$FL_TMP/forwarder.log" ||
	fl_fail "beta's session was not ended by the reload: $(tail -5 "$FL_TMP/forwarder.log")"
# (gone, or a zombie until waited for)
fl_wait 10 bash -c "! ps -o stat= -p $BETA | grep -qv Z" || fl_fail "beta's ssh still runs"
denied beta 9002:127.0.0.1:22
grep -qx "restrict,port-forwarding,permitlisten=\"7002\",permitlisten=\"8002\" $(cut -d' ' -f1,2 "$FL_TMP/beta.pub") tzsigner:beta" "$ak" ||
	fl_fail "authorized_keys line of beta after the reload: $(grep beta "$ak")"
# alpha's line did not change: its session stayed, and it still signs through 9001
! grep -q "event=session_ended_by_reload box=alpha" "$FL_TMP/forwarder.log" || fl_fail "the reload ended alpha's session"
out=$(cd "$FL_REPO/tests/node" && fl_in node lib/socket_sign_cli.mjs 9001 "$PKH" "$PK" 2 2>&1) ||
	fl_fail "signing through 9001 after the reload: $out"

kill -TERM "$TUN"
wait "$TUN" || fl_fail "the tunnel exited $? after SIGTERM"
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero after SIGTERM"
fl_sanitizer_check "$FL_TMP/forwarder.log" "$FL_TMP/tunnel-alpha.log" "$FL_TMP/signer-alpha.log"
fl_log "ok"
