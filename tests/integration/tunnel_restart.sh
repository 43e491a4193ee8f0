#!/usr/bin/env bash
# tunnel_restart.sh - the endpoint is killed with SIGKILL and restarted 20
# times at random intervals: the whole endpoint, the listening sshd and
# every session process it forked (its own PID namespace, killed at once;
# killing only the listener would leave the sessions, and so the tunnel,
# up). Each time the tunnel must come back by itself and signing through
# the endpoint's port P must work again. Prints the median and worst time
# to recover, from the moment the new endpoint listens to the first
# signature through it, and the whole outage, from the kill.
#
#   TUNNEL_RESTARTS (20)   cycles
#   TUNNEL_SEED            seed for the random intervals (printed)
#   TUNNEL_RESULT FILE     append the result line to FILE (bench/tunnel)
#
# The tunnel runs with its defaults except --stable-after 1 (default 20 s):
# the endpoint here is up for 1.1-2.1 s between kills (down 0-0.8 s), and each restart
# should start from a stable tunnel, as it does in the field where
# restarts are minutes apart; the backoff after a kill is then the default
# 0.5-1 s, then 1-2 s, 2-4 s … .
set -uo pipefail
. "$(dirname "$0")/tunnel_lib.sh"
tl_init

N=${TUNNEL_RESTARTS:-20}
SEED=${TUNNEL_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}
RANDOM=$SEED
tl_log "cycles=$N seed=$SEED"

tl_netns restart
NS=$TL_NS
P=7300
tl_keypair host
mkdir -m 700 "$TL_TMP/box"
line=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box4 --remote-port $P \
	2>"$TL_TMP/keygen.log") || tl_fail "keygen failed"
read -r _ _ ktype kb64 <<<"$line"
echo "$ktype $kb64" >"$TL_TMP/box.pub"
tl_box_key_line $P "$TL_TMP/box.pub" >"$TL_TMP/authorized_keys"
CFG=$(tl_sshd_config endpoint 127.0.0.1:2200 "$TL_TMP/host" "$TL_TMP/authorized_keys" \
	"ClientAliveInterval 2" "ClientAliveCountMax 3")
tl_signer_start "$NS"

tl_sshd_start endpoint "$NS" "$CFG" 127.0.0.1 2200
STATE=$TL_TMP/state.json
TLOG=$TL_TMP/tunnel.log
ip netns exec "$NS" "$TZSIGNER" tunnel --endpoint 127.0.0.1:2200 --user root \
	--identity "$TL_TMP/box/id_ed25519" --host-key "$TL_TMP/host.pub" \
	--remote-port $P --signer "127.0.0.1:$TL_SIGNER_PORT" --ssh 127.0.0.1:22 \
	--state "$STATE" --run-dir "$TL_TMP/run" --stable-after 1 </dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
tl_wait_state "$STATE" state up 20 || tl_fail "the tunnel did not come up"
tl_sign "$NS" $P || tl_fail "first sign failed"

: >"$TL_TMP/recovery.txt"
: >"$TL_TMP/outage.txt"
for i in $(seq 1 "$N"); do
	up_ms=$((1100 + RANDOM % 1000))
	down_ms=$((RANDOM % 800))
	sleep "$(awk -v m=$up_ms 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -0 "$TUN" || tl_fail "the tunnel exited"
	t_kill=$(tl_now)
	tl_sshd_kill endpoint
	# Nothing of the endpoint is left: no process, no listener.
	if tl_in "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$P" 2>/dev/null; then
		tl_fail "cycle $i: port $P still listens after the endpoint was killed"
	fi
	sleep "$(awk -v m=$down_ms 'BEGIN { printf "%.3f", m / 1000 }')"
	tl_sshd_start endpoint "$NS" "$CFG" 127.0.0.1 2200
	t_up=$(tl_now)
	ok=0
	end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		if tl_sign "$NS" $P 2; then ok=1; break; fi
		sleep 0.05
	done
	[ "$ok" -eq 1 ] || tl_fail "cycle $i: no signature through the endpoint within 30 s of its restart: $(cat "$STATE")"
	rec=$(tl_elapsed "$t_up")
	out=$(tl_elapsed "$t_kill")
	echo "$rec" >>"$TL_TMP/recovery.txt"
	echo "$out" >>"$TL_TMP/outage.txt"
	tl_log "cycle $i: up ${up_ms} ms, endpoint down ${down_ms} ms; signing again ${rec} s after the restart (outage ${out} s)"
done

read -r rmed rworst < <(tl_median_worst <"$TL_TMP/recovery.txt")
read -r omed oworst < <(tl_median_worst <"$TL_TMP/outage.txt")
reconnects=$(tl_state_get "$STATE" reconnects)
[ "$reconnects" -ge "$N" ] || tl_fail "reconnects=$reconnects after $N restarts"
result="RESULT tunnel_restart cycles=$N seed=$SEED recovery_median_s=$rmed recovery_worst_s=$rworst outage_median_s=$omed outage_worst_s=$oworst reconnects=$reconnects attempts=$(tl_state_get "$STATE" attempts)"
echo "$result"
[ -n "${TUNNEL_RESULT:-}" ] && echo "$result" >>"$TUNNEL_RESULT"
awk -v w="$rworst" 'BEGIN { exit !(w < 15) }' || tl_fail "worst recovery $rworst s is over 15 s"

tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exit status $TL_RC after SIGTERM"
tl_verify_all
tl_sanitizer_check "$TLOG" "$TL_TMP/signer.log"
tl_log "ok"
