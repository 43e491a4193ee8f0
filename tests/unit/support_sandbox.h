/* support_sandbox.h - running a function in a forked child confined by the
 * front's sandbox (src/front/sandbox.h), for the sandbox's unit tests. */
#ifndef TZS_TESTS_SUPPORT_SANDBOX_H
#define TZS_TESTS_SUPPORT_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

/* What the child gets: fds opened before the sandbox (-1: none), the
 * parent's pid. Every other descriptor above stderr is closed first, as
 * serve does before it executes the front. */
struct child_ctx {
	int lfd;  /* a listening TCP socket (or any fd a test hands over) */
	int kh;   /* our end of a SOCK_SEQPACKET pair, as the front's kh fd */
	int out;  /* a socket to report through */
	pid_t parent;
};

typedef void (*child_fn)(const struct child_ctx *c);

/* Forks; the child enters the sandbox (the seccomp filter as asked) and
 * runs fn, then exits 0. Exit 90 means sandbox_enter refused; its message
 * goes to stderr unless quiet. Returns the wait status, or -1. */
int sandbox_test_run(child_fn fn, const struct child_ctx *c, bool seccomp, bool quiet);

/* Whether a wait status is the filter's verdict: killed by SIGSYS. */
bool sandbox_test_killed(int status);

#endif
