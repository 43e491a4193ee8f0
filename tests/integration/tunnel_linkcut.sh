#!/usr/bin/env bash
# tunnel_linkcut.sh - the box's line goes down, in network namespaces.
#
# Two namespaces joined by veth pairs: the box (signer, tunnel) and the
# cloud (the endpoint sshd at 10.31.9.1, and the "baker" that signs through
# the endpoint's 127.0.0.1:P). The box reaches the endpoint over wan0
# (home line, metric 100) and, in case C, also over wwan0 (4G, metric 200).
#
#   A. wan0 down for 5 s, longer than the box's keepalive window (3 s:
#      ServerAliveInterval 1 x 3, TCP_USER_TIMEOUT 3 s), then up, 3 times.
#   B. wan0 down, and the box comes back with another address (a new DHCP
#      lease): the endpoint's old session is now a black hole, so it keeps
#      holding port P until its ClientAlive reaps it; the tunnel reports
#      port_in_use and retries until then. The baker stays quiet meanwhile:
#      OpenSSH's sshd sends a ClientAlive probe only after a whole interval
#      with nothing to do (serverloop.c: `ret == 0 && now >= last_client_time
#      + interval`), so a baker knocking on port P every few seconds keeps a
#      dead session, and P, alive for as long as TCP retransmits (~15 min).
#   C. 4G backup, with a busy baker (a sign attempt every 50 ms): wwan0 is up
#      as well; wan0 goes down and the route to the endpoint moves to wwan0:
#      the tunnel follows it at once (netlink); the old session's packets
#      have nowhere to go and, with the baker busy, ClientAlive never fires;
#      what frees P is a short TCP retransmission timeout on the endpoint
#      (what the forwarder's accept loop should set with TCP_USER_TIMEOUT;
#      emulated here with net.ipv4.tcp_retries2=4 in the cloud namespace).
#      Then wan0 comes back and the tunnel moves back to the home line,
#      closing the 4G session cleanly. The state names the uplink in use.
#
# Recovery is timed from the link coming back (A, B) or going away (C) to
# the first signature through the endpoint.
#   TUNNEL_RESULT FILE   append the result lines to FILE (bench/tunnel)
set -uo pipefail
. "$(dirname "$0")/tunnel_lib.sh"
tl_init

tl_netns lcbox
BOX=$TL_NS
tl_netns lccloud
CLOUD=$TL_NS
P=7400
EP=10.31.9.1

# wan0: 10.31.0.2 (box) <-> 10.31.0.1 (cloud); wwan0: 10.32.0.2 <-> 10.32.0.1
ip link add wan0 netns "$BOX" type veth peer name cwan0 netns "$CLOUD" || tl_fail "veth wan0"
ip link add wwan0 netns "$BOX" type veth peer name cwwan0 netns "$CLOUD" || tl_fail "veth wwan0"
ip -n "$BOX" addr add 10.31.0.2/24 dev wan0
ip -n "$BOX" link set wan0 up
ip -n "$CLOUD" addr add 10.31.0.1/24 dev cwan0
ip -n "$CLOUD" addr add 10.32.0.1/24 dev cwwan0
ip -n "$CLOUD" link set cwan0 up
ip -n "$CLOUD" link set cwwan0 up
ip -n "$CLOUD" addr add "$EP/32" dev lo
ip -n "$BOX" route add "$EP/32" via 10.31.0.1 dev wan0 metric 100 || tl_fail "route via wan0"
# The cloud answers any box address on either line; like a 4G carrier, it
# drops what arrives on one line with the other line's source address
# (strict reverse path filter), so the old session cannot be closed over
# the new line.
ip -n "$CLOUD" route add 10.31.0.0/16 dev cwan0 metric 100 2>/dev/null
ip -n "$CLOUD" route add 10.32.0.0/16 dev cwwan0 metric 100 2>/dev/null
tl_in "$CLOUD" sysctl -q -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.cwan0.rp_filter=1 \
	net.ipv4.conf.cwwan0.rp_filter=1 || tl_fail "rp_filter in the cloud namespace"
tl_in "$BOX" bash -c "exec 3<>/dev/tcp/$EP/9" 2>/dev/null # warm ARP; refused is fine

