/* audit.h - one log line per signing decision, whatever the transport:
 * what was asked, what was decided, why. */
#ifndef TZS_SERVER_AUDIT_H
#define TZS_SERVER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../guard/guard.h"

/* transport: NULL for HTTP (the line carries no transport= then), else
 * "socket". e: NULL when signed. */
void audit_sign(const char *transport, const char *pkh, const struct sign_result *res,
		const struct err *e, size_t len, uint64_t start_ns);

#endif
