#!/usr/bin/env bash
# forwarder_policy.sh - what the endpoint lets a box do, proved against the
# real sshd that `tzsigner forwarder run` runs per connection. The boxes are
# plain OpenSSH clients (ssh -N -R), so they can also try what a real
# tunnel never asks for:
#   - two boxes behind one endpoint sign through their own ports at once
#     (signatures checked by Taquito);
#   - box A asking to listen on box B's port, or any port not its own, is
#     refused by sshd, and so is a UNIX-socket forward;
#   - box A opening a local forward to B's port (or its own) is refused;
#   - a key not in the signers file cannot log in;
#   - an attempt with a box's key is a new login of that box: it ends the
#     box's session (one session per key); the boxes, reconnecting as
#     `tzsigner tunnel` does, are back and sign afterwards. While the
#     attempts run, the boxes do not reconnect: a box reconnecting meanwhile
#     is a newer login of the same key, which ends the attempt's session
#     before sshd has answered it (CI saw that race);
#   - an interactive shell, or a command, is refused to every box;
#   - past --max-unauthenticated, new connections are closed at once;
#   - the exporter reports each box's tunnel and signer through the tunnel.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_keypair beta
fl_keypair stranger
fl_signers "# two boxes" \
	"alpha 7001 $(cat "$FL_TMP/alpha.pub")" \
	"beta  7002 $(cat "$FL_TMP/beta.pub")"
fl_known_hosts

fl_log "run as root without --user, boxes log in as tzsigner, the tunnel's default account"
if getent passwd tzsigner >/dev/null; then
	"$TZSIGNER" forwarder render --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" \
		--out "$FL_TMP/out-default" >"$FL_TMP/default.log" 2>&1 || fl_fail "render: $(cat "$FL_TMP/default.log")"
	grep -q '(login user tzsigner)' "$FL_TMP/default.log" || fl_fail "default account: $(cat "$FL_TMP/default.log")"
	grep -qx 'AllowUsers tzsigner' "$FL_TMP/out-default/sshd_config" || fl_fail "sshd_config does not allow tzsigner"
elif "$TZSIGNER" forwarder render --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" \
	--out "$FL_TMP/out-default" >"$FL_TMP/default.log" 2>&1; then
	fl_fail "render without --user and without a tzsigner account succeeded: $(cat "$FL_TMP/default.log")"
else
	grep -q "default login account 'tzsigner'.*--user NAME" "$FL_TMP/default.log" ||
		fl_fail "the refusal does not name the default account: $(cat "$FL_TMP/default.log")"
fi

fl_log "render and sshd -t"
"$TZSIGNER" forwarder render --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" --user root \
	--out "$FL_TMP/out" --listen 127.0.0.1:$FL_SSH_PORT --check >"$FL_TMP/render.log" 2>&1 ||
	fl_fail "render --check: $(cat "$FL_TMP/render.log")"
grep -q '^sshd -t: OK' "$FL_TMP/render.log" || fl_fail "render --check did not run sshd -t"
[ "$(stat -c %a "$FL_TMP/out/ssh_host_ed25519_key")" = 600 ] || fl_fail "host key copy is not mode 0600"
grep -qx "restrict,port-forwarding,permitlisten=\"7001\",permitlisten=\"8001\" $(cut -d' ' -f1,2 "$FL_TMP/alpha.pub") tzsigner:alpha" \
	"$FL_TMP/out/authorized_keys" || fl_fail "authorized_keys line of alpha: $(cat "$FL_TMP/out/authorized_keys")"

fl_log "a render under a world-writable directory is refused (sshd's StrictModes would ignore it)"
if "$TZSIGNER" forwarder render --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" --user root \
	--out "/tmp/tzs-fwd-strict-$$" >"$FL_TMP/strict.log" 2>&1; then
	rm -rf "/tmp/tzs-fwd-strict-$$"
	fl_fail "render into /tmp succeeded"
fi
rm -rf "/tmp/tzs-fwd-strict-$$"
grep -q 'directory /tmp is writable by group or others' "$FL_TMP/strict.log" ||
	fl_fail "no StrictModes message: $(cat "$FL_TMP/strict.log")"

fl_signer alpha 16001
fl_signer beta 16002
fl_forwarder_start --max-unauthenticated 3

fl_log "both boxes connect, each forwarding its P to its own signer and P+1000"
fl_box_up alpha 7001 16001
fl_box_up beta 7002 16002
fl_wait 20 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="alpha",port="7001"} 1' ||
	fl_fail "alpha's signer is not up through its tunnel: $(fl_metrics | grep box_signer_up)"
fl_wait 20 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="beta",port="7002"} 1' ||
	fl_fail "beta's signer is not up through its tunnel"
