#!/usr/bin/env bash
# privsep_memory.sh - the memory check of the process split (issue 14,
# README "Two processes"): with a tz1 and a tz4 key loaded by `tzsigner
# serve`, after it has answered and signed through its network front, every
# readable mapping of the key holder's /proc/PID/mem holds both keys' secret
# bytes (so the scan can find them), and the front's memory, environment and
# command line hold none of them, raw or as base58 or hex text
# (tests/integration/memscan.mjs).
#
# The release build is scanned (TZSIGNER_RELEASE, default build/tzsigner):
# it is what runs on a box, and a sanitizer build reserves terabytes of
# shadow memory. Root reads a non-dumpable process's memory; without root
# the test is skipped. Without a front child of serve (before the split),
# the key holder half runs and the test exits 77 (skipped), never 0.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BIN=${TZSIGNER_RELEASE:-$IT_REPO/build/tzsigner}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: reading a non-dumpable process's /proc/PID/mem needs root"
	exit 77
fi
if [ ! -x "$BIN" ]; then
	echo "FAIL: $BIN is missing: make build/tzsigner (or set TZSIGNER_RELEASE)"
	exit 1
fi

dir=$(mktemp -d /tmp/tzsigner-memcheck.XXXXXX)
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

"$BIN" keys gen baker --type tz1 -d "$dir" >/dev/null || fail "keys gen tz1"
"$BIN" keys gen consensus --type tz4 -d "$dir" >/dev/null || fail "keys gen tz4"
tz1=$("$BIN" keys show baker -d "$dir" | awk '$1 == "pkh:" { print $2 }')
tz4=$("$BIN" keys show consensus -d "$dir" | awk '$1 == "pkh:" { print $2 }')
[ -n "$tz1" ] && [ -n "$tz4" ] || fail "could not read the keys' hashes from keys show"

# 0x03 (a generic operation) allowed, so a signature goes through without
# a consensus payload; the secret is used either way.
"$BIN" serve -d "$dir" -a 127.0.0.1 -p 0 -M 0x03 2>"$dir/serve.log" &
kh=$!
port=""
for _ in $(seq 1 300); do
	port=$(sed -n 's/.*event=listening .*port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
	[ -n "$port" ] && break
	kill -0 "$kh" 2>/dev/null || fail "serve exited before listening"
	sleep 0.1
done
[ -n "$port" ] || fail "serve did not log event=listening within 30 s"

for pkh in "$tz1" "$tz4"; do
	curl -fsS --max-time 10 "http://127.0.0.1:$port/keys/$pkh" >/dev/null ||
		fail "GET /keys/$pkh"
	curl -fsS --max-time 10 -H 'Content-Type: application/json' \
		--data '"03aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"' \
		"http://127.0.0.1:$port/keys/$pkh" | grep -q signature ||
		fail "POST /keys/$pkh did not sign"
done

# The front: serve's child running `tzsigner front`.
front=""
for c in $(ps -o pid= --ppid "$kh"); do
	if [ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | awk '{ print $2 }')" = front ]; then
		front=$c
	fi
done

args=(--present "$kh")
[ -n "$front" ] && args+=(--absent "$front")
node "$IT_REPO/tests/integration/memscan.mjs" "$dir/secret_keys" "${args[@]}" ||
	fail "memory check (above)"
if [ -z "$front" ]; then
	echo "key holder pid $kh holds both keys; serve has no front child (the process split is not in this build): the front half did not run"
	exit 77
fi
echo "ok: key holder pid $kh holds the tz1 and tz4 secrets; front pid $front holds none (memory, environment, command line)"
