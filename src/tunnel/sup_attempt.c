/* sup_attempt.c - one attempt's life and when the next one starts.
 *
 * Waiting → connecting (ssh started) → up (both forwards accepted, and the
 * probe through the tunnel answered when it is on) → waiting again when ssh
 * exits, for a delay that depends on why: none after a reconnect request
 * or an uplink change, the backoff's ceiling after a host key mismatch,
 * else the backoff (capped at refused-retry seconds after a refusal, and
 * for a port a stale session still holds). An
 * attempt that is not up by its deadline is killed; one that stays up for
 * the stable period resets the backoff. */
#include "sup.h"

#include <stdio.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boxssh.h"
#include "../base/clock.h"

#define STALE_RETRY_MAX_MS 3000   /* retry period while a stale session holds P */
#define FORWARDS_QUIET_MS 2000    /* after connect-timeout: see forwards_unconfirmed */

static uint32_t random_u32(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)now_mono_ms() * 2654435761U ^ (uint32_t)getpid();
	return r;
}

/* The wait after an attempt that ended with err; counts the failure. */
static uint32_t retry_delay_ms(struct sup *s, enum tunnel_error err)
{
	uint32_t delay;
	if (err == TERR_RECONNECT_REQUESTED || err == TERR_UPLINK_CHANGED) {
		delay = 0;
	} else {
		/* A refusal too: its cause is fixed on the other side (a key line
		 * added, an account created) and the box must notice within the
		 * backoff, not a fixed period later. refused-retry caps it. */
		delay = backoff_delay_ms(&s->bo, random_u32());
		/* A changed host key may be someone in the middle: not faster than
		 * the backoff's ceiling, so a rebuilt endpoint is back within it. */
		if (err == TERR_HOST_KEY_MISMATCH)
			delay = s->bo.max_ms - s->bo.max_ms / 10 + random_u32() % (s->bo.max_ms / 10 + 1);
		if (tunnel_error_is_refusal(err) && delay > 1000U * s->cfg->refused_retry_s)
			delay = 1000U * s->cfg->refused_retry_s;
		if (err == TERR_PORT_IN_USE && delay > STALE_RETRY_MAX_MS)
			delay = STALE_RETRY_MAX_MS / 2 + random_u32() % (STALE_RETRY_MAX_MS / 2 + 1);
		backoff_failed(&s->bo);
	}
	return delay;
}

static bool spawn_ssh(struct sup *s, struct err *e)
{
	if (!tunnel_ssh_child_start(s, e))
		return false;
	s->line_len = 0;
	attempt_reset(&s->att);
	s->have_conn_route = false;
	s->probe_fails = 0;
	tunnel_probes_close(s);
	uint64_t now = now_mono_ms();
	s->attempt_started = now;
	s->attempt_deadline = now + 2000U * s->cfg->connect_timeout_s + 5000U +
			      (s->probe_on ? 1000U * s->cfg->probe_timeout_s : 0);
	s->phase = PH_CONNECTING;
	s->st.attempts++;
	s->st.next_attempt_ms = 0;
	s->st.uplink[0] = s->st.local[0] = s->st.peer[0] = '\0';
	s->st.probe = s->probe_on ? "pending" : "off";
	tunnel_set_state(s, "connecting");
	log_info("event=ssh_started pid=%ld attempt=%u endpoint=%s", (long)s->ssh_pid,
		 s->st.attempts, s->endpoint);
	tunnel_publish(s);
	return true;
}

bool tunnel_spawn_timer(struct sup *s, uint64_t now)
{
	if (s->phase == PH_WAIT && !s->stopping && s->ssh_pid <= 0 && now >= s->next_attempt_at) {
		struct err se = { 0 };
		if (!spawn_ssh(s, &se)) {
			char m[ERR_MSG_MAX + 8];
			loop_log(LOG_ERROR, "event=spawn_failed msg=%s", log_str(m, sizeof(m), se.msg));
			snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", se.msg);
			s->st.error_kind = tunnel_error_name(TERR_SSH_FAILED);
			s->next_attempt_at = now + retry_delay_ms(s, TERR_SSH_FAILED);
			return false;
		}
	}
	return true;
}

uint64_t tunnel_forwards_quiet_at(const struct sup *s)
{
	return s->attempt_started + 1000U * s->cfg->connect_timeout_s + FORWARDS_QUIET_MS;
}

void tunnel_connecting_timers(struct sup *s, uint64_t now)
{
	if (s->phase == PH_CONNECTING && !s->killing && now >= s->attempt_deadline) {
		char msg[300];
		const char *where = !s->att.proxy_connected ? "the TCP connection"
				    : !s->att.authenticated  ? "the SSH handshake or authentication"
				    : s->att.forwards_ok < tunnel_forward_count(s->cfg) ? "the endpoint's answer to the forward requests"
							     : "the end-to-end probe";
		snprintf(msg, sizeof(msg), "no tunnel within %.1f s of starting ssh: stuck at %s",
			 (double)(s->attempt_deadline - s->attempt_started) / 1000.0, where);
		tunnel_kill_ssh(s, TERR_TIMEOUT, msg);
	}
	/* ssh said nothing about the forwards (its LogVerbose names functions
	 * of OpenSSH 9.x's source; another version may not print them): alive
	 * and quiet this long with ExitOnForwardFailure means they were
	 * accepted. */
	if (s->phase == PH_CONNECTING && !s->killing && s->att.proxy_connected &&
	    s->att.forwards_ok == 0 && !s->att.forward_failed_port && now >= tunnel_forwards_quiet_at(s)) {
		loop_log(LOG_WARN, "event=forwards_unconfirmed seconds=%.1f msg=\"ssh did not report the "
			 "remote forwards (an OpenSSH other than 9.x?); alive without an error, so taking "
			 "them as accepted\"", (double)(now - s->attempt_started) / 1000.0);
		s->att.forwards_ok = tunnel_forward_count(s->cfg);
		tunnel_forwards_accepted(s);
	}
}

