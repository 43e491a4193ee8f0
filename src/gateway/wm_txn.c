/* wm_txn.c - the optimistic read-decide-write loop against etcd. */
#include "wm_txn.h"

#include <string.h>

bool gw_wm_reserve(struct etcd *c, const char *key, enum op_kind kind, const struct gw_wm *req,
		   struct gw_wm_result *res, struct err *e)
{
	memset(res, 0, sizeof(*res));
	char text[GW_WM_TEXT_MAX];
	gw_wm_format(text, req);
	while (res->attempts < GW_WM_MAX_ATTEMPTS) {
		res->attempts++;
		struct etcd_kv kv;
		struct gw_wm stored;
		if (!etcd_get(c, key, &kv, e))
			return false;
		if (kv.found && !gw_wm_parse(kv.value, kv.value_len, &stored, e))
			return err_wrap(e, "%s", key);
		res->verdict = gw_wm_decide(kv.found ? &stored : NULL, kind, req, e);
		if (res->verdict == GW_WM_REFUSE)
			return false;
		if (res->verdict == GW_WM_SAME)
			return true;
		bool written;
		if (!etcd_put_if(c, key, kv.found ? kv.mod_revision : 0, text, &written, e))
			return false;
		if (written)
			return true;
		/* Another writer came first: decide again on what it wrote. */
	}
	return err_set(e, ERR_UNAVAILABLE, "watermark %s: %u writers in a row came first; try again",
		       key, GW_WM_MAX_ATTEMPTS);
}
