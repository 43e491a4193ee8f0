/* file_trust.c - directories another user could change, and the lock on a
 * base directory. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
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

bool dir_lock_exclusive(const char *dir, int *fd, struct err *e)
{
	int f = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f < 0)
		return err_errno(e, ERR_IO, "open base directory %s", dir);
	if (flock(f, LOCK_EX | LOCK_NB) == 0) {
		*fd = f;
		return true;
	}
	bool busy = errno == EWOULDBLOCK;
	struct stat st;
	long pid = busy && fstat(f, &st) == 0 ? flock_holder(st.st_dev, st.st_ino) : 0;
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