void tunnel_stable_timer(struct sup *s, uint64_t now)
{
	if (s->phase == PH_UP && s->stable_at && now >= s->stable_at) {
		s->stable_at = 0;
		if (s->bo.failures) {
			loop_log(LOG_INFO, "event=stable seconds=%u msg=\"backoff reset\"",
				 s->cfg->stable_after_s);
			backoff_reset(&s->bo);
		}
	}
}

void tunnel_forwards_accepted(struct sup *s)
{
	if (s->probe_on)
		tunnel_probe_start(s);
	else
		tunnel_go_up(s);
}

/* ssh accepts the forward of P+1000 whatever its target: say when nothing
 * listens there (the endpoint's P+1000 then leads nowhere). Loopback in
 * practice: a refusal or a connection is immediate. */
static void check_box_ssh(struct sup *s)
{
	const struct host_port *t = &s->cfg->box_ssh;
	bool ok = tunnel_tcp_listens(t->host, t->port, 1000);
	s->st.box_ssh = ok ? "ok" : "not_listening";
	if (!ok)
		log_warn("event=box_ssh_not_listening target=%s:%u endpoint_port=%u msg=\"nothing listens on "
			 "the box's sshd target: the endpoint's port %u leads nowhere; start sshd on the box "
			 "or point --ssh at it\"",
			 t->host, (unsigned)t->port, s->cfg->remote_port + TUNNEL_PORT_OFFSET,
			 s->cfg->remote_port + TUNNEL_PORT_OFFSET);
}

void tunnel_go_up(struct sup *s)
{
	uint64_t now = now_mono_ms();
	s->phase = PH_UP;
	s->stable_at = now + 1000ULL * s->cfg->stable_after_s;
	if (s->ever_up)
		s->st.reconnects++;
	s->ever_up = true;
	s->st.up_since_ms = now_wall_ms();
	tunnel_set_state(s, "up");
	s->next_probe_at = now + 1000ULL * s->cfg->probe_interval_s;
	check_box_ssh(s);
	log_info("event=tunnel_up endpoint=%s remote_port=%u uplink=%s seconds_to_connect=%.3f",
		 s->endpoint, s->cfg->remote_port, s->st.uplink[0] ? s->st.uplink : "-",
		 (double)(now - s->attempt_started) / 1000.0);
	tunnel_publish(s);
}

void tunnel_ssh_exited(struct sup *s, int status)
{
	char msg[400];
	enum tunnel_error err;
	uint64_t now = now_mono_ms();
	bool was_up = s->phase == PH_UP;
	if (s->killing) {
		err = s->kill_reason;
		snprintf(msg, sizeof(msg), "%s", s->kill_msg);
	} else {
		err = attempt_classify(&s->att, s->endpoint, s->cfg->remote_port, msg, sizeof(msg));
	}
	log_info("event=ssh_exited pid=%ld status=%d signal=%d was_up=%s seconds=%.3f",
		 (long)s->ssh_pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		 WIFSIGNALED(status) ? WTERMSIG(status) : 0, was_up ? "yes" : "no",
		 (double)(now - s->attempt_started) / 1000.0);
	s->ssh_pid = 0;
	s->killing = false;
	s->phase = PH_WAIT;
	tunnel_probes_close(s);
	if (s->stopping) {
		tunnel_set_state(s, "stopped");
		return;
	}
	s->last_err = err;
	s->st.error_kind = tunnel_error_name(err);
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", msg);
	s->st.last_error_ms = now_wall_ms();

	uint32_t delay = retry_delay_ms(s, err);
	char m[sizeof(msg) + 16];
	if (err == TERR_HOST_KEY_MISMATCH)
		log_error("event=host_key_mismatch endpoint=%s alias=%s msg=%s", s->endpoint,
			  s->cfg->host_key_alias, log_str(m, sizeof(m), msg));
	log_emit(tunnel_error_is_refusal(err) ? LOG_ERROR
		 : (err == TERR_RECONNECT_REQUESTED || err == TERR_UPLINK_CHANGED) ? LOG_INFO
									      : LOG_WARN,
		 "ssh_exited",
		 "event=tunnel_down kind=%s retry_in_ms=%u msg=%s", tunnel_error_name(err), delay,
		 log_str(m, sizeof(m), msg));
	s->next_attempt_at = now + delay;
	s->st.next_attempt_ms = now_wall_ms() + delay;
	tunnel_remember_fail_route(s);
	tunnel_set_state(s, "down");
	tunnel_publish(s);
}
