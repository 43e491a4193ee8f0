/* supervisor.c - the tunnel's poll loop: run ssh, read what it says, decide
 * when it is up, restart it with backoff, report state. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "../base/file.h"
#include "../base/log.h"
#include "backoff.h"
#include "classify.h"
#include "probe.h"
#include "sshargs.h"
#include "state.h"
#include "uplink.h"

#define KILL_GRACE_MS 2000        /* SIGTERM, then SIGKILL */
#define STALE_RETRY_MAX_MS 3000   /* retry period while a stale session holds P */
#define PROBE_RECHECK_MS 1000     /* after one failed probe, try again this soon */
#define PROBE_FAILS_TO_RESTART 2
#define NETLINK_DEBOUNCE_MS 300
#define EARLY_RETRY_MIN_GAP_MS 1000
#define FORWARDS_QUIET_MS 2000    /* after connect-timeout: see forwards_unconfirmed */

enum phase { PH_WAIT, PH_CONNECTING, PH_UP };

struct sup {
	const struct tunnel_config *cfg;
	const char *self_exe;
	char run_dir[TUNNEL_PATH_MAX];
	char known_hosts[TUNNEL_PATH_MAX + 32];
	char probe_sock[TUNNEL_PATH_MAX + 32];
	bool own_run_dir;
	char endpoint[TUNNEL_HOST_MAX + 16];
	struct ssh_argv argv;

	int sigfd, nlfd, errfd;
	pid_t ssh_pid;
	enum phase phase;
	bool stopping;
	bool killing;
	enum tunnel_error kill_reason;
	char kill_msg[400];

	uint64_t attempt_started, attempt_deadline, next_attempt_at, stable_at, kill_at;
	uint64_t next_probe_at, watchdog_at, nl_check_at;
	uint64_t watchdog_ms;

	struct attempt att;
	struct backoff bo;
	struct tunnel_status st;
	bool ever_up;
	enum tunnel_error last_err;

	char line[4096];
	size_t line_len;

	/* probe */
	bool probe_on;
	struct http_check tprobe; /* through the tunnel */
	struct http_check dprobe; /* straight to the signer */
	unsigned probe_fails;
	bool probe_refused_logged;

	/* uplink */
	bool have_conn_route;
	struct route_info conn_route;   /* route of the current connection */
	char peer_ip[48], local_ip[48]; /* of the current or last connection */
	bool have_fail_route;
	struct route_info fail_route;   /* route to the endpoint when the last attempt ended */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t random_u32(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)mono_ms() * 2654435761U ^ (uint32_t)getpid();
	return r;
}

/* ---- reporting */

static void notify_status(struct sup *s)
{
	char buf[600];
	const struct tunnel_status *st = &s->st;
	if (!strcmp(st->state, "up"))
		snprintf(buf, sizeof(buf), "STATUS=up via %s to %s, %u reconnects%s",
			 st->uplink[0] ? st->uplink : "?", s->endpoint, st->reconnects,
			 st->signer && !strcmp(st->signer, "unreachable") ? "; signer unreachable" : "");
	else if (!strcmp(st->state, "down"))
		snprintf(buf, sizeof(buf), "STATUS=down: %.400s", st->last_error);
	else
		snprintf(buf, sizeof(buf), "STATUS=%s %s", st->state, s->endpoint);
	sd_notify(0, buf);
}

static void publish(struct sup *s)
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

static void set_state(struct sup *s, const char *state)
{
	if (!s->st.state || strcmp(s->st.state, state) != 0)
		s->st.since_ms = wall_ms();
	s->st.state = state;
}

/* ---- ssh process control */

