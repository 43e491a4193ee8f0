/* ledger_watch.h - one check of a Ledger device, and what it means for
 * each key on it. */
#ifndef TZS_HEALTH_LEDGER_WATCH_H
#define TZS_HEALTH_LEDGER_WATCH_H

#include "health.h"

/* Checks the device d->device names: takes it only if nobody holds it
 * (else only d->busy grows and the last result stands), asks for the
 * authorized key and the high watermarks with exchanges bounded by
 * timeout_ms, lets it go. Updates d (checked, fault, msg, identity,
 * authorized key, watermarks, counters; since_ms when the fault changes). */
void ledger_watch_check(struct ledger_backend *b, int timeout_ms, struct health_device *d,
			int64_t now_ms);

/* What d means for the key at ledger URI u: can_sign, reason and msg (the
 * times are the caller's). d may be NULL (no backend). */
void ledger_watch_key(const struct ledger_uri *u, const struct health_device *d,
		      struct health_key *out);

/* The reason code of a device fault ("ledger_unreachable", …). */
const char *ledger_watch_reason(enum ledger_fault f);

#endif
