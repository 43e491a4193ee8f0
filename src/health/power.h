/* power.h - is the box on wall power or on its battery, and how full is
 * the battery.
 *
 * Two sources, both optional:
 *   - the kernel's power supply class (/sys/class/power_supply, a
 *     configurable root so tests can point it at a directory): each supply
 *     is a directory with `type` (Mains, USB, Battery, UPS, …), `online`
 *     (0/1, external supplies) and for batteries `capacity` (0–100) and
 *     `status` (Charging, Discharging, Not charging, Full, Unknown);
 *   - a GPIO line that a UPS HAT drives (the x728 family signals the loss
 *     of external power on one), read through libgpiod: CHIP:LINE, and
 *     ":active-low" when the line reads low while on mains (the x728's
 *     power-loss pin reads high on battery: gpiochip0:6:active-low).
 * The GPIO line, when configured and readable, decides mains or battery;
 * else any online external supply means mains, else a discharging battery
 * means battery. */
#ifndef TZS_HEALTH_POWER_H
#define TZS_HEALTH_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/file.h"

#define POWER_SYSFS_DEFAULT "/sys/class/power_supply"
#define POWER_NAME_MAX 64
#define POWER_SUPPLIES_MAX 8
#define POWER_GPIO_CHIP_MAX 64
#define POWER_GPIO_LINE_MAX 1023

enum power_source { POWER_UNKNOWN, POWER_MAINS, POWER_BATTERY };
const char *power_source_name(enum power_source s); /* unknown, mains, battery */

enum power_supply_kind { SUPPLY_EXTERNAL, SUPPLY_BATTERY, SUPPLY_OTHER };

enum battery_status {
	BATTERY_UNKNOWN, BATTERY_CHARGING, BATTERY_DISCHARGING, BATTERY_NOT_CHARGING, BATTERY_FULL,
};
#define BATTERY_STATUS_COUNT 5
/* unknown, charging, discharging, not_charging, full */
const char *battery_status_name(enum battery_status s);

struct power_gpio {
	bool enabled;
	char chip[POWER_GPIO_CHIP_MAX]; /* gpiochip0, 0, /dev/gpiochip0 or the chip's label */
	unsigned line;
	bool active_low;
};

struct power_config {
	char sysfs_root[FILE_PATH_MAX]; /* "" : no sysfs */
	struct power_gpio gpio;
};

/* /sys/class/power_supply, no GPIO. */
void power_config_default(struct power_config *c);

/* --- parsers of single sysfs values: the text of the file, a trailing
 * newline allowed, nothing else. */
bool power_parse_online(const char *text, size_t len, bool *online, struct err *e);
bool power_parse_capacity(const char *text, size_t len, unsigned *percent, struct err *e);
bool power_parse_status(const char *text, size_t len, enum battery_status *s, struct err *e);
/* Mains, USB, USB_*, Wireless: external; Battery, UPS: battery. Any other
 * well-formed type is SUPPLY_OTHER. */
bool power_parse_type(const char *text, size_t len, enum power_supply_kind *kind, struct err *e);

/* "CHIP:LINE" or "CHIP:LINE:active-low" / ":active-high". */
bool power_gpio_parse(const char *spec, struct power_gpio *g, struct err *e);
/* The line's raw level → on mains, by polarity. */
bool power_gpio_means_mains(const struct power_gpio *g, int raw_value);

struct power_supply {
	char name[POWER_NAME_MAX];
	enum power_supply_kind kind;
	bool online_known, online;
	bool capacity_known;
	unsigned capacity;
	bool status_known;
	enum battery_status status;
	char error[ERR_MSG_MAX]; /* the first unreadable or malformed value, "" if none */
};

struct power_status {
	enum power_source source;
	bool sysfs_ok;               /* the directory could be listed */
	char sysfs_error[ERR_MSG_MAX];
	size_t nsupplies;
	struct power_supply supplies[POWER_SUPPLIES_MAX];
	bool gpio_enabled;
	bool gpio_ok;
	bool gpio_mains;
	char gpio_error[ERR_MSG_MAX];
	/* the first battery with a capacity */
	bool battery_known;
	unsigned battery_percent;
	enum battery_status battery_status;
};

/* Reads the supplies under root (ignoring those it cannot read, each with
 * its error). */
void power_read_sysfs(const char *root, struct power_status *out);
/* Decides the source from what was read (sysfs, and the GPIO when gpio_ok). */
void power_decide(struct power_status *st);

/* The GPIO line, kept requested between reads. */
struct power_gpio_reader;
bool power_gpio_open(struct power_gpio_reader **out, const struct power_gpio *g, struct err *e);
/* The raw value (0/1). */
bool power_gpio_read(struct power_gpio_reader *r, int *value, struct err *e);
void power_gpio_close(struct power_gpio_reader *r);

#endif
