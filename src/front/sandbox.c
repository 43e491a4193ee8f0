/* sandbox.c - the front's privilege drop: an empty root, an unprivileged
 * user, no capabilities, no new privileges; then the seccomp filter
 * (sandbox_filter.c). */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <jansson.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_int.h"

/* Where the empty root is made: a directory only root may write to. */
#define SANDBOX_ROOT_PARENT "/run"

/* Every descriptor above stderr must be a socket or an anonymous inode
 * (epoll, timerfd, signalfd, eventfd): the filter lets the front read and
 * write whatever it holds, so a file the key holder leaked into it (a key
 * file, the watermark store, the base directory's lock) would be reachable. */
static bool only_sockets_open(struct err *e)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return err_errno(e, ERR_IO, "sandbox: listing /proc/self/fd");
	bool ok = true;
	const struct dirent *ent;
	while (ok && (ent = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(ent->d_name, &end, 10);
		if (*end || end == ent->d_name || fd <= 2 || fd == dirfd(d))
			continue;
		struct stat st;
		char link[64], target[256] = "";
		snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0)
			target[n] = '\0';
		if (fstat((int)fd, &st) == 0 &&
		    (S_ISSOCK(st.st_mode) || strncmp(target, "anon_inode:", 11) == 0))
			continue;
		ok = err_set(e, ERR_FORBIDDEN,
			     "sandbox: descriptor %ld is %s, not a socket: the front must hold "
			     "nothing but its sockets (close the others before exec)", fd,
			     target[0] ? target : "unknown");
	}
	closedir(d);
	return ok;
}

struct target_user {
	uid_t uid;
	gid_t gid;
};

static bool lookup_user(const char *name, struct target_user *t, struct err *e)
{
	errno = 0;
	const struct passwd *pw = getpwnam(name);
	if (!pw)
		return errno ? err_errno(e, ERR_IO, "sandbox: looking up user %s", name)
			     : err_set(e, ERR_NOT_FOUND,
				       "sandbox: user %s does not exist: create it (a system user "
				       "with no login) or name another with --user", name);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return err_set(e, ERR_FORBIDDEN,
			       "sandbox: user %s has uid %u gid %u: the front must run as an "
			       "unprivileged user; name one with --user", name,
			       (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	return true;
}

/* The bounding set limits what any later exec could gain; dropping from it
 * needs CAP_SETPCAP, so this runs while still root. */
static bool drop_bounding_set(struct err *e)
{
	for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return err_errno(e, ERR_INTERNAL,
					 "sandbox: dropping capability %lu from the bounding set", cap);
	return true;
}

/* chroot into a fresh directory that is removed once entered: the root
 * has no name, so nothing can ever be put into it. */
static bool enter_empty_root(struct err *e)
{
	struct stat st;
	if (lstat(SANDBOX_ROOT_PARENT, &st) != 0)
		return err_errno(e, ERR_IO, "sandbox: %s (the empty root is made there)",
				 SANDBOX_ROOT_PARENT);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return err_set(e, ERR_FORBIDDEN,
			       "sandbox: %s must be a directory owned by root and writable by "
			       "root only (mode %o uid %u)", SANDBOX_ROOT_PARENT,
			       (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	char dir[] = SANDBOX_ROOT_PARENT "/tzsigner-front.XXXXXX";
	if (!mkdtemp(dir))
		return err_errno(e, ERR_IO, "sandbox: creating an empty root under %s",
				 SANDBOX_ROOT_PARENT);
	bool in = chdir(dir) == 0;
	int saved = errno;
	if (rmdir(dir) != 0)
		return err_errno(e, ERR_IO, "sandbox: removing the empty root %s", dir);
	if (!in) {
		errno = saved;
		return err_errno(e, ERR_IO, "sandbox: entering the empty root %s", dir);
	}
	if (chroot(".") != 0)
		return err_errno(e, ERR_IO, "sandbox: chroot into the empty root");
	if (stat("/", &st) != 0 || st.st_nlink != 0)
		return err_set(e, ERR_INTERNAL, "sandbox: the new root is still linked");
	return true;
}

static bool become(const struct target_user *t, const char *name, struct err *e)
{
	if (setgroups(0, NULL) != 0)
		return err_errno(e, ERR_IO, "sandbox: dropping supplementary groups");
	if (setresgid(t->gid, t->gid, t->gid) != 0)
		return err_errno(e, ERR_IO, "sandbox: setting gid %u", (unsigned)t->gid);
	if (setresuid(t->uid, t->uid, t->uid) != 0)
		return err_errno(e, ERR_IO, "sandbox: setting uid %u (user %s)", (unsigned)t->uid,
				 name);
	/* The drop must hold: every id is the target's and none can go back. */
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru != t->uid || eu != t->uid || su != t->uid || rg != t->gid || eg != t->gid ||
	    sg != t->gid || getgroups(0, NULL) != 0)
		return err_set(e, ERR_INTERNAL, "sandbox: the user ids did not all change to %s",
			       name);
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || setegid(0) == 0)
		return err_set(e, ERR_INTERNAL, "sandbox: the drop to %s could be undone", name);
	return true;
}

static bool capabilities_empty(bool *empty, struct err *e)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &h, d) != 0)
		return err_errno(e, ERR_INTERNAL, "sandbox: reading the capabilities");
	*empty = true;
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			*empty = false;
	return true;
}

/* Effective, permitted, inheritable and ambient sets emptied, and checked.
 * capset only when something is left: systemd units that forbid it
 * (SystemCallFilter=~@privileged) start us with none. */
static bool drop_capabilities(struct err *e)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return err_errno(e, ERR_INTERNAL, "sandbox: clearing the ambient capabilities");
	bool empty;
	if (!capabilities_empty(&empty, e))
		return false;
	if (empty)
		return true;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0)
		return err_errno(e, ERR_INTERNAL, "sandbox: dropping every capability");
	if (!capabilities_empty(&empty, e))
		return false;
	if (!empty)
		return err_set(e, ERR_INTERNAL, "sandbox: capabilities left after the drop");
	return true;
}

bool sandbox_enter(const struct sandbox_config *c, struct err *e)
{
	const char *user = c->user && c->user[0] ? c->user : "nobody";
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return err_errno(e, ERR_INTERNAL, "sandbox: turning core dumps off");
	if (!only_sockets_open(e) || !sandbox_san_prepare(e))
		return false;
	/* The time zone is read now, while /etc/localtime can be: glibc keeps
	 * it and does not open the file again (the filter would kill that). */
	tzset();
	/* jansson seeds its hash tables from /dev/urandom at the first object:
	 * seed it now (a seed of 0 makes it read the entropy source at once). */
	json_object_seed(0);
	if (geteuid() == 0) {
		struct target_user t = { 0, 0 };
		if (!lookup_user(user, &t, e) || !drop_bounding_set(e) || !enter_empty_root(e) ||
		    !become(&t, user, e))
			return false;
	}
	if (!drop_capabilities(e))
		return false;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return err_errno(e, ERR_INTERNAL, "sandbox: PR_SET_NO_NEW_PRIVS");
	return !c->seccomp || sandbox_filter_load(e);
}
