#!/usr/bin/env bash
# tunnel_refusals.sh - each way an endpoint can say no, told apart, against
# real sshd endpoints:
#   - authentication refused (the box's key is not on the endpoint): reported
#     naming the account, retried on the backoff so that the key added on the
#     endpoint brings the tunnel up within it;
#   - forward refused by policy (permitlisten names other ports);
#   - remote port still held by a stale session: a session that went silent
#     (SIGSTOP, as a box that lost its line) holds P until the endpoint's
#     ClientAlive reaps it; the tunnel retries and comes up once it has;
#   - the end-to-end probe refused by the endpoint (permitopen without P):
#     the tunnel stays up and says so (probe=refused);
#   - endpoint unreachable (connection refused), and a name that does not
#     resolve;
#   - an ssh that does not report the forwards (LogVerbose matching nothing,
#     as an OpenSSH whose functions have other names): taken as up once it
#     has been alive and quiet past connect-timeout + 2 s.
set -uo pipefail
. "$(dirname "$0")/tunnel_lib.sh"
tl_init

tl_netns refusals
NS=$TL_NS
P=7200
tl_hosts "$NS" "127.0.0.1 endpoint.test"

tl_keypair host
tl_keypair stranger
mkdir -m 700 "$TL_TMP/box"
line=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box3 --remote-port $P \
	2>"$TL_TMP/keygen.log") || tl_fail "keygen failed"
read -r _ _ ktype kb64 <<<"$line"
echo "$ktype $kb64" >"$TL_TMP/box.pub"

tl_signer_start "$NS"

# endpoint NAME AUTHORIZED_KEYS_TEXT: sshd on 127.0.0.1:2200 with host key
# "host", reaping silent sessions after about 3 s.
endpoint() {
	printf '%s\n' "$2" >"$TL_TMP/$1.authorized_keys"
	local cfg
	cfg=$(tl_sshd_config "$1" 127.0.0.1:2200 "$TL_TMP/host" "$TL_TMP/$1.authorized_keys" \
		"ClientAliveInterval 1" "ClientAliveCountMax 2")
	tl_sshd_start "$1" "$NS" "$cfg" 127.0.0.1 2200
}

STATE=$TL_TMP/state.json
TLOG=$TL_TMP/tunnel.log

# expect_error KIND TEXT SECONDS
expect_error() {
	tl_wait_state "$STATE" error_kind "$1" "$3" || tl_fail "expected $1, state: $(cat "$STATE")"
	# Refusals retry on the backoff: the next attempt may already be connecting.
	tl_wait_state "$STATE" state down "$3" || tl_fail "state is not down with $1: $(cat "$STATE")"
	local last
	last=$(tl_state_get "$STATE" last_error)
	case $last in *"$2"*) ;; *) tl_fail "$1: last_error does not say '$2': $last" ;; esac
	grep -qE "event=state state=down .*error_kind=$1 " "$TLOG" || tl_fail "no state=down log line with $1"
	tl_log "$1: $last"
}

# ---- authentication refused: only a stranger's key on the endpoint
endpoint a1 "$(tl_box_key_line $P "$TL_TMP/stranger.pub")"
ip netns exec "$NS" "$TZSIGNER" tunnel --endpoint endpoint.test:2200 --user root \
	--identity "$TL_TMP/box/id_ed25519" --host-key "$TL_TMP/host.pub" \
	--remote-port $P --signer "127.0.0.1:$TL_SIGNER_PORT" --ssh 127.0.0.1:22 \
	--state "$STATE" --run-dir "$TL_TMP/run" --alive-interval 1 --alive-count 3 \
	--stable-after 1 --backoff-max 3000 --refused-retry 60 --probe-interval 1 </dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
expect_error auth_refused "authentication refused by endpoint.test:2200 for the account root" 20
grep -q 'Permission denied (publickey)' "$TLOG" || tl_fail "ssh's words are not in the log"
# The cause fixed on the endpoint (the box's line added; sshd reads the file
# on each login), the box notices within its backoff (3 s here), not after
# refused-retry (60 s), and without being told (no SIGHUP).
t0=$(tl_now)
printf '%s\n' "$(tl_box_key_line $P "$TL_TMP/box.pub")" >"$TL_TMP/a1.authorized_keys"
tl_wait_state "$STATE" state up 12 || tl_fail "not up within the backoff after the key was added: $(cat "$STATE")"
tl_log "auth refusal fixed on the endpoint: up $(tl_elapsed "$t0") s later"

# ---- forward refused by policy: the key may listen on other ports only
tl_sshd_kill a1
endpoint a2 "restrict,port-forwarding,permitlisten=\"localhost:$((P + 1))\",permitlisten=\"localhost:$((P + 1001))\" $(cat "$TL_TMP/box.pub")"
kill -HUP "$TUN"
expect_error forward_refused "forward refused by policy" 10
grep -q 'Remote: port forwarding refused' "$TLOG" || tl_fail "the endpoint's notice is not in the log"

# ---- a stale session holds P until the endpoint reaps it
tl_sshd_kill a2
endpoint a3 "$(tl_box_key_line $P "$TL_TMP/box.pub")"
# The stale session: this box's key, holding P, then silent.
cat "$TL_TMP/run/known_hosts" >"$TL_TMP/stale_known_hosts"
ip netns exec "$NS" ssh -F none -N -T -o BatchMode=yes -o ExitOnForwardFailure=yes -o IdentitiesOnly=yes \
	-i "$TL_TMP/box/id_ed25519" -o UserKnownHostsFile="$TL_TMP/stale_known_hosts" \
	-o HostKeyAlias=tzsigner-endpoint -o StrictHostKeyChecking=yes -o ServerAliveInterval=0 \
	-R "$P:127.0.0.1:9" -p 2200 root@127.0.0.1 </dev/null 2>"$TL_TMP/stale.log" &
