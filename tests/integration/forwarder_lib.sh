# forwarder_lib.sh - shared by tests/integration/forwarder_*.sh; sourced,
# never run (it is not executable, so tests/run skips it).
#
# Each test runs in a network namespace of its own (its own loopback: fixed
# ports, no clash with anything else on the machine) and a temporary
# directory under /run, because sshd's StrictModes refuses an
# authorized_keys file below a group- or world-writable directory such as
# /tmp. fl_cleanup (the EXIT trap) stops what the test started, by pid,
# then deletes the namespace and the directory.
#
# The endpoint is the real thing: `tzsigner forwarder run` owning the
# listening socket and running OpenSSH's `sshd -i` per connection. Boxes
# are either plain OpenSSH clients (`ssh -N -R …`, to act out what a real
# tunnel never asks for) or `tzsigner tunnel` itself.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "forwarder_lib.sh is a library for tests/integration/forwarder_*.sh" >&2
	exit 2
fi

set -uo pipefail

# shellcheck source=tests/integration/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
FL_REPO=$IT_REPO

FL_NAME=$(basename "$0" .sh)
FL_PIDS=()
FL_NS=""
FL_TMP=""
FL_T0=$(date +%s.%N)
FL_FWD_PID=""
FL_SSH_PORT=2222
FL_METRICS_PORT=9732

