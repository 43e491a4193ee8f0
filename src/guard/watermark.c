/* watermark.c - the high watermark rule. */
#include "watermark.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static bool above(uint32_t level, uint32_t round, uint32_t wl, uint32_t wr)
{
	return wm_order_cmp(level, round, wl, wr) > 0;
}

bool watermark_has_answer(const struct watermark *w, uint32_t level, uint32_t round,
			  const uint8_t hash[static HASH_BYTES], enum wm_sig sig)
{
	const struct wm_exact *x = &w->exact;
	return x->known && x->has_signature && x->sig == sig && x->level == level &&
	       x->round == round && sodium_memcmp(x->hash, hash, HASH_BYTES) == 0;
}

static void describe(char *out, size_t cap, const struct watermark *w)
{
	if (w->round == WM_WHOLE_LEVEL)
		snprintf(out, cap, "(%u, any round)", w->level);
	else
		snprintf(out, cap, "(%u, %u)", w->level, w->round);
}

enum wm_verdict watermark_decide(const struct watermark *w, enum op_kind kind, uint32_t level,
				 uint32_t round, const uint8_t hash[static HASH_BYTES],
				 struct err *e)
{
	if (!w->known)
		return WM_SIGN;
	const struct wm_exact *x = &w->exact;
	/* Identical bytes at the recorded (level, round) are answered again;
	 * when no signature was kept (the device failed, or a record from
	 * octez without one) the caller signs the same bytes again, which is
	 * not a double signature. */
	if (x->known && x->level == level && x->round == round) {
		if (sodium_memcmp(x->hash, hash, HASH_BYTES) == 0)
			return WM_REANSWER;
		err_set(e, ERR_CONFLICT,
			"%s level %u and round %u already signed with different bytes (high watermark (%u, %u))",
			op_kind_name(kind), level, round, x->level, x->round);
		return WM_REFUSE;
	}
	if (above(level, round, w->level, w->round))
		return WM_SIGN;
	char wm[48];
	describe(wm, sizeof(wm), w);
	err_set(e, ERR_CONFLICT, "%s level %u and round %u not above high watermark %s",
		op_kind_name(kind), level, round, wm);
	return WM_REFUSE;
}

void watermark_record(struct watermark *w, uint32_t level, uint32_t round,
		      const uint8_t hash[static HASH_BYTES], enum wm_sig sig, const char *signature)
{
	w->known = true;
	w->level = level;
	w->round = round;
	w->exact.known = true;
	w->exact.level = level;
	w->exact.round = round;
	memcpy(w->exact.hash, hash, HASH_BYTES);
	w->exact.sig = sig;
	w->exact.has_signature = signature != NULL;
	snprintf(w->exact.signature, sizeof(w->exact.signature), "%s", signature ? signature : "");
}

void watermark_merge(struct watermark *w, const struct watermark *other)
{
	if (!other->known)
		return;
	if (!w->known) {
		*w = *other;
		return;
	}
	/* Threshold: the higher one; a whole level beats any round of it. */
	if (above(other->level, other->round, w->level, w->round)) {
		w->level = other->level;
		w->round = other->round;
	}
	/* Exact record: the more recent one. */
	if (other->exact.known &&
	    (!w->exact.known || wm_order_cmp(other->exact.level, other->exact.round, w->exact.level,
					     w->exact.round) > 0))
		w->exact = other->exact;
}

void watermark_absorb(struct watermark *w, const struct watermark *other)
{
	const struct wm_exact *t = &w->exact, *x = &other->exact;
	bool same = t->known && x->known && t->level == x->level && t->round == x->round &&
		    memcmp(t->hash, x->hash, HASH_BYTES) == 0;
	struct wm_exact keep = *x;
	watermark_merge(w, other);
	if (same && keep.has_signature)
		w->exact = keep;
}
