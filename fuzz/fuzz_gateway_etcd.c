/* libFuzzer target: what the gateway reads back from etcd (its JSON
 * gateway's answers to the watermark swap, with and without a put, and
 * the watermark record inside). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/gateway/etcd_json.h"
#include "../src/gateway/wm_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	const char *text = (const char *)data;
	for (int put = 0; put < 2; put++) {
		struct etcd_swap s;
		if (!etcd_json_parse_swap(text, size, "/tzsigner/watermarks/k", put, &s, NULL))
			continue;
		if (s.revision <= 0 || (s.succeeded && s.now.found))
			abort();
		const struct etcd_kv *kv = &s.now;
		if (kv->found && (kv->mod_revision <= 0 || kv->mod_revision > s.revision ||
				  kv->value_len > ETCD_VALUE_MAX || kv->value[kv->value_len] != '\0'))
			abort();
		struct gw_wm w;
		if (kv->found && gw_wm_parse(kv->value, kv->value_len, &w, NULL) &&
		    (w.level > INT32_MAX || w.round > INT32_MAX))
			abort();
	}
	struct gw_wm w;
	if (gw_wm_parse(text, size, &w, NULL)) {
		char back[GW_WM_TEXT_MAX];
		struct gw_wm again;
		gw_wm_format(back, &w);
		if (!gw_wm_parse(back, strlen(back), &again, NULL) || memcmp(&w, &again, sizeof(w)) != 0)
			abort();
	}
	char msg[64];
	etcd_json_error_message(text, size, msg, sizeof(msg));
	return 0;
}
