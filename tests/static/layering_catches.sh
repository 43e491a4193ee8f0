#!/usr/bin/env bash
# layering_catches.sh - the layering check fails on an include that points
# upwards or sideways, naming the line (so layering.sh can fail at all).
set -uo pipefail
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/tests"
cp -r src "$scratch/"
cp -r tests/static "$scratch/tests/"
check() { # check FILE INCLUDE EXPECTED-TEXT
	rm -rf "$scratch/src" && cp -r src "$scratch/"
	sed -i "1i #include \"$2\"" "$scratch/$1"
	out=$("$scratch/tests/static/layering.sh" 2>&1) && { echo "FAIL: $2 in $1 passed the check"; exit 1; }
	grep -qF "$3" <<<"$out" || { echo "FAIL: no '$3' in: $out"; exit 1; }
	echo "ok: $2 in $1 refused"
}
check src/tunnel/backoff.c ../vault/vault.h "src/tunnel/backoff.c:1: src/tunnel includes src/vault"
check src/crypto/hash.c ../tezos/base58.h "src/crypto/hash.c:1: src/crypto includes src/tezos"
check src/guard/auth.h ../server/server.h "src/guard/auth.h:1: src/guard includes src/server"
check src/forwarder/admit.c ../tunnel/backoff.h "src/forwarder/admit.c:1: src/forwarder includes src/tunnel"
check src/ledger/uri.c ../vault/vault.h "src/ledger/uri.c:1: src/ledger includes src/vault"
check src/health/ledger_watch.c ../server/server.h "src/health/ledger_watch.c:1: src/health includes src/server"
rm -rf "$scratch/src" && cp -r src "$scratch/"
mkdir "$scratch/src/newmod" && echo 'int x;' >"$scratch/src/newmod/a.c"
out=$("$scratch/tests/static/layering.sh" 2>&1) && { echo "FAIL: an unknown module passed"; exit 1; }
grep -q "src/newmod is a module the layering table does not know" <<<"$out" || { echo "FAIL: $out"; exit 1; }
echo "ok: an unknown module refused"
