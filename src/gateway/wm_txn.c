/* wm_txn.c - the optimistic decide-and-swap loop against etcd. */
#include "wm_txn.h"

#include <string.h>

bool gw_wm_reserve(struct etcd *c, struct gw_wm_cache *cache, const char *key, enum op_kind kind,
		   const struct gw_wm *req, struct gw_wm_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	char text[GW_WM_TEXT_MAX];
	gw_wm_format(text, req);
	struct gw_wm_seen seen;
	gw_wm_cache_get(cache, key, &seen);
	bool fresh = false; /* seen came from etcd in this request */
	while (res->round_trips < GW_WM_MAX_ATTEMPTS) {
		err_clear(e);
		res->verdict = gw_wm_decide(seen.found ? &seen.record : NULL, kind, req, e);
		if (fresh && res->verdict != GW_WM_ADVANCE)
			return res->verdict == GW_WM_SAME;
		struct etcd_swap ans;
		struct err ex = { 0 };
		res->round_trips++;
		if (!etcd_swap(c, key, seen.found ? seen.mod_revision : 0,
			       res->verdict == GW_WM_ADVANCE ? text : NULL, &ans, &ex)) {
			if (e)
				*e = ex;
			return false;
		}
		if (ans.succeeded) {
			if (res->verdict == GW_WM_ADVANCE) {
				seen = (struct gw_wm_seen){ .found = true, .mod_revision = ans.revision,
							    .record = *req };
				gw_wm_cache_put(cache, key, &seen);
			}
			return res->verdict != GW_WM_REFUSE; /* e holds the refusal */
		}
		/* The record is not the one seen: decide again on the one etcd has. */
		seen = (struct gw_wm_seen){ .found = ans.now.found, .mod_revision = ans.now.mod_revision };
		if (seen.found && !gw_wm_parse(ans.now.value, ans.now.value_len, &seen.record, e))
			return err_wrap(e, "%s", key);
		gw_wm_cache_put(cache, key, &seen);
		fresh = true;
	}
	return err_set(e, ERR_UNAVAILABLE, "watermark %s: %u writers in a row came first; try again",
		       key, GW_WM_MAX_ATTEMPTS);
}
