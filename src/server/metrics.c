/* metrics.c - counters, latency histograms and watermark gauges. */
#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/strbuf.h"
#include "../health/health.h"

static const double bucket_le[METRICS_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static const char *const outcome_names[OUTCOME_COUNT] = {
	"signed", "reanswered", "refused_malformed", "refused_authentication",
	"refused_policy", "refused_watermark", "refused_unavailable", "failed",
};

static const char *const kind_names[METRICS_KINDS] = {
	"block", "preattestation", "attestation", "other", "unparsed",
};

bool metrics_init(struct metrics *m, const struct vault *v, struct wm_store *watermarks)
{
	memset(m, 0, sizeof(*m));
	m->vault = v;
	m->watermarks = watermarks;
	m->keys = calloc(v->count ? v->count : 1, sizeof(*m->keys));
	m->start_unix = (uint64_t)time(NULL);
	return m->keys != NULL && recent_init(&m->recent, v->count);
}

void metrics_free(struct metrics *m)
{
	recent_free(&m->recent);
	free(m->keys);
	m->keys = NULL;
}

enum sign_outcome metrics_outcome_of_status(unsigned int status, bool reanswered)
{
	switch (status) {
	case 200: return reanswered ? OUTCOME_REANSWERED : OUTCOME_SIGNED;
	case 400: case 404: case 413: return OUTCOME_REFUSED_MALFORMED;
	case 401: return OUTCOME_REFUSED_AUTH;
	case 403: return OUTCOME_REFUSED_POLICY;
	case 409: return OUTCOME_REFUSED_WATERMARK;
	case 503: return OUTCOME_REFUSED_UNAVAILABLE;
	default: return OUTCOME_FAILED;
	}
}

void metrics_observe_sign(struct metrics *m, const struct vault_key *key, bool kind_known,
			  enum op_kind kind, enum sign_outcome outcome, uint64_t ns)
{
	if (!m)
		return;
	struct key_metrics *k = key ? &m->keys[key - m->vault->keys] : &m->unknown_key;
	size_t ki = kind_known ? (size_t)kind : METRICS_KINDS - 1;
	atomic_fetch_add_explicit(&k->outcomes[ki][outcome], 1, memory_order_relaxed);
	if (outcome != OUTCOME_SIGNED && outcome != OUTCOME_REANSWERED)
		return;
	double s = (double)ns / 1e9;
	for (size_t b = 0; b < METRICS_BUCKETS; b++)
		if (s <= bucket_le[b]) {
			atomic_fetch_add_explicit(&k->latency_buckets[b], 1, memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&k->latency_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&k->latency_sum_ns, ns, memory_order_relaxed);
}

/* A label value with \\, \" and newlines escaped, as the text format wants. */
static const char *label(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 3 < cap; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

static void render_key(struct strbuf *t, const struct key_metrics *k, const char *pkh,
		       const char *raw_name)
{
	char name[2 * KEY_NAME_MAX + 4];
	label(name, sizeof(name), raw_name);
	for (size_t kind = 0; kind < METRICS_KINDS; kind++)
		for (size_t o = 0; o < OUTCOME_COUNT; o++) {
			uint64_t v = atomic_load_explicit(&k->outcomes[kind][o], memory_order_relaxed);
			if (v)
				sb_printf(t, "tzsigner_sign_requests_total{pkh=\"%s\",name=\"%s\",kind=\"%s\",outcome=\"%s\"} %llu\n",
				    pkh, name, kind_names[kind], outcome_names[o], (unsigned long long)v);
		}
}

static void render_latency(struct strbuf *t, const struct key_metrics *k, const char *pkh)
{
	uint64_t cum = 0;
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		cum += atomic_load_explicit(&k->latency_buckets[b], memory_order_relaxed);
		sb_printf(t, "tzsigner_sign_duration_seconds_bucket{pkh=\"%s\",le=\"%g\"} %llu\n", pkh,
		    bucket_le[b], (unsigned long long)cum);
	}
	uint64_t count = atomic_load_explicit(&k->latency_count, memory_order_relaxed);
	sb_printf(t, "tzsigner_sign_duration_seconds_bucket{pkh=\"%s\",le=\"+Inf\"} %llu\n", pkh,
	    (unsigned long long)count);
	sb_printf(t, "tzsigner_sign_duration_seconds_sum{pkh=\"%s\"} %.9f\n", pkh,
	    (double)atomic_load_explicit(&k->latency_sum_ns, memory_order_relaxed) / 1e9);
	sb_printf(t, "tzsigner_sign_duration_seconds_count{pkh=\"%s\"} %llu\n", pkh,
	    (unsigned long long)count);
}

/* From the store's snapshot of its last durable write: never the lock a
 * watermarked signature takes. */
static void render_watermarks(struct strbuf *t, struct wm_store *s)
{
	struct wm_records r;
	struct wm_stats st;
	if (!wm_store_snapshot(s, &r, &st, NULL))
		return;
	sb_printf(t, "# HELP tzsigner_high_watermark_level Level of the last committed high watermark.\n"
	       "# TYPE tzsigner_high_watermark_level gauge\n");
	/* One family at a time: the text format wants each metric's lines together. */
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1)
			sb_printf(t, "# HELP tzsigner_high_watermark_round Round of the last committed high watermark.\n"
			       "# TYPE tzsigner_high_watermark_round gauge\n");
		if (pass == 2)
			sb_printf(t, "# HELP tzsigner_watermark_reserved_level Every level up to this one is durably "
			       "taken, for the three kinds of the (chain, key).\n"
			       "# TYPE tzsigner_watermark_reserved_level gauge\n");
		for (size_t i = 0; i < r.n; i++) {
			const struct wm_record *x = &r.v[i];
			char chain[B58_MAX], pkh[B58_MAX];
			if (!chain_id_encode(chain, x->chain, NULL) || !pkh_encode(pkh, &x->pkh, NULL))
				continue;
			if (pass == 0 && x->w.known)
				sb_printf(t, "tzsigner_high_watermark_level{chain=\"%s\",pkh=\"%s\",kind=\"%s\"} %u\n",
				    chain, pkh, op_kind_name(x->kind), x->w.level);
			else if (pass == 1 && x->w.known && x->w.round != WM_WHOLE_LEVEL)
				sb_printf(t, "tzsigner_high_watermark_round{chain=\"%s\",pkh=\"%s\",kind=\"%s\"} %u\n",
				    chain, pkh, op_kind_name(x->kind), x->w.round);
			else if (pass == 2 && x->reserved)
				sb_printf(t, "tzsigner_watermark_reserved_level{chain=\"%s\",pkh=\"%s\",kind=\"%s\"} %u\n",
				    chain, pkh, op_kind_name(x->kind), x->reserved);
		}
	}
	sb_printf(t, "# TYPE tzsigner_watermark_writes_total counter\ntzsigner_watermark_writes_total %llu\n"
	       "# TYPE tzsigner_watermark_write_failures_total counter\n"
	       "tzsigner_watermark_write_failures_total %llu\n"
	       "# HELP tzsigner_watermark_file_replaced_total Times the watermark file was found deleted or replaced and written again.\n"
	       "# TYPE tzsigner_watermark_file_replaced_total counter\n"
	       "tzsigner_watermark_file_replaced_total %llu\n"
	       "# HELP tzsigner_watermark_window Levels reserved ahead now: a crash costs at most this many of each kind.\n"
	       "# TYPE tzsigner_watermark_window gauge\ntzsigner_watermark_window %u\n"
	       "# HELP tzsigner_watermark_waits_total Sign requests that waited for a watermark write (a new key, a jump past the window, sync durability).\n"
	       "# TYPE tzsigner_watermark_waits_total counter\ntzsigner_watermark_waits_total %llu\n",
	    (unsigned long long)st.writes, (unsigned long long)st.write_failures,
	    (unsigned long long)st.files_replaced, st.window, (unsigned long long)st.waits);
	wm_records_free(&r);
}

