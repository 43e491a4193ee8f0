/* file.h - bounded reads and durable writes.
 *
 * file_read() refuses symlinks (O_NOFOLLOW), non-regular files and files
 * over a size cap. With FILE_SECRET it also refuses files that are not
 * owned by the effective user or that group/other may read or write.
 * file_write_durable() writes a temporary file, fsyncs it, renames it over
 * the target and fsyncs the directory, so a crash leaves the old or the
 * new contents, never a torn file. */
#ifndef TZS_BASE_FILE_H
#define TZS_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* The one size of a buffer that holds a file-system path we build or are
 * given (Linux's PATH_MAX); a longer one is refused where it is copied. */
#define FILE_PATH_MAX 4096

enum file_flags {
	FILE_PUBLIC = 0,
	FILE_SECRET = 1,  /* owner only (0600 or stricter), owned by us */
	FILE_TRUSTED = 2, /* owned by us or root, not writable by group or others:
			   * a file whose contents decide what is signed */
};

/* A file's identity: what a path pointed to when we last wrote or read it. */
struct file_id {
	bool known;
	dev_t dev;
	ino_t ino;
};

/* Reads the whole file into a fresh NUL-terminated buffer (*out, freed by
 * the caller with file_free). A missing file is ERR_NOT_FOUND. */
bool file_read(const char *path, size_t max_size, enum file_flags flags, char **out,
	       size_t *len, struct err *e);

/* file_read of dir/name where a missing file is not an error: returns
 * true with *out = NULL and *len = 0. */
bool file_read_optional(const char *dir, const char *name, size_t max_size,
			enum file_flags flags, char **out, size_t *len, struct err *e);

/* Zeroes and frees a buffer from file_read. */
void file_free(char *buf, size_t len);

bool file_write_durable(const char *path, const void *data, size_t len, mode_t mode,
			struct err *e);
/* The same, and *id gets the identity of the file written. */
bool file_write_durable_id(const char *path, const void *data, size_t len, mode_t mode,
			   struct file_id *id, struct err *e);

/* What path names now: known false when it does not exist (or is not a
 * regular file). */
void file_id_of(const char *path, struct file_id *id);
bool file_id_equal(const struct file_id *a, const struct file_id *b);

/* Refuses a directory that another user could change: dir itself must be
 * ours or root's and not writable by group or others, and so must each of
 * its parents up to /, except that a sticky world-writable parent (like
 * /tmp) is fine: nobody else can rename or remove what is in it. The
 * message says how to fix it. */
bool dir_check_trusted(const char *dir, struct err *e);

/* Takes an exclusive flock on the directory itself (its own descriptor:
 * nothing in it can be deleted to release the lock). ERR_UNAVAILABLE with
 * the holder's PID when another process holds it. */
bool dir_lock_exclusive(const char *dir, int *fd, struct err *e);
/* Takes dir's lock as dir_lock_exclusive does and keeps it until the process
 * exits (a signer takes it before it asks for any passphrase). Later
 * dir_lock_exclusive calls on dir in this process share it instead of being
 * refused by it. */
bool dir_lock_hold(const char *dir, struct err *e);

/* Creates dir with the given mode if missing; refuses a non-directory. */
bool dir_ensure(const char *path, mode_t mode, struct err *e);
/* The same for path and each missing parent (mkdir -p), each with mode. */
bool dir_ensure_parents(const char *path, mode_t mode, struct err *e);

/* Joins dir and name into out (cap bytes); false if it does not fit. */
bool path_join(char *out, size_t cap, const char *dir, const char *name, struct err *e);

#endif
