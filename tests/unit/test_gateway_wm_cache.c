/* Unit tests of the gateway's cache of the watermark records last seen in
 * etcd: a miss reads as absent, a newer revision is kept, a key that lost
 * its slot is a miss. */
#include <stdio.h>
#include <string.h>

#include "../../src/gateway/wm_cache.h"
#include "harness.h"

static struct gw_wm_seen seen(int64_t rev, uint32_t level)
{
	return (struct gw_wm_seen){ .found = true, .mod_revision = rev, .record = { .level = level } };
}

TEST(gateway_wm_cache)
{
	static struct gw_wm_cache c;
	gw_wm_cache_init(&c);
	struct gw_wm_seen s = seen(1, 1);
	gw_wm_cache_get(&c, "/w/a", &s);
	CHECK(!s.found && s.mod_revision == 0); /* nothing cached: absent */
	struct gw_wm_seen a = seen(7, 100);
	gw_wm_cache_put(&c, "/w/a", &a);
	gw_wm_cache_get(&c, "/w/a", &s);
	CHECK(s.found && s.mod_revision == 7 && s.record.level == 100);
	/* An older answer arriving late does not replace a newer one. */
	struct gw_wm_seen old = seen(5, 99);
	gw_wm_cache_put(&c, "/w/a", &old);
	gw_wm_cache_get(&c, "/w/a", &s);
	CHECK(s.mod_revision == 7 && s.record.level == 100);
	/* The key deleted (an operator's reset): absent wins. */
	struct gw_wm_seen gone = { .found = false };
	gw_wm_cache_put(&c, "/w/a", &gone);
	gw_wm_cache_get(&c, "/w/a", &s);
	CHECK(!s.found);
	/* Many keys share the slots: each reads back its own record or nothing. */
	char key[32];
	for (int i = 0; i < 4 * GW_WM_CACHE_SLOTS; i++) {
		snprintf(key, sizeof(key), "/w/k%d", i);
		struct gw_wm_seen k = seen(i + 1, (uint32_t)i);
		gw_wm_cache_put(&c, key, &k);
	}
	int hits = 0;
	for (int i = 0; i < 4 * GW_WM_CACHE_SLOTS; i++) {
		snprintf(key, sizeof(key), "/w/k%d", i);
		gw_wm_cache_get(&c, key, &s);
		CHECK(!s.found || (s.mod_revision == i + 1 && s.record.level == (uint32_t)i));
		hits += s.found;
	}
	CHECK(hits > 0 && hits <= GW_WM_CACHE_SLOTS);
	gw_wm_cache_free(&c);
}
