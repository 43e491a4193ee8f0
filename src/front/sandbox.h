/* sandbox.h - the network front's confinement (design §2.6).
 *
 * The front is the process an attacker reaches first. Once its sockets
 * are open it calls sandbox_enter, after which it can only use the file
 * descriptors it already holds:
 *
 *   - it refuses to start holding any descriptor above stderr that is not
 *     a socket or an anonymous inode (epoll, timerfd, signalfd);
 *   - as root: supplementary groups dropped, chroot into an empty
 *     directory that no longer has a name (created under /run, entered,
 *     removed), gid and uid set to c->user; the drop is checked by trying
 *     to undo it;
 *   - always: core dumps off, PR_SET_NO_NEW_PRIVS, every capability gone
 *     (effective, permitted, inheritable, ambient, and the bounding set
 *     when we may change it);
 *   - when c->seccomp: a seccomp filter that kills the whole process on
 *     any system call outside the allowlist of a single-threaded epoll
 *     server over open sockets (sandbox_filter.c). No open, exec, socket,
 *     connect, bind, kill, ptrace or process_vm_* call survives it.
 *
 * Run by a non-root user the uid stays (nothing may change it), which is
 * how the systemd unit runs it: the seccomp filter then carries the
 * isolation (README "Two processes"). */
#ifndef TZS_FRONT_SANDBOX_H
#define TZS_FRONT_SANDBOX_H

#include <stdbool.h>

#include "../base/err.h"

struct sandbox_config {
	const char *user; /* the user to become when root; NULL: "nobody" */
	bool seccomp;     /* load the system call filter (true but in tests) */
};

/* Confines the calling process for good. Call it single-threaded, after
 * every file descriptor the process needs is open. On failure the process
 * may be partly confined; the caller must exit. */
bool sandbox_enter(const struct sandbox_config *c, struct err *e);

/* Loads the seccomp allowlist alone (sandbox_filter.c). */
bool sandbox_filter_load(struct err *e);

#endif