static void kill_ssh(struct sup *s, enum tunnel_error reason, const char *msg)
{
	if (s->ssh_pid <= 0 || s->killing)
		return;
	s->killing = true;
	s->kill_reason = reason;
	snprintf(s->kill_msg, sizeof(s->kill_msg), "%s", msg);
	kill(-s->ssh_pid, SIGTERM);
	kill(s->ssh_pid, SIGTERM);
	kill(-s->ssh_pid, SIGCONT); /* a stopped ssh handles the TERM now */
	s->kill_at = mono_ms() + KILL_GRACE_MS;
}

static bool spawn_ssh(struct sup *s, struct err *e)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return err_errno(e, ERR_IO, "pipe for ssh's stderr");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_errno(e, ERR_IO, "fork for ssh");
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(pipefd[1], STDERR_FILENO);
		execvp(s->argv.v[0], s->argv.v);
		dprintf(STDERR_FILENO, "exec %s: %s\n", s->argv.v[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pipefd[1]);
	s->errfd = pipefd[0];
	fcntl(s->errfd, F_SETFL, fcntl(s->errfd, F_GETFL) | O_NONBLOCK);
	s->ssh_pid = pid;
	s->killing = false;
	s->line_len = 0;
	attempt_reset(&s->att);
	s->have_conn_route = false;
	s->probe_fails = 0;
	http_check_close(&s->tprobe);
	http_check_close(&s->dprobe);
	uint64_t now = mono_ms();
	s->attempt_started = now;
	s->attempt_deadline = now + 2000U * s->cfg->connect_timeout_s + 5000U +
			      (s->probe_on ? 1000U * s->cfg->probe_timeout_s : 0);
	s->phase = PH_CONNECTING;
	s->st.attempts++;
	s->st.next_attempt_ms = 0;
	s->st.uplink[0] = s->st.local[0] = s->st.peer[0] = '\0';
	s->st.probe = s->probe_on ? "pending" : "off";
	set_state(s, "connecting");
	log_info("event=ssh_started pid=%ld attempt=%u endpoint=%s", (long)pid, s->st.attempts,
		 s->endpoint);
	publish(s);
	return true;
}

/* ---- up / down */

static void go_up(struct sup *s)
{
	uint64_t now = mono_ms();
	s->phase = PH_UP;
	s->stable_at = now + 1000ULL * s->cfg->stable_after_s;
	if (s->ever_up)
		s->st.reconnects++;
	s->ever_up = true;
	s->st.up_since_ms = wall_ms();
	set_state(s, "up");
	s->next_probe_at = now + 1000ULL * s->cfg->probe_interval_s;
	log_info("event=tunnel_up endpoint=%s remote_port=%u uplink=%s seconds_to_connect=%.3f",
		 s->endpoint, s->cfg->remote_port, s->st.uplink[0] ? s->st.uplink : "-",
		 (double)(now - s->attempt_started) / 1000.0);
	publish(s);
}

static bool network_error(enum tunnel_error err)
{
	return err == TERR_UNREACHABLE || err == TERR_TIMEOUT || err == TERR_DISCONNECTED ||
	       err == TERR_SSH_FAILED || err == TERR_PROBE_FAILED;
}

static void remember_fail_route(struct sup *s)
{
	s->have_fail_route = false;
	if (s->peer_ip[0]) {
		struct err e = { 0 };
		s->have_fail_route = uplink_route_get(s->peer_ip, NULL, &s->fail_route, &e);
	}
}

