/* device.h - the Ledger devices a signer talks to.
 *
 * A backend holds one slot per device: the speculos socket given by
 * --ledger-proxy (or LEDGER_PROXY_ADDRESS/PORT), else every Ledger found
 * on USB. Each slot has its own lock: one exchange at a time per device,
 * and a device that hangs only delays requests for that device (each
 * exchange and each wait for the lock is bounded by timeout_ms). A
 * transport failure closes the slot's connection; it is reopened on the
 * next request after a backoff that doubles from backoff_min_ms to
 * backoff_max_ms and resets on success, so signing resumes on its own when
 * the device comes back. A device is identified by its animal name
 * (names.h) each time it is (re)opened or its app changes. */
#ifndef TZS_LEDGER_DEVICE_H
#define TZS_LEDGER_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/base58.h"
#include "app.h"
#include "uri.h"

struct ledger_config {
	bool proxy; /* the speculos socket instead of USB */
	char proxy_host[LEDGER_HOST_MAX];
	uint16_t proxy_port;
	int timeout_ms;     /* each exchange, and each wait for a busy device */
	int backoff_min_ms; /* first delay before reopening a failed device */
	int backoff_max_ms;
};

/* No proxy, 3000 ms exchanges, backoff 100 ms to 2000 ms. */
void ledger_config_default(struct ledger_config *c);

/* The transport to use: proxy ("HOST:PORT", may be NULL), else octez's
 * LEDGER_PROXY_ADDRESS / LEDGER_PROXY_PORT, else USB. */
bool ledger_config_transport(struct ledger_config *c, const char *proxy, struct err *e);

/* What identifies a device. */
struct ledger_device_info {
	char where[192];               /* transport and address */
	char name[LEDGER_NAME_MAX];    /* animal name */
	char root_pkh[B58_MAX];        /* tz1 of its ed25519 key at 44'/1729' */
	struct ledger_version version;
	bool no_sign_with_hash; /* INS 0F answered 6D00 on this app: use 04 */
};

struct ledger_backend;

bool ledger_backend_open(struct ledger_backend **out, const struct ledger_config *cfg,
			 struct err *e);
void ledger_backend_close(struct ledger_backend *b);

/* A locked, open and identified device. */
struct ledger_handle {
	struct ledger_backend *backend;
	size_t slot;
	struct ledger_link link;
	struct ledger_device_info info;
	char label[LEDGER_URI_TEXT_MAX]; /* "ledger://name/" */
};

/* Locks the device called device (animal name or tz1 of its root key;
 * NULL: the first device found) and makes it ready. exchange_timeout_ms
 * (0: the backend's) bounds each exchange made through h->link: long for
 * commands the person must confirm on the device. ERR_UNAVAILABLE when
 * the device is absent, busy, locked or its app is not open. */
bool ledger_acquire(struct ledger_backend *b, const char *device, int exchange_timeout_ms,
		    struct ledger_handle *h, struct err *e);
/* Why a device cannot be used now, as a monitor reports it. */
enum ledger_fault {
	LEDGER_FAULT_NONE,
	LEDGER_FAULT_UNREACHABLE,  /* not connected, or the transport failed: unplugged, hung */
	LEDGER_FAULT_BUSY,         /* another exchange holds the device (ledger_try_acquire) */
	LEDGER_FAULT_LOCKED,       /* 5515, or 6982 before any key is used: PIN not entered */
	LEDGER_FAULT_APP_CLOSED,   /* 6D00: the dashboard, no app open */
	LEDGER_FAULT_OTHER_APP,    /* 6E00, or another app (Tezos Wallet) answers */
	LEDGER_FAULT_WRONG_DEVICE, /* the device there is not the one named */
	LEDGER_FAULT_OTHER,
};

/* "none", "unreachable", "busy", "locked", "app_closed", "other_app",
 * "wrong_device", "error". */
const char *ledger_fault_name(enum ledger_fault f);
/* The fault a status word other than 9000 means (LEDGER_FAULT_OTHER when
 * it says nothing about the device's state). */
enum ledger_fault ledger_fault_of_sw(uint16_t sw);

/* ledger_acquire for monitoring: never waits for the device's lock (when
 * an exchange holds it, fails at once with LEDGER_FAULT_BUSY, so a poller
 * never queues ahead of a signature) and tells why a device cannot be
 * used in *fault. A device in its reopen backoff answers from the last
 * failure without any exchange. */
bool ledger_try_acquire(struct ledger_backend *b, const char *device, int exchange_timeout_ms,
			struct ledger_handle *h, enum ledger_fault *fault, struct err *e);

/* Unlocks. app_gone: a status word said the app closed or the device
 * locked, so it is identified again next time. A broken transport is
 * closed and the backoff starts; why (may be NULL) is the failure that
 * later requests are told about until the next attempt. */
void ledger_release(struct ledger_handle *h, bool app_gone, const struct err *why);

/* Remembers, until the device is identified again, that its app lacks
 * sign with hash. */
void ledger_handle_note_no_sign_with_hash(struct ledger_handle *h);

/* Devices present now: each identified one gets an info; those that
 * cannot be identified get their error in errs (cap entries each). */
bool ledger_list(struct ledger_backend *b, struct ledger_device_info *infos, struct err *errs,
		 size_t cap, size_t *n, struct err *e);

/* Signs msg with the key of uri on its device: sign with hash (INS 0F,
 * the returned hash checked against blake2b-256(msg)) when the app has it,
 * else INS 04; the signature is checked against expected. */
bool ledger_backend_sign(struct ledger_backend *b, const struct ledger_uri *uri,
			 const struct public_key *expected, const uint8_t *msg, size_t len,
			 struct signature *sig, struct err *e);

#endif
