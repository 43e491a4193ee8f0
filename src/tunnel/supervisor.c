/* supervisor.c - tunnel_supervise: the setup, the poll loop and the
 * teardown. Each turn of the loop runs the timers that are due, then waits
 * for the next one or for an event (ssh's stderr, a probe's socket, a
 * netlink message, a signal) and hands it to the file that owns it (sup.h
 * lists them). */
#include "supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "../base/clock.h"
#include "sup.h"

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* In this order; false when ssh failed to start (the loop starts over). */
static bool run_timers(struct sup *s, uint64_t now)
{
	tunnel_watchdog_timer(s, now);
	if (!tunnel_spawn_timer(s, now))
		return false;
	tunnel_connecting_timers(s, now);
	tunnel_kill_timer(s, now);
	tunnel_stable_timer(s, now);
	tunnel_probe_timers(s, now);
	tunnel_uplink_timer(s, now);
	return true;
}

static uint64_t next_wake(const struct sup *s, uint64_t now)
{
	uint64_t wake = now + 60000;
	if (s->watchdog_ms)
		wake = min_u64(wake, s->watchdog_at);
	if (s->phase == PH_WAIT && !s->stopping)
		wake = min_u64(wake, s->next_attempt_at);
	if (s->phase == PH_CONNECTING && !s->killing) {
		wake = min_u64(wake, s->attempt_deadline);
		if (s->att.forwards_ok == 0)
			wake = min_u64(wake, tunnel_forwards_quiet_at(s));
	}
	if (s->killing)
		wake = min_u64(wake, s->kill_at);
	if (s->phase == PH_UP && s->stable_at)
		wake = min_u64(wake, s->stable_at);
	if (s->probe_on && s->next_probe_at && s->ssh_pid > 0)
		wake = min_u64(wake, s->next_probe_at);
	if (http_check_active(&s->tprobe))
		wake = min_u64(wake, s->tprobe.hp.deadline_ms);
	if (http_check_active(&s->dprobe))
		wake = min_u64(wake, s->dprobe.hp.deadline_ms);
	if (s->nl_check_at)
		wake = min_u64(wake, s->nl_check_at);
	return wake;
}

/* SIGCHLD reaps, SIGHUP reconnects at once, SIGTERM and SIGINT stop. */
static void handle_signals(struct sup *s)
{
	struct signalfd_siginfo si;
	bool child = false;
	for (int k = 0; k < 64 && read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si); k++) {
		switch (si.ssi_signo) {
		case SIGCHLD: child = true; break;
		case SIGHUP:
			loop_log(LOG_INFO, "event=sighup msg=\"reconnecting now\"");
			backoff_reset(&s->bo);
			if (s->ssh_pid > 0) {
				tunnel_kill_ssh(s, TERR_RECONNECT_REQUESTED, "reconnect requested (SIGHUP)");
			} else {
				s->next_attempt_at = now_mono_ms();
			}
			break;
		case SIGTERM:
		case SIGINT:
			if (!s->stopping)
				loop_log(LOG_INFO, "event=stopping signal=%s",
					 si.ssi_signo == SIGTERM ? "TERM" : "INT");
			s->stopping = true;
			sd_notify(0, "STOPPING=1");
			if (s->ssh_pid > 0)
				tunnel_kill_ssh(s, TERR_NONE, "stopping");
			break;
		default: break;
		}
	}
	if (child)
		tunnel_reap(s);
}

/* Waits until the next timer or event and dispatches what came; false
 * when poll itself failed. */
static bool wait_and_dispatch(struct sup *s, uint64_t now, struct err *e)
{
	uint64_t wake = next_wake(s, now);
	int timeout = wake > now ? (int)min_u64(wake - now, 60000) : 0;

	struct pollfd pfd[5];
	int n = 0, i_sig = -1, i_err = -1, i_nl = -1, i_tp = -1, i_dp = -1;
	pfd[i_sig = n++] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	if (s->errfd >= 0)
		pfd[i_err = n++] = (struct pollfd){ .fd = s->errfd, .events = POLLIN };
	if (s->nlfd >= 0)
		pfd[i_nl = n++] = (struct pollfd){ .fd = s->nlfd, .events = POLLIN };
	if (http_check_active(&s->tprobe))
		pfd[i_tp = n++] = (struct pollfd){ .fd = s->tprobe.hp.fd,
						   .events = http_check_events(&s->tprobe) };
	if (http_check_active(&s->dprobe))
		pfd[i_dp = n++] = (struct pollfd){ .fd = s->dprobe.hp.fd,
						   .events = http_check_events(&s->dprobe) };
	int r = poll(pfd, (nfds_t)n, timeout);
	if (r < 0 && errno != EINTR)
		return err_errno(e, ERR_IO, "poll");
	if (r <= 0)
		return true;
	if (i_err >= 0 && pfd[i_err].revents)
		tunnel_stderr_ready(s);
	if (i_tp >= 0 && pfd[i_tp].revents)
		tunnel_probe_step(s, pfd[i_tp].revents);
	if (i_dp >= 0 && pfd[i_dp].revents)
		tunnel_direct_probe_step(s, pfd[i_dp].revents);
	if (i_nl >= 0 && pfd[i_nl].revents)
		tunnel_uplink_event(s);
	if (pfd[i_sig].revents)
		handle_signals(s);
	return true;
}

