/* Unit tests of src/health/ledger_watch.c and the health watchers: what a
 * device's state means for a key, status words as faults, and the
 * snapshot the threads publish (power from a test sysfs tree, the tunnel's
 * state file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/log.h"
#include "../../src/health/health.h"
#include "../../src/health/ledger_watch.h"
#include "../../src/vault/vault.h"
#include "harness.h"

TEST(health_ledger_fault_of_sw)
{
	CHECK(ledger_fault_of_sw(0x9000) == LEDGER_FAULT_NONE);
	CHECK(ledger_fault_of_sw(0x5515) == LEDGER_FAULT_LOCKED);
	CHECK(ledger_fault_of_sw(0x6982) == LEDGER_FAULT_LOCKED);
	CHECK(ledger_fault_of_sw(0x6D00) == LEDGER_FAULT_APP_CLOSED);
	CHECK(ledger_fault_of_sw(0x6E00) == LEDGER_FAULT_OTHER_APP);
	CHECK(ledger_fault_of_sw(0x6E01) == LEDGER_FAULT_OTHER_APP);
	CHECK(ledger_fault_of_sw(0x6A80) == LEDGER_FAULT_OTHER);
	CHECK(strcmp(ledger_watch_reason(LEDGER_FAULT_UNREACHABLE), "ledger_unreachable") == 0);
	CHECK(strcmp(ledger_watch_reason(LEDGER_FAULT_APP_CLOSED), "ledger_app_closed") == 0);
	CHECK(strcmp(ledger_watch_reason(LEDGER_FAULT_LOCKED), "ledger_locked") == 0);
	CHECK(strcmp(ledger_fault_name(LEDGER_FAULT_OTHER_APP), "other_app") == 0);
}

static bool ledger_key(struct vault_key *k, const char *uri)
{
	struct err e = { 0 };
	memset(k, 0, sizeof(*k));
	k->storage = STORAGE_LEDGER;
	snprintf(k->name, sizeof(k->name), "baker");
	snprintf(k->pkh_text, sizeof(k->pkh_text), "tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA");
	return ledger_uri_parse(uri, &k->ledger, &e);
}

static void ready_device(struct health_device *d, const struct vault_key *k)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->device, sizeof(d->device), "%s", k->ledger.device);
	snprintf(d->name, sizeof(d->name), "%s", k->ledger.device);
	d->checked = d->identified = d->auth_known = d->authorized = true;
	d->fault = LEDGER_FAULT_NONE;
	d->auth_curve = k->ledger.curve;
	d->auth_path = k->ledger.path;
}

TEST(health_ledger_key_reasons)
{
	struct vault_key k;
	struct health_device d;
	struct health_key out;
	CHECK(ledger_key(&k, "ledger://kooky-chameleon-pointless-caracal/ed25519/0h/0h"));

	ledger_watch_key(&k.ledger, NULL, &out);
	CHECK(!out.can_sign && strcmp(out.reason, "ledger_backend_missing") == 0);

	ready_device(&d, &k);
	ledger_watch_key(&k.ledger, &d, &out);
	CHECK(out.can_sign && strcmp(out.reason, "ok") == 0);

	d.checked = false;
	ledger_watch_key(&k.ledger, &d, &out);
	CHECK(!out.can_sign && strcmp(out.reason, "not_checked_yet") == 0);

	static const struct { enum ledger_fault f; const char *reason; } faults[] = {
		{ LEDGER_FAULT_UNREACHABLE, "ledger_unreachable" }, { LEDGER_FAULT_LOCKED, "ledger_locked" },
		{ LEDGER_FAULT_APP_CLOSED, "ledger_app_closed" },   { LEDGER_FAULT_OTHER_APP, "ledger_other_app" },
		{ LEDGER_FAULT_WRONG_DEVICE, "ledger_wrong_device" }, { LEDGER_FAULT_OTHER, "ledger_error" },
	};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		ready_device(&d, &k);
		d.fault = faults[i].f;
		snprintf(d.msg, sizeof(d.msg), "device message %zu", i);
		ledger_watch_key(&k.ledger, &d, &out);
		CHECK(!out.can_sign && strcmp(out.reason, faults[i].reason) == 0);
		CHECK(strcmp(out.msg, d.msg) == 0);
	}

	/* nothing authorized */
	ready_device(&d, &k);
	d.authorized = false;
	ledger_watch_key(&k.ledger, &d, &out);
	CHECK(!out.can_sign && strcmp(out.reason, "ledger_key_not_authorized") == 0 &&
	      strstr(out.msg, "tzsigner ledger setup") && strstr(out.msg, "--chain CHAIN_ID --main-hwm LEVEL"));

	/* another path, another curve */
	ready_device(&d, &k);
	d.auth_path.c[3] = 0x80000001u;
	ledger_watch_key(&k.ledger, &d, &out);
	CHECK(!out.can_sign && strcmp(out.reason, "ledger_key_not_authorized") == 0 &&
	      strstr(out.msg, "44h/1729h/0h/1h"));
	ready_device(&d, &k);
	d.auth_curve = LEDGER_CURVE_SECP256K1;
	ledger_watch_key(&k.ledger, &d, &out);
	CHECK(!out.can_sign && strstr(out.msg, "secp256k1"));

	/* authorized key unknown */
	ready_device(&d, &k);
	d.auth_known = false;
	ledger_watch_key(&k.ledger, &d, &out);
	CHECK(!out.can_sign && strcmp(out.reason, "ledger_error") == 0);
}

