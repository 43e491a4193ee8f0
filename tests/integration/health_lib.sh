# health_lib.sh - shared by tests/integration/health_*.sh (sourced, not run).
#
#   hl_init            repo root, $TZSIGNER (sanitizer build), $REL (release
#                      build), a private $HL_TMP removed on exit
#   hl_log MSG         a line on stdout
#   hl_fail MSG        the reason on stderr, exit 1
#   hl_cleanup CMD     run CMD at exit (last registered runs first)
#   hl_in_mount_ns CMD run CMD (a shell string) in a private mount namespace
#                      where /usr/local/bin holds the release build as
#                      tzsigner: what the units and install-box expect, and
#                      nothing of the host is changed

hl_init() {
	# shellcheck source=tests/integration/common.sh
	. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
	HL_REPO=$IT_REPO
	cd "$HL_REPO" || exit 1
	REL=$HL_REPO/build/tzsigner
	[ -x "$TZSIGNER" ] || hl_fail "$TZSIGNER is missing (make build/asan/tzsigner)"
	[ -x "$REL" ] || hl_fail "$REL is missing (make build/tzsigner)"
	HL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tzsigner-health.XXXXXX")
	HL_CLEANUP=("rm -rf '$HL_TMP'")
	trap hl_run_cleanup EXIT
	trap 'exit 130' INT TERM
}

hl_cleanup() { HL_CLEANUP=("$1" "${HL_CLEANUP[@]}"); }

hl_run_cleanup() {
	local c
	for c in "${HL_CLEANUP[@]}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
}

hl_log() { echo "health: $*"; }

hl_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

hl_in_mount_ns() {
	unshare -m sh -c "mount --make-rprivate / && mount -t tmpfs tzsigner-bin /usr/local/bin && \
		cp '$REL' /usr/local/bin/tzsigner && $1"
}
