/* sandbox_filter.c - the front's seccomp allowlist (libseccomp).
 *
 * The default action kills the whole process (SIGSYS), so a forbidden call
 * is never an error path the attacker can probe: the key holder sees the
 * front exit and starts a fresh one. The list is what a single-threaded
 * epoll server over sockets it already holds needs, and what the
 * sanitizer runtimes need to print a report and exit. */
#include "sandbox.h"
#include "sandbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Allowed with any arguments. */
static const char *const plain[] = {
	/* the event loop over open sockets */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll",
	"ppoll", "accept", "accept4", "read", "readv", "recvfrom", "recvmsg", "recvmmsg",
	"write", "writev", "sendto", "sendmsg", "sendmmsg", "close", "shutdown",
	"getsockopt", "setsockopt", "getsockname", "getpeername",
	/* time, timers, signals */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep", "timerfd_create", "timerfd_settime", "timerfd_gettime", "eventfd2",
	"signalfd4",
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "sigaltstack", "restart_syscall",
	/* memory (mmap and mprotect are below: never executable) */
	"brk", "munmap", "mremap", "madvise",
	/* the process itself: its ids, randomness, locks, exit */
	"getpid", "gettid", "getrandom", "futex", "sched_yield", "exit", "exit_group",
};

static bool add_plain(scmp_filter_ctx ctx, struct err *e)
{
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		int nr = seccomp_syscall_resolve_name(plain[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a system call of this architecture */
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc != 0) {
			errno = -rc;
			return err_errno(e, ERR_INTERNAL, "sandbox: allowing %s", plain[i]);
		}
	}
	return true;
}

/* Calls allowed only with some arguments. */
static int add_narrowed(scmp_filter_ctx ctx)
{
	int rc = 0;
	/* No executable memory: no code injected after start-up. */
	rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* fstat of an open descriptor only (glibc: newfstatat(fd, "", AT_EMPTY_PATH)):
	 * no path is ever looked up. */
	rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fstat), 0);
	rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
					SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* Descriptor flags (O_NONBLOCK, FD_CLOEXEC), no duplicates or locks. */
	static const unsigned fcntl_ops[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD };
	for (size_t i = 0; i < sizeof(fcntl_ops) / sizeof(fcntl_ops[0]); i++)
		rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
						SCMP_A1(SCMP_CMP_EQ, fcntl_ops[i]));
	/* Non-blocking mode, bytes pending, and isatty (the sanitizers ask
	 * whether stderr is a terminal before they colour a report). */
	static const unsigned long ioctl_ops[] = { FIONBIO, FIONREAD, TCGETS };
	for (size_t i = 0; i < sizeof(ioctl_ops) / sizeof(ioctl_ops[0]); i++)
		rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
						SCMP_A1(SCMP_CMP_EQ, ioctl_ops[i]));
	/* Signals to itself only (abort, raise): never to the key holder. */
	scmp_datum_t self = (scmp_datum_t)getpid();
	rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
					SCMP_A0(SCMP_CMP_EQ, self));
	rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tkill), 1,
					SCMP_A0(SCMP_CMP_EQ, self));
#ifdef SANDBOX_SANITIZERS
	/* Sanitizer builds: the runtime's reads of /proc/ fail instead
	 * (sandbox_san.c); any other path still ends the process. */
	static const int path_calls[] = { SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink),
					  SCMP_SYS(readlinkat) };
	for (size_t i = 0; i < sizeof(path_calls) / sizeof(path_calls[0]); i++)
		rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_TRAP, path_calls[i], 0);
#endif
	return rc;
}

bool sandbox_filter_load(struct err *e)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return err_set(e, ERR_INTERNAL,
			       "sandbox: seccomp_init failed: seccomp(2) is refused (a systemd unit "
			       "whose SystemCallFilter= lacks seccomp, or a kernel without it) or "
			       "memory is short");
	bool ok = false;
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc != 0) {
		errno = -rc;
		err_errno(e, ERR_INTERNAL, "sandbox: asking for the filter on every thread");
		goto out;
	}
	if (!add_plain(ctx, e))
		goto out;
	rc = add_narrowed(ctx);
	if (rc != 0) {
		errno = -rc;
		err_errno(e, ERR_INTERNAL, "sandbox: adding an argument-checked rule");
		goto out;
	}
	rc = seccomp_load(ctx);
	if (rc != 0) {
		errno = -rc;
		err_errno(e, ERR_INTERNAL,
			  "sandbox: loading the seccomp filter (a kernel without seccomp, or "
			  "one that refuses SECCOMP_RET_KILL_PROCESS: Linux 4.14 or newer is "
			  "needed)");
		goto out;
	}
	ok = true;
out:
	seccomp_release(ctx);
	return ok;
}
