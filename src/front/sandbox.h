/* sandbox.h - the front's confinement (issue 14, PRIVSEP.md). STUB: the
 * privsep-sandbox branch owns this file and sandbox.c and replaces both
 * (setgroups/chroot/setuid as root, no new privileges, no capabilities,
 * the seccomp allowlist); until it is merged, sandbox_enter does nothing. */
#ifndef TZS_FRONT_SANDBOX_H
#define TZS_FRONT_SANDBOX_H

#include <stdbool.h>

#include "../base/err.h"

struct sandbox_config {
	const char *user; /* "nobody" */
	bool seccomp;     /* true */
};

bool sandbox_enter(const struct sandbox_config *c, struct err *e);

#endif
