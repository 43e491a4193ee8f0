/* fuzz_health_sysfs.c - libFuzzer target for the values the signer reads
 * from /sys/class/power_supply (online, capacity, status, type) and for
 * the settings of serve's health options (GPIO spec, uplink endpoint,
 * interface lists). The first byte picks the parser; a value accepted
 * must be within its range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/health/netpath.h"
#include "../src/health/power.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1024)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char z[1024];
	memcpy(z, text, len);
	z[len] = '\0';
	struct err e = { 0 };
	switch (data[0] % 7) {
	case 0: {
		bool on;
		(void)power_parse_online(text, len, &on, &e);
		break;
	}
	case 1: {
		unsigned p = 0;
		if (power_parse_capacity(text, len, &p, &e) && p > 100)
			abort();
		break;
	}
	case 2: {
		enum battery_status s = BATTERY_UNKNOWN;
		if (power_parse_status(text, len, &s, &e) && (unsigned)s >= BATTERY_STATUS_COUNT)
			abort();
		break;
	}
	case 3: {
		enum power_supply_kind k;
		(void)power_parse_type(text, len, &k, &e);
		break;
	}
	case 4: {
		struct power_gpio g;
		if (power_gpio_parse(z, &g, &e) &&
		    (!g.enabled || !g.chip[0] || strlen(g.chip) >= sizeof(g.chip) || g.line > POWER_GPIO_LINE_MAX))
			abort();
		break;
	}
	case 5: {
		struct netpath_config c;
		memset(&c, 0, sizeof(c));
		if (netpath_parse_endpoint(z, &c, &e) && (!c.host[0] || c.port == 0))
			abort();
		break;
	}
	case 6: {
		struct netpath_config c;
		memset(&c, 0, sizeof(c));
		if (netpath_add_ifaces(&c, data[0] & 0x80, z, &e))
			for (size_t i = 0; i < c.nprimary; i++)
				if (!netpath_valid_ifname(c.primary[i], strlen(c.primary[i])))
					abort();
		break;
	}
	}
	return 0;
}
