#!/usr/bin/env bash
# forwarder_restart.sh - every sshd session dies with its forwarder, whatever
# killed it, proved against the real forwarder (as root, the boxes logging
# in as `daemon`: sshd's post-authentication process changes user, which
# clears the parent-death signal) and sshd -i:
#   - two boxes (plain OpenSSH clients that reconnect) are logged in;
#   - `kill -9` of the forwarder: the processes of its sessions that outlive
#     it are counted (sshd's post-authentication process is not reached by
#     the parent-death signal);
#   - a new forwarder starts: no process of the old instance's sessions is
#     left once it is ready (it read OUT/sessions and killed them), and the
#     boxes come back to it;
#   - beta is removed from the signers file and the forwarder gets SIGHUP:
#     beta's tunnel ends (its P stops answering, its ssh is disconnected),
#     alpha's does not.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

id daemon >/dev/null 2>&1 || fl_fail "no user daemon"
FL_TARGET=daemon@127.0.0.1
fl_two_boxes_up --user daemon
# sshd_pids: the sshd processes (not zombies) in the test's namespace
sshd_pids() {
	local p
	for p in $(ip netns pids "$FL_NS"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/sbin/sshd ] || continue
		[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		echo "$p"
	done
}
before=$(sshd_pids | tr '\n' ' ')
[ -n "$before" ] || fl_fail "no sshd process before the kill"
grep -qE '^[0-9]+ [0-9]+ [0-9]+$' "$FL_TMP/out/sessions" || fl_fail "OUT/sessions lists no session: $(cat "$FL_TMP/out/sessions")"

fl_log "kill -9 of the forwarder (sessions: $before)"
fl_forwarder_stop KILL
sleep 1
left=""
for p in $before; do
	kill -0 "$p" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ] && left="$left $p"
done
fl_log "processes of the old sessions alive after the kill:${left:- none}"

fl_log "a new forwarder starts"
fl_forwarder_start --user daemon
survivors=""
for p in $before; do
	kill -0 "$p" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ] && survivors="$survivors $p"
done
survivors=${survivors# }
[ -z "$survivors" ] || fl_fail "sessions of the old instance survived the new start: $survivors
$(ps -o pid,pgid,sid,lstart,args -p "${survivors// /,}" 2>&1)
OUT/sessions: $(cat "$FL_TMP/out/sessions")"
if [ -n "$left" ]; then
	grep -q 'event=stale_session_killed' "$FL_TMP/forwarder.log" || fl_fail "no event=stale_session_killed"
fi
fl_wait 30 fl_answers 7001 || fl_fail "alpha did not come back to the new forwarder"
fl_wait 30 fl_answers 7002 || fl_fail "beta did not come back to the new forwarder"
fl_sign alpha 7001 || fl_fail "alpha cannot sign"
fl_sign beta 7002 || fl_fail "beta cannot sign"

fl_log "beta is removed; SIGHUP"
alpha_exits=$(grep -c 'ssh exited' "$FL_TMP/box-alpha.log")
beta_exits=$(grep -c 'ssh exited' "$FL_TMP/box-beta.log")
fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")"
kill -HUP "$FL_FWD_PID"
fl_wait 10 bash -c "! ip netns exec $FL_NS curl -s -f -o /dev/null -m 1 http://127.0.0.1:7002/authorized_keys" ||
	fl_fail "beta still answers after its removal"
fl_wait 10 bash -c "[ \$(grep -c 'ssh exited' '$FL_TMP/box-beta.log') -gt $beta_exits ]" ||
	fl_fail "beta's ssh was not disconnected"
grep -q 'event=session_ended_by_reload box=beta' "$FL_TMP/forwarder.log" || fl_fail "no event=session_ended_by_reload"
fl_sign alpha 7001 || fl_fail "alpha stopped signing"
[ "$(grep -c 'ssh exited' "$FL_TMP/box-alpha.log")" = "$alpha_exits" ] || fl_fail "alpha was disconnected by the reload"
fl_box_down beta
fl_verify_all
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero"
fl_sanitizer_check "$FL_TMP/forwarder.log"
fl_log "ok"
