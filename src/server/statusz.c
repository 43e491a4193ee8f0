/* statusz.c - /statusz: can each key sign right now, what it last signed,
 * and the box's power, uplink and tunnel; answered from the snapshot the
 * health watchers keep (src/health) and the signing history metrics keeps,
 * never from the device. Also the same as a page (status_page.c). */
#include "statusz.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../base/version.h"
#include "../health/health.h"
#include "../ledger/uri.h"
#include "metrics.h"
#include "status_page.h"
#include "../base/clock.h"

static json_t *iso_time(int64_t ms) { return recent_iso_json(ms); }

/* A key's status when no health watcher runs. */
static void key_status_without_health(const struct vault_key *k, struct health_key *out)
{
	memset(out, 0, sizeof(*out));
	out->device = -1;
	out->can_sign = k->storage != STORAGE_LEDGER && k->sk != NULL;
	out->reason = out->can_sign ? "ok" : "not_checked_yet";
}

static json_t *key_status_json(const struct vault_key *k, const struct health_key *hk,
			       const struct health_device *dev)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s}", "pkh", k->pkh_text, "name", k->name, "storage",
			      key_storage_name(k->storage), "can_sign", hk->can_sign, "reason", hk->reason);
	if (!o)
		return NULL;
	if (hk->msg[0])
		json_object_set_new(o, "msg", json_string(hk->msg));
	json_object_set_new(o, "checked", iso_time(hk->checked_ms));
	json_object_set_new(o, "since", iso_time(hk->since_ms));
	if (k->storage == STORAGE_LEDGER) {
		char uri[LEDGER_URI_TEXT_MAX];
		ledger_uri_format(&k->ledger, uri);
		json_object_set_new(o, "uri", json_string(uri));
	}
	if (dev && hk->device >= 0) {
		json_t *d = json_pack("{s:s, s:s}", "device", dev->device, "state",
				      !dev->checked ? "unchecked"
				      : dev->fault == LEDGER_FAULT_NONE ? "ready"
									 : ledger_fault_name(dev->fault));
		if (d && dev->identified) {
			char version[32];
			snprintf(version, sizeof(version), "%u.%u.%u", dev->version.major, dev->version.minor,
				 dev->version.patch);
			json_object_set_new(d, "name", json_string(dev->name));
			json_object_set_new(d, "where", json_string(dev->where));
			json_object_set_new(d, "app", json_string(ledger_app_name(dev->version.app_class)));
			json_object_set_new(d, "version", json_string(version));
		}
		if (d && dev->hwm_known)
			json_object_set_new(d, "high_watermark",
					    json_pack("{s:I, s:I}", "level", (json_int_t)dev->hwm.main_level,
						      "round", (json_int_t)dev->hwm.main_round));
		json_object_set_new(o, "device", d ? d : json_null());
	}
	return o;
}

/* The key's last signatures and latency (metrics keeps them). */
static void add_recent(const struct statusz_source *s, json_t *key_json, size_t index)
{
	if (!key_json || !s->metrics)
		return;
	json_t *rec = recent_key_json(&s->metrics->recent, index, now_wall_ms());
	if (rec)
		json_object_update_new(key_json, rec);
}

json_t *statusz_key_json(const struct statusz_source *s, const struct vault_key *k,
			 bool *can_sign)
{
	struct health *h = s->health;
	struct health_key hk;
	struct health_device dev;
	memset(&dev, 0, sizeof(dev));
	if (h)
		health_key_view(h, (size_t)(k - s->vault->keys), &hk, &dev);
	else
		key_status_without_health(k, &hk);
	json_t *body = key_status_json(k, &hk, h ? &dev : NULL);
	add_recent(s, body, (size_t)(k - s->vault->keys));
	*can_sign = hk.can_sign;
	return body;
}

static json_t *system_json(const struct health_system *sys)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (sys->power_enabled && sys->power_checked_ms) {
		const struct power_status *p = &sys->power;
		json_t *pw = json_pack("{s:s}", "source", power_source_name(p->source));
		if (pw && p->battery_known) {
			json_object_set_new(pw, "battery_percent", json_integer(p->battery_percent));
			json_object_set_new(pw, "battery_status", json_string(battery_status_name(p->battery_status)));
		}
		if (pw && p->gpio_enabled)
			json_object_set_new(pw, "gpio", p->gpio_ok ? json_string(p->gpio_mains ? "mains" : "battery")
								  : json_string(p->gpio_error));
		json_object_set_new(o, "power", pw ? pw : json_null());
	}
	if (strcmp(sys->uplink_source, "none") != 0) {
		json_t *u = json_pack("{s:s, s:s}", "role", uplink_role_name(sys->uplink.role), "source",
				      sys->uplink_source);
		if (u && sys->uplink.known)
			json_object_set_new(u, "interface", json_string(sys->uplink.ifname));
		if (u && !sys->uplink.known && sys->uplink.error[0])
			json_object_set_new(u, "error", json_string(sys->uplink.error));
		json_object_set_new(o, "uplink", u ? u : json_null());
	}
	if (sys->tunnel_enabled && sys->checked_ms) {
		json_t *tn;
		if (sys->tunnel_ok)
			tn = json_pack("{s:s, s:b, s:I}", "state", sys->tunnel.state, "process_alive",
				       sys->tunnel_pid_alive, "reconnects", (json_int_t)sys->tunnel.reconnects);
		else
			tn = json_pack("{s:s, s:s}", "state", "unknown", "error", sys->tunnel_error);
		if (sys->tunnel_ok && tn && sys->tunnel.box_ssh[0])
			json_object_set_new(tn, "box_ssh", json_string(sys->tunnel.box_ssh));
		json_object_set_new(o, "tunnel", tn ? tn : json_null());
	}
	return o;
}

json_t *statusz_body(const struct statusz_source *s, bool *all)
{
	const struct vault *v = s->vault;
	struct health *h = s->health;
	struct health_snapshot snap;
	bool have = h && health_copy(h, &snap);
	if (h && !have)
		return NULL;
	json_t *keys = json_array();
	*all = v->count > 0;
	for (size_t i = 0; i < v->count; i++) {
		struct health_key hk;
		const struct health_device *dev = NULL;
		if (have) {
			hk = snap.keys[i];
			if (hk.device >= 0)
				dev = &snap.devices[hk.device];
		} else {
			key_status_without_health(&v->keys[i], &hk);
		}
		*all &= hk.can_sign;
		json_t *ko = key_status_json(&v->keys[i], &hk, dev);
		add_recent(s, ko, i);
		json_array_append_new(keys, ko);
	}
	json_t *body = json_pack("{s:b, s:s, s:o}", "can_sign", *all, "version", TZSIGNER_VERSION,
				 "keys", keys);
	if (body && have)
		json_object_set_new(body, "system", system_json(&snap.sys));
	if (have)
		health_snapshot_free(&snap);
	return body;
}

char *statusz_page_html(const struct statusz_source *s, size_t *len)
{
	bool all;
	char host[256] = "this box";
	json_t *body = statusz_body(s, &all);
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "this box");
	char *page = body ? status_page_html(body, host, len) : NULL;
	json_decref(body);
	return page;
}
