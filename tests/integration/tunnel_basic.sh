#!/usr/bin/env bash
# tunnel_basic.sh - `tzsigner tunnel` against a real OpenSSH sshd.
#
# In a network namespace of its own: a signer (tzsigner serve), an sshd
# standing in for the box's port 22, the endpoint (sshd with the box's key
# line from design §2.5) and the tunnel, configured from a file. Shows:
#   - keygen prints the line the cloud needs; a second keygen keeps the key;
#   - `tunnel -n` checks the settings and prints the ssh command;
#   - a sign request sent to the endpoint's port P reaches the box's signer
#     and returns a valid signature (checked with Taquito);
#   - an ssh session to the endpoint's port P+1000 reaches the box's sshd;
#   - the state file and log say up, uplink=lo, probe ok;
#   - SIGHUP reconnects at once;
#   - a stopped signer is reported (signer unreachable) without tearing
#     down the tunnel, and comes back;
#   - a tunnel that stops carrying (ssh frozen with SIGSTOP) fails the
#     end-to-end probe while the signer answers directly: restarted;
#   - systemd's protocol: READY=1, STATUS=, WATCHDOG=1 every half
#     WATCHDOG_USEC, STOPPING=1 (a NOTIFY_SOCKET read by a perl one-liner);
#   - SIGTERM stops cleanly (exit 0, state stopped, run files removed),
#     and no sanitizer report anywhere.
set -uo pipefail
. "$(dirname "$0")/tunnel_lib.sh"
tl_init

tl_netns basic
NS=$TL_NS
P=7000
tl_hosts "$NS" "127.0.0.1 endpoint.test"

# ---- keys
tl_keypair endpoint_host
tl_keypair boxsshd_host
tl_keypair operator
mkdir -m 700 "$TL_TMP/box"
line=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box1 --remote-port $P \
	2>"$TL_TMP/keygen.log") || tl_fail "keygen: $(cat "$TL_TMP/keygen.log")"
tl_log "keygen: $line"
read -r kname kport ktype kb64 extra <<<"$line"
[ "$kname" = box1 ] && [ "$kport" = $P ] && [ "$ktype" = ssh-ed25519 ] && [ -n "$kb64" ] && [ -z "${extra:-}" ] ||
	tl_fail "keygen line is not 'NAME PORT ssh-ed25519 BASE64': $line"
[ "$(stat -c %a "$TL_TMP/box/id_ed25519")" = 600 ] || tl_fail "identity is not mode 600"
grep -q "$kb64" "$TL_TMP/box/id_ed25519.pub" || tl_fail "keygen line does not match the .pub file"
line2=$("$TZSIGNER" tunnel keygen --identity "$TL_TMP/box/id_ed25519" --name box1 --remote-port $P 2>>"$TL_TMP/keygen.log")
[ "$line2" = "$line" ] || tl_fail "a second keygen changed the key: $line2"
grep -q "exists; keeping it" "$TL_TMP/keygen.log" || tl_fail "second keygen did not say it kept the key"

# ---- the box: signer and its sshd (stand-in for port 22)
tl_signer_start "$NS"
tl_log "signer on 127.0.0.1:$TL_SIGNER_PORT key $TL_PKH"
cp "$TL_TMP/operator.pub" "$TL_TMP/boxsshd_authorized_keys"
cfg=$(tl_sshd_config boxsshd 127.0.0.1:2222 "$TL_TMP/boxsshd_host" "$TL_TMP/boxsshd_authorized_keys")
tl_sshd_start boxsshd "$NS" "$cfg" 127.0.0.1 2222

# ---- the endpoint
printf '%s\n' "$(tl_box_key_line $P /dev/stdin <<<"$ktype $kb64 box1")" >"$TL_TMP/endpoint_authorized_keys"
cfg=$(tl_sshd_config endpoint 127.0.0.1:2200 "$TL_TMP/endpoint_host" "$TL_TMP/endpoint_authorized_keys" \
	"ClientAliveInterval 2" "ClientAliveCountMax 3")
tl_sshd_start endpoint "$NS" "$cfg" 127.0.0.1 2200

# ---- the tunnel, from a config file
cat >"$TL_TMP/tunnel.conf" <<EOF
# box1's tunnel
endpoint = endpoint.test:2200
user = root
identity = $TL_TMP/box/id_ed25519
host-key = $TL_TMP/endpoint_host.pub
remote-port = $P
signer = 127.0.0.1:$TL_SIGNER_PORT
ssh = 127.0.0.1:2222
probe-interval = 1
probe-timeout = 1
alive-interval = 1
alive-count = 3
EOF
check=$("$TZSIGNER" tunnel -n -c "$TL_TMP/tunnel.conf" 2>&1) || tl_fail "tunnel -n: $check"
grep -q "^OK endpoint=endpoint.test:2200 remote_port=$P box_ssh_port=$((P + 1000)) host_keys=1" <<<"$check" ||
	tl_fail "tunnel -n output: $check"
