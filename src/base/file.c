/* file.c - bounded, permission-checked reads and fsync'd atomic writes. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

bool file_read(const char *path, size_t max_size, enum file_flags flags, char **out,
	       size_t *len, struct err *e)
{
	bool ok = false;
	char *buf = NULL;
	size_t got = 0;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us in open(). */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOT_FOUND, "%s: no such file", path);
		if (errno == ELOOP)
			return err_set(e, ERR_FORBIDDEN, "%s: refusing to follow a symbolic link", path);
		return err_errno(e, ERR_IO, "open %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		err_errno(e, ERR_IO, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, ERR_FORBIDDEN, "%s: not a regular file", path);
		goto out;
	}
	if ((flags & FILE_TRUSTED) && !(flags & FILE_SECRET)) {
		if (st.st_uid != geteuid() && st.st_uid != 0) {
			err_set(e, ERR_FORBIDDEN,
				"%s: owned by uid %u, neither us (uid %u) nor root: another user could "
				"change what this signer signs; fix with: chown %u %s",
				path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
			goto out;
		}
		if (st.st_mode & 022) {
			err_set(e, ERR_FORBIDDEN,
				"%s: mode %04o lets group or others write a file that decides what is "
				"signed; fix with: chmod go-w %s",
				path, (unsigned)(st.st_mode & 07777), path);
			goto out;
		}
	}
	if (flags & FILE_SECRET) {
		if (st.st_uid != geteuid()) {
			err_set(e, ERR_FORBIDDEN,
				"%s: owned by uid %u, not by us (uid %u); fix with: chown %u %s",
				path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
			goto out;
		}
		if (st.st_mode & 077) {
			err_set(e, ERR_FORBIDDEN,
				"%s: mode %04o lets group or others access a secret file; fix with: chmod 600 %s",
				path, (unsigned)(st.st_mode & 07777), path);
			goto out;
		}
	}
	if ((uintmax_t)st.st_size > max_size) {
		err_set(e, ERR_TOO_LARGE, "%s: %jd bytes exceed the limit of %zu", path,
			(intmax_t)st.st_size, max_size);
		goto out;
	}
	size_t cap = (size_t)st.st_size + 1;
	/* Guarded, locked pages for every file: key files pass through here.
	 * sodium_init is idempotent and must precede sodium_malloc. */
	buf = sodium_init() >= 0 ? sodium_malloc(cap) : NULL;
	if (!buf) {
		err_set(e, ERR_IO, "%s: out of memory for %zu bytes", path, cap);
		goto out;
	}
	while (got < cap - 1) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_errno(e, ERR_IO, "read %s", path);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	ok = true;
out:
	if (buf)
		sodium_free(buf);
	close(fd);
	return ok;
}

bool file_read_optional(const char *dir, const char *name, size_t max_size,
			enum file_flags flags, char **out, size_t *len, struct err *e)
{
	char path[FILE_PATH_MAX];
	struct err fe = { 0 };
	*out = NULL;
	*len = 0;
	if (!path_join(path, sizeof(path), dir, name, e))
		return false;
	if (file_read(path, max_size, flags, out, len, &fe))
		return true;
	if (fe.kind == ERR_NOT_FOUND)
		return true;
	if (e)
		*e = fe;
	return false;
}

void file_free(char *buf, size_t len)
{
	if (!buf)
		return;
	/* sodium_free zeroes the pages before unmapping them. */
	(void)len;
	sodium_free(buf);
}

static bool fsync_dir_of(const char *path, struct err *e)
{
	char copy[4096];
	if (strlen(path) >= sizeof(copy))
		return err_set(e, ERR_IO, "path too long: %s", path);
	strcpy(copy, path);
	const char *dir = dirname(copy);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_errno(e, ERR_IO, "open directory %s", dir);
	bool ok = fsync(dfd) == 0;
	if (!ok)
		err_errno(e, ERR_IO, "fsync directory %s", dir);
	close(dfd);
	return ok;
}

bool file_write_durable(const char *path, const void *data, size_t len, mode_t mode,
			struct err *e)
{
	return file_write_durable_id(path, data, len, mode, NULL, e);
}

void file_id_of(const char *path, struct file_id *id)
{
	struct stat st;
	id->known = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	id->dev = id->known ? st.st_dev : 0;
	id->ino = id->known ? st.st_ino : 0;
}

bool file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->known == b->known && a->dev == b->dev && a->ino == b->ino;
}

bool file_write_durable_id(const char *path, const void *data, size_t len, mode_t mode,
			   struct file_id *id, struct err *e)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_set(e, ERR_IO, "path too long: %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return err_errno(e, ERR_IO, "create %s", tmp);
	const uint8_t *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err_errno(e, ERR_IO, "write %s", tmp);
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fchmod(fd, mode) != 0) {
		err_errno(e, ERR_IO, "chmod %s", tmp);
		goto fail;
	}
	if (fsync(fd) != 0) {
		err_errno(e, ERR_IO, "fsync %s", tmp);
		goto fail;
	}
	struct stat st;
	if (id && fstat(fd, &st) == 0) {
		id->known = true;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
	if (close(fd) != 0) {
		fd = -1;
		err_errno(e, ERR_IO, "close %s", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		err_errno(e, ERR_IO, "rename %s to %s", tmp, path);
		goto fail;
	}
	return fsync_dir_of(path, e);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return false;
}

bool dir_ensure(const char *path, mode_t mode, struct err *e)
{
	struct stat st;
	if (mkdir(path, mode) == 0)
		return true;
	if (errno != EEXIST)
		return err_errno(e, ERR_IO, "mkdir %s", path);
	if (stat(path, &st) != 0)
		return err_errno(e, ERR_IO, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ERR_IO, "%s exists and is not a directory", path);
	return true;
}

bool dir_ensure_parents(const char *path, mode_t mode, struct err *e)
{
	char p[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(p))
		return err_set(e, ERR_IO, "directory path of %zu bytes", n);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (p[i] != '/' || p[i - 1] == '/')
			continue;
		p[i] = '\0';
		bool ok = dir_ensure(p, mode, e);
		p[i] = '/';
		if (!ok)
			return false;
	}
	return dir_ensure(p, mode, e);
}

bool path_join(char *out, size_t cap, const char *dir, const char *name, struct err *e)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_IO, "path too long: %s/%s", dir, name);
	return true;
}

