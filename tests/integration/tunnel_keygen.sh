#!/usr/bin/env bash
# tunnel_keygen.sh - `tzsigner tunnel keygen` without --identity (issue #11):
# as a system user like the box's tzsigner-tunnel (home = its state
# directory), it creates id_ed25519 in that home, owned by that user, mode
# 0600, and prints the box's line with the public key ssh-keygen derives from
# the file; a second run keeps the key. Run as root (it adds a user).
set -uo pipefail
. "$(dirname "$0")/common.sh"
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "run as root (it creates a system user)"
[ -x "$TZSIGNER" ] || fail "$TZSIGNER is missing (make build/asan/tzsigner)"
user=tzs-kg-$$
home=/var/lib/$user
tmp=$(mktemp -d)
cleanup() {
	userdel "$user" 2>/dev/null
	rm -rf "$home" "$tmp"
}
trap cleanup EXIT
useradd --system --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$user" || fail "useradd $user"
install -d -o "$user" -g "$user" -m 0700 "$home"
chmod 755 "$tmp"
# The binary may sit where that user cannot reach it (a clone under /root):
# a copy it can run.
install -m 0755 "$TZSIGNER" "$tmp/tzsigner"
as_user() { setpriv --reuid="$user" --regid="$user" --init-groups env HOME=/nonexistent "$@"; }

as_user "$tmp/tzsigner" tunnel keygen --name kgbox --remote-port 7001 >"$tmp/out" 2>"$tmp/err" ||
	fail "keygen without --identity: $(cat "$tmp/err")"
key=$home/id_ed25519
[ -f "$key" ] || fail "no $key; stderr: $(cat "$tmp/err")"
[ "$(stat -c '%U %a' "$key")" = "$user 600" ] || fail "$key is $(stat -c '%U %a' "$key"), expected $user 600"
grep -q "identity $key " "$tmp/err" || fail "keygen does not say which identity it used: $(cat "$tmp/err")"
pub=$(ssh-keygen -y -f "$key" | awk '{ print $1 " " $2 }')
[ "$(cat "$tmp/out")" = "kgbox 7001 $pub" ] || fail "printed '$(cat "$tmp/out")', expected 'kgbox 7001 $pub'"
echo "ok: keygen without --identity made $key for $user"

sum=$(sha256sum <"$key")
as_user "$tmp/tzsigner" tunnel keygen --name kgbox --remote-port 7001 >"$tmp/out2" 2>"$tmp/err2" || fail "second keygen: $(cat "$tmp/err2")"
[ "$(sha256sum <"$key")" = "$sum" ] || fail "the second keygen replaced the key"
grep -q "exists; keeping it" "$tmp/err2" || fail "second keygen: $(cat "$tmp/err2")"
cmp -s "$tmp/out" "$tmp/out2" || fail "second keygen printed another line"
echo "ok: a second keygen keeps the key"

grep -q 'keygen.s default' <<<"$("$TZSIGNER" tunnel --help)" || fail "tunnel --help does not give keygen's default identity"
echo "ok: tunnel --help names the default"