static void ssh_exited(struct sup *s, int status)
{
	char msg[400];
	enum tunnel_error err;
	uint64_t now = mono_ms();
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
	http_check_close(&s->tprobe);
	http_check_close(&s->dprobe);
	if (s->stopping) {
		set_state(s, "stopped");
		return;
	}
	s->last_err = err;
	s->st.error_kind = tunnel_error_name(err);
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", msg);
	s->st.last_error_ms = wall_ms();

	uint32_t delay;
	if (err == TERR_RECONNECT_REQUESTED || err == TERR_UPLINK_CHANGED) {
		delay = 0;
	} else if (tunnel_error_is_refusal(err)) {
		uint32_t base = 1000U * s->cfg->refused_retry_s;
		delay = base - base / 10 + random_u32() % (base / 10 + 1);
		backoff_failed(&s->bo);
	} else {
		delay = backoff_delay_ms(&s->bo, random_u32());
		if (err == TERR_PORT_IN_USE && delay > STALE_RETRY_MAX_MS)
			delay = STALE_RETRY_MAX_MS / 2 + random_u32() % (STALE_RETRY_MAX_MS / 2 + 1);
		backoff_failed(&s->bo);
	}
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
	s->st.next_attempt_ms = wall_ms() + delay;
	remember_fail_route(s);
	set_state(s, "down");
	publish(s);
}

/* Reads what is left on ssh's stderr once it has exited. */
static void handle_line(struct sup *s, const char *line);

static void flush_line(struct sup *s)
{
	if (s->line_len == 0)
		return;
	s->line[s->line_len] = '\0';
	handle_line(s, s->line);
	s->line_len = 0;
}

static bool read_stderr(struct sup *s)
{
	char buf[4096];
	for (int round = 0; round < 64; round++) {
		ssize_t n = read(s->errfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN; /* true: more may come */
		if (n == 0) {
			flush_line(s);
			return false;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				flush_line(s);
			} else if (buf[i] != '\r') {
				if (s->line_len >= sizeof(s->line) - 1)
					flush_line(s);
				s->line[s->line_len++] = buf[i];
			}
		}
	}
	return true;
}

static void drain_stderr(struct sup *s)
{
	if (s->errfd < 0)
		return;
	uint64_t until = mono_ms() + 500;
	while (read_stderr(s)) {
		uint64_t now = mono_ms();
		if (now >= until)
			break;
		struct pollfd p = { .fd = s->errfd, .events = POLLIN };
		poll(&p, 1, (int)(until - now));
	}
	flush_line(s);
	close(s->errfd);
	s->errfd = -1;
}

static void reap(struct sup *s)
{
	if (s->ssh_pid > 0) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)s->ssh_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == s->ssh_pid) {
			/* Whatever is left of its process group (the proxy). */
			kill(-s->ssh_pid, SIGKILL);
			int status = 0;
			while (waitpid(s->ssh_pid, &status, 0) < 0 && errno == EINTR)
				;
			drain_stderr(s);
			ssh_exited(s, status);
		}
	}
	/* Orphans handed to us as the subreaper (a proxy outliving ssh). */
	for (int i = 0; i < 64 && waitpid(-1, NULL, WNOHANG) > 0; i++)
		;
}

/* ---- uplink */

static void note_connection(struct sup *s)
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

static bool same_route(const struct route_info *a, const struct route_info *b)
{
	if (a->oif != b->oif)
		return false;
	if (a->has_prefsrc != b->has_prefsrc)
		return false;
	return !a->has_prefsrc || strcmp(a->prefsrc, b->prefsrc) == 0;
}

static void uplink_check(struct sup *s)
{
	struct route_info now_route;
	struct err e = { 0 };
	uint64_t now = mono_ms();
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
		kill_ssh(s, TERR_UPLINK_CHANGED, msg);
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
		s->st.next_attempt_ms = wall_ms();
	}
}

/* ---- probe */

static void probe_start(struct sup *s)
{
	struct err e = { 0 };
	uint64_t now = mono_ms();
	if (!http_check_start_unix(&s->tprobe, s->probe_sock, now, 1000U * s->cfg->probe_timeout_s,
				   &e)) {
		char m[ERR_MSG_MAX + 8];
		log_warn("event=probe_failed path=tunnel msg=%s", log_str(m, sizeof(m), e.msg));
		s->next_probe_at = now + PROBE_RECHECK_MS;
	}
}

