/* Unit tests of src/health/power.c: sysfs values, the supply directory,
 * the GPIO spec, and how the power source is decided. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/health/power.h"
#include "harness.h"

#define S(x) x, sizeof(x) - 1

TEST(health_power_parse_online)
{
	bool on = false;
	struct err e = { 0 };
	CHECK(power_parse_online(S("1\n"), &on, &e) && on);
	CHECK(power_parse_online(S("0\n"), &on, &e) && !on);
	CHECK(power_parse_online(S("0"), &on, &e) && !on);
	CHECK(power_parse_online(S("2\n"), &on, &e) && on); /* USB: online, programmable */
	static const char *const bad[] = { "", "\n", "3\n", "10\n", "on\n", " 1\n", "1 \n", "1\n\n", "-1\n", "1\r\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		CHECK(!power_parse_online(bad[i], strlen(bad[i]), &on, &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "online"));
	}
	/* a NUL inside the value */
	CHECK(!power_parse_online("1\0", 2, &on, &e));
}

TEST(health_power_parse_capacity)
{
	unsigned p = 7;
	struct err e = { 0 };
	CHECK(power_parse_capacity(S("87\n"), &p, &e) && p == 87);
	CHECK(power_parse_capacity(S("0\n"), &p, &e) && p == 0);
	CHECK(power_parse_capacity(S("100"), &p, &e) && p == 100);
	CHECK(power_parse_capacity(S("007\n"), &p, &e) && p == 7);
	static const char *const bad[] = { "", "\n", "101\n", "1000\n", "-1\n", "abc\n", "50%\n", "5 0\n",
					   "99999999999999999999\n", "4.5\n", "+5\n", "50\n\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		p = 55;
		CHECK(!power_parse_capacity(bad[i], strlen(bad[i]), &p, &e));
		CHECK(p == 55);
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "capacity"));
	}
}

TEST(health_power_parse_status)
{
	enum battery_status s;
	struct err e = { 0 };
	CHECK(power_parse_status(S("Charging\n"), &s, &e) && s == BATTERY_CHARGING);
	CHECK(power_parse_status(S("Discharging\n"), &s, &e) && s == BATTERY_DISCHARGING);
	CHECK(power_parse_status(S("Not charging\n"), &s, &e) && s == BATTERY_NOT_CHARGING);
	CHECK(power_parse_status(S("Full"), &s, &e) && s == BATTERY_FULL);
	CHECK(power_parse_status(S("Unknown\n"), &s, &e) && s == BATTERY_UNKNOWN);
	static const char *const bad[] = { "", "charging\n", "Charging \n", "Chargin\n", "Full\nFull\n",
					   "Discharging\tx\n", "Not  charging\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		CHECK(!power_parse_status(bad[i], strlen(bad[i]), &s, &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "status"));
	}
	CHECK(strcmp(battery_status_name(BATTERY_NOT_CHARGING), "not_charging") == 0);
}

TEST(health_power_parse_type)
{
	enum power_supply_kind k;
	struct err e = { 0 };
	CHECK(power_parse_type(S("Mains\n"), &k, &e) && k == SUPPLY_EXTERNAL);
	CHECK(power_parse_type(S("USB\n"), &k, &e) && k == SUPPLY_EXTERNAL);
	CHECK(power_parse_type(S("USB_PD\n"), &k, &e) && k == SUPPLY_EXTERNAL);
	CHECK(power_parse_type(S("Wireless\n"), &k, &e) && k == SUPPLY_EXTERNAL);
	CHECK(power_parse_type(S("Battery\n"), &k, &e) && k == SUPPLY_BATTERY);
	CHECK(power_parse_type(S("UPS\n"), &k, &e) && k == SUPPLY_BATTERY);
	CHECK(power_parse_type(S("Bogus_Type1\n"), &k, &e) && k == SUPPLY_OTHER);
	static const char *const bad[] = { "", "\n", "Mains Power\n", "Mai/ns\n", "USB-C\n",
					   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		CHECK(!power_parse_type(bad[i], strlen(bad[i]), &k, &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "type"));
	}
}

TEST(health_power_gpio_spec)
{
	struct power_gpio g;
	struct err e = { 0 };
	CHECK(power_gpio_parse("gpiochip0:6:active-low", &g, &e));
	CHECK(g.enabled && strcmp(g.chip, "gpiochip0") == 0 && g.line == 6 && g.active_low);
	CHECK(power_gpio_parse("0:17", &g, &e) && strcmp(g.chip, "0") == 0 && g.line == 17 && !g.active_low);
	CHECK(power_gpio_parse("/dev/gpiochip4:1023:active-high", &g, &e) && g.line == 1023 && !g.active_low);
	CHECK(power_gpio_parse("pinctrl-bcm2711:6", &g, &e) && strcmp(g.chip, "pinctrl-bcm2711") == 0);
	/* polarity */
	g.active_low = true;
	CHECK(power_gpio_means_mains(&g, 0) && !power_gpio_means_mains(&g, 1));
	g.active_low = false;
	CHECK(!power_gpio_means_mains(&g, 0) && power_gpio_means_mains(&g, 1));
	static const char *const bad[] = {
		"", "gpiochip0", "gpiochip0:", ":6", "gpiochip0:x", "gpiochip0:6:", "gpiochip0:6:active_low",
		"gpiochip0:6:active-low:x", "gpiochip0:-1", "gpiochip0:1024", "gpiochip0:99999999999999999999",
		"gpio chip:6", "gpiochip0:6x", "gpiochip0: 6",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		memset(&g, 0x55, sizeof(g));
		struct power_gpio before = g;
		CHECK(!power_gpio_parse(bad[i], &g, &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "GPIO"));
		CHECK(memcmp(&g, &before, sizeof(g)) == 0);
	}
}

