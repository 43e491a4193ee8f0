/* device.c - device slots: per-device lock, reopen with backoff,
 * identification by animal name. */
#include "device.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../tezos/keycodec.h"
#include "names.h"

static void set_fault(enum ledger_fault *fault, enum ledger_fault f)
{
	if (fault)
		*fault = f;
}

const char *ledger_fault_name(enum ledger_fault f)
{
	switch (f) {
	case LEDGER_FAULT_NONE: return "none";
	case LEDGER_FAULT_UNREACHABLE: return "unreachable";
	case LEDGER_FAULT_BUSY: return "busy";
	case LEDGER_FAULT_LOCKED: return "locked";
	case LEDGER_FAULT_APP_CLOSED: return "app_closed";
	case LEDGER_FAULT_OTHER_APP: return "other_app";
	case LEDGER_FAULT_WRONG_DEVICE: return "wrong_device";
	case LEDGER_FAULT_OTHER: break;
	}
	return "error";
}

enum ledger_fault ledger_fault_of_sw(uint16_t sw)
{
	switch (sw) {
	case LEDGER_SW_OK: return LEDGER_FAULT_NONE;
	case LEDGER_SW_LOCKED:
	case LEDGER_SW_SECURITY: return LEDGER_FAULT_LOCKED;
	case LEDGER_SW_INVALID_INS: return LEDGER_FAULT_APP_CLOSED;
	}
	if (ledger_sw_means_app_gone(sw))
		return LEDGER_FAULT_OTHER_APP;
	return LEDGER_FAULT_OTHER;
}

struct slot {
	pthread_mutex_t lock; /* held for each use of the device */
	bool usb;
	struct ledger_usb_info usb_info;
	struct ledger_transport t;
	bool identified;
	struct ledger_device_info info;
	int64_t retry_at_ms; /* no reopening before this */
	int backoff_ms;
	char last_error[ERR_MSG_MAX];
	/* Under the backend's table lock: */
	char known_name[LEDGER_NAME_MAX];
	char known_pkh[B58_MAX];
	bool gone; /* no longer enumerated */
};

struct ledger_backend {
	struct ledger_config cfg;
	pthread_mutex_t table_lock;  /* slot count and known names */
	pthread_mutex_t discover_lock;
	struct slot slots[LEDGER_USB_MAX_DEVICES];
	size_t count;
};

void ledger_config_default(struct ledger_config *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = 3000;
	c->backoff_min_ms = 100;
	c->backoff_max_ms = 2000;
}

bool ledger_config_transport(struct ledger_config *c, const char *proxy, struct err *e)
{
	bool found = false;
	c->proxy = false;
	if (proxy) {
		if (!ledger_proxy_parse(proxy, c->proxy_host, &c->proxy_port, e))
			return err_wrap(e, "--ledger-proxy");
		found = true;
	} else if (!ledger_proxy_from_env(c->proxy_host, &c->proxy_port, &found, e)) {
		return false;
	}
	c->proxy = found;
	return true;
}

static void slot_init(struct slot *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
}

bool ledger_backend_open(struct ledger_backend **out, const struct ledger_config *cfg,
			 struct err *e)
{
	struct ledger_backend *b = calloc(1, sizeof(*b));
	if (!b)
		return err_set(e, ERR_INTERNAL, "out of memory");
	b->cfg = *cfg;
	if (b->cfg.timeout_ms <= 0)
		b->cfg.timeout_ms = 3000;
	if (b->cfg.backoff_min_ms <= 0)
		b->cfg.backoff_min_ms = 100;
	if (b->cfg.backoff_max_ms < b->cfg.backoff_min_ms)
		b->cfg.backoff_max_ms = b->cfg.backoff_min_ms;
	pthread_mutex_init(&b->table_lock, NULL);
	pthread_mutex_init(&b->discover_lock, NULL);
	if (b->cfg.proxy) {
		slot_init(&b->slots[0]);
		b->count = 1;
	}
	*out = b;
	return true;
}

void ledger_backend_close(struct ledger_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->count; i++) {
		ledger_transport_close(&b->slots[i].t);
		pthread_mutex_destroy(&b->slots[i].lock);
	}
	pthread_mutex_destroy(&b->table_lock);
	pthread_mutex_destroy(&b->discover_lock);
	free(b);
}