grep -q -- "-R $P:127.0.0.1:$TL_SIGNER_PORT -R $((P + 1000)):127.0.0.1:2222" <<<"$check" ||
	tl_fail "tunnel -n: the -R forwards are not as configured: $check"
bad=$("$TZSIGNER" tunnel -n -c "$TL_TMP/tunnel.conf" --remote-port 65000 2>&1)
[ $? -eq 2 ] && grep -q "remote-port '65000'" <<<"$bad" || tl_fail "tunnel -n accepted remote-port 65000: $bad"

# systemd's notification socket, as a datagram listener (perl-base is Essential).
NOTIFY=$TL_TMP/notify.txt
perl -MIO::Socket::UNIX -MSocket -e '
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ARGV[0]) or die "notify socket: $!";
	open(my $out, ">>", $ARGV[1]) or die; $out->autoflush(1);
	while (defined $s->recv(my $buf, 4096)) { print $out "$buf\n"; }
' "$TL_TMP/notify.sock" "$NOTIFY" &
TL_PIDS+=($!)
for _ in $(seq 1 50); do [ -S "$TL_TMP/notify.sock" ] && break; sleep 0.05; done

STATE=$TL_TMP/state.json
TLOG=$TL_TMP/tunnel.log
NOTIFY_SOCKET=$TL_TMP/notify.sock WATCHDOG_USEC=1000000 \
ip netns exec "$NS" "$TZSIGNER" tunnel -c "$TL_TMP/tunnel.conf" --state "$STATE" --run-dir "$TL_TMP/run" \
	--stable-after 2 </dev/null 2>"$TLOG" &
TUN=$!
TL_PIDS+=("$TUN")
t0=$(tl_now)
tl_wait_state "$STATE" state up 20 || tl_fail "the tunnel did not come up within 20 s"
tl_log "tunnel up after $(tl_elapsed "$t0") s"

# ---- signing through the endpoint's port P
for i in 1 2 3; do
	tl_sign "$NS" $P || tl_fail "sign request $i through the endpoint's port $P failed"
done
tl_log "3 signatures through 127.0.0.1:$P (the endpoint's remote forward)"

# ---- the box's sshd through the endpoint's port P+1000
out=$(tl_in "$NS" ssh -F none -o BatchMode=yes -o IdentitiesOnly=yes -i "$TL_TMP/operator" \
	-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR \
	-o ConnectTimeout=5 -p $((P + 1000)) root@127.0.0.1 'echo box-sshd-reached; cat /proc/sys/kernel/hostname' \
	</dev/null 2>&1) || tl_fail "ssh through port $((P + 1000)): $out"
grep -q box-sshd-reached <<<"$out" || tl_fail "ssh through port $((P + 1000)) did not run on the box: $out"
grep -q "Accepted publickey for root" "$TL_TMP/boxsshd.log" || tl_fail "the box's sshd did not see the session"
tl_log "ssh session through 127.0.0.1:$((P + 1000)) reached the box's sshd"

# ---- state file and log
[ "$(tl_state_get "$STATE" uplink)" = lo ] || tl_fail "uplink is not lo: $(cat "$STATE")"
[ "$(tl_state_get "$STATE" reconnects)" = 0 ] || tl_fail "reconnects is not 0: $(cat "$STATE")"
[ "$(tl_state_get "$STATE" endpoint)" = endpoint.test:2200 ] || tl_fail "endpoint: $(cat "$STATE")"
case $(tl_state_get "$STATE" peer) in 127.0.0.1:2200) ;; *) tl_fail "peer: $(cat "$STATE")" ;; esac
tl_wait_state "$STATE" probe ok 5 || tl_fail "probe is not ok: $(cat "$STATE")"
grep -qE 'event=state state=up since=[0-9T:-]+Z .*reconnects=0 .*uplink=lo ' "$TLOG" ||
	tl_fail "no 'state=up … reconnects=0 … uplink=lo' log line"
grep -q 'event=proxy_connected local=127.0.0.1:' "$TLOG" || tl_fail "the proxy did not log its connection"
grep -q 'Accepted publickey for root' "$TL_TMP/endpoint.log" || tl_fail "the endpoint did not log the box's login"
[ -S "$TL_TMP/run/probe.sock" ] && [ -f "$TL_TMP/run/known_hosts" ] || tl_fail "run dir lacks probe.sock or known_hosts"
grep -q "^tzsigner-endpoint ssh-ed25519 " "$TL_TMP/run/known_hosts" || tl_fail "known_hosts: $(cat "$TL_TMP/run/known_hosts")"