FL_STEP="setup"
FL_FAILED=""
fl_elapsed() { awk -v a="$(date +%s.%N)" -v b="$FL_T0" 'BEGIN { printf "%.2f", a - b }'; }
# fl_log TEXT: a step of the test (a failure names the last one).
fl_log() {
	FL_STEP=$*
	printf '[%6.2fs] %s\n' "$(fl_elapsed)" "$*"
}
# fl_fail MESSAGE: the test's verdict, "FAIL: MESSAGE (where)" with the
# script's line and the step it was at on the first line (what tests/run
# shows), the rest of a multi-line MESSAGE below; fl_cleanup repeats it last.
fl_fail() {
	local msg=$* first rest="" i=0
	# the first caller outside this library: the test's own line
	while [ "${BASH_SOURCE[i + 1]:-}" = "${BASH_SOURCE[0]}" ]; do i=$((i + 1)); done
	first=${msg%%$'\n'*}
	[ "$first" = "$msg" ] || rest=$'\n'${msg#*$'\n'}
	FL_FAILED="FAIL: $first ($(basename "${BASH_SOURCE[i + 1]:-$0}") line ${BASH_LINENO[i]}, step \"$FL_STEP\", $(fl_elapsed) s in)$rest"
	echo "$FL_FAILED" >&2
	exit 1
}

# A directory for sshd's files: its parents must be owned by root and not
# group/world-writable (sshd's StrictModes). /run is, on Debian; else the
# repository's build directory, checked the same way.
fl_safe_base() {
	local d
	for d in /run "$FL_REPO/build"; do
		local p=$d ok=1
		while :; do
			local st
			st=$(stat -c '%u %a' "$p" 2>/dev/null) || { ok=0; break; }
			local uid=${st% *} mode=${st#* }
			[ "$uid" = 0 ] || { ok=0; break; }
			# group or other write bit
			[ $((8#$mode & 8#022)) -eq 0 ] || { ok=0; break; }
			[ "$p" = / ] && break
			p=$(dirname "$p")
		done
		[ "$ok" = 1 ] && { echo "$d"; return 0; }
	done
	return 1
}

fl_init() {
	[ "$(id -u)" -eq 0 ] || fl_fail "these tests create a network namespace and run sshd as root: run them as root"
	local tool
	for tool in ssh ssh-keygen /usr/sbin/sshd curl node ip setpriv awk; do
		command -v "$tool" >/dev/null 2>&1 || fl_fail "$tool is missing (scripts/deps installs it)"
	done
	[ -x "$TZSIGNER" ] || fl_fail "$TZSIGNER is missing (make build/asan/tzsigner)"
	local base
	base=$(fl_safe_base) || fl_fail "no directory whose parents satisfy sshd's StrictModes (tried /run and build/)"
	FL_TMP=$(mktemp -d "$base/tzs-$FL_NAME.XXXXXX") || fl_fail "mktemp in $base"
	chmod 755 "$FL_TMP"
	trap fl_cleanup EXIT
	trap 'exit 130' INT TERM
	FL_NS="tzs-$FL_NAME-$$"
	ip netns add "$FL_NS" || fl_fail "ip netns add $FL_NS"
	ip -n "$FL_NS" link set lo up || fl_fail "lo up in $FL_NS"
}

fl_cleanup() {
	local rc=$? p
	trap - EXIT
	[ -n "$FL_FWD_PID" ] && FL_PIDS+=("$FL_FWD_PID")
	for p in "${FL_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 1 40); do
		local alive=0
		for p in "${FL_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	for p in "${FL_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$FL_NS" ]; then
		for p in $(ip netns pids "$FL_NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns delete "$FL_NS" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ -n "$FL_TMP" ]; then
		for f in "$FL_TMP"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $(basename "$f") (last 30 lines)"
			tail -30 "$f"
		done
	fi
	if [ "$rc" -ne 0 ]; then
		# last, so that the tail of this output says what failed
		echo "---- $FL_NAME failed (exit $rc)"
		[ -n "$FL_FAILED" ] || FL_FAILED="FAIL: exit $rc with no verdict of the test, at step \"$FL_STEP\" (see the error above)"
		echo "$FL_FAILED"
	fi
	[ -n "${FL_KEEP:-}" ] && [ -n "$FL_TMP" ] && mkdir -p "$FL_KEEP" && cp -r "$FL_TMP"/. "$FL_KEEP"/ 2>/dev/null
	[ -n "$FL_TMP" ] && rm -rf "$FL_TMP"
	exit "$rc"
}

fl_in() { ip netns exec "$FL_NS" "$@"; }

fl_sanitizer_check() {
	local f
	for f in "$@"; do
		if grep -qE 'LeakSanitizer|AddressSanitizer|UndefinedBehaviorSanitizer|runtime error' "$f" 2>/dev/null; then
			grep -nE -A30 'LeakSanitizer|AddressSanitizer|UndefinedBehaviorSanitizer|runtime error' "$f" | head -60
			fl_fail "sanitizer report in $f"
		fi
	done
}

# fl_wait SECONDS CMD…: retries CMD every 0.1 s until it succeeds.
fl_wait() {
	local t=$1
	shift
	local n=$((t * 10)) i
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

fl_keypair() { ssh-keygen -q -t "${2:-ed25519}" -N '' -C "$1" -f "$FL_TMP/$1" || fl_fail "ssh-keygen $1"; }

# ---- boxes' signers: `tzsigner serve` with one tz1 key each, in the namespace

declare -A FL_SIGNER_PORT FL_SIGNER_PID FL_PKH FL_PK
# fl_signer NAME PORT
fl_signer() {
	local name=$1 port=$2 base=$FL_TMP/signer-$1 log=$FL_TMP/signer-$1.log
	"$TZSIGNER" keys gen baker --type tz1 -d "$base" >/dev/null 2>"$FL_TMP/keys-$name.log" ||
		fl_fail "keys gen: $(cat "$FL_TMP/keys-$name.log")"
	local pkh pk
	read -r _ pkh pk _ < <("$TZSIGNER" keys list -d "$base" | awk '$1 == "baker"')
	[ -n "${pk:-}" ] || fl_fail "keys list does not show the key"
	FL_PKH[$name]=$pkh
	FL_PK[$name]=$pk
	ip netns exec "$FL_NS" "$TZSIGNER" serve -d "$base" -a 127.0.0.1 -p "$port" 2>"$log" &
	FL_PIDS+=($!)
	FL_SIGNER_PID[$name]=$!
	FL_SIGNER_PORT[$name]=$port
	fl_wait 30 grep -q 'event=listening' "$log" || fl_fail "signer $name did not listen: $(tail -5 "$log")"
}

FL_CHAIN=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
FL_LEVEL=$((1000 + RANDOM))
# fl_sign BOX PORT [LEVEL]: a fresh attestation for BOX's key at LEVEL (by
# default the next level), through 127.0.0.1:PORT; appends "pk hex sig" to
# signed.txt. Run in the background, give LEVEL: a subshell's FL_LEVEL is lost.
fl_sign() {
	local box=$1 port=$2 hex out zeros32
	if [ -n "${3:-}" ]; then FL_LEVEL=$3; else FL_LEVEL=$((FL_LEVEL + 1)); fi
	zeros32=$(printf '%064d' 0)
	hex="13${FL_CHAIN}${zeros32}150000$(printf '%08x' "$FL_LEVEL")00000000${zeros32}"
	out=$(fl_in curl -s -S -m 5 -X POST -H 'Content-Type: application/json' \
		--data "\"$hex\"" "http://127.0.0.1:$port/keys/${FL_PKH[$box]}" 2>&1) || { echo "$out" >&2; return 1; }
	case $out in
	'{"signature":"edsig'*) ;;
	*) echo "answer: $out" >&2; return 1 ;;
	esac
	echo "${FL_PK[$box]} $hex $(sed -n 's/.*"signature":"\([^"]*\)".*/\1/p' <<<"$out")" >>"$FL_TMP/signed.txt"
}

# Every recorded signature, checked by Taquito's verifySignature.
fl_verify_all() {
	[ -s "$FL_TMP/signed.txt" ] || fl_fail "no signatures to verify"
	(cd "$FL_REPO/tests/node" && node --input-type=module -e '
		import { verifySignature } from "@taquito/utils";
		import { readFileSync } from "node:fs";
		let ok = 0, bad = 0;
		for (const line of readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
			const [pk, hex, sig] = line.split(" ");
			if (verifySignature(hex, pk, sig)) ok++; else { bad++; console.error("bad signature:", line); }
		}
		console.log(`verified ${ok} signatures, ${bad} bad`);
		process.exit(bad || !ok ? 1 : 0);
	' "$FL_TMP/signed.txt") || fl_fail "signature verification failed"
}

# ---- the endpoint

# fl_signers LINE…: writes the signers file.
fl_signers() { printf '%s\n' "$@" >"$FL_TMP/signers"; }

# fl_forwarder_start [extra options]: `tzsigner forwarder run` in the
# namespace on 127.0.0.1:2222, exporter on 127.0.0.1:9732, files in
# $FL_TMP/out; waits until it listens. Its log is forwarder.log (appended).
fl_forwarder_start() {
	ip netns exec "$FL_NS" "$TZSIGNER" forwarder run --signers "$FL_TMP/signers" \
		--host-key "$FL_TMP/hostkey" --out "$FL_TMP/out" --listen 127.0.0.1:$FL_SSH_PORT --user "$(id -un)" \
		--metrics 127.0.0.1:$FL_METRICS_PORT --probe-interval 1 --probe-timeout 2000 "$@" \
		>>"$FL_TMP/forwarder.log" 2>&1 &
	FL_FWD_PID=$!
	fl_wait 30 fl_metrics_has 'tzsigner_forwarder_ready 1' ||
		fl_fail "the forwarder did not become ready: $(tail -5 "$FL_TMP/forwarder.log")"
}

fl_forwarder_stop() {
	local sig=${1:-TERM}
	[ -n "$FL_FWD_PID" ] || return 0
	kill "-$sig" "$FL_FWD_PID" 2>/dev/null
	wait "$FL_FWD_PID" 2>/dev/null
	local rc=$?
	FL_FWD_PID=""
	return $rc
}

fl_metrics() { fl_in curl -s -m 3 "http://127.0.0.1:$FL_METRICS_PORT/metrics"; }
# (not `fl_metrics | grep -q`: with pipefail, grep leaving early makes curl fail)
fl_metrics_has() {
	local m
	m=$(fl_metrics) || return 1
	grep -qF "$1" <<<"$m"
}

# fl_known_hosts: the pinned host key, as a plain ssh client needs it.
fl_known_hosts() {
	echo "[127.0.0.1]:$FL_SSH_PORT $(cut -d' ' -f1,2 "$FL_TMP/hostkey.pub")" >"$FL_TMP/known_hosts"
}

# fl_ssh KEY ARGS… TARGET [COMMAND]: a plain OpenSSH client of the endpoint
# as a box would run it (BatchMode, pinned host key, ExitOnForwardFailure);
# TARGET is $FL_TARGET.
FL_TARGET="$(id -un)@127.0.0.1"
fl_ssh() {
	local key=$1
	shift
	fl_in timeout 20 ssh -F none -T -o BatchMode=yes -o ExitOnForwardFailure=yes \
		-o UserKnownHostsFile="$FL_TMP/known_hosts" -o StrictHostKeyChecking=yes \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o ConnectTimeout=5 \
		-i "$FL_TMP/$key" -p "$FL_SSH_PORT" "$@"
}

# ---- boxes as plain OpenSSH clients that reconnect

# fl_box_up NAME P SIGNER_PORT: a box whose ssh forwards P to its signer and
# P+1000 to port 22, retrying every second as `tzsigner tunnel` does, until
# fl_box_down NAME (its own process group: one kill ends the loop and ssh).
# Its log is box-NAME.log ("ssh exited" once per session that ended).
declare -A FL_BOX_PGID
fl_box_up() {
	local name=$1 P=$2 S=$3
	ip netns exec "$FL_NS" setsid bash -c '
		while :; do
			timeout --foreground 600 ssh -F none -T -N -o BatchMode=yes -o ExitOnForwardFailure=yes \
				-o UserKnownHostsFile="$1/known_hosts" -o StrictHostKeyChecking=yes \
				-o IdentitiesOnly=yes -o IdentityAgent=none -o ConnectTimeout=5 \
				-o ServerAliveInterval=5 -i "$1/$2" -p "$3" \
				-R "$4:127.0.0.1:$5" -R "$(($4 + 1000)):127.0.0.1:22" "$6"
			echo "ssh exited $? at $(date +%s.%N)"
			sleep 1
		done' box "$FL_TMP" "$name" "$FL_SSH_PORT" "$P" "$S" "$FL_TARGET" >>"$FL_TMP/box-$name.log" 2>&1 &
	FL_BOX_PGID[$name]=$!
	FL_PIDS+=($!)
}
fl_box_down() { kill -TERM -- "-${FL_BOX_PGID[$1]}" 2>/dev/null; wait "${FL_BOX_PGID[$1]}" 2>/dev/null; }
# fl_answers P: the signer behind P answers GET /authorized_keys.
fl_answers() { fl_in curl -s -f -o /dev/null -m 2 "http://127.0.0.1:$1/authorized_keys"; }


# fl_two_boxes_up: boxes alpha (P 7001, signer 16001) and beta (7002, 16002)
# in the signers file, their signers, the forwarder, and both boxes
# connected (fl_box_up) with their P answering.
fl_two_boxes_up() {
	fl_keypair hostkey
	fl_keypair alpha
	fl_keypair beta
	fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")" "beta 7002 $(cat "$FL_TMP/beta.pub")"
	fl_known_hosts
	fl_signer alpha 16001
	fl_signer beta 16002
	fl_forwarder_start "$@"
	fl_box_up alpha 7001 16001
	fl_box_up beta 7002 16002
	fl_wait 20 fl_answers 7001 || fl_fail "alpha's tunnel did not come up"
	fl_wait 20 fl_answers 7002 || fl_fail "beta's tunnel did not come up"
}
