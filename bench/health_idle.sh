#!/usr/bin/env bash
# bench/health_idle.sh - what an idle signer costs the box (the target is a
# Raspberry Pi): resident memory of `tzsigner serve` with 10 keys, and the
# CPU time it uses over IDLE seconds (60) with its background checks on
# (default interval, 2 s): the Ledger polled over the speculos socket of
# tests/ledgersim, power from a sysfs tree, the route to an endpoint, the
# tunnel's state file. Two configurations: 10 local keys; 9 local keys and
# 1 Ledger key. Release builds; nothing else is asked of the signer.
#
#   bench/health_idle.sh            (needs build/tzsigner and build/ledgersim)
#
# Prints one key=value line per configuration:
#   case=… keys=10 ledger_keys=N rss_kib=… hwm_kib=… cpu_ms=… cpu_pct=… wakeups_per_s=… threads=…
# Environment: IDLE (60), TZSIGNER (build/tzsigner), LEDGERSIM (build/ledgersim).
set -euo pipefail
cd "$(dirname "$0")/.."
tzsigner=${TZSIGNER:-build/tzsigner}
ledgersim=${LEDGERSIM:-build/ledgersim}
idle=${IDLE:-60}
die() { echo "bench: $*" >&2; exit 1; }
[ -x "$tzsigner" ] || die "$tzsigner is missing (make build/tzsigner)"
[ -x "$ledgersim" ] || die "$ledgersim is missing (make build/ledgersim)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tzsigner-bench-idle.XXXXXX")
chmod 700 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU time in ns: the sum of the threads' schedstat (ns precision; the
# utime+stime ticks of /proc/PID/stat are 10 ms), threads that ended included
# through the process's own line.
cpu_ns() {
	if [ -r "/proc/$1/schedstat" ]; then
		cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ n += $1 } END { printf "%d\n", n }'
	else
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
	fi
}
ctxt() { awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { n += $2 } END { print n }' /proc/"$1"/task/*/status; }
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# the simulator
"$ledgersim" --port 0 --control-port 0 --prompt-ms 0 >"$tmp/sim.out" 2>"$tmp/sim.err" &
pids+=("$!")
sim=$!
for _ in $(seq 1 100); do grep -qs apdu_port "$tmp/sim.out" && break; sleep 0.05; done
apdu=$(sed -n 's/.*apdu_port=\([0-9]*\).*/\1/p' "$tmp/sim.out")
[ -n "$apdu" ] || die "ledgersim did not start: $(cat "$tmp/sim.err")"
proxy=127.0.0.1:$apdu
uri=ledger://kooky-chameleon-pointless-caracal/ed25519/0h/0h

# power supply tree and tunnel state
mkdir -p "$tmp/ps/AC" "$tmp/ps/BAT0"
echo Mains >"$tmp/ps/AC/type"; echo 1 >"$tmp/ps/AC/online"
echo Battery >"$tmp/ps/BAT0/type"; echo 93 >"$tmp/ps/BAT0/capacity"; echo Full >"$tmp/ps/BAT0/status"
echo '{"state":"up","since":"2026-11-25T19:30:00Z","reconnects":0,"uplink":"lo","pid":1}' >"$tmp/tunnel.json"

make_base() { # DIR LEDGER(0|1)
	local dir=$1 types=(tz1 tz1 tz1 tz1 tz2 tz2 tz3 tz3 tz4 tz4) n=10
	mkdir -m 700 "$dir"
	if [ "$2" = 1 ]; then
		"$tzsigner" keys import baker "$uri" --ledger-proxy "$proxy" -d "$dir" >/dev/null 2>&1
		"$tzsigner" ledger setup "$uri" --chain NetXdQprcVkpaWU --main-hwm 0 --ledger-proxy "$proxy" >/dev/null 2>&1
		n=9
	fi
	for i in $(seq 0 $((n - 1))); do
		"$tzsigner" keys gen "k$i" --type "${types[$i]}" -d "$dir" >/dev/null
	done
}

echo "machine nproc=$(nproc) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)\" kernel=$(uname -r) idle_s=$idle"
for ledger in 0 1; do
	base=$tmp/base$ledger
	make_base "$base" $ledger
	log=$tmp/serve$ledger.log
	"$tzsigner" serve -d "$base" -p 0 --ledger-proxy "$proxy" --power-sysfs "$tmp/ps" \
		--tunnel-state "$tmp/tunnel.json" --uplink-endpoint 127.0.0.1 --uplink-primary lo \
		--status-port 0 2>"$log" &
	pid=$!
	pids+=("$pid")
	port=
	for _ in $(seq 1 200); do
		port=$(sed -n 's/.*event=listening.* port=\([0-9]*\).*/\1/p' "$log" | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || die "serve did not start: $(cat "$log")"
	# settled: first checks done, one status and one metrics answer
	sleep 3
	curl -s -o /dev/null "http://127.0.0.1:$port/statusz"
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/statusz")
	[ "$code" = 200 ] || die "statusz $code before measuring: $(curl -s "http://127.0.0.1:$port/statusz")"
	c0=$(cpu_ns $pid) x0=$(ctxt $pid) s0=$(cpu_ns $sim)
	sleep "$idle"
	c1=$(cpu_ns $pid) x1=$(ctxt $pid) s1=$(cpu_ns $sim)
	rss=$(status $pid VmRSS) hwm=$(status $pid VmHWM) threads=$(status $pid Threads)
	awk -v c=$((c1 - c0)) -v s="$idle" -v x=$((x1 - x0)) -v sim=$((s1 - s0)) -v l=$ledger \
		-v r="$rss" -v h="$hwm" -v t="$threads" 'BEGIN {
		printf "case=idle keys=10 ledger_keys=%d rss_kib=%d hwm_kib=%d cpu_ms=%.1f cpu_pct=%.4f wakeups_per_s=%.1f threads=%d ledgersim_cpu_ms=%.1f\n",
			l, r, h, c / 1e6, c / 1e7 / s, x / s, t, sim / 1e6 }'
	kill -TERM $pid
	wait $pid || die "serve exited $? after SIGTERM: $(tail -5 "$log")"
done