# ---- SIGHUP: reconnect at once
t0=$(tl_now)
kill -HUP "$TUN"
tl_wait_state "$STATE" reconnects 1 5 || tl_fail "SIGHUP did not reconnect within 5 s: $(cat "$STATE")"
tl_wait_state "$STATE" state up 5 || tl_fail "not up after SIGHUP"
hup=$(tl_elapsed "$t0")
tl_log "SIGHUP: up again after $hup s"
awk -v t="$hup" 'BEGIN { exit !(t < 3) }' || tl_fail "SIGHUP reconnect took $hup s"
[ "$(tl_state_get "$STATE" error_kind)" = reconnect_requested ] || tl_fail "error_kind after SIGHUP: $(cat "$STATE")"
tl_sign "$NS" $P || tl_fail "sign after SIGHUP failed"

# ---- the signer stops: reported, the tunnel stays
tl_term "$TL_SIGNER_PID"
tl_wait_state "$STATE" signer unreachable 10 || tl_fail "a stopped signer was not reported: $(cat "$STATE")"
[ "$(tl_state_get "$STATE" state)" = up ] || tl_fail "the tunnel went down because the signer stopped"
[ "$(tl_state_get "$STATE" reconnects)" = 1 ] || tl_fail "the tunnel restarted because the signer stopped"
grep -q 'event=signer_unreachable' "$TLOG" || tl_fail "no signer_unreachable log line"
tl_log "signer stopped: state up, signer unreachable, no reconnect"
ip netns exec "$NS" "$TZSIGNER" serve -d "$TL_TMP/signer" -a 127.0.0.1 -p "$TL_SIGNER_PORT" 2>>"$TL_TMP/signer.log" &
TL_SIGNER_PID=$!
TL_PIDS+=("$TL_SIGNER_PID")
tl_wait_state "$STATE" signer ok 10 || tl_fail "the signer's return was not noticed"
TL_LEVEL=$((TL_LEVEL + 10)) # the stopped signer had reserved the levels just above
tl_sign "$NS" $P || tl_fail "sign after the signer came back failed"

# ---- the tunnel stops carrying: the probe fails twice, ssh is replaced
ssh_pid=$(tl_state_get "$STATE" ssh_pid)
[ -n "$ssh_pid" ] || tl_fail "no ssh_pid in the state file"
reconnects=$(tl_state_get "$STATE" reconnects)
t0=$(tl_now)
kill -STOP "$ssh_pid"
tl_wait_state "$STATE" error_kind probe_failed 20 || tl_fail "a frozen ssh was not noticed: $(cat "$STATE")"
tl_wait_state "$STATE" reconnects $((reconnects + 1)) 10 || tl_fail "not reconnected after the probe failed"
tl_wait_state "$STATE" state up 5 || tl_fail "not up after the probe failed"
tl_log "ssh frozen: probe failed twice, replaced; up again after $(tl_elapsed "$t0") s"
case $(tl_state_get "$STATE" last_error) in
*"probe failed 2 times"*"answers directly"*) ;;
*) tl_fail "last_error: $(tl_state_get "$STATE" last_error)" ;;
esac
tl_sign "$NS" $P || tl_fail "sign after the probe restart failed"

# ---- SIGTERM: a clean stop
tl_term "$TUN"
[ "$TL_RC" -eq 0 ] || tl_fail "tunnel exited $TL_RC after SIGTERM"
[ "$(tl_state_get "$STATE" state)" = stopped ] || tl_fail "state after SIGTERM: $(cat "$STATE")"
sleep 0.2
grep -qx 'READY=1' "$NOTIFY" || tl_fail "no READY=1 on the notify socket: $(head -5 "$NOTIFY")"
grep -q '^STATUS=up via lo to endpoint.test:2200' "$NOTIFY" || tl_fail "no STATUS=up line: $(sort -u "$NOTIFY")"
wd=$(grep -cx 'WATCHDOG=1' "$NOTIFY")
[ "$wd" -ge 4 ] || tl_fail "only $wd WATCHDOG=1 pings with WATCHDOG_USEC=1000000"
grep -qx 'STOPPING=1' "$NOTIFY" || tl_fail "no STOPPING=1"
tl_log "systemd notify: READY=1, STATUS=up via lo…, $wd WATCHDOG=1, STOPPING=1"
[ ! -e "$TL_TMP/run/probe.sock" ] || tl_fail "probe.sock left behind"
sleep 0.3
if tl_in "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$P" 2>/dev/null; then
	tl_fail "port $P still listens on the endpoint after the tunnel stopped"
fi

tl_verify_all
tl_term "$TL_SIGNER_PID"
tl_sanitizer_check "$TLOG" "$TL_TMP/signer.log" "$TL_TMP/keygen.log"
tl_log "ok"
