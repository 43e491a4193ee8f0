# tunnel_lib.sh - shared by tests/integration/tunnel_*.sh; sourced, never run
# (it is not executable, so tests/run skips it).
#
# Everything runs in network namespaces the tests create (their own
# loopback, so no port clashes with other tests running at the same time)
# and in a temporary directory; tl_cleanup (an EXIT trap) kills what the
# test started by pid, deletes the namespaces and the directory.
#
# Throwaway OpenSSH servers: tl_sshd_start runs `sshd -D -e` as root with its
# own config, host key and authorized_keys in the temp dir, inside a fresh
# PID namespace (unshare --pid --fork --kill-child), so tl_sshd_kill can
# SIGKILL the whole endpoint at once: the listener and every session process
# it forked (killing only the listener would leave the sessions, and so the
# tunnel, up).

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "tunnel_lib.sh is a library for tests/integration/tunnel_*.sh" >&2
	exit 2
fi

set -uo pipefail

# shellcheck source=tests/integration/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
TL_REPO=$IT_REPO
SSHD=${SSHD:-/usr/sbin/sshd}

TL_NAME=$(basename "$0" .sh)
TL_PIDS=()      # processes to stop at exit (TERM, then KILL)
TL_NETNS=()     # namespaces to delete at exit
declare -A TL_SSHD_PID=() TL_SSHD_INIT=() # running sshds by name
TL_TMP=""
TL_FAILED=0
TL_T0=$(date +%s.%N)

tl_log() { printf '[%6.2fs] %s\n' "$(tl_elapsed "$TL_T0")" "$*"; }
tl_fail() {
	TL_FAILED=1
	echo "FAIL: $*" >&2
	exit 1
}
tl_skip() {
	echo "skipped: $*"
	exit 77
}

