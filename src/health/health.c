/* health.c - the watcher threads and the snapshot they publish. */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/log.h"
#include "../base/uplink.h"
#include "../vault/vault.h"
#include "ledger_watch.h"
#include "../base/clock.h"

#define RESOLVE_EVERY_MS 60000
#define NETLINK_SETTLE_MS 200 /* coalesce a burst of route changes */

struct health {
	struct health_config cfg;
	const struct vault *vault;
	struct ledger_backend *ledger;

	pthread_mutex_t lock; /* guards snap, and nothing slow ever happens under it */
	struct health_snapshot snap;
	int64_t ledger_beat_ms, system_beat_ms; /* monotonic, under lock */
	bool ledger_first, system_first;        /* a first pass finished, under lock */
	pthread_cond_t first_cond;              /* signalled with lock; CLOCK_MONOTONIC */

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond; /* CLOCK_MONOTONIC */
	bool stopping;            /* under stop_lock */
	int stop_pipe[2];         /* wakes the system thread's poll */

	pthread_t ledger_thread, system_thread;
	bool ledger_started, system_started;

	/* system thread only */
	struct power_gpio_reader *gpio;
	char gpio_last_error[ERR_MSG_MAX];
	char endpoint_addr[48];
	int64_t resolve_at_ms;
	char resolve_error[ERR_MSG_MAX];
	struct stat tunnel_st;
	bool tunnel_st_known;
};

void health_config_default(struct health_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = HEALTH_INTERVAL_DEFAULT_MS;
	c->ledger_timeout_ms = 1000;
	power_config_default(&c->power);
}

static int64_t stale_after_ms(const struct health_config *c)
{
	/* three missed checks, each of which may take two exchanges */
	return 3 * (int64_t)c->interval_ms + 4 * (int64_t)c->ledger_timeout_ms + 2000;
}

static bool stopping(struct health *h)
{
	pthread_mutex_lock(&h->stop_lock);
	bool s = h->stopping;
	pthread_mutex_unlock(&h->stop_lock);
	return s;
}

/* ---- the Ledger watcher */

static void log_key_change(const struct vault_key *k, const struct health_key *now)
{
	char m[ERR_MSG_MAX + 8];
	if (now->can_sign)
		log_info("event=key_status pkh=%s name=%s can_sign=yes reason=ok", k->pkh_text, k->name);
	else
		log_warn("event=key_status pkh=%s name=%s can_sign=no reason=%s msg=%s", k->pkh_text,
			 k->name, now->reason, log_str(m, sizeof(m), now->msg));
}

static void ledger_pass(struct health *h, struct health_device *devs, size_t ndev)
{
	for (size_t i = 0; i < ndev && !stopping(h); i++)
		ledger_watch_check(h->ledger, h->cfg.ledger_timeout_ms, &devs[i], now_wall_ms());

	int64_t now = now_wall_ms();
	pthread_mutex_lock(&h->lock);
	memcpy(h->snap.devices, devs, ndev * sizeof(*devs));
	for (size_t i = 0; i < h->snap.nkeys; i++) {
		const struct vault_key *k = &h->vault->keys[i];
		struct health_key *cur = &h->snap.keys[i];
		if (k->storage != STORAGE_LEDGER)
			continue;
		struct health_key next = *cur;
		const struct health_device *d = cur->device >= 0 ? &devs[cur->device] : NULL;
		ledger_watch_key(&k->ledger, d, &next);
		if (d && d->checked)
			next.checked_ms = d->checked_ms;
		else if (!d)
			next.checked_ms = now;
		bool changed = next.can_sign != cur->can_sign || strcmp(next.reason, cur->reason) != 0;
		if (changed)
			next.since_ms = now;
		*cur = next;
		if (changed && (d == NULL || d->checked))
			log_key_change(k, cur);
	}
	h->ledger_beat_ms = (int64_t)now_mono_ms();
	h->ledger_first = true;
	pthread_cond_broadcast(&h->first_cond);
	pthread_mutex_unlock(&h->lock);
}