static void probe_done_ok(struct sup *s)
{
	bool changed = !s->st.probe || strcmp(s->st.probe, "ok") != 0 || !s->st.signer ||
		       strcmp(s->st.signer, "ok") != 0;
	s->probe_fails = 0;
	s->st.probe = "ok";
	s->st.signer = "ok";
	s->next_probe_at = mono_ms() + 1000ULL * s->cfg->probe_interval_s;
	log_debug("event=probe_ok");
	if (s->phase == PH_CONNECTING)
		go_up(s);
	else if (changed)
		publish(s);
}

static void probe_refused(struct sup *s)
{
	s->st.probe = "refused";
	if (!s->probe_refused_logged) {
		log_error("event=probe_refused endpoint=%s msg=\"the endpoint refuses the end-to-end "
			  "probe (a direct-tcpip open to %s:%u): allow it with permitopen=\\\"%s:%u\\\" "
			  "on this box's key line, or set probe-interval 0\"",
			  s->endpoint, s->cfg->probe_host, s->cfg->remote_port, s->cfg->probe_host,
			  s->cfg->remote_port);
		s->probe_refused_logged = true;
	}
	s->next_probe_at = mono_ms() + 1000ULL * s->cfg->probe_interval_s;
	if (s->phase == PH_CONNECTING)
		go_up(s);
	else
		publish(s);
}

static void tunnel_probe_failed(struct sup *s, const struct err *pe)
{
	char m[ERR_MSG_MAX + 8];
	if (s->att.probe_prohibited) {
		probe_refused(s);
		return;
	}
	log_warn("event=probe_failed path=tunnel msg=%s", log_str(m, sizeof(m), pe->msg));
	/* Is it the tunnel or the signer? Ask the signer directly. */
	struct err e = { 0 };
	if (!http_check_start_tcp(&s->dprobe, s->cfg->signer.host, s->cfg->signer.port, mono_ms(),
				  1000U * s->cfg->probe_timeout_s, &e)) {
		log_warn("event=probe_failed path=direct msg=%s", log_str(m, sizeof(m), e.msg));
		s->st.signer = "unreachable";
		s->next_probe_at = mono_ms() + 1000ULL * s->cfg->probe_interval_s;
		if (s->phase == PH_CONNECTING)
			go_up(s);
	}
}

static void direct_probe_done(struct sup *s, bool signer_ok, const struct err *pe)
{
	char m[ERR_MSG_MAX + 8];
	uint64_t now = mono_ms();
	if (!signer_ok) {
		/* The signer itself does not answer: not the tunnel's fault. */
		bool changed = !s->st.signer || strcmp(s->st.signer, "unreachable") != 0;
		log_warn("event=signer_unreachable signer=%s:%u msg=%s", s->cfg->signer.host,
			 (unsigned)s->cfg->signer.port, log_str(m, sizeof(m), pe->msg));
		s->st.signer = "unreachable";
		s->st.probe = "failed";
		s->probe_fails = 0;
		s->next_probe_at = now + 1000ULL * s->cfg->probe_interval_s;
		if (s->phase == PH_CONNECTING)
			go_up(s);
		else if (changed)
			publish(s);
		return;
	}
	s->st.signer = "ok";
	s->st.probe = "failed";
	s->probe_fails++;
	if (s->probe_fails >= PROBE_FAILS_TO_RESTART) {
		char msg[400];
		snprintf(msg, sizeof(msg),
			 "end-to-end probe failed %u times: the signer answers directly but not "
			 "through %s port %u",
			 s->probe_fails, s->endpoint, s->cfg->remote_port);
		kill_ssh(s, TERR_PROBE_FAILED, msg);
		return;
	}
	s->next_probe_at = now + PROBE_RECHECK_MS;
}

/* ---- ssh's words */