TEST(health_power_gpio_missing_chip)
{
	struct power_gpio g;
	struct power_gpio_reader *r = NULL;
	struct err e = { 0 };
	CHECK(power_gpio_parse("tzsigner-no-such-chip:6", &g, &e));
	CHECK(!power_gpio_open(&r, &g, &e));
	CHECK(r == NULL);
	CHECK(strstr(e.msg, "tzsigner-no-such-chip") != NULL);
}

static bool put_file(const char *dir, const char *name, const char *file, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, file);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static void remove_tree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

TEST(health_power_sysfs_tree)
{
	char dir[] = "/tmp/tzs-health-power.XXXXXX";
	CHECK(mkdtemp(dir));
	bool ok = put_file(dir, "AC", "type", "Mains\n") && put_file(dir, "AC", "online", "1\n") &&
		  put_file(dir, "BAT0", "type", "Battery\n") && put_file(dir, "BAT0", "capacity", "87\n") &&
		  put_file(dir, "BAT0", "status", "Charging\n") &&
		  put_file(dir, "usb0", "type", "USB\n") && put_file(dir, "usb0", "online", "0\n") &&
		  put_file(dir, "weird", "type", "Battery\n") && put_file(dir, "weird", "capacity", "lots\n");
	struct power_status st;
	memset(&st, 0, sizeof(st));
	if (ok) {
		power_read_sysfs(dir, &st);
		power_decide(&st);
	}
	bool sorted = st.nsupplies == 4 && strcmp(st.supplies[0].name, "AC") == 0 &&
		      strcmp(st.supplies[1].name, "BAT0") == 0 && strcmp(st.supplies[2].name, "usb0") == 0 &&
		      strcmp(st.supplies[3].name, "weird") == 0;
	bool values = sorted && st.supplies[0].kind == SUPPLY_EXTERNAL && st.supplies[0].online &&
		      st.supplies[1].capacity_known && st.supplies[1].capacity == 87 &&
		      st.supplies[1].status == BATTERY_CHARGING && !st.supplies[1].error[0] &&
		      !st.supplies[3].capacity_known && strstr(st.supplies[3].error, "capacity");
	bool decided = st.sysfs_ok && st.source == POWER_MAINS && st.battery_known && st.battery_percent == 87;
	/* the wall plug is pulled */
	bool battery = false;
	if (ok && put_file(dir, "AC", "online", "0\n") && put_file(dir, "BAT0", "status", "Discharging\n") &&
	    put_file(dir, "BAT0", "capacity", "42\n")) {
		power_read_sysfs(dir, &st);
		power_decide(&st);
		battery = st.source == POWER_BATTERY && st.battery_percent == 42 &&
			  st.battery_status == BATTERY_DISCHARGING;
	}
	/* the GPIO line overrides sysfs when it reads */
	st.gpio_enabled = st.gpio_ok = st.gpio_mains = true;
	power_decide(&st);
	bool gpio = st.source == POWER_MAINS;
	remove_tree(dir);
	CHECK(ok);
	CHECK(sorted);
	CHECK(values);
	CHECK(decided);
	CHECK(battery);
	CHECK(gpio);
}

TEST(health_power_sysfs_missing_and_battery_only)
{
	struct power_status st;
	memset(&st, 0, sizeof(st));
	power_read_sysfs("/nonexistent/tzsigner/power", &st);
	power_decide(&st);
	CHECK(!st.sysfs_ok && strstr(st.sysfs_error, "/nonexistent/tzsigner/power"));
	CHECK(st.source == POWER_UNKNOWN && st.nsupplies == 0);

	char dir[] = "/tmp/tzs-health-power.XXXXXX";
	CHECK(mkdtemp(dir));
	/* a laptop-like tree without a Mains entry: the battery's status decides */
	bool ok = put_file(dir, "BAT1", "type", "Battery\n") && put_file(dir, "BAT1", "status", "Discharging\n");
	power_read_sysfs(dir, &st);
	power_decide(&st);
	bool discharging = st.source == POWER_BATTERY && !st.battery_known;
	ok = ok && put_file(dir, "BAT1", "status", "Full\n");
	power_read_sysfs(dir, &st);
	power_decide(&st);
	bool full = st.source == POWER_MAINS;
	/* an over-long value is refused, not truncated */
	char big[200];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok = ok && put_file(dir, "BAT1", "capacity", big);
	power_read_sysfs(dir, &st);
	bool refused = st.nsupplies == 1 && !st.supplies[0].capacity_known && strstr(st.supplies[0].error, "longer");
	remove_tree(dir);
	CHECK(ok);
	CHECK(discharging);
	CHECK(full);
	CHECK(refused);
}