/* ---- the box's health (src/health): Ledger, power, uplink, tunnel */

static void family(struct strbuf *t, const char *name, const char *type, const char *help)
{
	sb_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double secs(int64_t ms)
{
	return (double)ms / 1000.0;
}

static void render_health_keys(struct strbuf *t, const struct vault *v, const struct health_snapshot *s)
{
	family(t, "tzsigner_key_can_sign", "gauge",
	       "1 when the key can sign right now (what /statusz/<pkh> answers 200 for).");
	for (size_t i = 0; i < s->nkeys; i++) {
		char name[2 * KEY_NAME_MAX + 4];
		sb_printf(t, "tzsigner_key_can_sign{pkh=\"%s\",name=\"%s\",storage=\"%s\"} %d\n", v->keys[i].pkh_text,
		    label(name, sizeof(name), v->keys[i].name), key_storage_name(v->keys[i].storage),
		    s->keys[i].can_sign ? 1 : 0);
	}
	family(t, "tzsigner_key_status", "gauge", "The reason a key can or cannot sign (1 for the current one).");
	for (size_t i = 0; i < s->nkeys; i++)
		sb_printf(t, "tzsigner_key_status{pkh=\"%s\",reason=\"%s\"} 1\n", v->keys[i].pkh_text,
		    s->keys[i].reason);
	family(t, "tzsigner_key_status_since_timestamp_seconds", "gauge",
	       "When the key's current status began (Unix time).");
	for (size_t i = 0; i < s->nkeys; i++)
		sb_printf(t, "tzsigner_key_status_since_timestamp_seconds{pkh=\"%s\"} %.3f\n", v->keys[i].pkh_text,
		    secs(s->keys[i].since_ms));
}

static const char *device_state(const struct health_device *d)
{
	if (!d->checked)
		return "unchecked";
	return d->fault == LEDGER_FAULT_NONE ? "ready" : ledger_fault_name(d->fault);
}

static void render_health_ledger(struct strbuf *t, const struct health_snapshot *s)
{
	static const char *const states[] = {
		"unchecked", "ready", "unreachable", "locked", "app_closed", "other_app", "wrong_device", "error",
	};
	if (s->ndevices == 0)
		return;
	char l1[LEDGER_NAME_MAX * 2 + 4], l2[512], l3[LEDGER_NAME_MAX * 2 + 4];
	family(t, "tzsigner_ledger_up", "gauge",
	       "1 when the Ledger answers with the Tezos Baking app open and unlocked.");
	for (size_t i = 0; i < s->ndevices; i++)
		sb_printf(t, "tzsigner_ledger_up{device=\"%s\"} %d\n", label(l1, sizeof(l1), s->devices[i].device),
		    s->devices[i].checked && s->devices[i].fault == LEDGER_FAULT_NONE ? 1 : 0);
	family(t, "tzsigner_ledger_state", "gauge", "The Ledger's state (1 for the current one).");
	for (size_t i = 0; i < s->ndevices; i++) {
		const char *cur = device_state(&s->devices[i]);
		label(l1, sizeof(l1), s->devices[i].device);
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			sb_printf(t, "tzsigner_ledger_state{device=\"%s\",state=\"%s\"} %d\n", l1, states[k],
			    strcmp(cur, states[k]) == 0 ? 1 : 0);
	}
	family(t, "tzsigner_ledger_info", "gauge", "The device last identified under that name.");
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct health_device *d = &s->devices[i];
		if (!d->identified)
			continue;
		sb_printf(t, "tzsigner_ledger_info{device=\"%s\",name=\"%s\",app=\"%s\",version=\"%u.%u.%u\",where=\"%s\"} 1\n",
		    label(l1, sizeof(l1), d->device), label(l3, sizeof(l3), d->name),
		    ledger_app_name(d->version.app_class), d->version.major, d->version.minor,
		    d->version.patch, label(l2, sizeof(l2), d->where));
	}
	family(t, "tzsigner_ledger_authorized_key_info", "gauge",
	       "The key the baking app authorizes (path \"none\" when none is).");
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct health_device *d = &s->devices[i];
		char path[128] = "none";
		if (!d->auth_known)
			continue;
		if (d->authorized)
			ledger_path_format(&d->auth_path, path, sizeof(path));
		sb_printf(t, "tzsigner_ledger_authorized_key_info{device=\"%s\",curve=\"%s\",path=\"%s\"} 1\n",
		    label(l1, sizeof(l1), d->device), d->authorized ? ledger_curve_name(d->auth_curve) : "none",
		    path);
	}
	family(t, "tzsigner_ledger_high_watermark_level", "gauge", "The baking app's own high watermark (main chain).");
	for (size_t i = 0; i < s->ndevices; i++)
		if (s->devices[i].hwm_known)
			sb_printf(t, "tzsigner_ledger_high_watermark_level{device=\"%s\"} %" PRIu32 "\n",
			    label(l1, sizeof(l1), s->devices[i].device), s->devices[i].hwm.main_level);
	family(t, "tzsigner_ledger_high_watermark_round", "gauge", "The baking app's own high watermark round (main chain).");
	for (size_t i = 0; i < s->ndevices; i++)
		if (s->devices[i].hwm_known)
			sb_printf(t, "tzsigner_ledger_high_watermark_round{device=\"%s\"} %" PRIu32 "\n",
			    label(l1, sizeof(l1), s->devices[i].device), s->devices[i].hwm.main_round);
	family(t, "tzsigner_ledger_checks_total", "counter",
	       "Background checks of the device: ok, failed, or skipped because a signature held it.");
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct health_device *d = &s->devices[i];
		label(l1, sizeof(l1), d->device);
		sb_printf(t, "tzsigner_ledger_checks_total{device=\"%s\",outcome=\"ok\"} %llu\n"
		       "tzsigner_ledger_checks_total{device=\"%s\",outcome=\"failed\"} %llu\n"
		       "tzsigner_ledger_checks_total{device=\"%s\",outcome=\"busy\"} %llu\n",
		    l1, (unsigned long long)(d->checks - d->failures), l1, (unsigned long long)d->failures, l1,
		    (unsigned long long)d->busy);
	}
	family(t, "tzsigner_ledger_last_check_timestamp_seconds", "gauge", "When the device was last checked (Unix time).");
	for (size_t i = 0; i < s->ndevices; i++)
		if (s->devices[i].checked)
			sb_printf(t, "tzsigner_ledger_last_check_timestamp_seconds{device=\"%s\"} %.3f\n",
			    label(l1, sizeof(l1), s->devices[i].device), secs(s->devices[i].checked_ms));
}