tl_keypair host
mkdir -m 700 "$TL_TMP/box"
line=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box5 --remote-port $P \
	2>"$TL_TMP/keygen.log") || tl_fail "keygen failed"
read -r _ _ ktype kb64 <<<"$line"
echo "$ktype $kb64" >"$TL_TMP/box.pub"
tl_box_key_line $P "$TL_TMP/box.pub" >"$TL_TMP/authorized_keys"
# The endpoint reaps a silent session after some 10 s (ClientAlive 2 s x 3).
CFG=$(tl_sshd_config endpoint "$EP:2200" "$TL_TMP/host" "$TL_TMP/authorized_keys" \
	"ClientAliveInterval 2" "ClientAliveCountMax 3")
tl_sshd_start endpoint "$CLOUD" "$CFG" "$EP" 2200
tl_signer_start "$BOX"

STATE=$TL_TMP/state.json
TLOG=$TL_TMP/tunnel.log
ip netns exec "$BOX" "$TZSIGNER" tunnel --endpoint "$EP:2200" --user root \
	--identity "$TL_TMP/box/id_ed25519" --host-key "$TL_TMP/host.pub" \
	--remote-port $P --signer "127.0.0.1:$TL_SIGNER_PORT" --ssh 127.0.0.1:22 \
	--state "$STATE" --run-dir "$TL_TMP/run" --alive-interval 1 --alive-count 3 \
	--stable-after 2 </dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
tl_wait_state "$STATE" state up 20 || tl_fail "the tunnel did not come up"
[ "$(tl_state_get "$STATE" uplink)" = wan0 ] || tl_fail "uplink is not wan0: $(cat "$STATE")"
case $(tl_state_get "$STATE" local) in 10.31.0.2:*) ;; *) tl_fail "local address: $(cat "$STATE")" ;; esac
tl_sign "$CLOUD" $P || tl_fail "first sign failed"
tl_log "up over wan0 ($(tl_state_get "$STATE" local) -> $EP:2200)"

# until_signed LABEL T0: polls a signature through the endpoint; sets REC
# to the seconds since T0. (Not run in $(…): tl_sign's level must rise here.)
until_signed() {
	local end=$((SECONDS + 40))
	while [ "$SECONDS" -lt "$end" ]; do
		if tl_sign "$CLOUD" $P 1; then
			REC=$(tl_elapsed "$2")
			return 0
		fi
		sleep 0.05
	done
	tl_fail "$1: no signature through the endpoint within 40 s: $(cat "$STATE")"
}

# ---- A: cut longer than the keepalive window, then back
: >"$TL_TMP/cut.txt"
for i in 1 2 3; do
	sleep 2.5 # stable first
	down_at=$(tl_now)
	ip -n "$BOX" link set wan0 down
	tl_wait_state "$STATE" state down 6 ||
		tl_fail "A$i: the dead line was not noticed within 6 s: $(cat "$STATE")"
	noticed=$(tl_elapsed "$down_at")
	sleep "$(awk -v n="$noticed" 'BEGIN { r = 5 - n; printf "%.3f", (r > 0 ? r : 0) }')"
	t0=$(tl_now)
	ip -n "$BOX" link set wan0 up
	ip -n "$BOX" route replace "$EP/32" via 10.31.0.1 dev wan0 metric 100
	until_signed "A$i" "$t0"
	rec=$REC
	echo "$rec" >>"$TL_TMP/cut.txt"
	tl_log "A$i: line down 5 s (noticed after $noticed s: $(tl_state_get "$STATE" error_kind)); signing again $rec s after it came back"
done
grep -qE 'event=tunnel_down kind=(disconnected|timeout)' "$TLOG" || tl_fail "A: no disconnect logged"

