/* wm_journal.c - fixed-size journal records: encode, parse, append, reset. */
#include "wm_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/be.h"
#include "../crypto/hash.h"

#define SUM_AT 248
#define SIG_MAX 159

void wm_journal_encode(uint8_t out[static WM_JOURNAL_RECORD], const struct wm_record *r)
{
	const struct watermark *w = &r->w;
	const struct wm_exact *x = &w->exact;
	bool exact = w->known && x->known && x->level == w->level && x->round == w->round;
	memset(out, 0, WM_JOURNAL_RECORD);
	memcpy(out, "TZWJ", 4);
	out[4] = 1;
	out[5] = (uint8_t)r->kind;
	out[6] = (uint8_t)r->pkh.scheme;
	out[7] = (uint8_t)((w->known ? 1 : 0) | (exact ? 2 : 0) | (exact && x->has_signature ? 4 : 0));
	out[8] = (uint8_t)(exact ? x->sig : WM_SIG_PLAIN);
	memcpy(out + 12, r->chain, 4);
	memcpy(out + 16, r->pkh.hash, PKH_BYTES);
	be32_put(out + 36, w->known ? w->level : 0);
	be32_put(out + 40, w->known ? w->round : 0);
	be32_put(out + 44, r->reserved);
	if (exact) {
		memcpy(out + 48, x->hash, HASH_BYTES);
		if (x->has_signature) {
			size_t n = strnlen(x->signature, SIG_MAX);
			out[80] = (uint8_t)n;
			memcpy(out + 81, x->signature, n);
		}
	}
	uint8_t sum[HASH_BYTES];
	blake2b_256(sum, out, SUM_AT);
	memcpy(out + SUM_AT, sum, 8);
}

static bool summed(const uint8_t *in)
{
	uint8_t sum[HASH_BYTES];
	blake2b_256(sum, in, SUM_AT);
	return memcmp(in, "TZWJ", 4) == 0 && memcmp(in + SUM_AT, sum, 8) == 0;
}

static bool decode(const uint8_t *in, struct wm_record *r, const char *where, struct err *e)
{
	memset(r, 0, sizeof(*r));
	uint8_t flags = in[7];
	size_t n = in[80];
	if (in[4] != 1 || in[5] >= WM_KINDS || in[6] > SCHEME_BLS || (flags & ~7u) ||
	    in[8] > WM_SIG_UNKNOWN || ((flags & 2) && !(flags & 1)) || ((flags & 4) && !(flags & 2)) ||
	    n > SIG_MAX || ((flags & 4) == 0 && n) || memchr(in + 81, '\0', n))
		return err_set(e, ERR_MALFORMED, "%s: a record with fields out of range", where);
	r->kind = (enum op_kind)in[5];
	r->pkh.scheme = (enum key_scheme)in[6];
	memcpy(r->chain, in + 12, 4);
	memcpy(r->pkh.hash, in + 16, PKH_BYTES);
	r->reserved = be32_get(in + 44);
	struct watermark *w = &r->w;
	w->known = flags & 1;
	w->level = w->known ? be32_get(in + 36) : 0;
	w->round = w->known ? be32_get(in + 40) : 0;
	if (flags & 2) {
		w->exact = (struct wm_exact){ .known = true, .level = w->level, .round = w->round,
					      .sig = (enum wm_sig)in[8], .has_signature = (flags & 4) != 0 };
		memcpy(w->exact.hash, in + 48, HASH_BYTES);
		memcpy(w->exact.signature, in + 81, n);
		w->exact.signature[n] = '\0';
	}
	if (!w->known && !r->reserved)
		return err_set(e, ERR_MALFORMED, "%s: a record that protects nothing", where);
	/* One encoding per record: padding and unused fields must be zero. */
	uint8_t again[WM_JOURNAL_RECORD];
	wm_journal_encode(again, r);
	if (memcmp(again, in, WM_JOURNAL_RECORD) != 0)
		return err_set(e, ERR_MALFORMED, "%s: a record not in its canonical form", where);
	return true;
}

bool wm_journal_parse(const uint8_t *buf, size_t len, const char *where, struct wm_records *out,
		      size_t *torn, struct err *e)
{
	*torn = 0;
	for (size_t at = 0; at < len; at += WM_JOURNAL_RECORD) {
		bool last = len - at <= WM_JOURNAL_RECORD;
		if (len - at < WM_JOURNAL_RECORD || !summed(buf + at)) {
			if (last) {
				*torn = 1; /* a crash tore the last append */
				return true;
			}
			return err_set(e, ERR_MALFORMED,
				       "%s: record at byte %zu is damaged (not the last one: not a torn write)",
				       where, at);
		}
		char at_where[4200];
		snprintf(at_where, sizeof(at_where), "%s record at byte %zu", where, at);
		struct wm_record r;
		if (!decode(buf + at, &r, at_where, e) || !wm_records_push(out, &r, e))
			return false;
	}
	return true;
}

bool wm_journal_append(int fd, const char *path, const struct wm_record *v, size_t n,
		       struct err *e)
{
	uint8_t chunk[16 * WM_JOURNAL_RECORD];
	for (size_t i = 0; i < n;) {
		size_t k = 0;
		for (; k < 16 && i < n; k++, i++)
			wm_journal_encode(chunk + k * WM_JOURNAL_RECORD, &v[i]);
		size_t left = k * WM_JOURNAL_RECORD;
		for (const uint8_t *p = chunk; left;) {
			ssize_t w = write(fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return err_errno(e, ERR_IO, "append to %s", path);
			p += w;
			left -= (size_t)w;
		}
	}
	if (fdatasync(fd) != 0)
		return err_errno(e, ERR_IO, "fdatasync %s", path);
	return true;
}

bool wm_journal_reset(int *fd, const char *path, struct file_id *id, struct err *e)
{
	struct file_id now;
	file_id_of(path, &now);
	if (*fd >= 0 && file_id_equal(&now, id)) {
		if (ftruncate(*fd, 0) != 0 || fsync(*fd) != 0)
			return err_errno(e, ERR_IO, "empty %s", path);
		return true;
	}
	/* Deleted, replaced or never opened: a new empty file, put in place
	 * atomically (what was at path, if anything, is in the snapshot now). */
	if (!file_write_durable_id(path, "", 0, 0600, id, e))
		return false;
	int f = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (f < 0)
		return err_errno(e, ERR_IO, "open %s", path);
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != id->ino || st.st_dev != id->dev) {
		close(f);
		return err_set(e, ERR_IO, "%s changed while it was being opened", path);
	}
	if (*fd >= 0)
		close(*fd);
	*fd = f;
	return true;
}