static void handle_line(struct sup *s, const char *line)
{
	char m[600];
	enum line_event ev = attempt_feed(&s->att, line);
	if (ev == LINE_OURS || ev == LINE_PROXY_CONNECTED) {
		/* Already one of our log lines (the proxy's): pass it through. */
		char out[4200];
		int n = snprintf(out, sizeof(out), "%s\n", line);
		if (n > 0) {
			ssize_t w = write(STDERR_FILENO, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
			(void)w;
		}
	}
	switch (ev) {
	case LINE_OURS: return;
	case LINE_PROXY_CONNECTED:
		note_connection(s);
		return;
	case LINE_CHATTER: log_debug("event=ssh msg=%s", log_str(m, sizeof(m), line)); return;
	case LINE_AUTHENTICATED:
		log_info("event=authenticated endpoint=%s user=%s", s->endpoint, s->cfg->user);
		return;
	case LINE_FORWARD_OK:
		log_info("event=forward_ok msg=%s", log_str(m, sizeof(m), line));
		if (s->att.forwards_ok == 2 && s->phase == PH_CONNECTING) {
			if (s->probe_on)
				probe_start(s);
			else
				go_up(s);
		}
		return;
	case LINE_PROBE_REFUSED:
		log_debug("event=ssh msg=%s", log_str(m, sizeof(m), line));
		return;
	case LINE_ERROR: log_warn("event=ssh msg=%s", log_str(m, sizeof(m), line)); return;
	case LINE_OTHER: log_info("event=ssh msg=%s", log_str(m, sizeof(m), line)); return;
	}
}

/* ---- setup */

static bool prepare_run_dir(struct sup *s, struct err *e)
{
	const char *rd = s->cfg->run_dir;
	char fromenv[TUNNEL_PATH_MAX];
	if (!rd[0]) {
		const char *env = getenv("RUNTIME_DIRECTORY");
		if (env && *env) {
			snprintf(fromenv, sizeof(fromenv), "%.*s", (int)strcspn(env, ":"), env);
			if (tunnel_path_is_safe(fromenv))
				rd = fromenv;
		}
	}
	if (rd[0]) {
		if (!dir_ensure(rd, 0700, e))
			return false;
		snprintf(s->run_dir, sizeof(s->run_dir), "%s", rd);
	} else {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !*tmp || !tunnel_path_is_safe(tmp))
			tmp = "/tmp";
		snprintf(s->run_dir, sizeof(s->run_dir), "%s/tzsigner-tunnel.XXXXXX", tmp);
		if (!mkdtemp(s->run_dir))
			return err_errno(e, ERR_IO, "creating a run directory under %s", tmp);
		s->own_run_dir = true;
	}
	snprintf(s->known_hosts, sizeof(s->known_hosts), "%s/known_hosts", s->run_dir);
	snprintf(s->probe_sock, sizeof(s->probe_sock), "%s/probe.sock", s->run_dir);
	if (strlen(s->probe_sock) >= 108)
		return err_set(e, ERR_MALFORMED, "run directory %s: the probe socket path is too long "
						 "for a UNIX socket", s->run_dir);
	char text[TUNNEL_MAX_HOST_KEYS * (TUNNEL_HOST_KEY_MAX + 80)];
	if (!tunnel_known_hosts_text(s->cfg, text, sizeof(text), e) ||
	    !file_write_durable(s->known_hosts, text, strlen(text), 0600, e))
		return false;
	return true;
}

static void cleanup_run_dir(struct sup *s)
{
	if (!s->run_dir[0])
		return;
	unlink(s->probe_sock);
	if (s->own_run_dir) {
		unlink(s->known_hosts);
		rmdir(s->run_dir);
	}
}

