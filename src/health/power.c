/* power.c - power supply class (sysfs) and a UPS HAT's GPIO line. */
#include "power.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *power_source_name(enum power_source s)
{
	switch (s) {
	case POWER_MAINS: return "mains";
	case POWER_BATTERY: return "battery";
	case POWER_UNKNOWN: break;
	}
	return "unknown";
}

static const char *const status_names[BATTERY_STATUS_COUNT] = {
	"unknown", "charging", "discharging", "not_charging", "full",
};

const char *battery_status_name(enum battery_status s)
{
	return (unsigned)s < BATTERY_STATUS_COUNT ? status_names[s] : "unknown";
}

void power_config_default(struct power_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sysfs_root, sizeof(c->sysfs_root), "%s", POWER_SYSFS_DEFAULT);
}

/* The value without its one trailing newline; false for an empty value,
 * a NUL, another control byte or a second line. */
static bool value_span(const char *text, size_t len, size_t *n, const char *what, struct err *e)
{
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len == 0)
		return err_set(e, ERR_MALFORMED, "%s: empty value", what);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return err_set(e, ERR_MALFORMED, "%s: control byte 0x%02x at offset %zu", what,
				       (unsigned)(unsigned char)text[i], i);
	*n = len;
	return true;
}

static bool span_is(const char *text, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(text, word, n) == 0;
}

bool power_parse_online(const char *text, size_t len, bool *online, struct err *e)
{
	size_t n;
	if (!value_span(text, len, &n, "online", e))
		return false;
	/* The kernel writes 0 or 1; some USB supplies write 2 (online, but
	 * not charging from it): still external power. */
	if (n == 1 && text[0] >= '0' && text[0] <= '2') {
		*online = text[0] != '0';
		return true;
	}
	return err_set(e, ERR_MALFORMED, "online: '%.*s' is not 0, 1 or 2", (int)(n > 32 ? 32 : n), text);
}

bool power_parse_capacity(const char *text, size_t len, unsigned *percent, struct err *e)
{
	size_t n;
	if (!value_span(text, len, &n, "capacity", e))
		return false;
	unsigned v = 0;
	if (n > 3)
		return err_set(e, ERR_MALFORMED, "capacity: '%.*s' is not a percentage from 0 to 100",
			       (int)(n > 32 ? 32 : n), text);
	for (size_t i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return err_set(e, ERR_MALFORMED, "capacity: '%.*s' is not a percentage from 0 to 100",
				       (int)n, text);
		v = v * 10 + (unsigned)(text[i] - '0');
	}
	if (v > 100)
		return err_set(e, ERR_MALFORMED, "capacity: %u is over 100", v);
	*percent = v;
	return true;
}

bool power_parse_status(const char *text, size_t len, enum battery_status *s, struct err *e)
{
	static const char *const words[BATTERY_STATUS_COUNT] = {
		"Unknown", "Charging", "Discharging", "Not charging", "Full",
	};
	size_t n;
	if (!value_span(text, len, &n, "status", e))
		return false;
	for (size_t i = 0; i < BATTERY_STATUS_COUNT; i++)
		if (span_is(text, n, words[i])) {
			*s = (enum battery_status)i;
			return true;
		}
	return err_set(e, ERR_MALFORMED,
		       "status: '%.*s' is not Charging, Discharging, Not charging, Full or Unknown",
		       (int)(n > 32 ? 32 : n), text);
}

bool power_parse_type(const char *text, size_t len, enum power_supply_kind *kind, struct err *e)
{
	size_t n;
	if (!value_span(text, len, &n, "type", e))
		return false;
	if (n > 32)
		return err_set(e, ERR_MALFORMED, "type: %zu bytes is too long for a supply type", n);
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return err_set(e, ERR_MALFORMED, "type: '%.*s' is not a supply type", (int)n, text);
	}
	if (span_is(text, n, "Mains") || span_is(text, n, "USB") || span_is(text, n, "Wireless") ||
	    (n > 4 && memcmp(text, "USB_", 4) == 0))
		*kind = SUPPLY_EXTERNAL;
	else if (span_is(text, n, "Battery") || span_is(text, n, "UPS"))
		*kind = SUPPLY_BATTERY;
	else
		*kind = SUPPLY_OTHER;
	return true;
}

