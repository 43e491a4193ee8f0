#!/usr/bin/env bash
# tunnel_box_ssh.sh - `tzsigner tunnel` says when its P+1000 forward leads
# nowhere (issue 16): ssh accepts the remote forward of P+1000 whatever its
# target, so the tunnel was "up" with nothing listening on the box's sshd
# target. Against the real endpoint (`tzsigner forwarder run` and its sshd),
# in a network namespace where nothing listens on port 22:
#   - target 127.0.0.1:22: the tunnel is up (the signer is reachable through
#     P) and its state file says box_ssh "not_listening", its log
#     event=box_ssh_not_listening naming the target and the endpoint's port,
#     and `tzsigner status` (text and --json) of a signer reading that state
#     file says "box sshd not listening";
#   - target a port where an sshd listens (the endpoint's own, here): box_ssh
#     "ok", no warning.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")"
fl_known_hosts
fl_signer alpha 16001
fl_forwarder_start
mkdir -m 700 "$FL_TMP/run"

# run_tunnel NAME SSH_TARGET: alpha's tunnel with --ssh SSH_TARGET until it
# is up; its state file is NAME.json, its log NAME.log. Sets TUN.
run_tunnel() {
	ip netns exec "$FL_NS" "$TZSIGNER" tunnel --endpoint 127.0.0.1:$FL_SSH_PORT --user "$(id -un)" \
		--identity "$FL_TMP/alpha" --host-key "$FL_TMP/hostkey.pub" --remote-port 7001 \
		--signer 127.0.0.1:16001 --ssh "$2" --alive-interval 1 --state "$FL_TMP/$1.json" \
		--run-dir "$FL_TMP/run" </dev/null 2>"$FL_TMP/$1.log" &
	TUN=$!
	FL_PIDS+=($TUN)
	fl_wait 30 grep -q '"state":"up"' "$FL_TMP/$1.json" 2>/dev/null ||
		fl_fail "$1: the tunnel did not come up: $(tail -5 "$FL_TMP/$1.log")"
}
stop_tunnel() {
	kill -TERM "$TUN"
	wait "$TUN" || fl_fail "the tunnel exited $? after SIGTERM"
}

fl_log "nothing listens on the box's sshd target: up, with box_ssh not_listening"
run_tunnel nossh 127.0.0.1:22
fl_answers 7001 || fl_fail "the signer does not answer through P"
grep -q '"box_ssh":"not_listening"' "$FL_TMP/nossh.json" || fl_fail "state file: $(cat "$FL_TMP/nossh.json")"
grep -q 'event=box_ssh_not_listening target=127.0.0.1:22 endpoint_port=8001 .*port 8001 leads nowhere' "$FL_TMP/nossh.log" ||
	fl_fail "no warning: $(grep -E 'box_ssh|tunnel_up' "$FL_TMP/nossh.log")"
grep -q 'event=state state=up .*box_ssh=not_listening' "$FL_TMP/nossh.log" || fl_fail "the state line lacks box_ssh"

fl_log "tzsigner status, from a signer watching that state file, says so"
"$TZSIGNER" keys gen watcher --type tz1 -d "$FL_TMP/watcher" >/dev/null 2>"$FL_TMP/keys-watcher.log" ||
	fl_fail "keys gen: $(cat "$FL_TMP/keys-watcher.log")"
ip netns exec "$FL_NS" "$TZSIGNER" serve -d "$FL_TMP/watcher" -a 127.0.0.1 -p 16011 \
	--tunnel-state "$FL_TMP/nossh.json" 2>"$FL_TMP/watcher.log" &
FL_PIDS+=($!)
status_says() { fl_in "$TZSIGNER" status --url 127.0.0.1:16011 >"$FL_TMP/status.txt" 2>&1; grep -q "$1" "$FL_TMP/status.txt"; }
fl_wait 20 status_says '^tunnel: *up, 0 reconnects; box sshd not listening' ||
	fl_fail "status: $(cat "$FL_TMP/status.txt")"
fl_in "$TZSIGNER" status --url 127.0.0.1:16011 --json >"$FL_TMP/status.json" 2>&1 || true
grep -q '"box_ssh": *"not_listening"' "$FL_TMP/status.json" || fl_fail "status --json: $(cat "$FL_TMP/status.json")"
stop_tunnel

fl_log "an sshd listens on the target: box_ssh ok"
run_tunnel ssh 127.0.0.1:$FL_SSH_PORT
grep -q '"box_ssh":"ok"' "$FL_TMP/ssh.json" || fl_fail "state file: $(cat "$FL_TMP/ssh.json")"
! grep -q 'box_ssh_not_listening' "$FL_TMP/ssh.log" || fl_fail "warned although sshd listens"
stop_tunnel
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero after SIGTERM"
fl_sanitizer_check "$FL_TMP/forwarder.log" "$FL_TMP/nossh.log" "$FL_TMP/ssh.log" "$FL_TMP/status.txt"
fl_log "ok"