/* Closes a failed transport and schedules the next attempt. */
static void slot_failed(struct ledger_backend *b, struct slot *s, const struct err *why)
{
	ledger_transport_close(&s->t);
	s->identified = false;
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : b->cfg.backoff_min_ms;
	if (s->backoff_ms > b->cfg.backoff_max_ms)
		s->backoff_ms = b->cfg.backoff_max_ms;
	s->retry_at_ms = ledger_now_ms() + s->backoff_ms;
	snprintf(s->last_error, sizeof(s->last_error), "%s", why && why->msg[0] ? why->msg : "failed");
	char v[ERR_MSG_MAX + 8];
	log_warn("event=ledger_down where=\"%s\" retry_ms=%d error=%s", s->t.where[0] ? s->t.where : "?",
		 s->backoff_ms, log_str(v, sizeof(v), s->last_error));
}

static bool slot_open(struct ledger_backend *b, struct slot *s, enum ledger_fault *fault,
		      struct err *e)
{
	int64_t now = ledger_now_ms();
	if (ledger_transport_is_open(&s->t) && !s->t.broken)
		return true;
	set_fault(fault, LEDGER_FAULT_UNREACHABLE);
	if (s->t.broken)
		ledger_transport_close(&s->t);
	if (now < s->retry_at_ms)
		return err_set(e, ERR_UNAVAILABLE, "%s (next attempt in %lld ms)", s->last_error,
			       (long long)(s->retry_at_ms - now));
	bool ok = b->cfg.proxy ? ledger_tcp_open(&s->t, b->cfg.proxy_host, b->cfg.proxy_port,
						 b->cfg.timeout_ms, e)
			       : ledger_usb_open(&s->t, s->usb_info.path, s->usb_info.product_id, e);
	if (!ok) {
		if (e)
			e->kind = ERR_UNAVAILABLE;
		slot_failed(b, s, e);
		return false;
	}
	snprintf(s->info.where, sizeof(s->info.where), "%s", s->t.where);
	return true;
}

/* Version and root key → animal name. *fault (may be NULL) says why not. */
static bool slot_identify(struct ledger_backend *b, struct slot *s, const char *label,
			  enum ledger_fault *fault, struct err *e)
{
	struct ledger_link l = { .t = &s->t, .label = label, .timeout_ms = b->cfg.timeout_ms };
	struct ledger_version v;
	struct ledger_path root;
	struct public_key pk;
	struct pkh pkh;
	uint8_t reply[LEDGER_REPLY_MAX];
	const uint8_t *d;
	size_t n;
	uint16_t sw;
	ledger_path_root(&root);
	set_fault(fault, LEDGER_FAULT_UNREACHABLE);
	if (!ledger_app_call(&l, LEDGER_INS_VERSION, 0, 0, NULL, 0, reply, &d, &n, &sw, e))
		return false;
	set_fault(fault, LEDGER_FAULT_OTHER);
	if (sw != LEDGER_SW_OK) {
		set_fault(fault, ledger_fault_of_sw(sw));
		return ledger_sw_error(sw, label, "version", false, e);
	}
	if (!ledger_parse_version(d, n, &v, e))
		return err_wrap(e, "%s", label);
	if (v.app_class != 1) {
		set_fault(fault, LEDGER_FAULT_OTHER_APP);
		return err_set(e, ERR_UNAVAILABLE,
			       "Tezos Baking app is not open on %s: the %s app %u.%u.%u is (open Tezos Baking)",
			       label, ledger_app_name(v.app_class), v.major, v.minor, v.patch);
	}
	if (!ledger_app_public_key(&l, LEDGER_CURVE_ED25519, &root, false, &pk, e)) {
		if (s->t.broken)
			set_fault(fault, LEDGER_FAULT_UNREACHABLE);
		return false;
	}
	pkh_of_public_key(&pk, &pkh);
	if (!pkh_encode(s->info.root_pkh, &pkh, e))
		return false;
	ledger_animal_name(s->info.name, s->info.root_pkh);
	s->info.version = v;
	s->info.no_sign_with_hash = false;
	s->identified = true;
	s->backoff_ms = 0;
	s->retry_at_ms = 0;
	pthread_mutex_lock(&b->table_lock);
	snprintf(s->known_name, sizeof(s->known_name), "%s", s->info.name);
	snprintf(s->known_pkh, sizeof(s->known_pkh), "%s", s->info.root_pkh);
	s->gone = false;
	for (size_t i = 0; i < b->count; i++) /* the same device at a new USB path */
		if (&b->slots[i] != s && strcmp(b->slots[i].known_name, s->known_name) == 0) {
			b->slots[i].known_name[0] = '\0';
			b->slots[i].known_pkh[0] = '\0';
			b->slots[i].gone = true;
		}
	pthread_mutex_unlock(&b->table_lock);
	log_info("event=ledger_ready where=\"%s\" device=ledger://%s/ app=\"%s\" version=%u.%u.%u",
		 s->t.where, s->info.name, ledger_app_name(v.app_class), v.major, v.minor, v.patch);
	return true;
}

