/* sandbox_int.h - shared by the sandbox's files, not by its users. */
#ifndef TZS_FRONT_SANDBOX_INT_H
#define TZS_FRONT_SANDBOX_INT_H

#include <stdbool.h>

#include "../base/err.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer) || \
	__has_feature(thread_sanitizer)
#define SANDBOX_SANITIZERS 1
#endif
#endif

/* Sanitizer builds: caches what the runtime reads from /proc, runs the
 * leak check now, and installs the SIGSYS handler that lets the runtime's
 * own opens of /proc/self/ fail (sandbox_san.c). Nothing otherwise. */
bool sandbox_san_prepare(struct err *e);

#endif
