#!/usr/bin/env bash
# kh_hostile.sh - the hostile-front test (issue 14): build/asan/kh_hostile
# takes the front's place on the socketpair of a real key holder
# (`tzsigner serve --front-fd 3`, the sanitizer build; see
# tests/hostile/kh_hostile.c for what it sends and checks).
set -euo pipefail
. "$(dirname "$0")/common.sh"
bin=$IT_REPO/build/asan/kh_hostile
if [ ! -x "$bin" ]; then
	echo "FAIL: kh_hostile: $bin is not built (make build/asan/kh_hostile)"
	exit 1
fi
"$bin" "$TZSIGNER"
