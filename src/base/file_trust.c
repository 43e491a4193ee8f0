/* file_trust.c - directories another user could change, and the lock on a
 * base directory. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static bool dir_trusted_one(const char *path, bool parent, struct err *e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return err_errno(e, ERR_IO, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ERR_IO, "%s is not a directory", path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return err_set(e, ERR_FORBIDDEN,
			       "directory %s is owned by uid %u, neither us (uid %u) nor root: that "
			       "user could replace the signer's files; fix with: chown %u %s",
			       path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
	bool sticky_ok = parent && (st.st_mode & S_ISVTX);
	if ((st.st_mode & 022) && !sticky_ok)
		return err_set(e, ERR_FORBIDDEN,
			       "directory %s has mode %04o: group or others could replace the signer's "
			       "files in it; fix with: chmod go-w %s",
			       path, (unsigned)(st.st_mode & 07777), path);
	return true;
}

bool dir_check_trusted(const char *dir, struct err *e)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return err_errno(e, ERR_IO, "resolve base directory %s", dir);
	bool ok = dir_trusted_one(real, false, e);
	for (char *slash = strrchr(real, '/'); ok && slash; slash = strrchr(real, '/')) {
		if (slash == real) {
			ok = dir_trusted_one("/", true, e);
			break;
		}
		*slash = '\0';
		ok = dir_trusted_one(real, true, e);
	}
	free(real);
	return ok;
}

/* The PID holding an flock on (dev, ino), from /proc/locks; 0 if unknown. */
static long flock_holder(dev_t dev, ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	char line[256];
	long found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char kind[16];
		long pid;
		unsigned maj, min;
		unsigned long long node;
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" */
		const char *p = strchr(line, ':');
		if (p && sscanf(p + 1, " %15s %*s %*s %ld %x:%x:%llu", kind, &pid, &maj, &min, &node) == 5 &&
		    strcmp(kind, "FLOCK") == 0 && maj == major(dev) && min == minor(dev) &&
		    node == (unsigned long long)ino)
			found = pid;
	}
	fclose(f);
	return found;
}

/* The directory locks this process keeps until it exits (dir_lock_hold).
 * flock conflicts between two open file descriptions of one directory even
 * in one process, so a later dir_lock_exclusive of such a directory gets a
 * descriptor sharing the held one instead. */
#define HELD_MAX 4
static struct {
	dev_t dev;
	ino_t ino;
	int fd;
} held[HELD_MAX];
static size_t n_held;
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Whether this process holds (dev, ino) for good; if so *fd is a new
 * descriptor sharing that lock (-1 with errno when it could not be made). */
static bool held_share(dev_t dev, ino_t ino, int *fd)
{
	bool found = false;
	pthread_mutex_lock(&held_mutex);
	for (size_t i = 0; !found && i < n_held; i++)
		if (held[i].dev == dev && held[i].ino == ino) {
			found = true;
			*fd = fcntl(held[i].fd, F_DUPFD_CLOEXEC, 0);
		}
	pthread_mutex_unlock(&held_mutex);
	return found;
}

bool dir_lock_exclusive(const char *dir, int *fd, struct err *e)
{
	int f = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f < 0)
		return err_errno(e, ERR_IO, "open base directory %s", dir);
	struct stat st;
	if (fstat(f, &st) != 0) {
		err_errno(e, ERR_IO, "fstat %s", dir);
		close(f);
		return false;
	}
	int shared;
	if (held_share(st.st_dev, st.st_ino, &shared)) {
		close(f);
		if (shared < 0)
			return err_errno(e, ERR_IO, "share the lock of %s", dir);
		*fd = shared;
		return true;
	}
	if (flock(f, LOCK_EX | LOCK_NB) == 0) {
		*fd = f;
		return true;
	}
	bool busy = errno == EWOULDBLOCK;
	long pid = busy ? flock_holder(st.st_dev, st.st_ino) : 0;
	if (busy)
		err_set(e, ERR_UNAVAILABLE,
			"%s is locked by process %ld: another tzsigner process uses this base "
			"directory; stop it first (kill %ld)",
			dir, pid, pid);
	else
		err_errno(e, ERR_IO, "flock %s", dir);
	close(f);
	return false;
}

bool dir_lock_hold(const char *dir, struct err *e)
{
	int fd;
	struct stat st;
	if (!dir_lock_exclusive(dir, &fd, e))
		return false;
	if (fstat(fd, &st) != 0) {
		err_errno(e, ERR_IO, "fstat %s", dir);
		close(fd);
		return false;
	}
	bool keep = false, known = false;
	pthread_mutex_lock(&held_mutex);
	for (size_t i = 0; i < n_held; i++)
		known = known || (held[i].dev == st.st_dev && held[i].ino == st.st_ino);
	if (!known && n_held < HELD_MAX) {
		held[n_held].dev = st.st_dev;
		held[n_held].ino = st.st_ino;
		held[n_held].fd = fd;
		n_held++;
		keep = true;
	}
	pthread_mutex_unlock(&held_mutex);
	if (!keep)
		close(fd); /* known: the held descriptor keeps the lock */
	if (!keep && !known)
		return err_set(e, ERR_INTERNAL, "%s: this process already holds %d directory locks", dir,
			       HELD_MAX);
	return true;
}
