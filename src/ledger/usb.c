/* usb.c - Ledger devices over USB HID (hidapi, hidraw backend):
 * 64-byte reports framed by hid.c, written with a leading report
 * id 0x00. */
#include "transport.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <hidapi.h>

#include "hid.h"

static pthread_once_t hid_once = PTHREAD_ONCE_INIT;
static int hid_init_rc = -1;
/* hidapi's enumeration is not thread-safe. */
static pthread_mutex_t enum_lock = PTHREAD_MUTEX_INITIALIZER;

static void init_hid(void)
{
	hid_init_rc = hid_init();
}

static bool ensure_init(struct err *e)
{
	pthread_once(&hid_once, init_hid);
	if (hid_init_rc != 0)
		return err_set(e, ERR_UNAVAILABLE, "hidapi could not be initialised");
	return true;
}

const char *ledger_usb_model(uint16_t pid)
{
	switch (pid) {
	case 0x0000: return "Blue";
	case 0x0001: return "Nano S";
	case 0x0004: return "Nano X";
	case 0x0005: return "Nano S Plus";
	case 0x0006: return "Stax";
	case 0x0007: return "Flex";
	case 0x0008: return "Nano Gen5";
	}
	switch (pid >> 8) {
	case 0x10: return "Nano S";
	case 0x40: return "Nano X";
	case 0x50: return "Nano S Plus";
	case 0x60: return "Stax";
	case 0x70: return "Flex";
	case 0x80: return "Nano Gen5";
	}
	return "unknown model";
}

bool ledger_usb_enumerate(struct ledger_usb_info *out, size_t cap, size_t *n, struct err *e)
{
	*n = 0;
	if (!ensure_init(e))
		return false;
	pthread_mutex_lock(&enum_lock);
	struct hid_device_info *all = hid_enumerate(LEDGER_USB_VENDOR, 0);
	for (struct hid_device_info *d = all; d && *n < cap; d = d->next) {
		bool ours = d->interface_number == 0 ||
			    (d->interface_number == -1 && d->usage_page == 0xffa0);
		if (!ours || !d->path || strlen(d->path) >= LEDGER_USB_PATH_MAX)
			continue;
		snprintf(out[*n].path, LEDGER_USB_PATH_MAX, "%s", d->path);
		out[*n].product_id = d->product_id;
		(*n)++;
	}
	hid_free_enumeration(all);
	pthread_mutex_unlock(&enum_lock);
	return true;
}

static bool usb_exchange(void *impl, const char *where, const uint8_t *apdu, size_t len,
			 uint8_t reply[static LEDGER_REPLY_MAX], size_t *reply_len, int timeout_ms,
			 struct err *e)
{
	hid_device *h = impl;
	int64_t deadline = ledger_now_ms() + timeout_ms;
	size_t reports = ledger_hid_report_count(len);
	for (size_t seq = 0; seq < reports; seq++) {
		uint8_t buf[1 + LEDGER_HID_REPORT];
		buf[0] = 0x00; /* report id */
		if (!ledger_hid_frame(apdu, len, (uint16_t)seq, buf + 1))
			return err_set(e, ERR_INTERNAL, "%s: APDU of %zu bytes cannot be framed", where, len);
		if (hid_write(h, buf, sizeof(buf)) != (int)sizeof(buf))
			return err_set(e, ERR_UNAVAILABLE, "%s: writing to the device failed (unplugged?)", where);
	}
	struct ledger_hid_rx rx;
	ledger_hid_rx_init(&rx);
	for (;;) {
		int64_t left = deadline - ledger_now_ms();
		if (left <= 0)
			return err_set(e, ERR_UNAVAILABLE, "%s: no answer within %d ms", where, timeout_ms);
		uint8_t report[LEDGER_HID_REPORT];
		int r = hid_read_timeout(h, report, sizeof(report), (int)left);
		if (r < 0)
			return err_set(e, ERR_UNAVAILABLE, "%s: reading from the device failed (unplugged?)", where);
		if (r == 0)
			continue; /* the deadline is checked above */
		bool done = false;
		if (!ledger_hid_rx_feed(&rx, report, (size_t)r, &done, e))
			return err_wrap(e, "%s", where);
		if (done)
			break;
	}
	if (rx.expected < 2 || rx.expected > LEDGER_REPLY_MAX)
		return err_set(e, ERR_UNAVAILABLE, "%s: reply of %zu bytes (2 to %d)", where, rx.expected,
			       LEDGER_REPLY_MAX);
	memcpy(reply, rx.msg, rx.expected);
	*reply_len = rx.expected;
	return true;
}

static void usb_close(void *impl)
{
	hid_close(impl);
}

static const struct ledger_transport_ops usb_ops = { usb_exchange, usb_close };

bool ledger_usb_open(struct ledger_transport *t, const char *path, uint16_t product_id,
		     struct err *e)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->where, sizeof(t->where), "usb %.120s (%s)", path, ledger_usb_model(product_id));
	if (!ensure_init(e))
		return false;
	hid_device *h = hid_open_path(path);
	if (!h)
		return err_set(e, ERR_UNAVAILABLE, "%s: cannot open (unplugged, or no permission: udev rules?)",
			       t->where);
	t->impl = h;
	t->ops = &usb_ops;
	return true;
}