bool tunnel_supervise(const struct tunnel_config *cfg, const char *self_exe, struct err *e)
{
	static struct sup sup; /* large; one per process */
	struct sup *s = &sup;
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->self_exe = self_exe;
	s->sigfd = s->nlfd = s->errfd = -1;
	s->probe_on = cfg->probe_interval_s > 0;
	http_check_init(&s->tprobe);
	http_check_init(&s->dprobe);
	s->bo = (struct backoff){ .min_ms = cfg->backoff_min_ms, .max_ms = cfg->backoff_max_ms };
	tunnel_host_port_str(&cfg->endpoint, s->endpoint, sizeof(s->endpoint));
	s->st.pid = getpid();
	s->st.remote_port = cfg->remote_port;
	tunnel_host_port_str(&cfg->endpoint, s->st.endpoint, sizeof(s->st.endpoint));
	s->st.probe = s->probe_on ? "pending" : "off";
	s->st.signer = "unknown";
	s->st.box_ssh = "unknown";
	bool ok = false;

	if (!tunnel_check_identity(cfg, e) || !tunnel_prepare_run_dir(s, e))
		goto out;
	struct ssh_plan plan = { .self_exe = self_exe, .known_hosts = s->known_hosts,
				 .probe_socket = s->probe_on ? s->probe_sock : NULL };
	if (!tunnel_ssh_argv_build(cfg, &plan, &s->argv, e))
		goto out;
	/* ssh runs the ProxyCommand with $SHELL -c; a service account's shell
	 * may be nologin. */
	setenv("SHELL", "/bin/sh", 1);
	if (!setup_signals(s, e))
		goto out;
	struct err ne = { 0 };
	s->nlfd = uplink_monitor_open(&ne);
	if (s->nlfd < 0) {
		char m[ERR_MSG_MAX + 8];
		log_warn("event=netlink_unavailable msg=%s", log_str(m, sizeof(m), ne.msg));
	}
	tunnel_watchdog_setup(s);

	char cmdline[8192];
	if (tunnel_argv_to_text(&s->argv, cmdline, sizeof(cmdline)))
		log_debug("event=ssh_command cmd=%s", cmdline);
	log_info("event=tunnel_start endpoint=%s user=%s remote_port=%u signer=%s:%u ssh=%s:%u "
		 "probe_interval=%u run_dir=%s state=%s",
		 s->endpoint, cfg->user, cfg->remote_port, cfg->signer.host,
		 (unsigned)cfg->signer.port, cfg->box_ssh.host, (unsigned)cfg->box_ssh.port,
		 cfg->probe_interval_s, s->run_dir, cfg->state_path[0] ? cfg->state_path : "-");
	sd_notify(0, "READY=1");
	tunnel_set_state(s, "starting");
	s->phase = PH_WAIT;
	s->next_attempt_at = now_mono_ms();
	s->watchdog_at = now_mono_ms();

	for (;;) {
		uint64_t now = now_mono_ms();
		if (s->stopping && s->ssh_pid <= 0)
			break;
		if (!run_timers(s, now))
			continue;
		if (!wait_and_dispatch(s, now, e))
			goto out;
	}
	tunnel_set_state(s, "stopped");
	s->st.next_attempt_ms = 0;
	tunnel_publish(s);
	ok = true;
out:
	tunnel_ssh_child_end(s);
	tunnel_probes_close(s);
	if (s->errfd >= 0)
		close(s->errfd);
	if (s->nlfd >= 0)
		close(s->nlfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	tunnel_ssh_argv_free(&s->argv);
	tunnel_cleanup_run_dir(s);
	return ok;
}
