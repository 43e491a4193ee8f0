#!/usr/bin/env bash
# forwarder_restart_pidns.sh - forwarder_restart.sh again, run in a PID
# namespace of its own (unshare --pid --fork --mount-proc), where the
# session's leader is outside the namespace: getsid() and /proc/PID/stat
# say 0 for the forwarder and its sshd children. That is the forwarder as a
# container's first process, or started by an init that never made a
# session (CI ran `make test` so, and a killed forwarder's sessions were
# never cleaned up: OUT/sessions said session 0, which the cleanup read as
# no session at all). The new forwarder must still kill what the killed one
# left, and the boxes come back to it.
set -uo pipefail
if [ "${TZS_IN_PIDNS:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "FAIL: run as root (it makes a PID namespace)" >&2; exit 1; }
	command -v unshare >/dev/null 2>&1 || { echo "FAIL: unshare (util-linux) is missing" >&2; exit 1; }
	TZS_IN_PIDNS=1 exec unshare --pid --fork --mount-proc "$0" "$@"
fi
# The condition under test, or the test proves nothing.
read -r -a stat </proc/self/stat
[ "${stat[5]}" = 0 ] || { echo "FAIL: the session id in the PID namespace is ${stat[5]}, not 0" >&2; exit 1; }
exec "$(dirname "$0")/forwarder_restart.sh"
