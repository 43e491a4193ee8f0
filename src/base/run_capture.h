/* run_capture.h - running a helper program (sshd -t, ssh-keygen) and
 * keeping what it prints: fork, exec, read the pipe to its end, wait. */
#ifndef TZS_BASE_RUN_CAPTURE_H
#define TZS_BASE_RUN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum run_flags {
	RUN_STDERR_TOO = 1u << 0,  /* stderr on the pipe too (else inherited) */
	RUN_STDIN_NULL = 1u << 1,  /* stdin from /dev/null (else inherited) */
	RUN_CLEAN_ENV = 1u << 2,   /* run_exec_clean: argv[0] absolute, PATH alone
				    * in the environment (else execvp, ours) */
};

/* execve with PATH alone in the environment; exit status 127 when it fails.
 * Async-signal-safe (it runs between fork and exec). */
__attribute__((noreturn)) void run_exec_clean(const char *const argv[]);

/* Runs argv (flags: enum run_flags) with an empty signal mask and its
 * stdout on a pipe; out receives the first cap-1 bytes it wrote (the rest
 * is read and dropped), NUL-terminated, and *status its wait status. False
 * only when it could not be run or waited for; the caller judges *status. */
bool run_capture(const char *const argv[], unsigned flags, char *out, size_t cap, int *status,
		 struct err *e);

#endif
