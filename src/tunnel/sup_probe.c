/* sup_probe.c - the end-to-end probe (probe.h) and what its answers mean.
 *
 * Every probe-interval seconds, and once to bring an attempt up, GET
 * /authorized_keys goes through the tunnel. When it fails, the same request
 * goes straight to the signer: a signer that does not answer is reported
 * (signer unreachable) and is not the tunnel's fault; a signer that answers
 * directly but not through the tunnel, twice in a row, gets ssh restarted.
 * An endpoint that forbids the probe's forward (permitopen) is reported
 * once, and the tunnel counts as up without it. */
#include "sup.h"

#include <stdio.h>
#include <string.h>

#include "../base/clock.h"

#define PROBE_RECHECK_MS 1000     /* after one failed probe, try again this soon */
#define PROBE_FAILS_TO_RESTART 2

void tunnel_probes_close(struct sup *s)
{
	http_check_close(&s->tprobe);
	http_check_close(&s->dprobe);
}

/* The probe has its answer for this round: the next one in probe-interval
 * seconds; the attempt is up if it was waiting for that answer, else the
 * state is published when it changed. */
static void probe_settled(struct sup *s, uint64_t now, bool changed)
{
	s->next_probe_at = now + 1000ULL * s->cfg->probe_interval_s;
	if (s->phase == PH_CONNECTING)
		tunnel_go_up(s);
	else if (changed)
		tunnel_publish(s);
}

void tunnel_probe_start(struct sup *s)
{
	struct err e = { 0 };
	uint64_t now = now_mono_ms();
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
	log_debug("event=probe_ok");
	probe_settled(s, now_mono_ms(), changed);
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
	probe_settled(s, now_mono_ms(), true);
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
	if (!http_check_start_tcp(&s->dprobe, s->cfg->signer.host, s->cfg->signer.port,
				  now_mono_ms(), 1000U * s->cfg->probe_timeout_s, &e)) {
		log_warn("event=probe_failed path=direct msg=%s", log_str(m, sizeof(m), e.msg));
		s->st.signer = "unreachable";
		probe_settled(s, now_mono_ms(), false);
	}
}

static void direct_probe_done(struct sup *s, bool signer_ok, const struct err *pe)
{
	char m[ERR_MSG_MAX + 8];
	uint64_t now = now_mono_ms();
	if (!signer_ok) {
		/* The signer itself does not answer: not the tunnel's fault. */
		bool changed = !s->st.signer || strcmp(s->st.signer, "unreachable") != 0;
		log_warn("event=signer_unreachable signer=%s:%u msg=%s", s->cfg->signer.host,
			 (unsigned)s->cfg->signer.port, log_str(m, sizeof(m), pe->msg));
		s->st.signer = "unreachable";
		s->st.probe = "failed";
		s->probe_fails = 0;
		probe_settled(s, now, changed);
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
		tunnel_kill_ssh(s, TERR_PROBE_FAILED, msg);
		return;
	}
	s->next_probe_at = now + PROBE_RECHECK_MS;
}

void tunnel_probe_timers(struct sup *s, uint64_t now)
{
	if (s->probe_on && !s->killing && s->ssh_pid > 0 &&
	    (s->phase == PH_UP || (s->phase == PH_CONNECTING && s->att.forwards_ok >= tunnel_forward_count(s->cfg))) &&
	    !http_check_active(&s->tprobe) && !http_check_active(&s->dprobe) &&
	    s->next_probe_at && now >= s->next_probe_at) {
		s->next_probe_at = 0;
		tunnel_probe_start(s);
	}
	struct err pe = { 0 };
	if (http_check_expire(&s->tprobe, now, &pe) < 0)
		tunnel_probe_failed(s, &pe);
	if (http_check_expire(&s->dprobe, now, &pe) < 0)
		direct_probe_done(s, false, &pe);
}

void tunnel_probe_step(struct sup *s, short revents)
{
	struct err pe = { 0 };
	int rc = http_check_step(&s->tprobe, revents, &pe);
	if (rc > 0)
		probe_done_ok(s);
	else if (rc < 0)
		tunnel_probe_failed(s, &pe);
}

void tunnel_direct_probe_step(struct sup *s, short revents)
{
	struct err pe = { 0 };
	int rc = http_check_step(&s->dprobe, revents, &pe);
	if (rc != 0)
		direct_probe_done(s, rc > 0, &pe);
}