bool power_gpio_parse(const char *spec, struct power_gpio *g, struct err *e)
{
	struct power_gpio out = { .enabled = true };
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec)
		return err_set(e, ERR_MALFORMED,
			       "GPIO '%.80s': expected CHIP:LINE[:active-low] (e.g. gpiochip0:6:active-low)", spec);
	size_t clen = (size_t)(colon - spec);
	if (clen >= sizeof(out.chip))
		return err_set(e, ERR_MALFORMED, "GPIO '%.80s': chip name longer than %zu bytes", spec,
			       sizeof(out.chip) - 1);
	for (size_t i = 0; i < clen; i++) {
		char c = spec[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '/'))
			return err_set(e, ERR_MALFORMED, "GPIO '%.80s': chip name has a '%c'", spec, c);
	}
	memcpy(out.chip, spec, clen);
	out.chip[clen] = '\0';
	const char *p = colon + 1;
	if (*p < '0' || *p > '9')
		return err_set(e, ERR_MALFORMED, "GPIO '%.80s': the line is not a number", spec);
	unsigned long line = 0;
	while (*p >= '0' && *p <= '9') {
		line = line * 10 + (unsigned long)(*p - '0');
		if (line > POWER_GPIO_LINE_MAX)
			return err_set(e, ERR_MALFORMED, "GPIO '%.80s': line over %d", spec, POWER_GPIO_LINE_MAX);
		p++;
	}
	out.line = (unsigned)line;
	if (*p == ':') {
		if (strcmp(p + 1, "active-low") == 0)
			out.active_low = true;
		else if (strcmp(p + 1, "active-high") != 0)
			return err_set(e, ERR_MALFORMED,
				       "GPIO '%.80s': '%.40s' is not active-low or active-high", spec, p + 1);
	} else if (*p != '\0') {
		return err_set(e, ERR_MALFORMED, "GPIO '%.80s': unexpected '%.40s' after the line", spec, p);
	}
	*g = out;
	return true;
}

bool power_gpio_means_mains(const struct power_gpio *g, int raw_value)
{
	bool high = raw_value != 0;
	return g->active_low ? !high : high;
}

/* Reads dir/name/file (at most cap - 1 bytes; longer is an error). */
static bool read_value(int dirfd, const char *name, const char *file, char *buf, size_t cap,
		       size_t *len, struct err *e)
{
	char rel[POWER_NAME_MAX + 32];
	snprintf(rel, sizeof(rel), "%s/%s", name, file);
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_errno(e, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "%s", rel);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_errno(e, ERR_IO, "reading %s", rel);
			close(fd);
			return false;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap - 1) {
			char extra;
			ssize_t more = read(fd, &extra, 1);
			close(fd);
			if (more > 0)
				return err_set(e, ERR_MALFORMED, "%s: longer than %zu bytes", rel, cap - 2);
			buf[n] = '\0';
			*len = n;
			return true;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return true;
}

static void note_error(struct power_supply *s, const struct err *e)
{
	if (!s->error[0])
		snprintf(s->error, sizeof(s->error), "%s", e->msg);
}

static void read_supply(int dirfd, struct power_supply *s)
{
	char buf[64];
	size_t len;
	struct err e = { 0 };
	s->kind = SUPPLY_OTHER;
	if (!read_value(dirfd, s->name, "type", buf, sizeof(buf), &len, &e) ||
	    !power_parse_type(buf, len, &s->kind, &e)) {
		note_error(s, &e);
		return;
	}
	if (read_value(dirfd, s->name, "online", buf, sizeof(buf), &len, &e)) {
		if (power_parse_online(buf, len, &s->online, &e))
			s->online_known = true;
		else
			note_error(s, &e);
	} else if (e.kind != ERR_NOT_FOUND) {
		note_error(s, &e);
	}
	if (s->kind != SUPPLY_BATTERY)
		return;
	err_clear(&e);
	if (read_value(dirfd, s->name, "capacity", buf, sizeof(buf), &len, &e)) {
		if (power_parse_capacity(buf, len, &s->capacity, &e))
			s->capacity_known = true;
		else
			note_error(s, &e);
	} else if (e.kind != ERR_NOT_FOUND) {
		note_error(s, &e);
	}
	err_clear(&e);
	if (read_value(dirfd, s->name, "status", buf, sizeof(buf), &len, &e)) {
		if (power_parse_status(buf, len, &s->status, &e))
			s->status_known = true;
		else
			note_error(s, &e);
	} else if (e.kind != ERR_NOT_FOUND) {
		note_error(s, &e);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct power_supply *)a)->name, ((const struct power_supply *)b)->name);
}