fl_metrics_has 'tzsigner_forwarder_box_sessions{box="alpha",port="7001"} 1' || fl_fail "alpha has no session"
[ "$(fl_in curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$FL_METRICS_PORT/ready/alpha)" = 200 ] ||
	fl_fail "/ready/alpha is not 200"

fl_log "the two boxes sign through their own ports at the same time"
for round in 1 2 3; do
	FL_LEVEL=$((FL_LEVEL + 1))
	fl_sign alpha 7001 "$FL_LEVEL" &
	a=$!
	fl_sign beta 7002 "$FL_LEVEL" &
	b=$!
	wait $a || fl_fail "alpha could not sign through 7001 (round $round)"
	wait $b || fl_fail "beta could not sign through 7002 (round $round)"
done
# Each port leads to its own box: alpha's key is unknown behind beta's port.
code=$(fl_in curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:7002/keys/${FL_PKH[alpha]}")
[ "$code" = 404 ] || fl_fail "beta's port answered $code for alpha's key"
fl_verify_all

fl_log "the boxes stop reconnecting for the attempts below; alpha stays logged in, once"
fl_box_down alpha
fl_box_down beta
for box in 'alpha",port="7001' 'beta",port="7002'; do
	fl_wait 10 fl_metrics_has "tzsigner_forwarder_box_sessions{box=\"$box\"} 0" ||
		fl_fail "a session outlived its box: $(fl_metrics | grep box_sessions)"
done
fl_ssh alpha -N -R 7001:127.0.0.1:16001 -R 8001:127.0.0.1:22 "$FL_TARGET" >"$FL_TMP/box-alpha-once.log" 2>&1 &
alpha_once=$!
FL_PIDS+=($alpha_once)
fl_wait 20 fl_metrics_has 'tzsigner_forwarder_box_sessions{box="alpha",port="7001"} 1' ||
	fl_fail "alpha's single session did not log in: $(cat "$FL_TMP/box-alpha-once.log")"
fl_wait 20 fl_answers 7001 || fl_fail "alpha's single session does not forward 7001: $(cat "$FL_TMP/box-alpha-once.log")"
takeovers0=$(fl_metrics | sed -n 's/^tzsigner_forwarder_takeovers_total //p')

fl_log "box alpha may not listen on beta's port, nor on any port not its own"
for spec in 7002:127.0.0.1:16001 8002:127.0.0.1:22 7003:127.0.0.1:16001 2222:127.0.0.1:22 \
	127.0.0.1:9001:127.0.0.1:22 0.0.0.0:7003:127.0.0.1:22; do
	out=$(fl_ssh alpha -N -R "$spec" "$FL_TARGET" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fl_fail "alpha -R $spec was accepted"
	grep -q 'remote port forwarding failed' <<<"$out" || fl_fail "alpha -R $spec: $out"
	if [ -n "$alpha_once" ]; then
		# the first attempt was a new login of alpha: alpha's session is over
		fl_wait 10 bash -c "! kill -0 $alpha_once 2>/dev/null" ||
			fl_fail "alpha's session survived a new login with its key"
		wait "$alpha_once"
		rc=$?
		[ "$rc" = 255 ] || fl_fail "alpha's session ended with status $rc, not closed by the endpoint (255): $(cat "$FL_TMP/box-alpha-once.log")"
		fl_wait 5 fl_metrics_has "tzsigner_forwarder_takeovers_total $((takeovers0 + 1))" ||
			fl_fail "the new login was not counted as a takeover: $(fl_metrics | grep takeovers)"
		alpha_once=""
	fi
done
out=$(fl_ssh alpha -N -R "/tmp/tzs-fwd-sock-$$:127.0.0.1:22" "$FL_TARGET" 2>&1) &&
	fl_fail "a UNIX-socket remote forward was accepted"
[ ! -e "/tmp/tzs-fwd-sock-$$" ] || fl_fail "sshd created /tmp/tzs-fwd-sock-$$"
grep -q 'forward_refused box=alpha' "$FL_TMP/forwarder.log" || fl_fail "the forwarder did not log the refusals"
fl_wait 5 fl_metrics_has 'tzsigner_forwarder_box_forwards_refused_total{box="alpha",port="7001"} 6' ||
	fl_fail "refusals not counted: $(fl_metrics | grep forwards_refused)"

fl_log "box alpha may not open a connection to beta's port (nor its own: remote forwarding only)"
for target in 127.0.0.1:7002 localhost:7002 127.0.0.1:7001 127.0.0.1:16002; do
	out=$(fl_ssh alpha -W "$target" "$FL_TARGET" </dev/null 2>&1) && fl_fail "alpha -W $target succeeded"
	grep -q 'administratively prohibited' <<<"$out" || fl_fail "alpha -W $target: $out"
done
# the same with a -L listener on the box side
fl_ssh alpha -N -L 127.0.0.1:5555:127.0.0.1:7002 "$FL_TARGET" >"$FL_TMP/box-alpha-L.log" 2>&1 &
lpid=$!
FL_PIDS+=($lpid)
fl_wait 10 fl_in bash -c 'exec 3<>/dev/tcp/127.0.0.1/5555' 2>/dev/null || fl_fail "the -L listener did not come up"
out=$(fl_in curl -s -m 5 "http://127.0.0.1:5555/keys/${FL_PKH[beta]}" 2>&1) && [ -n "$out" ] &&
	fl_fail "a local forward reached beta's signer: $out"
kill "$lpid" 2>/dev/null

fl_log "a key that is not in the signers file cannot log in"
out=$(fl_ssh stranger -N -R 7009:127.0.0.1:22 "$FL_TARGET" 2>&1) && fl_fail "the stranger logged in"
grep -q 'Permission denied (publickey)' <<<"$out" || fl_fail "stranger: $out"

fl_log "no shell, no command, no subsystem for any box"
for box in alpha beta; do
	out=$(fl_ssh "$box" -tt "$FL_TARGET" </dev/null 2>&1) && fl_fail "$box got an interactive shell"
	grep -q 'open failed' <<<"$out" || fl_fail "$box shell: $out"
	out=$(fl_ssh "$box" "$FL_TARGET" id </dev/null 2>&1) && fl_fail "$box ran a command: $out"
	grep -q 'uid=' <<<"$out" && fl_fail "$box ran id: $out"
	out=$(fl_ssh "$box" -s "$FL_TARGET" sftp </dev/null 2>&1) && fl_fail "$box got a subsystem"
done

fl_log "the boxes reconnect and are back after all that"
fl_box_up alpha 7001 16001
fl_box_up beta 7002 16002
# (as the endpoint sees them: the step on alpha's signer below starts from "up")
fl_wait 20 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="alpha",port="7001"} 1' ||
	fl_fail "alpha is not back: $(tail -5 "$FL_TMP/box-alpha.log")"
fl_wait 20 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="beta",port="7002"} 1' ||
	fl_fail "beta is not back: $(tail -5 "$FL_TMP/box-beta.log")"