static bool check_identity(const struct tunnel_config *c, struct err *e)
{
	struct stat st;
	if (stat(c->identity, &st) != 0) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOT_FOUND,
				       "identity %s: no such file (create it with `tzsigner tunnel keygen "
				       "--identity %s`)", c->identity, c->identity);
		return err_errno(e, ERR_IO, "identity %s", c->identity);
	}
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_MALFORMED, "identity %s is not a regular file", c->identity);
	if (st.st_mode & 077)
		return err_set(e, ERR_FORBIDDEN,
			       "identity %s: mode %04o lets others read the private key; ssh refuses it "
			       "(fix with: chmod 600 %s)", c->identity, (unsigned)(st.st_mode & 07777),
			       c->identity);
	return true;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

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
	bool ok = false;

	if (!check_identity(cfg, e) || !prepare_run_dir(s, e))
		goto out;
	struct ssh_plan plan = { .self_exe = self_exe, .known_hosts = s->known_hosts,
				 .probe_socket = s->probe_on ? s->probe_sock : NULL };
	if (!tunnel_ssh_argv_build(cfg, &plan, &s->argv, e))
		goto out;
	/* ssh runs the ProxyCommand with $SHELL -c; a service account's shell
	 * may be nologin. */
	setenv("SHELL", "/bin/sh", 1);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
		err_errno(e, ERR_IO, "sigprocmask");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0) {
		err_errno(e, ERR_IO, "signalfd");
		goto out;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	struct err ne = { 0 };
	s->nlfd = uplink_monitor_open(&ne);
	if (s->nlfd < 0) {
		char m[ERR_MSG_MAX + 8];
		log_warn("event=netlink_unavailable msg=%s", log_str(m, sizeof(m), ne.msg));
	}
	uint64_t wd_usec = 0;
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
		s->watchdog_ms = wd_usec / 2000U ? wd_usec / 2000U : 1;

	char cmdline[8192];
	if (tunnel_argv_to_text(&s->argv, cmdline, sizeof(cmdline)))
		log_debug("event=ssh_command cmd=%s", cmdline);
	log_info("event=tunnel_start endpoint=%s user=%s remote_port=%u signer=%s:%u ssh=%s:%u "
		 "probe_interval=%u run_dir=%s state=%s",
		 s->endpoint, cfg->user, cfg->remote_port, cfg->signer.host,
		 (unsigned)cfg->signer.port, cfg->box_ssh.host, (unsigned)cfg->box_ssh.port,
		 cfg->probe_interval_s, s->run_dir, cfg->state_path[0] ? cfg->state_path : "-");
	sd_notify(0, "READY=1");
	set_state(s, "starting");
	s->phase = PH_WAIT;
	s->next_attempt_at = mono_ms();
	s->watchdog_at = mono_ms();

	for (uint64_t iter = 0;; iter++) {
		uint64_t now = mono_ms();
		if (s->stopping && s->ssh_pid <= 0)
			break;
		/* timers */
		if (s->watchdog_ms && now >= s->watchdog_at) {
			sd_notify(0, "WATCHDOG=1");
			s->watchdog_at = now + s->watchdog_ms;
		}
		if (s->phase == PH_WAIT && !s->stopping && s->ssh_pid <= 0 && now >= s->next_attempt_at) {
			struct err se = { 0 };
			if (!spawn_ssh(s, &se)) {
				char m[ERR_MSG_MAX + 8];
				log_error("event=spawn_failed msg=%s", log_str(m, sizeof(m), se.msg));
				snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", se.msg);
				s->st.error_kind = tunnel_error_name(TERR_SSH_FAILED);
				uint32_t d = backoff_delay_ms(&s->bo, random_u32());
				backoff_failed(&s->bo);
				s->next_attempt_at = now + d;
				continue;
			}
		}
		if (s->phase == PH_CONNECTING && !s->killing && now >= s->attempt_deadline) {
			char msg[300];
			const char *where = !s->att.proxy_connected ? "the TCP connection"
					    : !s->att.authenticated  ? "the SSH handshake or authentication"
					    : s->att.forwards_ok < 2 ? "the endpoint's answer to the forward requests"
								     : "the end-to-end probe";
			snprintf(msg, sizeof(msg), "no tunnel within %.1f s of starting ssh: stuck at %s",
				 (double)(s->attempt_deadline - s->attempt_started) / 1000.0, where);
			kill_ssh(s, TERR_TIMEOUT, msg);
		}
		/* ssh said nothing about the forwards (its LogVerbose names
		 * functions of OpenSSH 9.x's source; another version may not
		 * print them): alive and quiet this long with ExitOnForwardFailure
		 * means they were accepted. */
		if (s->phase == PH_CONNECTING && !s->killing && s->att.proxy_connected &&
		    s->att.forwards_ok == 0 && !s->att.forward_failed_port &&
		    now >= s->attempt_started + 1000U * cfg->connect_timeout_s + FORWARDS_QUIET_MS) {
			log_warn("event=forwards_unconfirmed seconds=%.1f msg=\"ssh did not report the remote "
				 "forwards (an OpenSSH other than 9.x?); alive without an error, so taking them "
				 "as accepted\"", (double)(now - s->attempt_started) / 1000.0);
			s->att.forwards_ok = 2;
			if (s->probe_on)
				probe_start(s);
			else
				go_up(s);
		}
		if (s->killing && s->ssh_pid > 0 && now >= s->kill_at) {
			log_warn("event=ssh_kill pid=%ld msg=\"no exit after SIGTERM; sending SIGKILL\"",
				 (long)s->ssh_pid);
			kill(-s->ssh_pid, SIGKILL);
			kill(s->ssh_pid, SIGKILL);
			s->kill_at = now + 60000;
		}
		if (s->phase == PH_UP && s->stable_at && now >= s->stable_at) {
			s->stable_at = 0;
			if (s->bo.failures) {
				log_info("event=stable seconds=%u msg=\"backoff reset\"", cfg->stable_after_s);
				backoff_reset(&s->bo);
			}
		}
		if (s->probe_on && !s->killing && s->ssh_pid > 0 &&
		    (s->phase == PH_UP || (s->phase == PH_CONNECTING && s->att.forwards_ok >= 2)) &&
		    !http_check_active(&s->tprobe) && !http_check_active(&s->dprobe) &&
		    s->next_probe_at && now >= s->next_probe_at) {
			s->next_probe_at = 0;
			probe_start(s);
		}
		struct err pe = { 0 };
		if (http_check_expire(&s->tprobe, now, &pe) < 0)
			tunnel_probe_failed(s, &pe);
		if (http_check_expire(&s->dprobe, now, &pe) < 0)
			direct_probe_done(s, false, &pe);
		if (s->nl_check_at && now >= s->nl_check_at) {
			s->nl_check_at = 0;
			uplink_check(s);
		}

		/* the next wake-up */
		uint64_t wake = now + 60000;
		if (s->watchdog_ms)
			wake = min_u64(wake, s->watchdog_at);
		if (s->phase == PH_WAIT && !s->stopping)
			wake = min_u64(wake, s->next_attempt_at);
		if (s->phase == PH_CONNECTING && !s->killing) {
			wake = min_u64(wake, s->attempt_deadline);
			if (s->att.forwards_ok == 0)
				wake = min_u64(wake, s->attempt_started + 1000U * cfg->connect_timeout_s +
							     FORWARDS_QUIET_MS);
		}
		if (s->killing)
			wake = min_u64(wake, s->kill_at);
		if (s->phase == PH_UP && s->stable_at)
			wake = min_u64(wake, s->stable_at);
		if (s->probe_on && s->next_probe_at && s->ssh_pid > 0)
			wake = min_u64(wake, s->next_probe_at);
		if (http_check_active(&s->tprobe))
			wake = min_u64(wake, s->tprobe.deadline_ms);
		if (http_check_active(&s->dprobe))
			wake = min_u64(wake, s->dprobe.deadline_ms);
		if (s->nl_check_at)
			wake = min_u64(wake, s->nl_check_at);
		int timeout = wake > now ? (int)min_u64(wake - now, 60000) : 0;

		struct pollfd pfd[5];
		int n = 0, i_sig = -1, i_err = -1, i_nl = -1, i_tp = -1, i_dp = -1;
		pfd[i_sig = n++] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
		if (s->errfd >= 0)
			pfd[i_err = n++] = (struct pollfd){ .fd = s->errfd, .events = POLLIN };
		if (s->nlfd >= 0)
			pfd[i_nl = n++] = (struct pollfd){ .fd = s->nlfd, .events = POLLIN };
		if (http_check_active(&s->tprobe))
			pfd[i_tp = n++] = (struct pollfd){ .fd = s->tprobe.fd,
							   .events = http_check_events(&s->tprobe) };
		if (http_check_active(&s->dprobe))
			pfd[i_dp = n++] = (struct pollfd){ .fd = s->dprobe.fd,
							   .events = http_check_events(&s->dprobe) };
		int r = poll(pfd, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR) {
			err_errno(e, ERR_IO, "poll");
			goto out;
		}
		if (r <= 0)
			continue;
		if (i_err >= 0 && pfd[i_err].revents) {
			if (!read_stderr(s)) {
				/* EOF: ssh and the proxy closed stderr; the exit follows. */
				flush_line(s);
				close(s->errfd);
				s->errfd = -1;
			}
		}
		if (i_tp >= 0 && pfd[i_tp].revents) {
			int rc = http_check_step(&s->tprobe, pfd[i_tp].revents, &pe);
			if (rc > 0)
				probe_done_ok(s);
			else if (rc < 0)
				tunnel_probe_failed(s, &pe);
		}
		if (i_dp >= 0 && pfd[i_dp].revents) {
			int rc = http_check_step(&s->dprobe, pfd[i_dp].revents, &pe);
			if (rc != 0)
				direct_probe_done(s, rc > 0, &pe);
		}
		if (i_nl >= 0 && pfd[i_nl].revents) {
			if (uplink_monitor_drain(s->nlfd) && !s->nl_check_at)
				s->nl_check_at = mono_ms() + NETLINK_DEBOUNCE_MS;
		}
		if (pfd[i_sig].revents) {
			struct signalfd_siginfo si;
			bool child = false;
			for (int k = 0; k < 64 && read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si); k++) {
				switch (si.ssi_signo) {
				case SIGCHLD: child = true; break;
				case SIGHUP:
					log_info("event=sighup msg=\"reconnecting now\"");
					backoff_reset(&s->bo);
					if (s->ssh_pid > 0) {
						kill_ssh(s, TERR_RECONNECT_REQUESTED,
							 "reconnect requested (SIGHUP)");
					} else {
						s->next_attempt_at = mono_ms();
					}
					break;
				case SIGTERM:
				case SIGINT:
					if (!s->stopping)
						log_info("event=stopping signal=%s",
							 si.ssi_signo == SIGTERM ? "TERM" : "INT");
					s->stopping = true;
					sd_notify(0, "STOPPING=1");
					if (s->ssh_pid > 0)
						kill_ssh(s, TERR_NONE, "stopping");
					break;
				default: break;
				}
			}
			if (child)
				reap(s);
		}
		(void)iter;
	}
	set_state(s, "stopped");
	s->st.next_attempt_ms = 0;
	publish(s);
	ok = true;
out:
	if (s->ssh_pid > 0) {
		kill(-s->ssh_pid, SIGKILL);
		kill(s->ssh_pid, SIGKILL);
		waitpid(s->ssh_pid, NULL, 0);
		s->ssh_pid = 0;
	}
	http_check_close(&s->tprobe);
	http_check_close(&s->dprobe);
	if (s->errfd >= 0)
		close(s->errfd);
	if (s->nlfd >= 0)
		close(s->nlfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	tunnel_ssh_argv_free(&s->argv);
	cleanup_run_dir(s);
	return ok;
}
