/* serve_loop.c - the key holder's main thread once serving: signals, the
 * watchdog, the front's restarts and SIGHUP's reload (serve.h). */
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "../base/log.h"
#include "../base/clock.h"
#include "cmd.h"
#include "serve.h"
#include "serve_reload.h"

/* How often the front is looked after without a signal (its restart
 * backoff, a --front-fd peer that closed). */
#define TEND_NS 100000000L

struct watchdog {
	bool enabled, ok;
	uint64_t usec;
};

static void feed(struct watchdog *w, struct health *h)
{
	if (!w->enabled)
		return;
	if (health_alive(h)) {
		sd_notify(0, "WATCHDOG=1");
		if (!w->ok)
			log_info("event=watchdog msg=\"health watchers running again\"");
		w->ok = true;
	} else if (w->ok) {
		log_error("event=watchdog msg=\"a health watcher stopped looping: not feeding the watchdog\"");
		w->ok = false;
	}
}

/* SIGHUP: a failed reload keeps the old keys; a half-done one ends the
 * process as after a crash (every signature's record is already durable)
 * and the supervisor starts the signer afresh. */
static bool reload(struct serve_state *st, struct serve_front *f)
{
	struct err e = { 0 };
	bool fatal = false;
	if (serve_reload_keys(st, f, &fatal, &e))
		return true;
	if (fatal) {
		cmd_fail("serve: reload", &e);
		return false;
	}
	log_error("event=reload_failed msg=\"%s\" keeping=%zu", e.msg, st->vault.count);
	return true;
}

void serve_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

int serve_loop(struct serve_state *st, const struct serve_listeners *l, struct serve_front *f)
{
	(void)l;
	sigset_t set;
	serve_signals(&set);
	/* systemd: ready now (every socket is bound and the front started);
	 * the watchdog is fed while the health watchers keep looping (a stuck
	 * watcher means a stuck process: restart it). */
	struct watchdog w = { .ok = true };
	w.enabled = sd_watchdog_enabled(0, &w.usec) > 0 && w.usec > 0;
	sd_notifyf(0, "READY=1\nSTATUS=serving %zu keys on %s port %u", st->vault.count,
		   st->opt->address, (unsigned)serve_front_api_port(f));
	uint64_t feed_every_ns = w.usec * 500u, fed_ns = 0; /* half the period */
	for (;;) {
		struct timespec tick = { .tv_nsec = TEND_NS };
		uint64_t now = now_mono_ns();
		if (w.enabled && now - fed_ns >= feed_every_ns) {
			feed(&w, st->health);
			fed_ns = now;
		}
		int sig = sigtimedwait(&set, NULL, &tick);
		if (!serve_front_tend(f)) {
			log_info("event=stopping reason=front_fd_closed");
			return EXIT_SUCCESS;
		}
		if (sig == SIGHUP) {
			if (!reload(st, f))
				return EXIT_FAILURE;
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info("event=stopping signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			sd_notify(0, "STOPPING=1");
			return EXIT_SUCCESS;
		}
	}
}