void power_read_sysfs(const char *root, struct power_status *out)
{
	out->nsupplies = 0;
	out->sysfs_ok = false;
	out->sysfs_error[0] = '\0';
	if (!root || !root[0])
		return;
	int dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		struct err e = { 0 };
		err_errno(&e, ERR_IO, "power supplies at %s", root);
		snprintf(out->sysfs_error, sizeof(out->sysfs_error), "%s", e.msg);
		return;
	}
	int dup_fd = dup(dirfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		struct err e = { 0 };
		err_errno(&e, ERR_IO, "listing %s", root);
		snprintf(out->sysfs_error, sizeof(out->sysfs_error), "%s", e.msg);
		if (dup_fd >= 0)
			close(dup_fd);
		close(dirfd);
		return;
	}
	out->sysfs_ok = true;
	struct dirent *ent;
	while ((ent = readdir(d)) != NULL && out->nsupplies < POWER_SUPPLIES_MAX) {
		size_t n = strlen(ent->d_name);
		if (ent->d_name[0] == '.' || n >= POWER_NAME_MAX)
			continue;
		struct power_supply *s = &out->supplies[out->nsupplies];
		memset(s, 0, sizeof(*s));
		memcpy(s->name, ent->d_name, n + 1);
		out->nsupplies++;
	}
	closedir(d);
	qsort(out->supplies, out->nsupplies, sizeof(out->supplies[0]), by_name);
	for (size_t i = 0; i < out->nsupplies; i++)
		read_supply(dirfd, &out->supplies[i]);
	close(dirfd);
}

void power_decide(struct power_status *st)
{
	bool any_external = false, external_online = false;
	const struct power_supply *battery = NULL;
	st->battery_known = false;
	for (size_t i = 0; i < st->nsupplies; i++) {
		const struct power_supply *s = &st->supplies[i];
		if (s->kind == SUPPLY_EXTERNAL && s->online_known) {
			any_external = true;
			external_online |= s->online;
		}
		if (s->kind == SUPPLY_BATTERY && !battery && (s->capacity_known || s->status_known))
			battery = s;
	}
	if (battery) {
		st->battery_known = battery->capacity_known;
		st->battery_percent = battery->capacity;
		st->battery_status = battery->status_known ? battery->status : BATTERY_UNKNOWN;
	}
	if (st->gpio_enabled && st->gpio_ok)
		st->source = st->gpio_mains ? POWER_MAINS : POWER_BATTERY;
	else if (any_external)
		st->source = external_online ? POWER_MAINS : POWER_BATTERY;
	else if (battery && battery->status_known && battery->status == BATTERY_DISCHARGING)
		st->source = POWER_BATTERY;
	else if (battery && battery->status_known &&
		 (battery->status == BATTERY_CHARGING || battery->status == BATTERY_FULL ||
		  battery->status == BATTERY_NOT_CHARGING))
		st->source = POWER_MAINS;
	else
		st->source = POWER_UNKNOWN;
}

struct power_gpio_reader {
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	char label[POWER_GPIO_CHIP_MAX + 16];
};

bool power_gpio_open(struct power_gpio_reader **out, const struct power_gpio *g, struct err *e)
{
	struct power_gpio_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(e, ERR_INTERNAL, "out of memory");
	snprintf(r->label, sizeof(r->label), "%s:%u", g->chip, g->line);
	errno = 0;
	r->chip = gpiod_chip_open_lookup(g->chip);
	if (!r->chip) {
		err_errno(e, ERR_UNAVAILABLE, "GPIO chip '%s'", g->chip);
		free(r);
		return false;
	}
	unsigned lines = gpiod_chip_num_lines(r->chip);
	if (g->line >= lines) {
		err_set(e, ERR_MALFORMED, "GPIO %s: chip '%s' has %u lines", r->label, g->chip, lines);
		goto fail;
	}
	r->line = gpiod_chip_get_line(r->chip, g->line);
	if (!r->line) {
		err_errno(e, ERR_UNAVAILABLE, "GPIO %s", r->label);
		goto fail;
	}
	if (gpiod_line_request_input(r->line, "tzsigner-power") != 0) {
		err_errno(e, ERR_UNAVAILABLE, "GPIO %s: requesting the line as input", r->label);
		goto fail;
	}
	*out = r;
	return true;
fail:
	gpiod_chip_close(r->chip);
	free(r);
	return false;
}

bool power_gpio_read(struct power_gpio_reader *r, int *value, struct err *e)
{
	int v = gpiod_line_get_value(r->line);
	if (v < 0)
		return err_errno(e, ERR_IO, "GPIO %s: reading the line", r->label);
	*value = v;
	return true;
}

void power_gpio_close(struct power_gpio_reader *r)
{
	if (!r)
		return;
	if (r->line)
		gpiod_line_release(r->line);
	gpiod_chip_close(r->chip);
	free(r);
}
