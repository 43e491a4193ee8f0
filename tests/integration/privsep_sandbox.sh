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
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: serve must start as root for the front to change user and root"
	exit 77
fi
dir=$(mktemp -d /tmp/tzsigner-sandbox.XXXXXX)
chmod 0700 "$dir"
kh=""
cleanup() {
	if [ -n "$kh" ] && kill -0 "$kh" 2>/dev/null; then
		kill -TERM "$kh"
		wait "$kh" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$dir/serve.log" ] && tail -20 "$dir/serve.log"; exit 1; }

"$TZSIGNER" keys gen consensus --type tz4 -d "$dir" >/dev/null || fail "keys gen tz4"
pkh=$("$TZSIGNER" keys show consensus -d "$dir" | awk '$1 == "pkh:" { print $2 }')
"$TZSIGNER" serve -d "$dir" -a 127.0.0.1 -p 0 2>"$dir/serve.log" &
kh=$!
port=""
for _ in $(seq 1 300); do
	port=$(sed -n 's/.*event=listening .*port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
	[ -n "$port" ] && break
	kill -0 "$kh" 2>/dev/null || fail "serve exited before listening"
	sleep 0.1
done
[ -n "$port" ] || fail "serve did not log event=listening within 30 s"

front_of() {
	local c
	for c in $(ps -o pid= --ppid "$kh"); do
		[ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | awk '{ print $2 }')" = front ] && echo "$c"
	done
}

# check_front PID: the confinement as /proc shows it.
check_front() {
	local f=$1 st nobody_uid nobody_gid
	curl -fsS --max-time 10 "http://127.0.0.1:$port/keys/$pkh" >/dev/null || fail "GET /keys/$pkh through the front"
	st=$(cat "/proc/$f/status") || fail "front $f vanished"
	nobody_uid=$(id -u nobody)
	nobody_gid=$(id -g nobody)
	grep -qx $'NoNewPrivs:\t1' <<<"$st" || fail "front $f: $(grep NoNewPrivs <<<"$st")"
	grep -qx $'Seccomp:\t2' <<<"$st" || fail "front $f: $(grep '^Seccomp:' <<<"$st") (2 = filter)"
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qx "$set:"$'\t0000000000000000' <<<"$st" || fail "front $f: $(grep "^$set" <<<"$st")"
	done
	grep -qx "Uid:"$'\t'"$nobody_uid"$'\t'"$nobody_uid"$'\t'"$nobody_uid"$'\t'"$nobody_uid" <<<"$st" ||
		fail "front $f: $(grep '^Uid' <<<"$st"), not nobody ($nobody_uid)"
	grep -qx "Gid:"$'\t'"$nobody_gid"$'\t'"$nobody_gid"$'\t'"$nobody_gid"$'\t'"$nobody_gid" <<<"$st" ||
		fail "front $f: $(grep '^Gid' <<<"$st")"
	grep -qE $'^Groups:[\t ]*$' <<<"$st" || fail "front $f: $(grep '^Groups' <<<"$st")"
	local root
	root=$(readlink "/proc/$f/root")
	[[ $root == /run/tzsigner-front.*' (deleted)' ]] || fail "front $f: root is $root, not a deleted empty directory"
	local fd target
	for fd in /proc/"$f"/fd/*; do
		[ "${fd##*/}" -le 2 ] && continue
		target=$(readlink "$fd") || continue
		case $target in
		socket:* | anon_inode:*) ;;
		*) fail "front $f: fd ${fd##*/} is $target (the front opens no file)" ;;
		esac
	done
	echo "ok: front $f: NoNewPrivs, seccomp filter, no capability, uid/gid nobody, root $root, only sockets open"
}

front=""
for _ in $(seq 1 50); do
	front=$(front_of)
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
	next=$(front_of)
	[ -n "$next" ] && [ "$next" != "$front" ] && break
	sleep 0.1
done
[ -n "$next" ] && [ "$next" != "$front" ] || fail "no new front within 10 s after SIGSYS"
grep -q 'event=front_exited' "$dir/serve.log" || fail "the key holder did not log event=front_exited"
check_front "$next"
grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$dir/serve.log" && fail "sanitizer report"
exit 0
