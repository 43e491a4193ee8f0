#!/usr/bin/env bash
# image_box.sh - run by scripts/test-fresh (stage image) in the network
# namespace of the forwarder's container (podman, run as the Deployment runs
# it), as root on the host: a box (tzsigner serve + tzsigner tunnel, the
# binary built on a fresh Debian 12) dials the endpoint, forwards its port and
# signs through it; a key not in the signers file, and the box's key asking
# for another box's port, are refused. Prints "ok …" / "FAIL …" lines.
#
#   image_box.sh TZSIGNER DIR   DIR holds box (the box's key), box.pub,
#                               stranger, host_key.pub
set -uo pipefail
bin=$1 dir=$2
. "$(dirname "$0")/lib.sh"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT

wait_for 30 sh -c 'curl -sf http://127.0.0.1:9732/readyz >/dev/null' && ok "the forwarder is ready (/readyz)" ||
	bad "the forwarder is not ready: $(curl -s http://127.0.0.1:9732/readyz)"

install -d -m 0700 "$dir/base" "$dir/run"
"$bin" keys gen baker --type tz1 -d "$dir/base" >"$dir/keygen.out" 2>"$dir/keygen.log" || bad "keys gen: $(cat "$dir/keygen.log")"
pkh=$(awk '$1 == "baker" { print $2 }' "$dir/keygen.out")
"$bin" serve -d "$dir/base" -a 127.0.0.1 -p 6732 2>"$dir/serve.log" &
pids+=($!)
"$bin" tunnel --endpoint 127.0.0.1:2222 --user tzsigner --identity "$dir/box" \
	--host-key "$(cut -d' ' -f1,2 "$dir/host_key.pub")" --remote-port 7001 --signer 127.0.0.1:6732 \
	--state "$dir/tunnel.json" --run-dir "$dir/run" 2>"$dir/tunnel.log" &
pids+=($!)
if wait_for 30 grep -q '"state":"up"' "$dir/tunnel.json"; then
	ok "the box's tunnel is up"
else
	bad "tunnel: $(cat "$dir/tunnel.json" 2>&1) $(tail -10 "$dir/tunnel.log")"
fi
code=$(sign_attestation http://127.0.0.1:7001 "$pkh" 100 "$dir/sign.out")
[ "$code" = 200 ] && grep -q '"signature":"edsig' "$dir/sign.out" &&
	ok "signed through the box's port 7001 on the forwarder" || bad "sign through 7001: $code $(cat "$dir/sign.out")"

ssh_to() {
	timeout 20 ssh -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$dir/known_hosts" -o HostKeyAlias=tzs-endpoint -o ExitOnForwardFailure=yes "$@"
}
echo "tzs-endpoint $(cat "$dir/host_key.pub")" >"$dir/known_hosts"
ssh_to -i "$dir/stranger" -N -R 7003:127.0.0.1:6732 tzsigner@127.0.0.1 >"$dir/stranger.log" 2>&1
rc=$?
[ $rc = 255 ] && grep -q 'Permission denied (publickey)' "$dir/stranger.log" &&
	ok "a key not in the signers file is refused" || bad "stranger: rc $rc $(cat "$dir/stranger.log")"
ssh_to -i "$dir/box" -N -R 7002:127.0.0.1:6732 tzsigner@127.0.0.1 >"$dir/other.log" 2>&1
rc=$?
[ $rc = 255 ] && grep -q 'remote port forwarding failed for listen port 7002' "$dir/other.log" &&
	ok "the box's key asking for another box's port (7002) is refused" || bad "other port: rc $rc $(cat "$dir/other.log")"
grep -qE 'AddressSanitizer|runtime error' "$dir/serve.log" "$dir/tunnel.log" && bad "sanitizer report"
exit 0
