#!/usr/bin/env bash
# forwarder_takeover.sh - a box whose path died silently takes its P back at
# once when it reconnects, proved against the real forwarder and sshd -i:
#   - box alpha (plain OpenSSH ssh from 127.0.0.60, its "home line") signs
#     through P;
#   - its path dies silently: every packet to or from 127.0.0.60 is dropped
#     (iptables in the test's namespace), so the old session still holds P
#     and P+1000 and would for ClientAliveInterval x CountMax (15 s);
#   - the box reconnects from 127.0.0.61 (its "4G"): its forwards bind at the
#     first try and it signs through P within 2 s (the time is printed);
#   - the older session was ended by the new login (event=session_superseded,
#     takeovers_total 1) and the box has one session.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init
command -v iptables >/dev/null || fl_fail "iptables is missing (scripts/deps installs it)"

fl_keypair hostkey
fl_keypair alpha
fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")"
fl_known_hosts
fl_signer alpha 16001
fl_forwarder_start

fl_log "alpha connects over its first path (127.0.0.60)"
fl_ssh alpha -b 127.0.0.60 -N -R 7001:127.0.0.1:16001 -R 8001:127.0.0.1:22 "$FL_TARGET" \
	>"$FL_TMP/box-old.log" 2>&1 &
old=$!
FL_PIDS+=($old)
fl_wait 20 fl_answers 7001 || fl_fail "alpha's first tunnel did not come up"
fl_sign alpha 7001 || fl_fail "alpha cannot sign over its first path"

fl_log "the first path dies silently"
fl_in iptables -I INPUT -s 127.0.0.60 -j DROP || fl_fail "iptables"
fl_in iptables -I INPUT -d 127.0.0.60 -j DROP || fl_fail "iptables"
# P is still held by the old session: a request there goes into the dead path
if fl_in curl -s -f -o /dev/null -m 1 "http://127.0.0.1:7001/authorized_keys"; then
	fl_fail "alpha still answered through a dead path"
fi

fl_log "alpha reconnects over its second path (127.0.0.61)"
t0=$(date +%s%N)
fl_ssh alpha -b 127.0.0.61 -N -R 7001:127.0.0.1:16001 -R 8001:127.0.0.1:22 "$FL_TARGET" \
	>"$FL_TMP/box-new.log" 2>&1 &
new=$!
FL_PIDS+=($new)
ok=0
for _ in $(seq 1 100); do
	if fl_sign alpha 7001 2>/dev/null; then ok=1; break; fi
	kill -0 "$new" 2>/dev/null || fl_fail "the new session exited: $(cat "$FL_TMP/box-new.log")"
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ok" = 1 ] || fl_fail "alpha did not sign through its new path"
fl_log "alpha took its P back and signed in $ms ms"
[ "$ms" -le 2000 ] || fl_fail "taking P back took $ms ms (> 2000)"
kill -0 "$new" 2>/dev/null || fl_fail "the new session is gone"
grep -q "event=session_superseded box=alpha" "$FL_TMP/forwarder.log" || fl_fail "no event=session_superseded"
grep -q "event=takeover box=alpha" "$FL_TMP/forwarder.log" || fl_fail "no event=takeover"
grep -q "remote port forwarding failed" "$FL_TMP/box-new.log" && fl_fail "a forward of the new session failed"
fl_wait 5 fl_metrics_has 'tzsigner_forwarder_takeovers_total 1' || fl_fail "takeover not counted"
fl_wait 5 fl_metrics_has 'tzsigner_forwarder_box_sessions{box="alpha",port="7001"} 1' ||
	fl_fail "alpha has not exactly one session: $(fl_metrics | grep box_sessions)"
fl_verify_all
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero"
fl_sanitizer_check "$FL_TMP/forwarder.log"
fl_log "ok"