static void *ledger_main(void *arg)
{
	struct health *h = arg;
	pthread_mutex_lock(&h->lock);
	size_t ndev = h->snap.ndevices;
	struct health_device *devs = calloc(ndev ? ndev : 1, sizeof(*devs));
	if (devs && ndev)
		memcpy(devs, h->snap.devices, ndev * sizeof(*devs));
	pthread_mutex_unlock(&h->lock);
	if (!devs) {
		log_error("event=health_failed msg=\"out of memory for the Ledger watcher\"");
		return NULL;
	}
	for (;;) {
		ledger_pass(h, devs, ndev);
		struct timespec until = clock_after_ms(CLOCK_MONOTONIC, (uint64_t)h->cfg.interval_ms);
		pthread_mutex_lock(&h->stop_lock);
		while (!h->stopping && pthread_cond_timedwait(&h->stop_cond, &h->stop_lock, &until) == 0)
			;
		bool stop = h->stopping;
		pthread_mutex_unlock(&h->stop_lock);
		if (stop)
			break;
	}
	free(devs);
	return NULL;
}

/* ---- the system watcher */

static void read_power(struct health *h, struct health_system *sys)
{
	const struct power_config *pc = &h->cfg.power;
	sys->power_enabled = pc->sysfs_root[0] || pc->gpio.enabled;
	if (!sys->power_enabled)
		return;
	struct power_status *ps = &sys->power;
	memset(ps, 0, sizeof(*ps));
	power_read_sysfs(pc->sysfs_root, ps);
	ps->gpio_enabled = pc->gpio.enabled;
	if (pc->gpio.enabled) {
		struct err e = { 0 };
		int raw = 0;
		if (!h->gpio && !power_gpio_open(&h->gpio, &pc->gpio, &e))
			h->gpio = NULL;
		if (h->gpio && !power_gpio_read(h->gpio, &raw, &e)) {
			power_gpio_close(h->gpio);
			h->gpio = NULL;
		}
		ps->gpio_ok = h->gpio != NULL;
		ps->gpio_mains = ps->gpio_ok && power_gpio_means_mains(&pc->gpio, raw);
		if (!ps->gpio_ok) {
			snprintf(ps->gpio_error, sizeof(ps->gpio_error), "%s", e.msg);
			if (strcmp(h->gpio_last_error, e.msg) != 0) {
				char m[ERR_MSG_MAX + 8];
				log_warn("event=power_gpio_failed msg=%s", log_str(m, sizeof(m), e.msg));
			}
			snprintf(h->gpio_last_error, sizeof(h->gpio_last_error), "%s", e.msg);
		} else {
			h->gpio_last_error[0] = '\0';
		}
	}
	power_decide(ps);
	sys->power_checked_ms = now_wall_ms();
}

static void read_uplink(struct health *h, struct health_system *sys, bool force_resolve)
{
	const struct netpath_config *nc = &h->cfg.uplink;
	memset(&sys->uplink, 0, sizeof(sys->uplink));
	if (nc->host[0]) {
		sys->uplink_source = "route";
		int64_t now = (int64_t)now_mono_ms();
		if (!h->endpoint_addr[0] || force_resolve || now >= h->resolve_at_ms) {
			struct err e = { 0 };
			char addr[48];
			if (netpath_resolve(nc, addr, sizeof(addr), &e)) {
				snprintf(h->endpoint_addr, sizeof(h->endpoint_addr), "%s", addr);
				h->resolve_error[0] = '\0';
			} else {
				snprintf(h->resolve_error, sizeof(h->resolve_error), "%s", e.msg);
			}
			h->resolve_at_ms = now + RESOLVE_EVERY_MS;
		}
		if (h->endpoint_addr[0]) {
			netpath_lookup(nc, h->endpoint_addr, &sys->uplink);
		} else {
			sys->uplink.role = UPLINK_NONE;
			snprintf(sys->uplink.error, sizeof(sys->uplink.error), "%s", h->resolve_error);
		}
	} else if (sys->tunnel_ok && sys->tunnel.uplink[0]) {
		sys->uplink_source = "tunnel";
		sys->uplink.known = true;
		snprintf(sys->uplink.ifname, sizeof(sys->uplink.ifname), "%s", sys->tunnel.uplink);
		sys->uplink.role = netpath_classify(nc, sys->uplink.ifname);
	} else {
		sys->uplink_source = "none";
		sys->uplink.role = UPLINK_NONE;
	}
}

