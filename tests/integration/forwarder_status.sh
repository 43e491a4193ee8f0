#!/usr/bin/env bash
# forwarder_status.sh - what an operator reads on the cloud side, against a
# real forwarder with a real tunnel: `tzsigner forwarder status` (text and
# --json) and the exporter's page loaded in Debian's chromium (headless),
# with one box up (alpha, a real `tzsigner tunnel`) and one never connected
# (beta). The screenshot is left in $TZ_TEST_LOGDIR for a person to look at.
# A login with the wrong account is logged by the forwarder as such.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_keypair beta
cp "$FL_TMP/hostkey.pub" "$FL_TMP/endpoint.pub"
fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")" "beta 7002 $(cat "$FL_TMP/beta.pub")"
fl_signer alpha 16001
fl_forwarder_start

mkdir -m 700 "$FL_TMP/run-alpha"
ip netns exec "$FL_NS" "$TZSIGNER" tunnel --endpoint 127.0.0.1:$FL_SSH_PORT --user "$(id -un)" \
	--identity "$FL_TMP/alpha" --host-key "$FL_TMP/endpoint.pub" --remote-port 7001 \
	--signer 127.0.0.1:16001 --ssh 127.0.0.1:22 --state "$FL_TMP/tunnel-alpha.json" \
	--run-dir "$FL_TMP/run-alpha" >"$FL_TMP/tunnel-alpha.log" 2>&1 &
FL_PIDS+=($!)
fl_wait 30 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="alpha",port="7001"} 1' ||
	fl_fail "alpha's signer is not seen through its tunnel: $(tail -5 "$FL_TMP/tunnel-alpha.log")"
fl_sign alpha 7001 || fl_fail "alpha could not sign through its tunnel"
sleep 2 # a few more checks for the chart

fl_log "a box knocking with the wrong account: the forwarder's log says which and what to do"
fl_known_hosts
fl_ssh beta -N nosuchaccount@127.0.0.1 >/dev/null 2>&1 && fl_fail "a login as nosuchaccount succeeded"
fl_wait 5 grep -q "event=login_refused reason=wrong_account user=nosuchaccount .*boxes log in as $(id -un) here" \
	"$FL_TMP/forwarder.log" || fl_fail "no login_refused line: $(grep -i nosuchaccount "$FL_TMP/forwarder.log")"

fl_log "tzsigner forwarder status: one line a box"
fl_in "$TZSIGNER" forwarder status --url 127.0.0.1:$FL_METRICS_PORT >"$FL_TMP/status.txt" 2>&1
rc=$?
cat "$FL_TMP/status.txt"
[ "$rc" = 1 ] || fl_fail "exit status $rc with beta down (expected 1)"
grep -q '1 of 2 signers answer' "$FL_TMP/status.txt" || fl_fail "no summary line"
grep -qE '^alpha +7001 +up +up +[0-9T:-]+Z +[0-9.]+ ms +1 +-$' "$FL_TMP/status.txt" || fl_fail "alpha's line"
grep -qE '^beta +7002 +(down|unknown) +(down|unknown) ' "$FL_TMP/status.txt" || fl_fail "beta's line"
fl_in "$TZSIGNER" forwarder status --url 127.0.0.1:$FL_METRICS_PORT --json >"$FL_TMP/status.json"
node -e '
	const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const a = j.boxes.find((b) => b.name === "alpha"), b = j.boxes.find((b) => b.name === "beta");
	if (!a || a.signer !== "up" || a.tunnel !== "up" || !(a.check_ms > 0)) throw new Error("alpha: " + JSON.stringify(a));
	if (!b || b.signer === "up") throw new Error("beta: " + JSON.stringify(b));
' "$FL_TMP/status.json" || fl_fail "--json: $(cat "$FL_TMP/status.json")"
fl_in "$TZSIGNER" forwarder status --url 127.0.0.1:1 >/dev/null 2>"$FL_TMP/nostatus.txt"
[ $? = 3 ] || fl_fail "no forwarder: exit status is not 3"
grep -q 'is 127.0.0.1:1 its --metrics' "$FL_TMP/nostatus.txt" || fl_fail "no forwarder: $(cat "$FL_TMP/nostatus.txt")"

fl_log "the page, in chromium"
chromium_run() {
	local profile
	profile=$(mktemp -d)
	fl_in timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --window-size=1280,800 "$@" 2>>"$FL_TMP/chromium.log"
	local rc=$?
	rm -rf "$profile"
	return $rc
}
chromium_run --dump-dom "http://127.0.0.1:$FL_METRICS_PORT/" >"$FL_TMP/page.html" || fl_fail "chromium: $(tail -3 "$FL_TMP/chromium.log")"
grep -q '<div id="summary" class="banner bad">1 of 2 signers answer through their tunnels</div>' "$FL_TMP/page.html" ||
	fl_fail "summary: $(head -c 2000 "$FL_TMP/page.html")"
grep -qE '<tr class="box" data-box="alpha"><td><b>alpha</b>.*<span class="yes">up</span></td><td><span class="yes">up</span>' "$FL_TMP/page.html" ||
	fl_fail "alpha's row"
grep -qE '<tr class="box" data-box="beta">.*<span class="no">(down|unknown)</span>' "$FL_TMP/page.html" || fl_fail "beta's row"
[ "$(grep -o '<svg ' "$FL_TMP/page.html" | wc -l)" = 2 ] || fl_fail "not one chart per box"
grep -q "<title>latency of alpha's signer through its tunnel</title>" "$FL_TMP/page.html" || fl_fail "alpha's chart"
if grep -qE '(src|href)="?(https?:)?//' "$FL_TMP/page.html"; then fl_fail "the page loads something from elsewhere"; fi
shots=${TZ_TEST_LOGDIR:-/tmp/tzsigner-test-artefacts}
mkdir -p "$shots"
chromium_run --screenshot="$shots/forwarder_page.png" "http://127.0.0.1:$FL_METRICS_PORT/" >/dev/null ||
	fl_fail "screenshot failed"
[ "$(stat -c %s "$shots/forwarder_page.png")" -gt 10000 ] || fl_fail "empty screenshot"
fl_log "screenshot: $shots/forwarder_page.png"
fl_verify_all
fl_log "ok"
