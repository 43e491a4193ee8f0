#!/usr/bin/env bash
# fresh_state.sh - no step may depend on state an earlier run left behind
# (issue #11: a green run hid that the forwarder made /run/sshd only after
# the `sshd -t` that needs it). Deletes what a run may leave, then runs again:
#   - /run/sshd gone, and a fresh login account for the forwarder whose
#     output directory does not exist: `forwarder render --check` makes
#     both and sshd -t accepts the result;
#   - that account deleted, the output directory and /run/sshd too: render
#     --check refuses, naming the missing account and how to create it;
#     recreated, it passes again;
#   - /run/sshd and every demo directory gone: the README's `make demo`
#     passes (it runs the real sshd through `tzsigner forwarder run`).
# Root only (it adds and deletes an account and deletes /run/sshd): run it
# under `flock /tmp/tz-int.lock` when other tests share the machine.
set -uo pipefail
. "$(dirname "$0")/common.sh"
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
log() { echo "fresh_state: $*"; }
[ "$(id -u)" -eq 0 ] || fail "run as root (it adds an account and deletes /run/sshd)"
[ -x "$TZSIGNER" ] || fail "$TZSIGNER is missing (make build/asan/tzsigner)"
user=tzs-fresh-$$
tmp=$(mktemp -d /run/tzs-fresh_state.XXXXXX) || fail "mktemp under /run"
chmod 755 "$tmp"
cleanup() {
	userdel "$user" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N '' -C host -f "$tmp/hostkey" || fail "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C box -f "$tmp/box" || fail "ssh-keygen"
echo "box 7001 $(cat "$tmp/box.pub")" >"$tmp/signers"
add_user() {
	useradd --system --home-dir "$tmp/home" --no-create-home --shell /usr/sbin/nologin "$user" ||
		fail "useradd $user"
	usermod -p '*' "$user"
}
render() {
	"$TZSIGNER" forwarder render --signers "$tmp/signers" --host-key "$tmp/hostkey" --out "$tmp/out" \
		--user "$user" --check >"$tmp/render.log" 2>&1
}

rm -rf /run/sshd
add_user
render || fail "render --check without /run/sshd: $(cat "$tmp/render.log")"
grep -q '^sshd -t: OK' "$tmp/render.log" || fail "render --check did not run sshd -t: $(cat "$tmp/render.log")"
[ "$(stat -c '%F %U %a' /run/sshd)" = "directory root 755" ] ||
	fail "/run/sshd is '$(stat -c '%F %U %a' /run/sshd)', expected a root directory, mode 755"
log "render --check from nothing: /run/sshd and $tmp/out made, sshd -t OK"

userdel "$user" || fail "userdel $user"
rm -rf /run/sshd "$tmp/out"
render && fail "render --check succeeded for a deleted account: $(cat "$tmp/render.log")"
grep -q "login user '$user' does not exist.*useradd" "$tmp/render.log" ||
	fail "the refusal does not name the account and how to create it: $(cat "$tmp/render.log")"
log "a deleted account is refused by name: $(head -1 "$tmp/render.log")"
add_user
render || fail "render --check after recreating $user: $(cat "$tmp/render.log")"
log "recreated, render --check passes again"

# The demo makes its working directory afresh (mktemp) and deletes it; what
# it shares with earlier runs is /run/sshd, gone again here.
rm -rf /run/sshd
make -C "$IT_REPO" --no-print-directory demo >"$tmp/demo.log" 2>&1 ||
	fail "make demo from a clean state: $(tail -30 "$tmp/demo.log")"
log "make demo from a clean state: $(grep -c . "$tmp/demo.log") lines, last: $(tail -1 "$tmp/demo.log")"