static void render_health_power(struct strbuf *t, const struct health_system *sys)
{
	const struct power_status *p = &sys->power;
	static const enum power_source sources[] = { POWER_MAINS, POWER_BATTERY, POWER_UNKNOWN };
	char l1[2 * POWER_NAME_MAX + 4];
	if (!sys->power_enabled || sys->power_checked_ms == 0)
		return;
	family(t, "tzsigner_power_source", "gauge", "What the box runs on now (1 for the current one).");
	for (size_t i = 0; i < 3; i++)
		sb_printf(t, "tzsigner_power_source{source=\"%s\"} %d\n", power_source_name(sources[i]),
		    p->source == sources[i] ? 1 : 0);
	if (p->source != POWER_UNKNOWN) {
		family(t, "tzsigner_power_on_mains", "gauge", "1 on wall power, 0 on battery.");
		sb_printf(t, "tzsigner_power_on_mains %d\n", p->source == POWER_MAINS ? 1 : 0);
	}
	if (p->battery_known) {
		family(t, "tzsigner_battery_level_percent", "gauge", "Charge of the box's battery (the first one that reports it).");
		sb_printf(t, "tzsigner_battery_level_percent %u\n", p->battery_percent);
	}
	family(t, "tzsigner_power_sysfs_up", "gauge", "1 when the power supply directory could be read.");
	sb_printf(t, "tzsigner_power_sysfs_up %d\n", p->sysfs_ok ? 1 : 0);
	family(t, "tzsigner_power_supply_online", "gauge", "External supplies (mains, USB): 1 when online.");
	for (size_t i = 0; i < p->nsupplies; i++)
		if (p->supplies[i].kind == SUPPLY_EXTERNAL && p->supplies[i].online_known)
			sb_printf(t, "tzsigner_power_supply_online{supply=\"%s\"} %d\n",
			    label(l1, sizeof(l1), p->supplies[i].name), p->supplies[i].online ? 1 : 0);
	family(t, "tzsigner_battery_capacity_percent", "gauge", "Each battery's charge.");
	for (size_t i = 0; i < p->nsupplies; i++)
		if (p->supplies[i].kind == SUPPLY_BATTERY && p->supplies[i].capacity_known)
			sb_printf(t, "tzsigner_battery_capacity_percent{supply=\"%s\"} %u\n",
			    label(l1, sizeof(l1), p->supplies[i].name), p->supplies[i].capacity);
	family(t, "tzsigner_battery_status", "gauge", "Each battery's status (1 for the current one).");
	for (size_t i = 0; i < p->nsupplies; i++) {
		const struct power_supply *s = &p->supplies[i];
		if (s->kind != SUPPLY_BATTERY || !s->status_known)
			continue;
		label(l1, sizeof(l1), s->name);
		for (size_t k = 0; k < BATTERY_STATUS_COUNT; k++)
			sb_printf(t, "tzsigner_battery_status{supply=\"%s\",status=\"%s\"} %d\n", l1,
			    battery_status_name((enum battery_status)k), s->status == (enum battery_status)k ? 1 : 0);
	}
	family(t, "tzsigner_power_supply_readable", "gauge", "0 when a supply's values could not be read or parsed (see the log).");
	for (size_t i = 0; i < p->nsupplies; i++)
		sb_printf(t, "tzsigner_power_supply_readable{supply=\"%s\"} %d\n",
		    label(l1, sizeof(l1), p->supplies[i].name), p->supplies[i].error[0] ? 0 : 1);
	if (p->gpio_enabled) {
		family(t, "tzsigner_power_gpio_up", "gauge", "1 when the UPS HAT's GPIO line could be read.");
		sb_printf(t, "tzsigner_power_gpio_up %d\n", p->gpio_ok ? 1 : 0);
		if (p->gpio_ok) {
			family(t, "tzsigner_power_gpio_mains", "gauge", "The UPS HAT's line: 1 while on mains.");
			sb_printf(t, "tzsigner_power_gpio_mains %d\n", p->gpio_mains ? 1 : 0);
		}
	}
}

