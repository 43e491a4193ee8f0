#!/usr/bin/env bash
# forwarder_bind.sh - `--forward-bind signer` (what the Kubernetes pod runs),
# proved against the real sshd -i the forwarder runs: a box's P listens on
# every address (where a Service reaches the pod) and its P + 1000 (the box's
# own sshd) only on the loopback, whatever the box asks for:
#   - the box asks for 0.0.0.0:P and P+1000 (as `tzsigner tunnel` with
#     remote-bind 0.0.0.0 does): ss shows 0.0.0.0:P and 127.0.0.1:P+1000;
#   - P answers on a non-loopback address of the namespace;
#   - asking for 0.0.0.0:P+1000, or for P on the loopback only, is refused.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

fl_keypair hostkey
fl_keypair alpha
fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")"
fl_known_hosts
fl_signer alpha 16001
# an address of the namespace that is not loopback: what a Service would target
fl_in ip addr add 10.99.0.2/32 dev lo || fl_fail "ip addr add 10.99.0.2 in the namespace"
fl_forwarder_start --forward-bind signer
grep -qx 'GatewayPorts clientspecified' "$FL_TMP/out/sshd_config" || fl_fail "sshd_config: GatewayPorts"

fl_log "the box asks for 0.0.0.0:7001 and 8001"
fl_ssh alpha -N -R 0.0.0.0:7001:127.0.0.1:16001 -R 8001:127.0.0.1:22 "$FL_TARGET" >"$FL_TMP/box.log" 2>&1 &
FL_PIDS+=($!)
fl_wait 20 fl_answers 7001 || fl_fail "alpha's tunnel did not come up: $(cat "$FL_TMP/box.log")"
listeners=$(fl_in ss -Hltn | awk '{ print $4 }')
grep -qx '0.0.0.0:7001' <<<"$listeners" || fl_fail "P is not on every address: $listeners"
grep -qx '127.0.0.1:8001' <<<"$listeners" || fl_fail "P+1000 is not on the loopback: $listeners"
# ("localhost": sshd binds both loopbacks, 127.0.0.1 and ::1)
grep -E ':8001$' <<<"$listeners" | grep -qvxE '127\.0\.0\.1:8001|\[::1\]:8001' &&
	fl_fail "P+1000 listens beyond the loopback: $listeners"
fl_in curl -s -f -o /dev/null -m 2 "http://10.99.0.2:7001/authorized_keys" || fl_fail "P does not answer on the pod address"
if fl_in bash -c 'exec 3<>/dev/tcp/10.99.0.2/8001' 2>/dev/null; then
	fl_fail "P+1000 answers on the pod address"
fi
fl_sign alpha 7001 || fl_fail "alpha cannot sign"

fl_log "asking for P+1000 on every address, or P on the loopback only, is refused"
for spec in 0.0.0.0:8001:127.0.0.1:22 10.99.0.2:8001:127.0.0.1:22 7001:127.0.0.1:16001 127.0.0.1:7001:127.0.0.1:16001; do
	out=$(fl_ssh alpha -N -R "$spec" "$FL_TARGET" 2>&1) && fl_fail "alpha -R $spec was accepted"
	grep -q 'remote port forwarding failed' <<<"$out" || fl_fail "alpha -R $spec: $out"
done
fl_verify_all
fl_forwarder_stop TERM || fl_fail "forwarder exited non-zero"
fl_sanitizer_check "$FL_TMP/forwarder.log"
fl_log "ok"
