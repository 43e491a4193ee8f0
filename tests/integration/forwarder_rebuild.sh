#!/usr/bin/env bash
# forwarder_rebuild.sh - the endpoint destroyed and rebuilt, with real
# tunnels (`tzsigner tunnel`) as the boxes:
#   - two boxes connect through one endpoint and sign through their ports;
#   - the forwarder is killed with SIGKILL (its sshd children go with it),
#     its rendered files are deleted, and a new forwarder process renders
#     them from scratch from the same signers file and host key: both
#     tunnels reconnect on their own (the same processes, no change on the
#     box side) and signing resumes;
#   - SIGHUP after removing a box from the signers file ends that box's
#     session and refuses it; putting it back lets it in again.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_keypair beta
cp "$FL_TMP/hostkey.pub" "$FL_TMP/endpoint.pub"
line_alpha="alpha 7001 $(cat "$FL_TMP/alpha.pub")"
line_beta="beta 7002 $(cat "$FL_TMP/beta.pub")"
fl_signers "$line_alpha" "$line_beta"

fl_signer alpha 16001
fl_signer beta 16002
fl_forwarder_start

declare -A TUNNEL_PID
# tunnel NAME PORT SIGNER_PORT: `tzsigner tunnel` as a box runs it.
tunnel() {
	local name=$1 port=$2 sport=$3
	mkdir -p "$FL_TMP/run-$name"
	chmod 700 "$FL_TMP/run-$name"
	ip netns exec "$FL_NS" "$TZSIGNER" tunnel --endpoint 127.0.0.1:$FL_SSH_PORT --user "$(id -un)" \
		--identity "$FL_TMP/$name" --host-key "$FL_TMP/endpoint.pub" --remote-port "$port" \
		--signer "127.0.0.1:$sport" --ssh 127.0.0.1:22 --state "$FL_TMP/tunnel-$name.json" \
		--run-dir "$FL_TMP/run-$name" --backoff-min 200 --backoff-max 1000 --refused-retry 1 \
		--alive-interval 2 --alive-count 2 >"$FL_TMP/tunnel-$name.log" 2>&1 &
	TUNNEL_PID[$name]=$!
	FL_PIDS+=($!)
}
state_is() { grep -q "\"state\":\"$2\"" "$FL_TMP/tunnel-$1.json" 2>/dev/null; }
up_count() { grep -c 'event=tunnel_up' "$FL_TMP/tunnel-$1.log"; }

fl_log "two real tunnels connect"
tunnel alpha 7001 16001
tunnel beta 7002 16002
fl_wait 30 state_is alpha up || fl_fail "alpha's tunnel did not come up: $(tail -5 "$FL_TMP/tunnel-alpha.log")"
fl_wait 30 state_is beta up || fl_fail "beta's tunnel did not come up: $(tail -5 "$FL_TMP/tunnel-beta.log")"
for i in 1 2; do
	fl_sign alpha 7001 || fl_fail "alpha could not sign through its tunnel"
	fl_sign beta 7002 || fl_fail "beta could not sign through its tunnel"
done
fl_wait 10 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="beta",port="7002"} 1' ||
	fl_fail "the exporter does not see beta's signer"
ups_alpha=$(up_count alpha)
ups_beta=$(up_count beta)

fl_log "the endpoint is destroyed: SIGKILL, and its files are deleted"
children=$(pgrep -P "$FL_FWD_PID" | tr '\n' ' ')
fl_forwarder_stop KILL
for c in $children; do
	fl_wait 5 bash -c "! kill -0 $c 2>/dev/null" || fl_fail "sshd child $c outlived the forwarder"
done
rm -rf "$FL_TMP/out"
fl_wait 20 state_is alpha down || fl_fail "alpha's tunnel did not notice"
fl_sign alpha 7001 2>/dev/null && fl_fail "alpha signed with no endpoint"

fl_log "a new endpoint, rendered from scratch from the same signers file and host key"
fl_forwarder_start
fl_wait 30 bash -c "[ \$(grep -c event=tunnel_up '$FL_TMP/tunnel-alpha.log') -gt $ups_alpha ]" ||
	fl_fail "alpha did not reconnect: $(tail -5 "$FL_TMP/tunnel-alpha.log")"
fl_wait 30 bash -c "[ \$(grep -c event=tunnel_up '$FL_TMP/tunnel-beta.log') -gt $ups_beta ]" ||
	fl_fail "beta did not reconnect: $(tail -5 "$FL_TMP/tunnel-beta.log")"
for name in alpha beta; do
	kill -0 "${TUNNEL_PID[$name]}" 2>/dev/null || fl_fail "$name's tunnel process is gone: it must reconnect by itself"
done
grep -q 'mismatch\|REMOTE HOST IDENTIFICATION' "$FL_TMP"/tunnel-*.log && fl_fail "a box saw a host key change"
fl_sign alpha 7001 || fl_fail "alpha does not sign after the rebuild"
fl_sign beta 7002 || fl_fail "beta does not sign after the rebuild"
fl_verify_all

fl_log "SIGHUP without beta: its session ends and it is refused; alpha is untouched"
fl_signers "$line_alpha"
mark=$(wc -l <"$FL_TMP/tunnel-beta.log")
kill -HUP "$FL_FWD_PID"
fl_wait 10 grep -q 'event=reloaded boxes=1' "$FL_TMP/forwarder.log" || fl_fail "no reload"
fl_wait 20 state_is beta down || fl_fail "beta's session survived its removal"
fl_sign beta 7002 2>/dev/null && fl_fail "beta signed after its removal"
fl_sign alpha 7001 || fl_fail "alpha stopped signing at the reload"
refused_since() { tail -n +"$((mark + 1))" "$FL_TMP/tunnel-beta.log" | grep -q 'Permission denied (publickey)'; }
fl_wait 20 refused_since || fl_fail "beta's key was not refused: $(tail -5 "$FL_TMP/tunnel-beta.log")"

fl_log "SIGHUP with beta back: it gets in again by itself"
fl_signers "$line_alpha" "$line_beta"
kill -HUP "$FL_FWD_PID"
fl_wait 30 state_is beta up || fl_fail "beta did not come back: $(tail -5 "$FL_TMP/tunnel-beta.log")"
fl_sign beta 7002 || fl_fail "beta does not sign after coming back"
fl_verify_all

fl_forwarder_stop TERM || fl_fail "the forwarder exited non-zero after SIGTERM"
fl_sanitizer_check "$FL_TMP/forwarder.log" "$FL_TMP"/tunnel-*.log
fl_log "ok"
