#!/usr/bin/env bash
# privsep_sandbox.sh - the real front runs confined (issue 14, README "Two
# processes"). `tzsigner serve` started as root, after the front has
# answered a request, the front's /proc/PID/status and fds say:
#   - NoNewPrivs 1, Seccomp 2 (filter mode), no capability in any set
#     (inheritable, permitted, effective, bounding, ambient);
#   - every uid and gid is nobody's, no supplementary group;
#   - its root is the deleted empty directory (/run/tzsigner-front.* (deleted));
#   - every descriptor above stderr is a socket or an anonymous inode (epoll,
#     timerfd, signalfd, eventfd): no file, directory or device is open.
# Then a SIGSYS delivered to the front is what the filter would deliver: the
# key holder logs the front's exit and starts a new one, confined the same way.
# The provoking of each forbidden call is tests/unit/test_front_sandbox.c.
# Skipped (77) without root or before serve has a front child.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/privsep_lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: serve must start as root for the front to change user and root"
	exit 77
fi
pkh=$(pl_key "$TZSIGNER" consensus tz4)
[ -n "$pkh" ] || pl_fail "generating a key"
pl_serve "$TZSIGNER"

# check_front PID: the confinement as /proc shows it.
check_front() {
	local f=$1 st nobody_uid nobody_gid
	curl -fsS --max-time 10 "http://127.0.0.1:$PL_PORT/keys/$pkh" >/dev/null || pl_fail "GET /keys/$pkh through the front"
	st=$(cat "/proc/$f/status") || pl_fail "front $f vanished"
	nobody_uid=$(id -u nobody)
	nobody_gid=$(id -g nobody)
	grep -qx $'NoNewPrivs:\t1' <<<"$st" || pl_fail "front $f: $(grep NoNewPrivs <<<"$st")"
	grep -qx $'Seccomp:\t2' <<<"$st" || pl_fail "front $f: $(grep '^Seccomp:' <<<"$st") (2 = filter)"
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qx "$set:"$'\t0000000000000000' <<<"$st" || pl_fail "front $f: $(grep "^$set" <<<"$st")"
	done
	grep -qx "Uid:"$'\t'"$nobody_uid"$'\t'"$nobody_uid"$'\t'"$nobody_uid"$'\t'"$nobody_uid" <<<"$st" ||
		pl_fail "front $f: $(grep '^Uid' <<<"$st"), not nobody ($nobody_uid)"
	grep -qx "Gid:"$'\t'"$nobody_gid"$'\t'"$nobody_gid"$'\t'"$nobody_gid"$'\t'"$nobody_gid" <<<"$st" ||
		pl_fail "front $f: $(grep '^Gid' <<<"$st")"
	grep -qE $'^Groups:[\t ]*$' <<<"$st" || pl_fail "front $f: $(grep '^Groups' <<<"$st")"
	local root
	root=$(readlink "/proc/$f/root")
	[[ $root == /run/tzsigner-front.*' (deleted)' ]] || pl_fail "front $f: root is $root, not a deleted empty directory"
	local fd target
	for fd in /proc/"$f"/fd/*; do
		[ "${fd##*/}" -le 2 ] && continue
		target=$(readlink "$fd") || continue
		case $target in
		socket:* | anon_inode:*) ;;
		*) pl_fail "front $f: fd ${fd##*/} is $target (the front opens no file)" ;;
		esac
	done
	echo "ok: front $f: NoNewPrivs, seccomp filter, no capability, uid/gid nobody, root $root, only sockets open"
}

front=""
for _ in $(seq 1 50); do
	front=$(pl_front)
	[ -n "$front" ] && break
	sleep 0.1
done
if [ -z "$front" ]; then
	echo "serve has no front child (the process split is not in this build): nothing to check"
	exit 77
fi
check_front "$front"

# The filter's verdict is SIGSYS; the key holder must take it as a crash.
kill -SYS "$front"
next=""
for _ in $(seq 1 100); do
	next=$(pl_front)
	[ -n "$next" ] && [ "$next" != "$front" ] && break
	sleep 0.1
done
[ -n "$next" ] && [ "$next" != "$front" ] || pl_fail "no new front within 10 s after SIGSYS"
grep -q 'event=front_exited' "$PL_DIR/serve.log" || pl_fail "the key holder did not log event=front_exited"
check_front "$next"
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$PL_DIR/serve.log" && pl_fail "sanitizer report"
exit 0