fl_sign alpha 7001 || fl_fail "alpha stopped signing"
fl_sign beta 7002 || fl_fail "beta stopped signing"

fl_log "past --max-unauthenticated 3, a new connection is closed at once"
fl_in bash -c '
	# each sends its identification first, as ssh does (the listener defers
	# accepting a connection until its first bytes: TCP_DEFER_ACCEPT)
	exec 3<>/dev/tcp/127.0.0.1/'$FL_SSH_PORT' 4<>/dev/tcp/127.0.0.1/'$FL_SSH_PORT' 5<>/dev/tcp/127.0.0.1/'$FL_SSH_PORT'
	for fd in 3 4 5; do printf "SSH-2.0-test\r\n" >&$fd; done
	for fd in 3 4 5; do read -r -t 5 banner <&$fd || exit 3; case $banner in SSH-2.0-*) ;; *) exit 4 ;; esac; done
	exec 6<>/dev/tcp/127.0.0.1/'$FL_SSH_PORT'
	printf "SSH-2.0-test\r\n" >&6
	if read -r -t 5 banner <&6; then echo "4th got: $banner"; exit 5; fi
	exit 0' || fl_fail "the unauthenticated limit did not hold (rc $?)"
fl_wait 5 fl_metrics_has 'tzsigner_forwarder_connections_dropped_total{reason="unauthenticated_limit"} 1' ||
	fl_fail "drop not counted: $(fl_metrics | grep dropped)"
# once they are gone, boxes get in again
fl_sign alpha 7001 || fl_fail "alpha cannot sign after the flood"

fl_log "a box whose signer stops: tunnel up, signer down"
kill "${FL_SIGNER_PID[alpha]}"
fl_wait 10 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="alpha",port="7001"} 0' ||
	fl_fail "alpha's signer still reported up"
fl_metrics_has 'tzsigner_forwarder_box_tunnel_up{box="alpha",port="7001"} 1' || fl_fail "alpha's tunnel reported down"
[ "$(fl_in curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$FL_METRICS_PORT/ready/alpha)" = 503 ] ||
	fl_fail "/ready/alpha is not 503"

fl_log "SIGTERM stops the forwarder and its sshd children"
children=$(pgrep -P "$FL_FWD_PID" | tr '\n' ' ')
[ -n "$children" ] || fl_fail "no sshd children"
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero after SIGTERM"
for c in $children; do
	fl_wait 5 bash -c "! kill -0 $c 2>/dev/null" || fl_fail "sshd child $c survived"
done
fl_sanitizer_check "$FL_TMP/forwarder.log"
grep -q 'event=stopped' "$FL_TMP/forwarder.log" || fl_fail "no event=stopped"
fl_log "ok"
