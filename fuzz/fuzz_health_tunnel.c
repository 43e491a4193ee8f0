/* fuzz_health_tunnel.c - libFuzzer target for the tunnel's state file as
 * the signer reads it (src/health/tunnel_view.c): another process under
 * another user writes it. A parsed view must hold only what the format
 * allows: bounded, label-safe words and an interface name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/health/netpath.h"
#include "../src/health/tunnel_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tunnel_view v;
	struct err e = { 0 };
	if (!tunnel_view_parse((const char *)data, size, &v, &e)) {
		if (e.kind != ERR_MALFORMED || !e.msg[0])
			abort();
		return 0;
	}
	if (!v.state[0])
		abort();
	check_word(v.state, sizeof(v.state));
	check_word(v.error_kind, sizeof(v.error_kind));
	check_word(v.signer, sizeof(v.signer));
	check_word(v.probe, sizeof(v.probe));
	if (v.uplink[0] && !netpath_valid_ifname(v.uplink, strnlen(v.uplink, sizeof(v.uplink))))
		abort();
	if (v.pid < 0 || v.since_ms < 0 || v.up_since_ms < 0)
		abort();
	return 0;
}
