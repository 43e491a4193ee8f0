#!/usr/bin/env bash
# forwarder_signers_change.sh - a change of the signers file takes effect in
# place, with no SIGHUP and no restart, proved against the real forwarder
# and sshd -i. The file sits in a directory laid out as Kubernetes mounts a
# ConfigMap (NAME -> ..data/NAME, ..data -> ..TIMESTAMP/, updated by
# renaming a new ..data link over the old one):
#   - box alpha signs in a loop all along (every ~50 ms);
#   - beta is added: the forwarder renders again (event=signers_changed), beta
#     logs in and signs;
#   - beta is removed: its session ends and its P stops answering;
#   - alpha was never disconnected (one login, its ssh never exited), no
#     signature of alpha failed, and the largest gap between two of its
#     signatures is printed (and must stay under 2 s).
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_keypair beta
fl_known_hosts
fl_signer alpha 16001
fl_signer beta 16002
ALPHA="alpha 7001 $(cat "$FL_TMP/alpha.pub")"
BETA="beta 7002 $(cat "$FL_TMP/beta.pub")"
CM=$FL_TMP/configmap
mkdir -p "$CM"
gen=0
# cm_write LINE...: a new ..TIMESTAMP directory and an atomic swap of ..data
cm_write() {
	gen=$((gen + 1))
	local d="..2026_12_04_00_00_0$gen"
	mkdir "$CM/$d"
	printf '%s\n' "$@" >"$CM/$d/signers"
	ln -s "$d" "$CM/..data_tmp"
	mv -T "$CM/..data_tmp" "$CM/..data"
	[ -L "$CM/signers" ] || ln -s ..data/signers "$CM/signers"
}
cm_write "$ALPHA"
ip netns exec "$FL_NS" "$TZSIGNER" forwarder run --signers "$CM/signers" \
	--host-key "$FL_TMP/hostkey" --out "$FL_TMP/out" --listen 127.0.0.1:$FL_SSH_PORT \
	--metrics 127.0.0.1:$FL_METRICS_PORT --probe-interval 1 --probe-timeout 2000 --user "$(id -un)" \
	>>"$FL_TMP/forwarder.log" 2>&1 &
FL_FWD_PID=$!
fl_wait 30 fl_metrics_has 'tzsigner_forwarder_ready 1' || fl_fail "the forwarder did not become ready"
fl_box_up alpha 7001 16001
fl_wait 20 fl_answers 7001 || fl_fail "alpha's tunnel did not come up"
fl_sign alpha 7001 || fl_fail "alpha cannot sign"

fl_log "alpha signs in a loop"
(
	level=$((FL_LEVEL + 100000))
	while [ ! -e "$FL_TMP/stop" ]; do
		level=$((level + 1))
		if fl_sign alpha 7001 "$level" 2>>"$FL_TMP/loop-errors.txt"; then
			echo "ok $(date +%s%3N)" >>"$FL_TMP/loop.txt"
		else
			echo "fail $(date +%s%3N)" >>"$FL_TMP/loop.txt"
		fi
		sleep 0.05
	done
) &
loop=$!
FL_PIDS+=($loop)
sleep 2

fl_log "beta is added to the file"
cm_write "$ALPHA" "$BETA"
fl_wait 10 grep -q 'event=reloaded boxes=2' "$FL_TMP/forwarder.log" || fl_fail "no reload after adding beta"
grep -q 'event=signers_changed' "$FL_TMP/forwarder.log" || fl_fail "no event=signers_changed"
fl_box_up beta 7002 16002
fl_wait 20 fl_answers 7002 || fl_fail "beta's tunnel did not come up"
fl_sign beta 7002 || fl_fail "beta cannot sign"
sleep 2

fl_log "beta is removed from the file"
cm_write "$ALPHA"
fl_wait 10 grep -q 'event=session_ended_by_reload box=beta' "$FL_TMP/forwarder.log" ||
	fl_fail "beta's session did not end"
fl_wait 10 bash -c "! ip netns exec $FL_NS curl -s -f -o /dev/null -m 1 http://127.0.0.1:7002/authorized_keys" ||
	fl_fail "beta still answers"
fl_box_down beta
sleep 2
touch "$FL_TMP/stop"
wait "$loop"

fails=$(grep -c '^fail' "$FL_TMP/loop.txt")
oks=$(grep -c '^ok' "$FL_TMP/loop.txt")
gap=$(awk '$1 == "ok" { if (prev) { d = $2 - prev; if (d > m) m = d } prev = $2 } END { print m + 0 }' "$FL_TMP/loop.txt")
fl_log "alpha: $oks signatures, $fails failures, largest gap $gap ms"
[ "$fails" -eq 0 ] || fl_fail "alpha failed to sign $fails times: $(head -5 "$FL_TMP/loop-errors.txt")"
[ "$oks" -gt 20 ] || fl_fail "too few signatures ($oks)"
[ "$gap" -lt 2000 ] || fl_fail "a gap of $gap ms between alpha's signatures"
[ "$(grep -c 'event=box_login box=alpha' "$FL_TMP/forwarder.log")" = 1 ] || fl_fail "alpha logged in again"
grep -q 'ssh exited' "$FL_TMP/box-alpha.log" && fl_fail "alpha's ssh was disconnected"
fl_box_down alpha
fl_verify_all
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero"
fl_sanitizer_check "$FL_TMP/forwarder.log"
fl_log "ok"
