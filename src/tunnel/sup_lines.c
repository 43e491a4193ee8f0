/* sup_lines.c - what ssh says: its stderr (shared with our ProxyCommand)
 * read without blocking, cut into lines, each fed to the attempt's
 * classifier (classify.h) and acted on: logged at the level its kind
 * deserves, our proxy's own log lines passed through, the proxy's
 * connection noted, the accepted forwards taken towards up. */
#include "sup.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "../base/clock.h"

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
		tunnel_note_connection(s);
		return;
	case LINE_CHATTER: log_debug("event=ssh msg=%s", log_str(m, sizeof(m), line)); return;
	case LINE_AUTHENTICATED:
		log_info("event=authenticated endpoint=%s user=%s", s->endpoint, s->cfg->user);
		return;
	case LINE_FORWARD_OK:
		log_info("event=forward_ok msg=%s", log_str(m, sizeof(m), line));
		if (s->att.forwards_ok == tunnel_forward_count(s->cfg) && s->phase == PH_CONNECTING)
			tunnel_forwards_accepted(s);
		return;
	case LINE_PROBE_REFUSED:
		log_debug("event=ssh msg=%s", log_str(m, sizeof(m), line));
		return;
	case LINE_ERROR: log_warn("event=ssh msg=%s", log_str(m, sizeof(m), line)); return;
	case LINE_OTHER: log_info("event=ssh msg=%s", log_str(m, sizeof(m), line)); return;
	}
}

static void flush_line(struct sup *s)
{
	if (s->line_len == 0)
		return;
	s->line[s->line_len] = '\0';
	handle_line(s, s->line);
	s->line_len = 0;
}

/* false at EOF or on an error: nothing more will come. */
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

static void close_stderr(struct sup *s)
{
	flush_line(s);
	close(s->errfd);
	s->errfd = -1;
}

void tunnel_stderr_ready(struct sup *s)
{
	if (!read_stderr(s))
		close_stderr(s); /* EOF: ssh and the proxy closed stderr; the exit follows. */
}

void tunnel_drain_stderr(struct sup *s)
{
	if (s->errfd < 0)
		return;
	uint64_t until = now_mono_ms() + 500;
	while (read_stderr(s)) {
		uint64_t now = now_mono_ms();
		if (now >= until)
			break;
		struct pollfd p = { .fd = s->errfd, .events = POLLIN };
		poll(&p, 1, (int)(until - now));
	}
	close_stderr(s);
}
