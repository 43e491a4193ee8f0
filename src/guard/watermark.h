/* watermark.h - high watermarks: never sign two different things at the
 * same (level, round), per (chain, key, kind) (design §2.2).
 *
 * The rule: sign only if (level, round) is strictly above the watermark;
 * at exactly the recorded (level, round) with identical bytes (same
 * blake2b-256), answer the recorded signature again; refuse anything else.
 *
 * A watermark has two parts:
 *   - a threshold (level, round): nothing at or below it is signed anew;
 *     round WM_WHOLE_LEVEL covers every round of that level;
 *   - the last exact record (level, round, hash, signature), for re-answers.
 * After a crash the threshold is what was durable, which may be a whole
 * reserved level above the last exact record: a crash may cost a level,
 * never a double signature. */
#ifndef TZS_GUARD_WATERMARK_H
#define TZS_GUARD_WATERMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"
#include "../tezos/base58.h"
#include "../tezos/operation.h"

#define WM_WHOLE_LEVEL UINT32_MAX
#define WM_KINDS 3 /* block, preattestation, attestation */

/* The scheme a signature was made in. Only BLS keys have two (design §2.3,
 * §5.1): the proof-of-possession DST (`?version=` 0, 2 and later) and the
 * augmented one (`?version=1`); the same bytes signed in one do not verify
 * in the other, so a re-answer must be in the scheme asked for. */
enum wm_sig {
	WM_SIG_PLAIN = 0,   /* ed25519, secp256k1, p256: one scheme */
	WM_SIG_BLS_POP = 1,
	WM_SIG_BLS_AUG = 2,
	WM_SIG_UNKNOWN = 3, /* a record from before schemes were kept */
};

/* The ordering of (level, round): <0, 0, >0 like memcmp. round
 * WM_WHOLE_LEVEL stands above every round of its level. The one copy of
 * the rule, pure, for anyone (the gateway too) who orders consensus
 * operations. */
static inline int wm_order_cmp(uint32_t level, uint32_t round, uint32_t level2, uint32_t round2)
{
	if (level != level2)
		return level < level2 ? -1 : 1;
	if (round != round2)
		return round < round2 ? -1 : 1;
	return 0;
}

struct wm_exact {
	bool known;
	uint32_t level;
	uint32_t round;
	uint8_t hash[HASH_BYTES];
	enum wm_sig sig;       /* the scheme of signature */
	bool has_signature;
	char signature[B58_MAX];
};

struct watermark {
	bool known;            /* false: nothing signed yet for this triple */
	uint32_t level;        /* threshold */
	uint32_t round;        /* WM_WHOLE_LEVEL: the whole level is taken */
	struct wm_exact exact; /* last signature made, for re-answers */
};

enum wm_verdict {
	WM_SIGN,      /* strictly above: sign and record */
	WM_REANSWER,  /* identical bytes at the recorded (level, round): answer
		       * exact.signature, or sign the same bytes again when the
		       * record has none */
	WM_REFUSE,    /* at or below, different bytes: 409 */
};

/* Decides what to do with a request at (level, round) whose bytes hash to
 * hash. On WM_REFUSE, e gets a message like octez's:
 * "attestation level 120 and round 0 not above high watermark (120, 0)". */
enum wm_verdict watermark_decide(const struct watermark *w, enum op_kind kind, uint32_t level,
				 uint32_t round, const uint8_t hash[static HASH_BYTES],
				 struct err *e);

/* Raises w to an exact record of a signature just made. */
void watermark_record(struct watermark *w, uint32_t level, uint32_t round,
		      const uint8_t hash[static HASH_BYTES], enum wm_sig sig, const char *signature);

/* True when w's exact record holds a signature of these bytes at this
 * (level, round) in scheme sig: what a re-answer may send. */
bool watermark_has_answer(const struct watermark *w, uint32_t level, uint32_t round,
			  const uint8_t hash[static HASH_BYTES], enum wm_sig sig);

/* Merges other into w keeping the higher threshold (used when both our
 * own state and an octez file know the same triple). */
void watermark_merge(struct watermark *w, const struct watermark *other);

/* watermark_merge, and when both hold the exact record of the same bytes at
 * the same (level, round), other's signature (if it has one) replaces w's:
 * what a later record of one signature brings (its signature, or the one
 * made again in the other BLS scheme). */
void watermark_absorb(struct watermark *w, const struct watermark *other);

#endif
