# lib.sh - sourced by tests/fresh/*.sh (the checks scripts/test-fresh runs
# inside its roots and containers): result lines the caller counts, and a
# bounded wait. Not executable: nothing runs it alone.
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; }
# wait_for SECONDS CMD…: retries CMD every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# sign_attestation URL PKH LEVEL OUT: POSTs an attestation (0x13 ‖ chain ‖
# branch ‖ tag 21 ‖ slot ‖ level ‖ round ‖ payload hash, the layout of
# tests/node/lib/signer.mjs consensusOp) at LEVEL; prints the HTTP status.
sign_attestation() {
	local body
	body=$(printf '"13%s%s15%04x%08x%08x%s"' 7a06a770 "$(printf '%064x' 1)" 0 "$3" 0 "$(printf '%064x' 2)")
	curl -s -o "$4" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data "$body" "$1/keys/$2"
}