/* Opens and identifies a locked slot. */
static bool slot_ready(struct ledger_backend *b, struct slot *s, const char *label,
		       enum ledger_fault *fault, struct err *e)
{
	if (!slot_open(b, s, fault, e))
		return false;
	if (s->identified)
		return true;
	if (!slot_identify(b, s, label, fault, e)) {
		if (s->t.broken)
			slot_failed(b, s, e);
		return false;
	}
	return true;
}

static bool lock_slot(struct ledger_backend *b, struct slot *s, const char *label, bool wait,
		      struct err *e)
{
	if (!wait) {
		int rc = pthread_mutex_trylock(&s->lock);
		if (rc == EBUSY)
			return err_set(e, ERR_UNAVAILABLE, "%s is busy: another exchange is under way", label);
		if (rc != 0)
			return err_set(e, ERR_INTERNAL, "%s: lock failed (%d)", label, rc);
		return true;
	}
	struct timespec ts = clock_after_ms(CLOCK_REALTIME, (uint64_t)b->cfg.timeout_ms);
	int rc = pthread_mutex_timedlock(&s->lock, &ts);
	if (rc == ETIMEDOUT)
		return err_set(e, ERR_UNAVAILABLE, "%s is busy: another exchange has not finished within %d ms",
			       label, b->cfg.timeout_ms);
	if (rc != 0)
		return err_set(e, ERR_INTERNAL, "%s: lock failed (%d)", label, rc);
	return true;
}

static bool name_matches(const char *device, const char *name, const char *pkh)
{
	return !device || strcmp(device, name) == 0 || strcmp(device, pkh) == 0;
}

/* Finds USB devices not yet in the table and identifies them. */
static void discover(struct ledger_backend *b)
{
	struct ledger_usb_info found[LEDGER_USB_MAX_DEVICES];
	size_t n = 0;
	struct err e = { 0 };
	pthread_mutex_lock(&b->discover_lock);
	if (!ledger_usb_enumerate(found, LEDGER_USB_MAX_DEVICES, &n, &e)) {
		pthread_mutex_unlock(&b->discover_lock);
		return;
	}
	size_t fresh[LEDGER_USB_MAX_DEVICES], nfresh = 0;
	pthread_mutex_lock(&b->table_lock);
	for (size_t i = 0; i < b->count; i++) {
		bool present = false;
		for (size_t j = 0; j < n; j++)
			present |= strcmp(found[j].path, b->slots[i].usb_info.path) == 0;
		if (!present) {
			b->slots[i].gone = true;
			b->slots[i].known_name[0] = '\0';
			b->slots[i].known_pkh[0] = '\0';
		}
	}
	for (size_t j = 0; j < n; j++) {
		size_t i;
		for (i = 0; i < b->count; i++)
			if (strcmp(found[j].path, b->slots[i].usb_info.path) == 0)
				break;
		if (i < b->count) {
			if (!b->slots[i].known_name[0])
				fresh[nfresh++] = i;
			continue;
		}
		if (b->count == LEDGER_USB_MAX_DEVICES)
			break;
		struct slot *s = &b->slots[b->count];
		slot_init(s);
		s->usb = true;
		s->usb_info = found[j];
		fresh[nfresh++] = b->count++;
	}
	pthread_mutex_unlock(&b->table_lock);
	for (size_t k = 0; k < nfresh; k++) {
		struct slot *s = &b->slots[fresh[k]];
		if (pthread_mutex_trylock(&s->lock) != 0)
			continue;
		char label[LEDGER_USB_PATH_MAX + 16];
		snprintf(label, sizeof(label), "the Ledger at %s", s->usb_info.path);
		if (!s->identified) {
			s->retry_at_ms = 0; /* a device seen again gets a fresh try */
			slot_ready(b, s, label, NULL, &e);
		}
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&b->discover_lock);
}

/* The slot for device, or SIZE_MAX. */
static size_t find_slot(struct ledger_backend *b, const char *device)
{
	size_t found = SIZE_MAX;
	pthread_mutex_lock(&b->table_lock);
	for (size_t i = 0; i < b->count && found == SIZE_MAX; i++)
		if (!b->slots[i].gone && b->slots[i].known_name[0] &&
		    name_matches(device, b->slots[i].known_name, b->slots[i].known_pkh))
			found = i;
	pthread_mutex_unlock(&b->table_lock);
	return found;
}

