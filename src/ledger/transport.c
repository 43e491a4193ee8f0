/* transport.c - the shared part of the transports. */
#include "transport.h"

#include <time.h>

int64_t ledger_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool ledger_transport_is_open(const struct ledger_transport *t)
{
	return t->ops != NULL;
}

bool ledger_transport_exchange(struct ledger_transport *t, const uint8_t *apdu, size_t len,
			       uint8_t reply[static LEDGER_REPLY_MAX], size_t *reply_len,
			       int timeout_ms, struct err *e)
{
	if (!t->ops || t->broken)
		return err_set(e, ERR_UNAVAILABLE, "%s: the connection is closed", t->where);
	if (!t->ops->exchange(t->impl, t->where, apdu, len, reply, reply_len, timeout_ms, e)) {
		t->broken = true;
		if (e)
			e->kind = ERR_UNAVAILABLE;
		return false;
	}
	return true;
}

void ledger_transport_close(struct ledger_transport *t)
{
	if (t->ops)
		t->ops->close(t->impl);
	t->ops = NULL;
	t->impl = NULL;
	t->broken = false;
}