static void render_health_uplink(struct strbuf *t, const struct health_system *sys)
{
	if (strcmp(sys->uplink_source, "none") == 0 && sys->uplink_changes == 0)
		return;
	char l1[2 * IF_NAMESIZE + 4];
	family(t, "tzsigner_uplink_role", "gauge",
	       "The role of the interface carrying the route to the cloud endpoint (1 for the current one).");
	for (size_t r = 0; r < UPLINK_ROLE_COUNT; r++)
		sb_printf(t, "tzsigner_uplink_role{role=\"%s\"} %d\n", uplink_role_name((enum uplink_role)r),
		    sys->uplink.role == (enum uplink_role)r ? 1 : 0);
	if (sys->uplink.known) {
		family(t, "tzsigner_uplink_info", "gauge", "The interface carrying the route to the cloud endpoint.");
		sb_printf(t, "tzsigner_uplink_info{interface=\"%s\",role=\"%s\",source=\"%s\"} 1\n",
		    label(l1, sizeof(l1), sys->uplink.ifname), uplink_role_name(sys->uplink.role),
		    sys->uplink_source);
	}
	family(t, "tzsigner_uplink_changes_total", "counter", "Times the route to the endpoint moved to another interface.");
	sb_printf(t, "tzsigner_uplink_changes_total %llu\n", (unsigned long long)sys->uplink_changes);
	family(t, "tzsigner_uplink_since_timestamp_seconds", "gauge", "When the current uplink began (Unix time).");
	sb_printf(t, "tzsigner_uplink_since_timestamp_seconds %.3f\n", secs(sys->uplink_since_ms));
}