TEST(health_ledger_check_without_backend)
{
	struct health_device d;
	memset(&d, 0, sizeof(d));
	snprintf(d.device, sizeof(d.device), "x");
	ledger_watch_check(NULL, 100, &d, 1000);
	CHECK(d.checked && d.fault == LEDGER_FAULT_OTHER && d.checks == 1 && d.failures == 1);
	CHECK(d.since_ms == 1000);
	ledger_watch_check(NULL, 100, &d, 2000);
	CHECK(d.since_ms == 1000 && d.checked_ms == 2000 && d.checks == 2);
}

/* ---- the watchers, end to end in-process */

static bool write_text(const char *path, const char *text)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return false;
	fputs(text, f);
	if (fclose(f) != 0)
		return false;
	return rename(tmp, path) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits up to 5 s for pred on fresh copies. */
static bool wait_for(struct health *h, bool (*pred)(const struct health_snapshot *), struct health_snapshot *s)
{
	for (int i = 0; i < 100; i++) {
		if (!health_copy(h, s))
			return false;
		if (pred(s))
			return true;
		health_snapshot_free(s);
		sleep_ms(50);
	}
	return health_copy(h, s) && false;
}

static bool first_pass(const struct health_snapshot *s)
{
	return s->sys.checked_ms != 0 && s->sys.tunnel_ok && s->keys[1].reason &&
	       strcmp(s->keys[1].reason, "not_checked_yet") != 0;
}

static bool on_battery(const struct health_snapshot *s)
{
	return s->sys.power.source == POWER_BATTERY && s->sys.tunnel_ok &&
	       strcmp(s->sys.tunnel.state, "down") == 0;
}

