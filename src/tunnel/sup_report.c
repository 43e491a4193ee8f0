/* sup_report.c - how the supervisor tells its state: the state log line,
 * the state file and systemd's notify protocol (STATUS=, WATCHDOG=1). */
#include "sup.h"

#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "../base/clock.h"

static void notify_status(struct sup *s)
{
	char buf[600];
	const struct tunnel_status *st = &s->st;
	if (!strcmp(st->state, "up"))
		snprintf(buf, sizeof(buf), "STATUS=up via %s to %s, %u reconnects%s%s",
			 st->uplink[0] ? st->uplink : "?", s->endpoint, st->reconnects,
			 st->signer && !strcmp(st->signer, "unreachable") ? "; signer unreachable" : "",
			 st->box_ssh && !strcmp(st->box_ssh, "not_listening") ? "; box sshd not listening" : "");
	else if (!strcmp(st->state, "down"))
		snprintf(buf, sizeof(buf), "STATUS=down: %.400s", st->last_error);
	else
		snprintf(buf, sizeof(buf), "STATUS=%s %s", st->state, s->endpoint);
	sd_notify(0, buf);
}

void tunnel_publish(struct sup *s)
{
	s->st.failures = s->bo.failures;
	s->st.ssh_pid = s->ssh_pid;
	tunnel_status_log(&s->st);
	notify_status(s);
	if (s->cfg->state_path[0]) {
		struct err e = { 0 };
		if (!tunnel_status_write(s->cfg->state_path, &s->st, &e)) {
			char m[ERR_MSG_MAX + 8];
			log_warn("event=state_file_failed path=%s error=%s", s->cfg->state_path,
				 log_str(m, sizeof(m), e.msg));
		}
	}
}

void tunnel_set_state(struct sup *s, const char *state)
{
	if (!s->st.state || strcmp(s->st.state, state) != 0)
		s->st.since_ms = now_wall_ms();
	s->st.state = state;
}

void tunnel_watchdog_setup(struct sup *s)
{
	uint64_t wd_usec = 0;
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
		s->watchdog_ms = wd_usec / 2000U ? wd_usec / 2000U : 1;
}

void tunnel_watchdog_timer(struct sup *s, uint64_t now)
{
	if (s->watchdog_ms && now >= s->watchdog_at) {
		sd_notify(0, "WATCHDOG=1");
		s->watchdog_at = now + s->watchdog_ms;
	}
}