tl_now() { date +%s.%N; }
tl_elapsed() { awk -v a="$(tl_now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }

tl_init() {
	[ "$(id -u)" -eq 0 ] || tl_fail "these tests create network namespaces and run sshd: run them as root"
	local tool
	for tool in ssh ssh-keygen "$SSHD" curl node ip unshare awk; do
		command -v "$tool" >/dev/null 2>&1 || tl_fail "$tool is missing (scripts/deps installs it)"
	done
	[ -x "$TZSIGNER" ] || tl_fail "$TZSIGNER is missing (make build/asan/tzsigner)"
	TL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tzs-$TL_NAME.XXXXXX")
	chmod 700 "$TL_TMP"
	# sshd's privilege separation directory.
	mkdir -p /run/sshd && chmod 755 /run/sshd
	trap tl_cleanup EXIT
	trap 'exit 130' INT TERM
}

tl_cleanup() {
	local rc=$? p ns i name
	trap - EXIT
	for name in "${!TL_SSHD_PID[@]}"; do
		tl_sshd_kill "$name"
	done
	for p in "${TL_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for i in $(seq 1 30); do
		local alive=0
		for p in "${TL_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	for p in "${TL_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${TL_NETNS[@]}"; do
		# Whatever still runs in our namespaces is ours.
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns delete "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$TL_TMP" ]; then
		for f in "$TL_TMP"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $(basename "$f") (last 40 lines)"
			tail -40 "$f"
		done
	fi
	# TL_KEEP=DIR keeps the logs (debugging).
	[ -n "${TL_KEEP:-}" ] && [ -n "$TL_TMP" ] && mkdir -p "$TL_KEEP" && cp "$TL_TMP"/*.log "$TL_KEEP"/ 2>/dev/null
	[ -n "$TL_TMP" ] && rm -rf "$TL_TMP"
	exit "$rc"
}

# tl_netns NAME: creates namespace tzs-NAME-PID with loopback up and sets
# TL_NS to its name (not echoed: a $(…) subshell would lose the cleanup record).
tl_netns() {
	TL_NS="tzs-$1-$$"
	ip netns add "$TL_NS" || tl_fail "ip netns add $TL_NS"
	TL_NETNS+=("$TL_NS")
	ip -n "$TL_NS" link set lo up || tl_fail "lo up in $TL_NS"
}

# tl_hosts NS "ADDR NAME": /etc/hosts as seen in NS (ip netns exec bind-mounts
# /etc/netns/NS/hosts). Rewritten in place, so running processes see it.
tl_hosts() {
	mkdir -p "/etc/netns/$1"
	printf '127.0.0.1 localhost\n::1 localhost\n%s\n' "$2" >"/etc/netns/$1/hosts"
}

# tl_in NS CMD…: runs CMD in NS. To start a background process whose pid is
# the process itself, use `ip netns exec NS CMD … &` directly (a function
# run with & is a subshell, and its pid is not the command's).
tl_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

tl_sanitizer_check() {
	local f
	for f in "$@"; do
		if grep -qE 'LeakSanitizer|AddressSanitizer|UndefinedBehaviorSanitizer|runtime error' "$f" 2>/dev/null; then
			grep -nE -A30 'LeakSanitizer|AddressSanitizer|UndefinedBehaviorSanitizer|runtime error' "$f" | head -60
			tl_fail "sanitizer report in $f"
		fi
	done
}

# ---- keys

# tl_keypair NAME: an ed25519 key pair at $TL_TMP/NAME{,.pub}
tl_keypair() {
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$TL_TMP/$1" || tl_fail "ssh-keygen $1"
}

# ---- the signer

# tl_signer_start NS [serve options...]: a tz1 key and `tzsigner serve -p 0`
# in NS. Sets TL_SIGNER_PORT, TL_PKH, TL_PK.
tl_signer_start() {
	local ns=$1 base=$TL_TMP/signer log=$TL_TMP/signer.log
	shift
	"$TZSIGNER" keys gen baker --type tz1 -d "$base" >/dev/null 2>"$TL_TMP/keys.log" ||
		tl_fail "keys gen: $(cat "$TL_TMP/keys.log")"
	read -r _ TL_PKH TL_PK _ < <("$TZSIGNER" keys list -d "$base" | awk '$1 == "baker"')
	[ -n "${TL_PK:-}" ] || tl_fail "keys list does not show the key"
	ip netns exec "$ns" "$TZSIGNER" serve -d "$base" -a 127.0.0.1 -p 0 "$@" 2>"$log" &
	TL_PIDS+=($!)
	TL_SIGNER_PID=$!
	TL_SIGNER_PORT=""
	for _ in $(seq 1 300); do
		TL_SIGNER_PORT=$(sed -n 's/.*event=listening.* port=\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
		[ -n "$TL_SIGNER_PORT" ] && break
		kill -0 "$TL_SIGNER_PID" 2>/dev/null || tl_fail "tzsigner serve exited: $(tail -5 "$log")"
		sleep 0.1
	done
	[ -n "$TL_SIGNER_PORT" ] || tl_fail "tzsigner serve did not listen within 30 s"
	TL_CHAIN=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	TL_LEVEL=$((100 + RANDOM))
	: >"$TL_TMP/signed.txt"
}

# tl_sign NS PORT [curl timeout]: signs a fresh attestation (rising level)
# through 127.0.0.1:PORT in NS; records bytes and signature for
# tl_verify_all. Returns curl's/the answer's failure.
tl_sign() {
	local ns=$1 port=$2 tmo=${3:-3} hex out
	TL_LEVEL=$((TL_LEVEL + 1))
	local zeros32
	zeros32=$(printf '%064d' 0)
	hex="13${TL_CHAIN}${zeros32}150000$(printf '%08x' "$TL_LEVEL")00000000${zeros32}"
	out=$(tl_in "$ns" curl -s -S -m "$tmo" -X POST -H 'Content-Type: application/json' \
		--data "\"$hex\"" "http://127.0.0.1:$port/keys/$TL_PKH" 2>/dev/null) || return 1
	case $out in
	'{"signature":"edsig'*) ;;
	*) return 1 ;;
	esac
	local sig
	sig=$(sed -n 's/.*"signature":"\([^"]*\)".*/\1/p' <<<"$out")
	echo "$hex $sig" >>"$TL_TMP/signed.txt"
	return 0
}

# Checks every recorded signature with Taquito's verifySignature.
tl_verify_all() {
	local n
	n=$(wc -l <"$TL_TMP/signed.txt")
	[ "$n" -gt 0 ] || tl_fail "no signatures to verify"
	(cd "$TL_REPO/tests/node" && node --input-type=module -e '
		import { verifySignature } from "@taquito/utils";
		import { readFileSync } from "node:fs";
		const [file, pk] = process.argv.slice(1);
		let ok = 0;
		for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
			const [hex, sig] = line.split(" ");
			if (!verifySignature(hex, pk, sig)) { console.error("bad signature", sig, "over", hex); process.exit(1); }
			ok++;
		}
		console.log(`verified ${ok} signatures with @taquito/utils`);
	' "$TL_TMP/signed.txt" "$TL_PK") || tl_fail "signature verification failed"
}

# ---- sshd

# tl_sshd_config NAME LISTEN(ADDR:PORT) HOSTKEY AUTHKEYS [extra sshd_config lines...]
tl_sshd_config() {
	local name=$1 listen=$2 hostkey=$3 auth=$4
	shift 4
	local cfg=$TL_TMP/$name.sshd_config
	{
		echo "ListenAddress $listen"
		echo "HostKey $hostkey"
		echo "AuthorizedKeysFile $auth"
		echo "PidFile none"
		echo "UsePAM no"
		echo "StrictModes no"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin prohibit-password"
		echo "AllowTcpForwarding yes"
		echo "GatewayPorts no"
		echo "LogLevel VERBOSE"
		echo "MaxStartups 100:30:200"
		for line in "$@"; do echo "$line"; done
	} >"$cfg"
	"$SSHD" -t -f "$cfg" || tl_fail "sshd -t rejects $cfg"
	echo "$cfg"
}

# tl_sshd_start NAME NS CONFIG LISTEN_ADDR PORT: sshd -D in its own PID
# namespace inside network namespace NS; waits until it accepts.
# Sets TL_SSHD_PID[NAME] (the unshare process) and TL_SSHD_INIT[NAME] (sshd,
# pid 1 of the PID namespace).
tl_sshd_start() {
	local name=$1 ns=$2 cfg=$3 addr=$4 port=$5
	ip netns exec "$ns" unshare --pid --fork --kill-child "$SSHD" -D -e -f "$cfg" \
		>>"$TL_TMP/$name.log" 2>&1 &
	local up=$!
	disown "$up" # killed on purpose; no "Killed" job notices
	TL_PIDS+=("$up")
	TL_SSHD_PID[$name]=$up
	local init=""
	for _ in $(seq 1 100); do
		init=$(cat "/proc/$up/task/$up/children" 2>/dev/null | awk '{print $1}')
		[ -n "$init" ] && tl_in "$ns" bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null && break
		kill -0 "$up" 2>/dev/null || tl_fail "sshd $name exited: $(tail -5 "$TL_TMP/$name.log")"
		sleep 0.05
	done
	tl_in "$ns" bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null || tl_fail "sshd $name does not accept on $addr:$port"
	TL_SSHD_INIT[$name]=$init
}

# tl_gone PID: true when PID has exited (gone, or a zombie not yet reaped).
tl_gone() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# tl_term PID [SECONDS]: SIGTERM a child of this shell and wait, at most
# SECONDS (10), for it to exit; TL_RC is its exit status.
tl_term() {
	local pid=$1 secs=${2:-10} i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 $((secs * 20))); do
		tl_gone "$pid" && break
		sleep 0.05
	done
	tl_gone "$pid" || tl_fail "process $pid did not exit within $secs s of SIGTERM"
	wait "$pid"
	TL_RC=$?
}