TEST(health_watchers_publish)
{
	char dir[] = "/tmp/tzs-health-watch.XXXXXX";
	CHECK(mkdtemp(dir));
	enum log_level saved = log_get_level();
	log_set_level(LOG_ERROR); /* the watchers log every change: not this test's output */
	char ps[300], ac[320], bat[320], path[400], tunnel[400];
	snprintf(ps, sizeof(ps), "%s/ps", dir);
	snprintf(ac, sizeof(ac), "%s/AC", ps);
	snprintf(bat, sizeof(bat), "%s/BAT0", ps);
	snprintf(tunnel, sizeof(tunnel), "%s/tunnel.json", dir);
	bool ok = mkdir(ps, 0755) == 0 && mkdir(ac, 0755) == 0 && mkdir(bat, 0755) == 0;
	snprintf(path, sizeof(path), "%s/type", ac);
	ok = ok && write_text(path, "Mains\n");
	snprintf(path, sizeof(path), "%s/online", ac);
	ok = ok && write_text(path, "1\n");
	snprintf(path, sizeof(path), "%s/type", bat);
	ok = ok && write_text(path, "Battery\n");
	snprintf(path, sizeof(path), "%s/capacity", bat);
	ok = ok && write_text(path, "91\n");
	ok = ok && write_text(tunnel, "{\"state\":\"up\",\"reconnects\":2,\"uplink\":\"lo\"}\n");

	/* one key held here, one Ledger key whose backend is missing */
	struct vault_key keys[2];
	memset(keys, 0, sizeof(keys));
	keys[0].storage = STORAGE_UNENCRYPTED;
	keys[0].sk = (struct secret_key *)(void *)keys; /* never dereferenced: "held here" */
	struct err e = { 0 };
	ok = ok && ledger_key(&keys[1], "ledger://kooky-chameleon-pointless-caracal/ed25519/0h/0h");
	struct vault v = { .keys = keys, .count = 2 };
	struct health_config cfg;
	health_config_default(&cfg);
	cfg.interval_ms = 100;
	snprintf(cfg.power.sysfs_root, sizeof(cfg.power.sysfs_root), "%s", ps);
	snprintf(cfg.tunnel_state, sizeof(cfg.tunnel_state), "%s", tunnel);
	ok = ok && netpath_add_ifaces(&cfg.uplink, false, "lo", &e);
	struct health *h = NULL;
	ok = ok && health_start(&h, &cfg, &v, NULL, &e);
	if (!ok)
		fprintf(stderr, "setup: %s\n", e.msg);

	struct health_snapshot s;
	memset(&s, 0, sizeof(s));
	bool first = ok && wait_for(h, first_pass, &s);
	bool first_ok = first && s.nkeys == 2 && s.keys[0].can_sign && strcmp(s.keys[0].reason, "ok") == 0 &&
			!s.keys[1].can_sign && strcmp(s.keys[1].reason, "ledger_backend_missing") == 0 &&
			s.sys.power.source == POWER_MAINS && s.sys.power.battery_known &&
			s.sys.power.battery_percent == 91 && strcmp(s.sys.tunnel.state, "up") == 0 &&
			s.sys.tunnel.reconnects == 2 && strcmp(s.sys.uplink_source, "tunnel") == 0 &&
			s.sys.uplink.known && s.sys.uplink.role == UPLINK_PRIMARY;
	health_snapshot_free(&s);
	bool alive = ok && health_alive(h);

	/* the plug is pulled and the tunnel drops: seen within a few checks */
	snprintf(path, sizeof(path), "%s/online", ac);
	bool changed = ok && write_text(path, "0\n") &&
		       write_text(tunnel, "{\"state\":\"down\",\"reconnects\":2,\"error_kind\":\"disconnected\"}\n");
	bool second = changed && wait_for(h, on_battery, &s);
	bool second_ok = second && strcmp(s.sys.uplink_source, "none") == 0 && !s.sys.uplink.known;
	health_snapshot_free(&s);

	/* the state file goes bad: reported, not half-read */
	bool bad = ok && write_text(tunnel, "{\"state\":\"up\"");
	bool bad_seen = false;
	for (int i = 0; bad && i < 100 && !bad_seen; i++) {
		sleep_ms(50);
		if (health_copy(h, &s)) {
			bad_seen = !s.sys.tunnel_ok && strstr(s.sys.tunnel_error, "tunnel.json") &&
				   s.sys.tunnel_read_errors > 0;
			health_snapshot_free(&s);
		}
	}
	struct health_key hk;
	struct health_device hd;
	if (h)
		health_key_view(h, 0, &hk, &hd);
	health_stop(h);
	log_set_level(saved);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK(ok);
	CHECK(first_ok);
	CHECK(alive);
	CHECK(second_ok);
	CHECK(bad_seen);
	CHECK(hk.can_sign && hk.device == -1);
}
