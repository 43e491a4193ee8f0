#!/usr/bin/env bash
# deb_packages.sh - `make deb`'s packages hold what a box and a cloud endpoint
# need, with the paths of a package, and lintian has nothing to say:
#   - tzsigner: /usr/bin/tzsigner (it runs), the two units naming it, the
#     sysusers.d file (parsed by systemd-sysusers in a scratch root), the udev
#     rules, the tmpfiles.d file of its state directories, NetworkManager
#     files, conffiles without install-box placeholders,
#     /etc/tzsigner/passphrases;
#   - tzsigner-forwarder: its own copy of the binary behind
#     /usr/bin/tzsigner-forwarder (it runs), its unit, the login account.
# Installing them with apt into a fresh root is `make test-fresh`'s part.
set -uo pipefail
. "$(dirname "$0")/common.sh"
repo=$IT_REPO
tmp=$(mktemp -d /tmp/tzs-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$repo/scripts/make-deb" "$tmp/out" >"$tmp/make-deb.log" 2>&1 || fail "make-deb: $(tail -20 "$tmp/make-deb.log")"
box=$(ls "$tmp"/out/tzsigner_*_*.deb) && fwd=$(ls "$tmp"/out/tzsigner-forwarder_*_*.deb) || fail "no .deb"
if grep -E '^[EWIXP]: ' "$tmp/out/lintian.txt"; then fail "lintian has tags"; fi

dpkg-deb -c "$box" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/box.list"
for f in /usr/bin/tzsigner /lib/systemd/system/tzsigner-serve.service /lib/systemd/system/tzsigner-tunnel.service \
	/usr/lib/sysusers.d/tzsigner.conf /usr/lib/tmpfiles.d/tzsigner.conf /lib/udev/rules.d/70-tzsigner-ledger.rules \
	/usr/lib/NetworkManager/conf.d/90-tzsigner-connectivity.conf \
	/usr/lib/NetworkManager/dispatcher.d/90-tzsigner-uplink /etc/tzsigner/serve.env /etc/tzsigner/tunnel.conf \
	/etc/tzsigner/passphrases/ /usr/share/man/man1/tzsigner.1.gz; do
	grep -qx "$f" "$tmp/box.list" || fail "tzsigner lacks $f"
done
[ "$(dpkg-deb -f "$box" Package)" = tzsigner ] || fail "package name"
dpkg-deb -I "$box" conffiles | grep -qx /etc/tzsigner/serve.env || fail "serve.env is not a conffile"

mkdir "$tmp/root"
dpkg-deb -x "$box" "$tmp/root"
"$tmp/root/usr/bin/tzsigner" version | grep -qx "tzsigner $(dpkg-deb -f "$box" Version)" || fail "the packaged binary"
grep -q 'status port' <<<"$("$tmp/root/usr/bin/tzsigner" status --help)" || fail "tzsigner status --help"
for u in serve tunnel; do
	grep -q '^ExecStart=/usr/bin/tzsigner ' "$tmp/root/lib/systemd/system/tzsigner-$u.service" ||
		fail "tzsigner-$u.service does not start /usr/bin/tzsigner"
	if grep -q '/usr/local' "$tmp/root/lib/systemd/system/tzsigner-$u.service"; then fail "tzsigner-$u.service names /usr/local"; fi
done
grep -q '^LoadCredential=passphrase:/etc/tzsigner/passphrases$' "$tmp/root/lib/systemd/system/tzsigner-serve.service" ||
	fail "no passphrase credentials in tzsigner-serve.service"
if grep -q '@[A-Z]*@' "$tmp/root/etc/tzsigner/serve.env" "$tmp/root/etc/tzsigner/tunnel.conf"; then
	fail "install-box placeholders left in the conffiles"
fi
grep -q -- '--status-port 6733' "$tmp/root/etc/tzsigner/serve.env" || fail "serve.env: status port"
grep -q -- '"-A -a 127.0.0.1' "$tmp/root/etc/tzsigner/serve.env" || fail "serve.env: request authentication (-A) is not the package's default"
mkdir -p "$tmp/root/etc"
touch "$tmp/root/etc/passwd" "$tmp/root/etc/group"
systemd-sysusers --root="$tmp/root" "$tmp/root/usr/lib/sysusers.d/tzsigner.conf" >"$tmp/sysusers.log" 2>&1 ||
	fail "systemd-sysusers: $(cat "$tmp/sysusers.log")"
grep -q '^tzsigner:' "$tmp/root/etc/passwd" && grep -q '^tzsigner-tunnel:' "$tmp/root/etc/passwd" ||
	fail "sysusers did not create tzsigner and tzsigner-tunnel: $(cat "$tmp/root/etc/passwd")"

dpkg-deb -c "$fwd" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/fwd.list"
for f in /usr/bin/tzsigner-forwarder /usr/lib/tzsigner-forwarder/tzsigner /lib/systemd/system/tzsigner-forwarder.service \
	/usr/lib/sysusers.d/tzsigner-forwarder.conf /etc/default/tzsigner-forwarder; do
	grep -qx "$f" "$tmp/fwd.list" || fail "tzsigner-forwarder lacks $f"
done
if grep -qx /usr/bin/tzsigner "$tmp/fwd.list"; then fail "both packages ship /usr/bin/tzsigner"; fi
mkdir "$tmp/froot"
dpkg-deb -x "$fwd" "$tmp/froot"
# (captured first: with pipefail, grep -q leaving early would fail the pipe with SIGPIPE)
help=$("$tmp/froot/usr/lib/tzsigner-forwarder/tzsigner" forwarder --help) || fail "forwarder --help exits non-zero"
grep -q 'forwarder status' <<<"$help" || fail "forwarder --help does not show forwarder status: $help"
grep -q -- '--user tzsigner' "$tmp/froot/lib/systemd/system/tzsigner-forwarder.service" || fail "the unit's login account"
echo "packages: $(basename "$box") $(basename "$fwd"); lintian: $(grep -cE '^[EWIXP]: ' "$tmp/out/lintian.txt") tags"
echo ok
