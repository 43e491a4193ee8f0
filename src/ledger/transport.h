/* transport.h - one small interface over the ways to reach a
 * Ledger: USB HID (usb.c) and the speculos APDU socket
 * (tcp.c). An exchange sends one APDU and returns its reply
 * (data ‖ SW) within a deadline; any failure leaves the transport
 * `broken`, and the owner closes and reopens it. Not thread-safe: the
 * device manager (device.c) serialises exchanges per device. */
#ifndef TZS_LEDGER_TRANSPORT_H
#define TZS_LEDGER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "apdu.h"

struct ledger_transport_ops {
	bool (*exchange)(void *impl, const char *where, const uint8_t *apdu, size_t len,
			 uint8_t reply[static LEDGER_REPLY_MAX], size_t *reply_len, int timeout_ms,
			 struct err *e);
	void (*close)(void *impl);
};

struct ledger_transport {
	const struct ledger_transport_ops *ops; /* NULL when closed */
	void *impl;
	bool broken;     /* an exchange failed: close and reopen before reuse */
	char where[192]; /* "speculos 127.0.0.1:9999", "usb /dev/hidraw3 (Nano S Plus)" */
};

/* ERR_UNAVAILABLE on any transport failure (and marks t broken). */
bool ledger_transport_exchange(struct ledger_transport *t, const uint8_t *apdu, size_t len,
			       uint8_t reply[static LEDGER_REPLY_MAX], size_t *reply_len,
			       int timeout_ms, struct err *e);
void ledger_transport_close(struct ledger_transport *t);
bool ledger_transport_is_open(const struct ledger_transport *t);

/* Milliseconds of CLOCK_MONOTONIC, for deadlines. */
int64_t ledger_now_ms(void);

/* --- speculos APDU socket: request u32be len ‖ APDU, reply u32be
 * len(data) ‖ data ‖ SW (the length excludes the status word). */
#define LEDGER_HOST_MAX 64
bool ledger_tcp_open(struct ledger_transport *t, const char *host, uint16_t port, int timeout_ms,
		     struct err *e);
/* "HOST:PORT" with an IPv4 address or localhost. */
bool ledger_proxy_parse(const char *s, char host[static LEDGER_HOST_MAX], uint16_t *port,
			struct err *e);
/* octez's LEDGER_PROXY_ADDRESS / LEDGER_PROXY_PORT: *found is false when
 * neither is set; an error when only one is, or one is malformed. */
bool ledger_proxy_from_env(char host[static LEDGER_HOST_MAX], uint16_t *port, bool *found,
			   struct err *e);

/* --- USB HID through hidapi: vendor 0x2c97, every product id. */
#define LEDGER_USB_VENDOR 0x2c97
#define LEDGER_USB_PATH_MAX 256
#define LEDGER_USB_MAX_DEVICES 16

struct ledger_usb_info {
	char path[LEDGER_USB_PATH_MAX];
	uint16_t product_id;
};

/* Ledger HID interfaces present now (interface 0, or usage page 0xffa0
 * where the interface number is unknown). */
bool ledger_usb_enumerate(struct ledger_usb_info *out, size_t cap, size_t *n, struct err *e);
bool ledger_usb_open(struct ledger_transport *t, const char *path, uint16_t product_id,
		     struct err *e);
/* "Nano S", "Nano X", "Nano S Plus", "Stax", "Flex", … from old or new
 * product ids. */
const char *ledger_usb_model(uint16_t product_id);

#endif
