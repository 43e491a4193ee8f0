#!/usr/bin/env bash
# health_dispatcher.sh - the NetworkManager dispatcher script
# (deploy/networkmanager/dispatcher.d/90-tzsigner-uplink) in a network
# namespace of our own with two uplinks, eth0 (metric 100) and wwan0
# (metric 700), both default routes, as the NetworkManager profiles make
# them. NetworkManager's calls are replayed by hand; `systemctl` is a
# stand-in that records what it is asked. Shows:
#   - the first event only records the uplink (nothing to reconnect from);
#   - events that leave the route where it is do nothing;
#   - the main line going down (route to wwan0) reloads the tunnel
#     (SIGHUP) once, and its return reloads it again;
#   - no route at all: no reload (the tunnel retries on its own);
#   - a tunnel that is not running is not reloaded;
#   - endpoints given as a name, [v6]:port, or absent.
set -uo pipefail
. "$(dirname "$0")/health_lib.sh"
hl_init
[ "$(id -u)" -eq 0 ] || hl_fail "needs root for ip netns"

ns=tzs-hdisp-$$
ip netns add "$ns" || hl_fail "ip netns add"
hl_cleanup "ip netns del $ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up
nsx ip link add eth0 type veth peer name eth0p
nsx ip link add wwan0 type veth peer name wwan0p
nsx ip addr add 10.72.1.2/24 dev eth0
nsx ip addr add 10.72.2.2/24 dev wwan0
for d in eth0p wwan0p eth0 wwan0; do nsx ip link set "$d" up; done
nsx ip route add default via 10.72.1.1 dev eth0 metric 100
nsx ip route add default via 10.72.2.1 dev wwan0 metric 700

script=$HL_REPO/deploy/networkmanager/dispatcher.d/90-tzsigner-uplink
[ -x "$script" ] || hl_fail "$script is not executable"
bin=$HL_TMP/bin
mkdir "$bin"
calls=$HL_TMP/systemctl.calls
cat >"$bin/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$calls"
case "\$*" in
*is-active*) [ -e "$HL_TMP/active" ] && exit 0 || exit 3 ;;
esac
exit 0
EOF
chmod +x "$bin/systemctl"
touch "$HL_TMP/active"
cat >"$HL_TMP/tunnel.conf" <<'EOF'
# the tunnel's settings
endpoint = 203.0.113.10:22
remote-port = 7001
EOF
export TZSIGNER_TUNNEL_CONF=$HL_TMP/tunnel.conf TZSIGNER_UPLINK_STATE=$HL_TMP/uplink/last
: >"$calls"

event() { # IFACE ACTION → runs the script as NetworkManager would, in the namespace
	nsx env PATH="$bin:$PATH" "$script" "$1" "$2" >>"$HL_TMP/dispatch.log" 2>&1 || hl_fail "the script failed: $1 $2"
}
reloads() { grep -c 'reload tzsigner-tunnel.service' "$calls"; }
expect_reloads() { [ "$(reloads)" = "$1" ] || hl_fail "$2: $(reloads) reloads, expected $1; calls: $(cat "$calls"); log: $(cat "$HL_TMP/dispatch.log")"; }

event eth0 up
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = eth0 ] || hl_fail "the first event did not record eth0"
expect_reloads 0 "first event"
event wwan0 up
event eth0 dhcp4-change
event eth0 hostname # not an action that can move a route
expect_reloads 0 "events that leave the route on eth0"

nsx ip link set eth0 down
event eth0 down
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = wwan0 ] || hl_fail "the uplink is not recorded as wwan0"
expect_reloads 1 "main line down"
grep -q -- '--no-block reload tzsigner-tunnel.service' "$calls" || hl_fail "not a non-blocking reload: $(cat "$calls")"
event wwan0 connectivity-change
expect_reloads 1 "a second event on 4G"

nsx ip link set eth0 up
nsx ip route replace default via 10.72.1.1 dev eth0 metric 100
event eth0 up
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = eth0 ] || hl_fail "back on eth0 not recorded"
expect_reloads 2 "main line back"
hl_log "uplink eth0 → wwan0 → eth0: two reloads, none for the events in between"

nsx ip route del default via 10.72.2.1 dev wwan0
nsx ip link set eth0 down
event eth0 down
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = "" ] || hl_fail "no route: recorded '$(cat "$TZSIGNER_UPLINK_STATE")'"
expect_reloads 2 "no route"

rm -f "$HL_TMP/active"
nsx ip link set eth0 up
nsx ip route replace default via 10.72.1.1 dev eth0 metric 100
event eth0 up
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = eth0 ] || hl_fail "eth0 after no route"
expect_reloads 2 "the tunnel is not running"
grep -q 'is-active --quiet tzsigner-tunnel.service' "$calls" || hl_fail "is-active was not asked"
hl_log "no route: no reload; a stopped tunnel is not reloaded"

# endpoint forms
touch "$HL_TMP/active"
printf 'endpoint = [2001:db8::10]:22\n' >"$TZSIGNER_TUNNEL_CONF"
nsx ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad
nsx ip -6 route add default via 2001:db8:1::1 dev eth0
rm -f "$TZSIGNER_UPLINK_STATE"
event eth0 up
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = eth0 ] || hl_fail "IPv6 endpoint: '$(cat "$TZSIGNER_UPLINK_STATE")'"
printf 'endpoint = localhost\n' >"$TZSIGNER_TUNNEL_CONF"
event eth0 up
[ "$(cat "$TZSIGNER_UPLINK_STATE")" = lo ] || hl_fail "a host name (localhost): '$(cat "$TZSIGNER_UPLINK_STATE")'"
expect_reloads 3 "the endpoint moved to lo"
printf '# endpoint = 203.0.113.10\n' >"$TZSIGNER_TUNNEL_CONF"
event eth0 down
expect_reloads 3 "no endpoint configured"
rm -f "$TZSIGNER_TUNNEL_CONF"
event eth0 down
hl_log "endpoints [v6]:port, a name, commented out, missing: handled"
hl_log "ok"
