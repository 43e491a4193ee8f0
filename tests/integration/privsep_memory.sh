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
. "$(dirname "${BASH_SOURCE[0]}")/privsep_lib.sh"
BIN=${TZSIGNER_RELEASE:-$IT_REPO/build/tzsigner}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: reading a non-dumpable process's /proc/PID/mem needs root"
	exit 77
fi
[ -x "$BIN" ] || pl_fail "$BIN is missing: make build/tzsigner (or set TZSIGNER_RELEASE)"

tz1=$(pl_key "$BIN" baker tz1)
tz4=$(pl_key "$BIN" consensus tz4)
[ -n "$tz1" ] && [ -n "$tz4" ] || pl_fail "generating the keys"
# 0x03 (a generic operation) allowed, so a signature goes through without
# a consensus payload; the secret is used either way.
pl_serve "$BIN" -M 0x03
for pkh in "$tz1" "$tz4"; do
	curl -fsS --max-time 10 "http://127.0.0.1:$PL_PORT/keys/$pkh" >/dev/null ||
		pl_fail "GET /keys/$pkh"
	curl -fsS --max-time 10 -H 'Content-Type: application/json' \
		--data '"03aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"' \
		"http://127.0.0.1:$PL_PORT/keys/$pkh" | grep -q signature ||
		pl_fail "POST /keys/$pkh did not sign"
done

front=$(pl_front)
args=(--present "$PL_KH")
[ -n "$front" ] && args+=(--absent "$front")
node "$IT_REPO/tests/integration/memscan.mjs" "$PL_DIR/secret_keys" "${args[@]}" ||
	pl_fail "memory check (above)"
if [ -z "$front" ]; then
	echo "key holder pid $PL_KH holds both keys; serve has no front child (the process split is not in this build): the front half did not run"
	exit 77
fi
echo "ok: key holder pid $PL_KH holds the tz1 and tz4 secrets; front pid $front holds none (memory, environment, command line)"
