/* ledger_watch.c - checking a Ledger without getting in signing's way. */
#include "ledger_watch.h"

#include <stdio.h>
#include <string.h>

const char *ledger_watch_reason(enum ledger_fault f)
{
	switch (f) {
	case LEDGER_FAULT_NONE: return "ok";
	case LEDGER_FAULT_UNREACHABLE: return "ledger_unreachable";
	case LEDGER_FAULT_BUSY: return "ledger_busy";
	case LEDGER_FAULT_LOCKED: return "ledger_locked";
	case LEDGER_FAULT_APP_CLOSED: return "ledger_app_closed";
	case LEDGER_FAULT_OTHER_APP: return "ledger_other_app";
	case LEDGER_FAULT_WRONG_DEVICE: return "ledger_wrong_device";
	case LEDGER_FAULT_OTHER: break;
	}
	return "ledger_error";
}

static void set_fault(struct health_device *d, enum ledger_fault f, const struct err *e,
		      int64_t now_ms)
{
	if (!d->checked || d->fault != f)
		d->since_ms = now_ms;
	d->checked = true;
	d->fault = f;
	d->checked_ms = now_ms;
	d->checks++;
	if (f != LEDGER_FAULT_NONE) {
		d->failures++;
		snprintf(d->msg, sizeof(d->msg), "%s", e && e->msg[0] ? e->msg : ledger_fault_name(f));
	} else {
		d->msg[0] = '\0';
	}
}

void ledger_watch_check(struct ledger_backend *b, int timeout_ms, struct health_device *d,
			int64_t now_ms)
{
	struct ledger_handle h;
	enum ledger_fault fault = LEDGER_FAULT_OTHER;
	struct err e = { 0 };
	if (!b) {
		err_set(&e, ERR_UNAVAILABLE, "no Ledger backend");
		set_fault(d, LEDGER_FAULT_OTHER, &e, now_ms);
		return;
	}
	if (!ledger_try_acquire(b, d->device, timeout_ms, &h, &fault, &e)) {
		if (fault == LEDGER_FAULT_BUSY) {
			d->busy++; /* a signature is under way: the last result stands */
			return;
		}
		d->identified = false;
		d->auth_known = false;
		d->hwm_known = false;
		set_fault(d, fault, &e, now_ms);
		return;
	}
	d->identified = true;
	snprintf(d->name, sizeof(d->name), "%s", h.info.name);
	snprintf(d->where, sizeof(d->where), "%s", h.info.where);
	d->version = h.info.version;

	uint8_t reply[LEDGER_REPLY_MAX];
	const uint8_t *data;
	size_t n;
	uint16_t sw = 0;
	bool app_gone = false;
	fault = LEDGER_FAULT_NONE;
	if (!ledger_app_call(&h.link, LEDGER_INS_QUERY_AUTH_KEY_WITH_CURVE, 0, 0, NULL, 0, reply, &data,
			     &n, &sw, &e)) {
		fault = LEDGER_FAULT_UNREACHABLE;
	} else if (sw == LEDGER_SW_NOT_FOUND) {
		d->auth_known = true;
		d->authorized = false;
	} else if (sw != LEDGER_SW_OK) {
		fault = ledger_fault_of_sw(sw);
		app_gone = ledger_sw_means_app_gone(sw);
		ledger_sw_error(sw, h.label, "query authorized key", false, &e);
	} else if (!ledger_parse_auth_key(data, n, &d->authorized, &d->auth_curve, &d->auth_path, &e)) {
		fault = LEDGER_FAULT_OTHER;
		err_wrap(&e, "%s", h.label);
	} else {
		d->auth_known = true;
	}
	if (fault == LEDGER_FAULT_NONE) {
		struct err he = { 0 };
		d->hwm_known = ledger_app_hwm(&h.link, &d->hwm, &he);
		if (!d->hwm_known && h.link.t->broken) {
			fault = LEDGER_FAULT_UNREACHABLE;
			e = he;
		}
	}
	if (fault != LEDGER_FAULT_NONE) {
		d->auth_known = false;
		d->hwm_known = false;
	}
	ledger_release(&h, app_gone, fault == LEDGER_FAULT_UNREACHABLE ? &e : NULL);
	set_fault(d, fault, &e, now_ms);
}

void ledger_watch_key(const struct ledger_uri *u, const struct health_device *d,
		      struct health_key *out)
{
	char uri[LEDGER_URI_TEXT_MAX];
	ledger_uri_format(u, uri);
	out->can_sign = false;
	out->msg[0] = '\0';
	if (!d) {
		out->reason = "ledger_backend_missing";
		snprintf(out->msg, sizeof(out->msg), "%s: no Ledger backend in this signer", uri);
		return;
	}
	if (!d->checked) {
		out->reason = "not_checked_yet";
		snprintf(out->msg, sizeof(out->msg), "ledger://%s/ has not been checked yet", d->device);
		return;
	}
	if (d->fault != LEDGER_FAULT_NONE) {
		out->reason = ledger_watch_reason(d->fault);
		snprintf(out->msg, sizeof(out->msg), "%s", d->msg);
		return;
	}
	if (!d->auth_known) {
		out->reason = "ledger_error";
		snprintf(out->msg, sizeof(out->msg), "ledger://%s/: its authorized key is unknown", d->device);
		return;
	}
	if (!d->authorized) {
		out->reason = "ledger_key_not_authorized";
		snprintf(out->msg, sizeof(out->msg),
			 "no key is authorized for baking on ledger://%.48s/ (run `tzsigner ledger setup %.100s "
			 "--chain CHAIN_ID --main-hwm LEVEL`, LEVEL: the chain's current level)",
			 d->name[0] ? d->name : d->device, uri);
		return;
	}
	if (d->auth_curve != u->curve || !ledger_path_equal(&d->auth_path, &u->path)) {
		char path[128];
		ledger_path_format(&d->auth_path, path, sizeof(path));
		out->reason = "ledger_key_not_authorized";
		snprintf(out->msg, sizeof(out->msg),
			 "ledger://%.64s/ authorizes %s %.64s for baking, not this key (%.120s)",
			 d->name[0] ? d->name : d->device, ledger_curve_name(d->auth_curve), path, uri);
		return;
	}
	out->can_sign = true;
	out->reason = "ok";
}
