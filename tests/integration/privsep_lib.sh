# privsep_lib.sh - sourced by the process-split tests (privsep_*.sh): a
# key directory, `tzsigner serve` started on a free port and stopped on exit,
# and its front child found.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PL_DIR=$(mktemp -d /tmp/tzsigner-privsep.XXXXXX)
chmod 0700 "$PL_DIR"
PL_KH=""
PL_PORT=""
pl_cleanup() {
	if [ -n "$PL_KH" ] && kill -0 "$PL_KH" 2>/dev/null; then
		kill -TERM "$PL_KH"
		wait "$PL_KH" 2>/dev/null
	fi
	rm -rf "$PL_DIR"
}
trap pl_cleanup EXIT

pl_fail() {
	echo "FAIL: $*"
	[ -f "$PL_DIR/serve.log" ] && tail -20 "$PL_DIR/serve.log"
	exit 1
}

# pl_key BIN NAME TYPE: generates a key in PL_DIR and prints its pkh.
pl_key() {
	"$1" keys gen "$2" --type "$3" -d "$PL_DIR" >/dev/null || pl_fail "keys gen $2 --type $3"
	"$1" keys show "$2" -d "$PL_DIR" | awk '$1 == "pkh:" { print $2 }'
}

# pl_serve BIN [ARGS...]: serve on 127.0.0.1 and a free port (PL_PORT), its
# pid in PL_KH, its log in PL_DIR/serve.log.
pl_serve() {
	local bin=$1
	shift
	"$bin" serve -d "$PL_DIR" -a 127.0.0.1 -p 0 "$@" 2>"$PL_DIR/serve.log" &
	PL_KH=$!
	for _ in $(seq 1 300); do
		PL_PORT=$(sed -n 's/.*event=listening .*port=\([0-9]*\).*/\1/p' "$PL_DIR/serve.log" | head -1)
		[ -n "$PL_PORT" ] && return 0
		kill -0 "$PL_KH" 2>/dev/null || pl_fail "serve exited before listening"
		sleep 0.1
	done
	pl_fail "serve did not log event=listening within 30 s"
}

# pl_front: the pid of serve's child running `tzsigner front`, if any.
pl_front() {
	local c
	for c in $(ps -o pid= --ppid "$PL_KH"); do
		[ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | awk '{ print $2 }')" = front ] && echo "$c"
	done
	return 0
}