static bool known_tunnel_state(const char *state)
{
	for (size_t i = 0; i < TUNNEL_STATE_COUNT; i++)
		if (strcmp(state, tunnel_state_names[i]) == 0)
			return true;
	return false;
}

static void render_health_tunnel(struct strbuf *t, const struct health_system *sys)
{
	if (!sys->tunnel_enabled || sys->checked_ms == 0)
		return;
	const struct tunnel_view *v = &sys->tunnel;
	char l1[64];
	family(t, "tzsigner_tunnel_state_file_ok", "gauge", "1 when the tunnel's state file could be read and parsed.");
	sb_printf(t, "tzsigner_tunnel_state_file_ok %d\n", sys->tunnel_ok ? 1 : 0);
	family(t, "tzsigner_tunnel_state_file_read_errors_total", "counter", "Failed reads of the tunnel's state file.");
	sb_printf(t, "tzsigner_tunnel_state_file_read_errors_total %llu\n", (unsigned long long)sys->tunnel_read_errors);
	if (!sys->tunnel_ok)
		return;
	bool up = strcmp(v->state, "up") == 0 && sys->tunnel_pid_alive;
	family(t, "tzsigner_tunnel_up", "gauge", "1 when the tunnel says it is up and its process runs.");
	sb_printf(t, "tzsigner_tunnel_up %d\n", up ? 1 : 0);
	family(t, "tzsigner_tunnel_state", "gauge", "The tunnel's state (1 for the current one).");
	for (size_t i = 0; i < TUNNEL_STATE_COUNT; i++)
		sb_printf(t, "tzsigner_tunnel_state{state=\"%s\"} %d\n", tunnel_state_names[i],
		    strcmp(v->state, tunnel_state_names[i]) == 0 ? 1 : 0);
	if (!known_tunnel_state(v->state))
		sb_printf(t, "tzsigner_tunnel_state{state=\"%s\"} 1\n", v->state);
	family(t, "tzsigner_tunnel_process_alive", "gauge", "1 when the process that wrote the state file runs.");
	sb_printf(t, "tzsigner_tunnel_process_alive %d\n", sys->tunnel_pid_alive ? 1 : 0);
	family(t, "tzsigner_tunnel_reconnects_total", "counter", "Times the tunnel came back up (the tunnel's count).");
	sb_printf(t, "tzsigner_tunnel_reconnects_total %llu\n", (unsigned long long)v->reconnects);
	family(t, "tzsigner_tunnel_attempts_total", "counter", "ssh runs since the tunnel started (the tunnel's count).");
	sb_printf(t, "tzsigner_tunnel_attempts_total %llu\n", (unsigned long long)v->attempts);
	family(t, "tzsigner_tunnel_consecutive_failures", "gauge", "Attempts since the tunnel was last stable.");
	sb_printf(t, "tzsigner_tunnel_consecutive_failures %llu\n", (unsigned long long)v->failures);
	if (v->since_ms) {
		family(t, "tzsigner_tunnel_state_since_timestamp_seconds", "gauge", "When the tunnel entered its state (Unix time).");
		sb_printf(t, "tzsigner_tunnel_state_since_timestamp_seconds %.3f\n", secs(v->since_ms));
	}
	family(t, "tzsigner_tunnel_info", "gauge", "The tunnel's uplink, end-to-end probe and last error kind.");
	sb_printf(t, "tzsigner_tunnel_info{uplink=\"%s\",signer=\"%s\",probe=\"%s\",error_kind=\"%s\"} 1\n",
	    label(l1, sizeof(l1), v->uplink), v->signer, v->probe, v->error_kind);
}

