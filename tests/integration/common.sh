# common.sh - sourced by the integration test libraries (tunnel_lib.sh,
# forwarder_lib.sh, health_lib.sh): where the repository is, the tzsigner
# binary under test (an absolute path; the sanitizer build by default) and
# the sanitizer options every run uses, as tests/run sets them.

IT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TZSIGNER=${TZSIGNER:-$IT_REPO/build/asan/tzsigner}
case $TZSIGNER in /*) ;; *) TZSIGNER=$IT_REPO/$TZSIGNER ;; esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
