/* sup_uplink.c - the route the tunnel's connection takes (uplink.h) and
 * what its changes mean. While connected: when the route to the endpoint
 * moves to another interface or source address (follow-uplink), ssh is
 * restarted over it. While waiting after a network failure: a route that
 * appeared or changed since the failure means retrying now rather than
 * when the backoff ends. Netlink events are debounced. */
#include "sup.h"

#include <stdio.h>
#include <string.h>

#include "../base/clock.h"

#define NETLINK_DEBOUNCE_MS 300
#define EARLY_RETRY_MIN_GAP_MS 1000

void tunnel_note_connection(struct sup *s)
{
	snprintf(s->st.local, sizeof(s->st.local), "%s", s->att.local);
	snprintf(s->st.peer, sizeof(s->st.peer), "%s", s->att.peer);
	if (!uplink_addr_of(s->att.peer, s->peer_ip, sizeof(s->peer_ip)) ||
	    !uplink_addr_of(s->att.local, s->local_ip, sizeof(s->local_ip)))
		return;
	struct err e = { 0 };
	s->have_conn_route = uplink_route_get(s->peer_ip, s->local_ip, &s->conn_route, &e);
	if (s->have_conn_route) {
		snprintf(s->st.uplink, sizeof(s->st.uplink), "%s", s->conn_route.ifname);
	} else {
		char m[ERR_MSG_MAX + 8];
		log_warn("event=uplink_unknown msg=%s", log_str(m, sizeof(m), e.msg));
	}
	log_info("event=connected local=%s peer=%s uplink=%s", s->att.local, s->att.peer,
		 s->st.uplink[0] ? s->st.uplink : "-");
}

void tunnel_remember_fail_route(struct sup *s)
{
	s->have_fail_route = false;
	if (s->peer_ip[0]) {
		struct err e = { 0 };
		s->have_fail_route = uplink_route_get(s->peer_ip, NULL, &s->fail_route, &e);
	}
}

static bool same_route(const struct route_info *a, const struct route_info *b)
{
	if (a->oif != b->oif)
		return false;
	if (a->has_prefsrc != b->has_prefsrc)
		return false;
	return !a->has_prefsrc || strcmp(a->prefsrc, b->prefsrc) == 0;
}

static bool network_error(enum tunnel_error err)
{
	return err == TERR_UNREACHABLE || err == TERR_TIMEOUT || err == TERR_DISCONNECTED ||
	       err == TERR_SSH_FAILED || err == TERR_PROBE_FAILED;
}

static void uplink_check(struct sup *s)
{
	struct route_info now_route;
	struct err e = { 0 };
	uint64_t now = now_mono_ms();
	if (s->phase != PH_WAIT) {
		if (!s->cfg->follow_uplink || !s->have_conn_route || !s->peer_ip[0] || s->killing)
			return;
		if (!uplink_route_get(s->peer_ip, NULL, &now_route, &e))
			return; /* no route at all: let the keepalives decide */
		bool moved = now_route.oif != s->conn_route.oif ||
			     (now_route.has_prefsrc && strcmp(now_route.prefsrc, s->local_ip) != 0);
		if (!moved)
			return;
		char msg[300];
		snprintf(msg, sizeof(msg),
			 "the route to %s moved from %s (source %s) to %s (source %s): reconnecting over it",
			 s->peer_ip, s->conn_route.ifname, s->local_ip, now_route.ifname,
			 now_route.has_prefsrc ? now_route.prefsrc : "?");
		log_info("event=uplink_changed from=%s to=%s peer=%s", s->conn_route.ifname,
			 now_route.ifname, s->peer_ip);
		tunnel_kill_ssh(s, TERR_UPLINK_CHANGED, msg);
		return;
	}
	/* Waiting: a network change may make the endpoint reachable now. */
	if (s->stopping || !network_error(s->last_err) || now >= s->next_attempt_at ||
	    now < s->attempt_started + EARLY_RETRY_MIN_GAP_MS)
		return;
	bool worth = true;
	if (s->peer_ip[0]) {
		bool have = uplink_route_get(s->peer_ip, NULL, &now_route, &e);
		worth = have && (!s->have_fail_route || !same_route(&now_route, &s->fail_route));
		if (worth)
			log_info("event=network_changed route_to=%s via=%s msg=\"retrying now\"",
				 s->peer_ip, now_route.ifname);
	} else {
		log_info("event=network_changed msg=\"retrying now\"");
	}
	if (worth) {
		s->next_attempt_at = now;
		s->st.next_attempt_ms = now_wall_ms();
	}
}

void tunnel_uplink_event(struct sup *s)
{
	if (uplink_monitor_drain(s->nlfd) && !s->nl_check_at)
		s->nl_check_at = now_mono_ms() + NETLINK_DEBOUNCE_MS;
}

void tunnel_uplink_timer(struct sup *s, uint64_t now)
{
	if (s->nl_check_at && now >= s->nl_check_at) {
		s->nl_check_at = 0;
		uplink_check(s);
	}
}