STALE=$!
disown "$STALE" # killed on purpose below
TL_PIDS+=("$STALE")
for _ in $(seq 1 50); do
	tl_in "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$P" 2>/dev/null && break
	sleep 0.1
done
tl_in "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$P" 2>/dev/null || tl_fail "the stale session did not bind $P"
kill -STOP "$STALE"
t0=$(tl_now)
kill -HUP "$TUN"
expect_error port_in_use "remote port $P (the signer port) is still held" 10
grep -qE 'level=warn .*event=state state=down .*error_kind=port_in_use' "$TLOG" || tl_fail "port_in_use is not a warning"
tl_wait_state "$STATE" state up 20 || tl_fail "not up after the endpoint reaped the stale session: $(cat "$STATE")"
tl_log "stale session reaped by the endpoint's ClientAlive; up $(tl_elapsed "$t0") s after SIGHUP, attempts=$(tl_state_get "$STATE" attempts)"
grep -qE 'Timeout, client not responding|Disconnecting.*Timeout|client not responding' "$TL_TMP/a3.log" ||
	tl_fail "the endpoint did not reap the stale session by ClientAlive: $(tail -5 "$TL_TMP/a3.log")"
tl_sign "$NS" $P || tl_fail "sign after the stale session was reaped failed"
tl_wait_state "$STATE" probe ok 5 || tl_fail "the probe is not ok: $(cat "$STATE")"
kill -KILL "$STALE"

# ---- the probe refused: the key line's permitopen does not name P (without
# any permitopen, sshd would let the key open anything)
tl_sshd_kill a3
endpoint a4 "restrict,port-forwarding,permitlisten=\"localhost:$P\",permitlisten=\"localhost:$((P + 1000))\",permitopen=\"localhost:1\" $(cat "$TL_TMP/box.pub")"
kill -HUP "$TUN"
tl_wait_state "$STATE" probe refused 10 || tl_fail "a refused probe was not reported: $(cat "$STATE")"
[ "$(tl_state_get "$STATE" state)" = up ] || tl_fail "a refused probe took the tunnel down: $(cat "$STATE")"
grep -q 'level=error .*event=probe_refused .*permitopen' "$TLOG" || tl_fail "no probe_refused error naming permitopen"
tl_sign "$NS" $P || tl_fail "sign with the probe refused failed"
tl_log "probe refused (permitopen without P): state up, probe=refused, signing works"

# ---- unreachable: nothing listens
tl_sshd_kill a4
expect_error disconnected "disconnected" 10
kill -HUP "$TUN" # the next attempt now rather than after the backoff
expect_error unreachable "endpoint unreachable: connect 127.0.0.1:2200: Connection refused" 10
# ---- a name that does not resolve
tl_hosts "$NS" "127.0.0.1 other.test"
kill -HUP "$TUN"
tl_wait_log "$TLOG" 'event=proxy_failed kind=dns' 10 || tl_fail "no dns failure logged"
for _ in $(seq 1 50); do
	case $(tl_state_get "$STATE" last_error) in *"resolve endpoint.test"*) break ;; esac
	sleep 0.1
done
case $(tl_state_get "$STATE" last_error) in *"resolve endpoint.test"*) ;; *) tl_fail "dns: $(cat "$STATE")" ;; esac
[ "$(tl_state_get "$STATE" error_kind)" = unreachable ] || tl_fail "dns failure not reported as unreachable"
tl_log "unreachable (dns): $(tl_state_get "$STATE" last_error)"

tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exit status $TL_RC after SIGTERM"
[ "$(tl_state_get "$STATE" state)" = stopped ] || tl_fail "state after SIGTERM: $(cat "$STATE")"

# ---- an ssh that says nothing about the forwards
tl_hosts "$NS" "127.0.0.1 endpoint.test"
endpoint a5 "$(tl_box_key_line $P "$TL_TMP/box.pub")"
printf '#!/bin/sh\n# ssh takes the first value of an option: this one wins.\nexec ssh -o LogVerbose=no.such.file:none:0 "$@"\n' \
	>"$TL_TMP/quiet-ssh"
chmod 755 "$TL_TMP/quiet-ssh"
STATE2=$TL_TMP/state2.json
TLOG2=$TL_TMP/tunnel2.log
ip netns exec "$NS" "$TZSIGNER" tunnel --endpoint endpoint.test:2200 --user root \
	--identity "$TL_TMP/box/id_ed25519" --host-key "$TL_TMP/host.pub" \
	--remote-port $P --signer "127.0.0.1:$TL_SIGNER_PORT" --ssh 127.0.0.1:22 \
	--state "$STATE2" --run-dir "$TL_TMP/run2" --connect-timeout 2 \
	--ssh-command "$TL_TMP/quiet-ssh" </dev/null 2>"$TLOG2" &
TUN2=$!
TL_PIDS+=("$TUN2")
tl_wait_state "$STATE2" state up 15 || tl_fail "a quiet ssh was never taken as up: $(cat "$STATE2")"
grep -q 'event=forwards_unconfirmed' "$TLOG2" || tl_fail "no forwards_unconfirmed warning"
if grep -q 'remote forward success' "$TLOG2"; then tl_fail "the wrapper did not silence LogVerbose"; fi
tl_sign "$NS" $P || tl_fail "sign through the quiet ssh's tunnel failed"
tl_log "quiet ssh (no forward reports): up after connect-timeout + 2 s, signing works"
tl_term "$TUN2"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel 2 exit status $TL_RC after SIGTERM"
tl_verify_all
tl_sanitizer_check "$TLOG" "$TLOG2" "$TL_TMP/signer.log" "$TL_TMP/keygen.log"
tl_log "ok"
