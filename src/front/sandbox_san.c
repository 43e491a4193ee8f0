/* sandbox_san.c - what the sanitizer runtimes need to report from inside
 * the sandbox (sanitizer builds only; empty otherwise).
 *
 * A report reads /proc/self/maps (and falls back to the copy cached by
 * __sanitizer_sandbox_on_notify when it cannot) and looks for its own
 * binary through /proc/self/exe. So in these builds the filter traps open,
 * openat, readlink and readlinkat instead of killing at once, and this
 * SIGSYS handler makes such a call on a /proc/ path fail with EACCES and
 * kills the process with SIGSYS on any other path: the call itself never
 * runs either way, and every other forbidden call is killed by the filter
 * directly.
 * The exit-time leak check (clone + ptrace, both forbidden) runs before
 * the sandbox instead. Reports come out unsymbolized (module+offset:
 * `addr2line -e build/asan/tzsigner OFFSET`): a symbolizer is a process
 * the front may not start. */
#include "sandbox_int.h"

#ifdef SANDBOX_SANITIZERS
#include <errno.h>
#include <sanitizer/common_interface_defs.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#if defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer))
#include <sanitizer/lsan_interface.h>
#define SANDBOX_LSAN 1
#endif

/* The runtime reads /proc/self/maps and looks for its own binary
 * (/proc/self/exe, and libbacktrace's other guesses, all under /proc/). */
/* si_code of a seccomp trap (linux/uapi asm-generic/siginfo.h); glibc's
 * <signal.h> does not name it. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static bool sanitizer_path(const char *p) { return p && strncmp(p, "/proc/", 6) == 0; }

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	if (si->si_code != SYS_SECCOMP)
		goto die; /* sent by kill: not a trapped call */
#if defined(__x86_64__)
	greg_t *r = uc->uc_mcontext.gregs;
	long nr = si->si_syscall;
	const char *path = nr == SYS_open || nr == SYS_readlink       ? (const char *)r[REG_RDI]
			   : nr == SYS_openat || nr == SYS_readlinkat ? (const char *)r[REG_RSI]
								      : NULL;
	if (sanitizer_path(path)) {
		r[REG_RAX] = -EACCES;
		return;
	}
#elif defined(__aarch64__)
	long nr = si->si_syscall;
	const char *path = nr == SYS_openat || nr == SYS_readlinkat
				   ? (const char *)uc->uc_mcontext.regs[1]
				   : NULL;
	if (sanitizer_path(path)) {
		uc->uc_mcontext.regs[0] = (unsigned long long)-EACCES;
		return;
	}
#else
	(void)uc;
#endif
die:
	/* Anything else dies as the filter would have killed it. */
	signal(sig, SIG_DFL);
	raise(sig);
}
#endif

bool sandbox_san_prepare(struct err *e)
{
#ifdef SANDBOX_SANITIZERS
	__sanitizer_sandbox_on_notify(NULL);
#ifdef SANDBOX_LSAN
	__lsan_do_leak_check();
#endif
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO | SA_NODEFER };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return err_errno(e, ERR_INTERNAL, "sandbox: installing the SIGSYS handler");
#else
	(void)e;
#endif
	return true;
}