# ---- B: back with another address; the old session is a black hole
sleep 2.5
ip -n "$BOX" link set wan0 down
tl_wait_state "$STATE" state down 6 || tl_fail "B: the dead line was not noticed"
ip -n "$BOX" addr del 10.31.0.2/24 dev wan0
ip -n "$BOX" addr add 10.31.0.3/24 dev wan0
sleep 1
t0=$(tl_now)
ip -n "$BOX" link set wan0 up
ip -n "$BOX" route replace "$EP/32" via 10.31.0.1 dev wan0 metric 100
# A quiet baker: nothing knocks on P until the tunnel says it is up.
tl_wait_state "$STATE" state up 60 || tl_fail "B: not up within 60 s: $(cat "$STATE")"
until_signed B "$t0"
recB=$REC
grep -q 'error_kind=port_in_use' "$TLOG" ||
	tl_fail "B: the endpoint's stale listener was never seen (no port_in_use)"
grep -q 'Timeout, client not responding' "$TL_TMP/endpoint.log" ||
	tl_fail "B: the endpoint did not reap the old session by ClientAlive"
case $(tl_state_get "$STATE" local) in 10.31.0.3:*) ;; *) tl_fail "B: local address: $(cat "$STATE")" ;; esac
tl_log "B: new address 10.31.0.3; the endpoint held port $P until ClientAlive reaped the old session; signing again $recB s after the line came back"

# ---- C: 4G backup and back, with a busy baker
tl_in "$CLOUD" sysctl -q -w net.ipv4.tcp_retries2=4 || tl_fail "tcp_retries2 in the cloud namespace"
ip -n "$BOX" addr add 10.32.0.2/24 dev wwan0
ip -n "$BOX" link set wwan0 up
ip -n "$BOX" route add "$EP/32" via 10.32.0.1 dev wwan0 metric 200 || tl_fail "route via wwan0"
sleep 2.5
reconnects=$(tl_state_get "$STATE" reconnects)
[ "$(tl_state_get "$STATE" uplink)" = wan0 ] || tl_fail "C: a backup route moved the tunnel off wan0"
t0=$(tl_now)
ip -n "$BOX" link set wan0 down
until_signed C "$t0"
recC=$REC
tl_wait_state "$STATE" uplink wwan0 5 || tl_fail "C: uplink is not wwan0: $(cat "$STATE")"
grep -q 'event=uplink_changed from=wan0 to=wwan0' "$TLOG" || tl_fail "C: the route change was not followed at once"
grep -q 'error_kind=port_in_use' <(sed -n '/from=wan0 to=wwan0/,$p' "$TLOG") ||
	tl_fail "C: the old session's listener was never seen on the endpoint"
tl_log "C: wan0 down, route moved to wwan0 (4G): signing again $recC s later (once the endpoint's TCP gave up on the old session), uplink=wwan0"
sleep 2.5
ip -n "$BOX" link set wan0 up
t0=$(tl_now)
ip -n "$BOX" route replace "$EP/32" via 10.31.0.1 dev wan0 metric 100
for _ in $(seq 1 100); do
	[ "$(tl_state_get "$STATE" uplink)" = wan0 ] && [ "$(tl_state_get "$STATE" state)" = up ] && break
	sleep 0.05
done
[ "$(tl_state_get "$STATE" uplink)" = wan0 ] && [ "$(tl_state_get "$STATE" state)" = up ] ||
	tl_fail "C: did not move back to wan0: $(cat "$STATE")"
recC2=$(tl_elapsed "$t0")
grep -q 'event=uplink_changed from=wwan0 to=wan0' "$TLOG" || tl_fail "C: no move back to wan0 logged"
tl_sign "$CLOUD" $P 2 || tl_fail "C: sign over wan0 failed"
tl_log "C: wan0 back: up over the home line again $recC2 s after its route returned (the 4G session closed cleanly over 4G)"

read -r amed aworst < <(tl_median_worst <"$TL_TMP/cut.txt")
result="RESULT tunnel_linkcut cut_5s_cycles=3 recovery_median_s=$amed recovery_worst_s=$aworst new_address_stale_listener_s=$recB uplink_to_4g_s=$recC uplink_back_s=$recC2"
echo "$result"
[ -n "${TUNNEL_RESULT:-}" ] && echo "$result" >>"$TUNNEL_RESULT"

tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exit status $TL_RC after SIGTERM"
tl_verify_all
tl_sanitizer_check "$TLOG" "$TL_TMP/signer.log"
tl_log "ok"