static void render_health(struct strbuf *t, struct metrics *m)
{
	struct health_snapshot s;
	if (!health_copy(m->health, &s)) {
		t->failed = true;
		return;
	}
	family(t, "tzsigner_health_watchers_up", "gauge", "1 while the background watchers keep looping.");
	sb_printf(t, "tzsigner_health_watchers_up %d\n", health_alive(m->health) ? 1 : 0);
	render_health_keys(t, m->vault, &s);
	render_health_ledger(t, &s);
	render_health_power(t, &s.sys);
	render_health_uplink(t, &s.sys);
	render_health_tunnel(t, &s.sys);
	health_snapshot_free(&s);
}

char *metrics_render(struct metrics *m, size_t *len)
{
	struct strbuf t = { 0 };
	const struct vault *v = m->vault;
	sb_printf(&t, "# HELP tzsigner_up The signer process answers.\n# TYPE tzsigner_up gauge\ntzsigner_up 1\n");
	sb_printf(&t, "# TYPE tzsigner_start_time_seconds gauge\ntzsigner_start_time_seconds %llu\n",
	    (unsigned long long)m->start_unix);
	sb_printf(&t, "# HELP tzsigner_key_info A key this signer holds.\n# TYPE tzsigner_key_info gauge\n");
	for (size_t i = 0; i < v->count; i++)
	{
		char name[2 * KEY_NAME_MAX + 4];
		sb_printf(&t, "tzsigner_key_info{pkh=\"%s\",name=\"%s\",storage=\"%s\"} 1\n", v->keys[i].pkh_text,
		    label(name, sizeof(name), v->keys[i].name), key_storage_name(v->keys[i].storage));
	}
	sb_printf(&t, "# HELP tzsigner_sign_requests_total Sign requests by key, kind and outcome.\n"
		"# TYPE tzsigner_sign_requests_total counter\n");
	for (size_t i = 0; i < v->count; i++)
		render_key(&t, &m->keys[i], v->keys[i].pkh_text, v->keys[i].name);
	render_key(&t, &m->unknown_key, "unknown", "-");
	sb_printf(&t, "# HELP tzsigner_sign_duration_seconds Time from request to signature.\n"
		"# TYPE tzsigner_sign_duration_seconds histogram\n");
	for (size_t i = 0; i < v->count; i++)
		render_latency(&t, &m->keys[i], v->keys[i].pkh_text);
	sb_printf(&t, "# HELP tzsigner_watermark_refusals_total Sign requests refused by the high watermark (409), by key and kind.\n"
		"# TYPE tzsigner_watermark_refusals_total counter\n");
	for (size_t i = 0; i < v->count; i++)
		for (size_t kind = 0; kind < METRICS_KINDS - 2; kind++)
			sb_printf(&t, "tzsigner_watermark_refusals_total{pkh=\"%s\",kind=\"%s\"} %llu\n",
			    v->keys[i].pkh_text, kind_names[kind],
			    (unsigned long long)atomic_load_explicit(
				    &m->keys[i].outcomes[kind][OUTCOME_REFUSED_WATERMARK], memory_order_relaxed));
	if (m->watermarks)
		render_watermarks(&t, m->watermarks);
	if (m->health)
		render_health(&t, m);
	size_t n = t.len;
	char *text = sb_take(&t);
	if (text)
		*len = n;
	return text;
}