static bool pid_alive(long pid)
{
	if (pid <= 0)
		return true;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void read_tunnel(struct health *h, struct health_system *sys)
{
	const char *path = h->cfg.tunnel_state;
	sys->tunnel_enabled = path[0] != '\0';
	if (!sys->tunnel_enabled)
		return;
	struct stat st;
	struct err e = { 0 };
	if (stat(path, &st) != 0) {
		err_errno(&e, ERR_IO, "tunnel state file %s", path);
		goto failed;
	}
	bool same = h->tunnel_st_known && sys->tunnel_ok && st.st_ino == h->tunnel_st.st_ino &&
		    st.st_dev == h->tunnel_st.st_dev && st.st_size == h->tunnel_st.st_size &&
		    st.st_mtim.tv_sec == h->tunnel_st.st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == h->tunnel_st.st_mtim.tv_nsec;
	if (!same) {
		char *text = NULL;
		size_t len = 0;
		struct tunnel_view v;
		if (!file_read(path, TUNNEL_VIEW_FILE_MAX, FILE_PUBLIC, &text, &len, &e))
			goto failed;
		bool ok = tunnel_view_parse(text, len, &v, &e);
		file_free(text, len);
		if (!ok) {
			err_wrap(&e, "%s", path);
			goto failed;
		}
		if (!sys->tunnel_ok || strcmp(v.state, sys->tunnel.state) != 0)
			log_info("event=tunnel_status state=%s reconnects=%llu uplink=%s", v.state,
				 (unsigned long long)v.reconnects, v.uplink[0] ? v.uplink : "-");
		sys->tunnel = v;
		sys->tunnel_ok = true;
		sys->tunnel_error[0] = '\0';
		h->tunnel_st = st;
		h->tunnel_st_known = true;
		sys->tunnel_mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	}
	sys->tunnel_pid_alive = pid_alive(sys->tunnel.pid);
	return;
failed:
	if (sys->tunnel_ok || strcmp(sys->tunnel_error, e.msg) != 0) {
		char m[ERR_MSG_MAX + 8];
		log_warn("event=tunnel_state_unreadable msg=%s", log_str(m, sizeof(m), e.msg));
	}
	sys->tunnel_read_errors++;
	sys->tunnel_ok = false;
	h->tunnel_st_known = false;
	memset(&sys->tunnel, 0, sizeof(sys->tunnel));
	sys->tunnel_pid_alive = false;
	snprintf(sys->tunnel_error, sizeof(sys->tunnel_error), "%s", e.msg);
}

static void log_system_changes(const struct health_system *old, const struct health_system *now,
			       bool first)
{
	if (now->power_enabled && (first || old->power.source != now->power.source)) {
		if (now->power.source == POWER_BATTERY)
			log_warn("event=power source=battery battery_percent=%d",
				 now->power.battery_known ? (int)now->power.battery_percent : -1);
		else
			log_info("event=power source=%s", power_source_name(now->power.source));
	}
	if (first || old->uplink.known != now->uplink.known ||
	    strcmp(old->uplink.ifname, now->uplink.ifname) != 0) {
		char m[ERR_MSG_MAX + 8];
		if (now->uplink.known && now->uplink.role == UPLINK_BACKUP)
			log_warn("event=uplink interface=%s role=backup source=%s", now->uplink.ifname,
				 now->uplink_source);
		else if (now->uplink.known)
			log_info("event=uplink interface=%s role=%s source=%s", now->uplink.ifname,
				 uplink_role_name(now->uplink.role), now->uplink_source);
		else if (strcmp(now->uplink_source, "none") != 0)
			log_warn("event=uplink interface=- role=none msg=%s",
				 log_str(m, sizeof(m), now->uplink.error[0] ? now->uplink.error : "no route"));
	}
}

static void system_pass(struct health *h, struct health_system *sys, bool force_resolve)
{
	struct health_system old = *sys;
	read_power(h, sys);
	read_tunnel(h, sys);
	read_uplink(h, sys, force_resolve);
	int64_t now = now_wall_ms();
	bool first = sys->checked_ms == 0;
	if (!first && (old.uplink.known != sys->uplink.known ||
		       strcmp(old.uplink.ifname, sys->uplink.ifname) != 0)) {
		sys->uplink_changes++;
		sys->uplink_since_ms = now;
	}
	if (first)
		sys->uplink_since_ms = now;
	sys->checked_ms = now;
	log_system_changes(&old, sys, first);
	pthread_mutex_lock(&h->lock);
	h->snap.sys = *sys;
	h->system_beat_ms = (int64_t)now_mono_ms();
	h->system_first = true;
	pthread_cond_broadcast(&h->first_cond);
	pthread_mutex_unlock(&h->lock);
}

static void *system_main(void *arg)
{
	struct health *h = arg;
	struct health_system sys;
	memset(&sys, 0, sizeof(sys));
	sys.uplink_source = "none";
	int nlfd = -1;
	if (h->cfg.uplink.host[0]) {
		struct err e = { 0 };
		nlfd = uplink_monitor_open(&e);
		if (nlfd < 0) {
			char m[ERR_MSG_MAX + 8];
			log_warn("event=netlink_unavailable msg=%s", log_str(m, sizeof(m), e.msg));
		}
	}
	bool force_resolve = false;
	for (;;) {
		system_pass(h, &sys, force_resolve);
		force_resolve = false;
		int64_t deadline = (int64_t)now_mono_ms() + h->cfg.interval_ms;
		bool woke_by_route = false;
		for (;;) {
			int64_t left = deadline - (int64_t)now_mono_ms();
			if (left <= 0)
				break;
			struct pollfd pfd[2] = { { .fd = h->stop_pipe[0], .events = POLLIN },
						 { .fd = nlfd, .events = POLLIN } };
			int n = poll(pfd, nlfd >= 0 ? 2 : 1, (int)left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
				goto out;
			if (nlfd >= 0 && (pfd[1].revents & POLLIN) && uplink_monitor_drain(nlfd)) {
				woke_by_route = true;
				break;
			}
		}
		if (stopping(h))
			break;
		if (woke_by_route) {
			/* let a burst of changes settle, then look again */
			struct pollfd p = { .fd = h->stop_pipe[0], .events = POLLIN };
			if (poll(&p, 1, NETLINK_SETTLE_MS) > 0)
				break;
			if (nlfd >= 0)
				uplink_monitor_drain(nlfd);
			force_resolve = sys.uplink.known == false;
		}
	}
out:
	if (nlfd >= 0)
		close(nlfd);
	power_gpio_close(h->gpio);
	h->gpio = NULL;
	return NULL;
}

/* ---- start, stop, read */

static int device_index(struct health_device *devs, size_t *ndev, const char *device)
{
	for (size_t i = 0; i < *ndev; i++)
		if (strcmp(devs[i].device, device) == 0)
			return (int)i;
	snprintf(devs[*ndev].device, sizeof(devs[*ndev].device), "%s", device);
	return (int)(*ndev)++;
}

static void free_health(struct health *h)
{
	free(h->snap.keys);
	free(h->snap.devices);
	if (h->stop_pipe[0] >= 0)
		close(h->stop_pipe[0]);
	if (h->stop_pipe[1] >= 0)
		close(h->stop_pipe[1]);
	pthread_cond_destroy(&h->stop_cond);
	pthread_cond_destroy(&h->first_cond);
	pthread_mutex_destroy(&h->stop_lock);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

bool health_start(struct health **out, const struct health_config *cfg, const struct vault *v,
		  struct ledger_backend *ledger, struct err *e)
{
	*out = NULL;
	if (cfg->interval_ms < 100 || cfg->interval_ms > 3600000)
		return err_set(e, ERR_MALFORMED, "health interval %u ms is not 100 ms to 1 h", cfg->interval_ms);
	struct health *h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(e, ERR_INTERNAL, "out of memory");
	h->cfg = *cfg;
	if (h->cfg.ledger_timeout_ms <= 0)
		h->cfg.ledger_timeout_ms = 1000;
	h->vault = v;
	h->ledger = ledger;
	h->stop_pipe[0] = h->stop_pipe[1] = -1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->stop_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->stop_cond, &ca);
	pthread_cond_init(&h->first_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pipe2(h->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		err_errno(e, ERR_IO, "health: pipe");
		free_health(h);
		return false;
	}
	size_t nkeys = v->count;
	h->snap.keys = calloc(nkeys ? nkeys : 1, sizeof(*h->snap.keys));
	h->snap.devices = calloc(nkeys ? nkeys : 1, sizeof(*h->snap.devices));
	if (!h->snap.keys || !h->snap.devices) {
		free_health(h);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	h->snap.nkeys = nkeys;
	int64_t now = now_wall_ms();
	for (size_t i = 0; i < nkeys; i++) {
		const struct vault_key *k = &v->keys[i];
		struct health_key *hk = &h->snap.keys[i];
		hk->since_ms = now;
		hk->device = -1;
		if (k->storage != STORAGE_LEDGER) {
			hk->can_sign = k->sk != NULL;
			hk->reason = hk->can_sign ? "ok" : "ledger_error";
			hk->checked_ms = now;
			continue;
		}
		hk->reason = "not_checked_yet";
		snprintf(hk->msg, sizeof(hk->msg), "ledger://%s/ has not been checked yet", k->ledger.device);
		if (ledger && k->ledger_backend)
			hk->device = device_index(h->snap.devices, &h->snap.ndevices, k->ledger.device);
	}
	h->snap.sys.uplink_source = "none";
	h->ledger_beat_ms = h->system_beat_ms = (int64_t)now_mono_ms();
	if (pthread_create(&h->system_thread, NULL, system_main, h) != 0) {
		free_health(h);
		return err_set(e, ERR_INTERNAL, "health: cannot start the system watcher thread");
	}
	h->system_started = true;
	if (h->snap.ndevices > 0 || vault_ledger_key_count(v) > 0) {
		if (pthread_create(&h->ledger_thread, NULL, ledger_main, h) != 0) {
			health_stop(h);
			return err_set(e, ERR_INTERNAL, "health: cannot start the Ledger watcher thread");
		}
		h->ledger_started = true;
	}
	*out = h;
	return true;
}

void health_stop(struct health *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->stop_lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->stop_cond);
	pthread_mutex_unlock(&h->stop_lock);
	if (h->stop_pipe[1] >= 0) {
		ssize_t w;
		do
			w = write(h->stop_pipe[1], "x", 1);
		while (w < 0 && errno == EINTR);
	}
	if (h->ledger_started)
		pthread_join(h->ledger_thread, NULL);
	if (h->system_started)
		pthread_join(h->system_thread, NULL);
	free_health(h);
}

bool health_wait_first_checks(struct health *h, int timeout_ms)
{
	struct timespec until = clock_after_ms(CLOCK_MONOTONIC, (uint64_t)timeout_ms);
	pthread_mutex_lock(&h->lock);
	bool done;
	while (!(done = h->system_first && (h->ledger_first || !h->ledger_started)))
		if (pthread_cond_timedwait(&h->first_cond, &h->lock, &until) != 0)
			break;
	done = h->system_first && (h->ledger_first || !h->ledger_started);
	pthread_mutex_unlock(&h->lock);
	return done;
}

static void apply_staleness(struct health_key *k, int64_t now, int64_t stale_ms)
{
	if (k->device < 0 || !k->can_sign || k->checked_ms == 0)
		return;
	if (now - k->checked_ms > stale_ms) {
		k->can_sign = false;
		k->reason = "status_stale";
		snprintf(k->msg, sizeof(k->msg), "the last check of this key's Ledger finished %lld s ago",
			 (long long)((now - k->checked_ms) / 1000));
	}
}

bool health_copy(struct health *h, struct health_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	out->keys = malloc((h->snap.nkeys ? h->snap.nkeys : 1) * sizeof(*out->keys));
	out->devices = malloc((h->snap.nkeys ? h->snap.nkeys : 1) * sizeof(*out->devices));
	if (!out->keys || !out->devices) {
		health_snapshot_free(out);
		return false;
	}
	pthread_mutex_lock(&h->lock);
	out->nkeys = h->snap.nkeys;
	out->ndevices = h->snap.ndevices;
	memcpy(out->keys, h->snap.keys, out->nkeys * sizeof(*out->keys));
	memcpy(out->devices, h->snap.devices, out->ndevices * sizeof(*out->devices));
	out->sys = h->snap.sys;
	pthread_mutex_unlock(&h->lock);
	out->now_ms = now_wall_ms();
	out->stale_ms = stale_after_ms(&h->cfg);
	for (size_t i = 0; i < out->nkeys; i++)
		apply_staleness(&out->keys[i], out->now_ms, out->stale_ms);
	return true;
}

void health_snapshot_free(struct health_snapshot *s)
{
	free(s->keys);
	free(s->devices);
	s->keys = NULL;
	s->devices = NULL;
}

void health_key_view(struct health *h, size_t key, struct health_key *out,
		     struct health_device *dev)
{
	pthread_mutex_lock(&h->lock);
	*out = h->snap.keys[key];
	if (dev && out->device >= 0)
		*dev = h->snap.devices[out->device];
	pthread_mutex_unlock(&h->lock);
	apply_staleness(out, now_wall_ms(), stale_after_ms(&h->cfg));
}

bool health_alive(struct health *h)
{
	/* The system watcher may wait on DNS for the endpoint's address
	 * (resolver timeouts add up to tens of seconds): a wider bound. */
	int64_t ledger_bound = stale_after_ms(&h->cfg) + 5000;
	int64_t system_bound = 2 * (int64_t)h->cfg.interval_ms + 90000;
	int64_t now = (int64_t)now_mono_ms();
	pthread_mutex_lock(&h->lock);
	bool ok = now - h->system_beat_ms < system_bound &&
		  (!h->ledger_started || now - h->ledger_beat_ms < ledger_bound);
	pthread_mutex_unlock(&h->lock);
	return ok;
}
