#!/usr/bin/env bash
# forwarder_nonroot.sh - the container's way: the forwarder runs as an
# unprivileged user, so sshd -i runs without privilege separation's chroot
# and can log in only that user. Here that user is `daemon`, not `nobody`:
# nss-systemd reports nobody's password as "!*", a locked account, which
# sshd without PAM refuses. A box logs in as it,
# forwards its port and signs through it; the sshd processes run as that
# user; asking for another login user is refused with a message.
. "$(dirname "$0")/forwarder_lib.sh"
fl_init

user=daemon
group=$(id -gn "$user" 2>/dev/null) || fl_fail "no user $user"
fl_keypair hostkey
fl_keypair alpha
fl_signers "alpha 7001 $(cat "$FL_TMP/alpha.pub")"
fl_known_hosts
chown "$user:$group" "$FL_TMP/hostkey"
mkdir -m 755 "$FL_TMP/out"
chown "$user:$group" "$FL_TMP/out"
as_user() { setpriv --reuid="$user" --regid="$group" --clear-groups --inh-caps=-all "$@"; }

fl_log "asking for another login user than the one running is refused"
out=$(as_user "$TZSIGNER" forwarder render --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" \
	--out "$FL_TMP/out" --user root 2>&1) && fl_fail "render as $user with --user root succeeded"
grep -q "sshd can only log in the user it runs as" <<<"$out" || fl_fail "message: $out"

fl_log "the forwarder runs as $user"
fl_signer alpha 16001
ip netns exec "$FL_NS" setpriv --reuid="$user" --regid="$group" --clear-groups --inh-caps=-all \
	"$TZSIGNER" forwarder run --signers "$FL_TMP/signers" --host-key "$FL_TMP/hostkey" \
	--out "$FL_TMP/out" --listen 127.0.0.1:$FL_SSH_PORT --metrics 127.0.0.1:$FL_METRICS_PORT \
	--probe-interval 1 >>"$FL_TMP/forwarder.log" 2>&1 &
FL_FWD_PID=$!
fl_wait 30 fl_metrics_has 'tzsigner_forwarder_ready 1' || fl_fail "not ready: $(tail -5 "$FL_TMP/forwarder.log")"
grep -q "^AllowUsers $user\$" "$FL_TMP/out/sshd_config" || fl_fail "sshd_config does not allow $user"
[ "$(stat -c %U "$FL_TMP/out/ssh_host_ed25519_key")" = "$user" ] || fl_fail "host key copy not owned by $user"

fl_log "a box logs in as $user and signs through its port"
FL_TARGET="$user@127.0.0.1"
fl_ssh alpha -N -R 7001:127.0.0.1:16001 -R 8001:127.0.0.1:22 "$FL_TARGET" >"$FL_TMP/box-alpha.log" 2>&1 &
FL_PIDS+=($!)
fl_wait 20 fl_metrics_has 'tzsigner_forwarder_box_signer_up{box="alpha",port="7001"} 1' ||
	fl_fail "alpha is not up: $(tail -5 "$FL_TMP/box-alpha.log")"
fl_sign alpha 7001 || fl_fail "alpha could not sign"
fl_verify_all
owners=$(ps -o user= --ppid "$FL_FWD_PID" | sort -u | tr '\n' ' ')
[ "$owners" = "$user " ] || fl_fail "sshd children run as '$owners', not $user"
out=$(fl_ssh alpha -N -R 7002:127.0.0.1:16001 "$FL_TARGET" 2>&1) && fl_fail "alpha listened on 7002"

fl_forwarder_stop TERM || fl_fail "the forwarder exited non-zero after SIGTERM"
fl_sanitizer_check "$FL_TMP/forwarder.log"
fl_log "ok"