static bool acquire(struct ledger_backend *b, const char *device, int exchange_timeout_ms,
		    bool wait, struct ledger_handle *h, enum ledger_fault *fault, struct err *e)
{
	memset(h, 0, sizeof(*h));
	set_fault(fault, LEDGER_FAULT_UNREACHABLE);
	h->backend = b;
	if (device)
		snprintf(h->label, sizeof(h->label), "ledger://%s/", device);
	else
		snprintf(h->label, sizeof(h->label), "the Ledger");
	size_t i;
	if (b->cfg.proxy) {
		i = 0;
	} else {
		i = find_slot(b, device);
		if (i == SIZE_MAX) {
			discover(b);
			i = find_slot(b, device);
		}
		if (i == SIZE_MAX)
			return err_set(e, ERR_UNAVAILABLE,
				       "%s is not connected: no Ledger on USB answers to that name (unplugged, locked, or the Tezos Baking app is not open?)",
				       h->label);
	}
	struct slot *s = &b->slots[i];
	if (!lock_slot(b, s, h->label, wait, e)) {
		set_fault(fault, LEDGER_FAULT_BUSY);
		return false;
	}
	if (!slot_ready(b, s, h->label, fault, e)) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	if (!name_matches(device, s->info.name, s->info.root_pkh)) {
		pthread_mutex_unlock(&s->lock);
		set_fault(fault, LEDGER_FAULT_WRONG_DEVICE);
		return err_set(e, ERR_UNAVAILABLE, "the Ledger at %s is ledger://%s/, not %s", s->t.where,
			       s->info.name, h->label);
	}
	set_fault(fault, LEDGER_FAULT_NONE);
	if (!device)
		snprintf(h->label, sizeof(h->label), "ledger://%s/", s->info.name);
	h->slot = i;
	h->info = s->info;
	h->link.t = &s->t;
	h->link.label = h->label;
	h->link.timeout_ms = exchange_timeout_ms > 0 ? exchange_timeout_ms : b->cfg.timeout_ms;
	return true;
}

bool ledger_acquire(struct ledger_backend *b, const char *device, int exchange_timeout_ms,
		    struct ledger_handle *h, struct err *e)
{
	return acquire(b, device, exchange_timeout_ms, true, h, NULL, e);
}

bool ledger_try_acquire(struct ledger_backend *b, const char *device, int exchange_timeout_ms,
			struct ledger_handle *h, enum ledger_fault *fault, struct err *e)
{
	return acquire(b, device, exchange_timeout_ms, false, h, fault, e);
}

void ledger_release(struct ledger_handle *h, bool app_gone, const struct err *why)
{
	struct ledger_backend *b = h->backend;
	struct slot *s = &b->slots[h->slot];
	if (s->t.broken) {
		struct err fallback;
		if (!why || !why->msg[0]) {
			err_set(&fallback, ERR_UNAVAILABLE, "%s: the last exchange failed", h->label);
			why = &fallback;
		}
		slot_failed(b, s, why);
	} else if (app_gone) {
		s->identified = false;
	}
	pthread_mutex_unlock(&s->lock);
}

void ledger_handle_note_no_sign_with_hash(struct ledger_handle *h)
{
	h->info.no_sign_with_hash = true;
	h->backend->slots[h->slot].info.no_sign_with_hash = true;
}

bool ledger_list(struct ledger_backend *b, struct ledger_device_info *infos, struct err *errs,
		 size_t cap, size_t *n, struct err *e)
{
	*n = 0;
	if (!b->cfg.proxy)
		discover(b);
	pthread_mutex_lock(&b->table_lock);
	size_t count = b->count;
	pthread_mutex_unlock(&b->table_lock);
	for (size_t i = 0; i < count && *n < cap; i++) {
		struct slot *s = &b->slots[i];
		if (s->gone)
			continue;
		char label[LEDGER_USB_PATH_MAX + 32];
		if (b->cfg.proxy)
			snprintf(label, sizeof(label), "the Ledger at %s:%u", b->cfg.proxy_host,
				 (unsigned)b->cfg.proxy_port);
		else
			snprintf(label, sizeof(label), "the Ledger at %s", s->usb_info.path);
		err_clear(&errs[*n]);
		memset(&infos[*n], 0, sizeof(infos[*n]));
		if (!lock_slot(b, s, label, true, &errs[*n])) {
			(*n)++;
			continue;
		}
		s->retry_at_ms = 0;
		if (slot_ready(b, s, label, NULL, &errs[*n]))
			infos[*n] = s->info;
		else
			snprintf(infos[*n].where, sizeof(infos[*n].where), "%.180s",
				 s->t.where[0] ? s->t.where : label);
		pthread_mutex_unlock(&s->lock);
		(*n)++;
	}
	(void)e;
	return true;
}