# tl_sshd_kill NAME: SIGKILL the whole endpoint (every process of its PID
# namespace) and wait until it is gone.
tl_sshd_kill() {
	local name=$1 up=${TL_SSHD_PID[$1]:-} init=${TL_SSHD_INIT[$1]:-}
	[ -n "$up" ] || return 0
	[ -n "$init" ] && kill -KILL "$init" 2>/dev/null
	kill -KILL "$up" 2>/dev/null
	for _ in $(seq 1 250); do
		tl_gone "$up" && { [ -z "$init" ] || tl_gone "$init"; } && break
		sleep 0.02
	done
	tl_gone "$up" && { [ -z "$init" ] || tl_gone "$init"; } || tl_fail "endpoint $name did not die"
	unset "TL_SSHD_PID[$name]" "TL_SSHD_INIT[$name]"
	return 0
}

# The authorized_keys line the endpoint gives a box (design §2.5).
tl_box_key_line() {
	local port=$1 pub=$2 extra=${3:-}
	echo "restrict,port-forwarding,permitlisten=\"localhost:$port\",permitlisten=\"localhost:$((port + 1000))\",permitopen=\"localhost:$port\"$extra $(cat "$pub")"
}

# ---- the tunnel

# tl_state_get FILE KEY: a top-level value of the state JSON ("" for null).
tl_state_get() {
	# The state file is one line of compact JSON with flat values.
	sed -n -e "s/.*\"$2\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" \
		-e "s/.*\"$2\":\([0-9-][0-9]*\).*/\1/p" "$1" 2>/dev/null | head -1
}

# tl_wait_state FILE KEY VALUE SECONDS: polls the state file.
tl_wait_state() {
	local file=$1 key=$2 want=$3 secs=$4 i
	for i in $(seq 1 $((secs * 10))); do
		[ "$(tl_state_get "$file" "$key")" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# tl_wait_log FILE PATTERN SECONDS
tl_wait_log() {
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# tl_count_log FILE PATTERN
tl_count_log() { grep -cE "$2" "$1" 2>/dev/null || true; }

# tl_median_worst: reads numbers on stdin, prints "median worst".
tl_median_worst() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan nan"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.3f %.3f\n", m, a[NR] }'
}
