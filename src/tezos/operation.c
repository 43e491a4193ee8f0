/* operation.c - classify bytes a baker asks us to sign (design §2.2).
 *
 * Offsets count the magic byte as byte 0. Ints are big-endian.
 *
 * 0x11 block (a Tenderbake block header):
 *   1–4 chain id, 5–8 level, 9 proto, 10–41 predecessor, 42–49 timestamp,
 *   50 validation passes, 51–82 operations hash, 83–86 fitness length L,
 *   87… fitness, then the 32-byte context hash that ends the shell header,
 *   then protocol data (not parsed here). The fitness is a list of
 *   length-prefixed components: version (1 byte, = 2), level (4), locked
 *   round (0 or 4), predecessor round (4), round (4); so L is 33 or 37 and
 *   the round is its last 4 bytes, at 83 + L. (octez src/bin_signer/handler.ml
 *   reads the round there; the Ledger baking app's parse_block accepts only
 *   L = 33 or 37 and fitness version 2.)
 *
 * 0x12 preattestation / 0x13 attestation:
 *   1–4 chain id, 5–36 branch, 37 operation tag, then by tag:
 *   20, 21, 23: slot 38–39, level 40–43, round 44–47, payload hash 48–79;
 *               23 then ends with the DAL bitset, a Zarith integer.
 *   40, 41 ("BLS mode", signed by tz4 keys): level 38–41, round 42–45,
 *               payload hash 46–77.
 *   Preattestation tags are 20 and 40, attestation tags 21, 23 and 41.
 *
 * Consensus operations are a single content, so bytes after the layout are
 * refused too. Levels and rounds are int32 in octez: values with the top
 * bit set (negative) are refused. */
#include "operation.h"

#include <stdio.h>
#include <string.h>

#include "../base/be.h"

#define BLOCK_FITNESS_AT 83
#define BLOCK_FITNESS_START (BLOCK_FITNESS_AT + 4)
#define FITNESS_NO_LOCKED_ROUND 33u
#define FITNESS_LOCKED_ROUND 37u
#define FITNESS_VERSION 2u
#define CONTEXT_HASH_LEN 32

#define CONSENSUS_TAG_AT 37
#define PAYLOAD_HASH_LEN 32
/* Layout sizes: up to the tag (38) + content. */
#define LAYOUT_WITH_SLOT (CONSENSUS_TAG_AT + 1 + 2 + 4 + 4 + PAYLOAD_HASH_LEN)    /* 80 */
#define LAYOUT_BLS_MODE (CONSENSUS_TAG_AT + 1 + 4 + 4 + PAYLOAD_HASH_LEN)         /* 78 */

/* The largest DAL attestation bitset the protocol accepts, from Ushuaia's
 * (025) constants: octez src/proto_025_PsUshuai/lib_protocol/dal_apply.ml,
 * validate_attestations, refuses a bitset above expected_max_size_in_bits
 * (dal_attestations_repr.ml) = lags + lags × max_chunks × bits_per_chunk,
 * with max_chunks = ceil(slots / 7) and bits_per_chunk = 8; mainnet's
 * default_parameters.ml has 160 slots and attestation_lags [1;2;3;4;5]
 * (docs/protocols/025_ushuaia.rst: 160 slots, five lags). So 5 + 5 × 23 × 8
 * = 925 bits. The bitset is a Data_encoding.z (src/lib_base/bitset.ml): 6
 * value bits in the first byte, 7 in each next one, so 925 bits take 133
 * bytes. Protocols up to 024 had smaller bitsets, inside this bound. */
#define DAL_LAGS 5u
#define DAL_SLOTS 160u
#define DAL_SLOTS_PER_CHUNK 7u
#define DAL_BITS_PER_CHUNK (DAL_SLOTS_PER_CHUNK + 1u)
#define DAL_MAX_CHUNKS ((DAL_SLOTS + DAL_SLOTS_PER_CHUNK - 1u) / DAL_SLOTS_PER_CHUNK)
#define DAL_BITSET_MAX_BITS (DAL_LAGS + DAL_LAGS * DAL_MAX_CHUNKS * DAL_BITS_PER_CHUNK)
#define DAL_BITSET_MAX (1u + (DAL_BITSET_MAX_BITS - 6u + 7u - 1u) / 7u)
_Static_assert(DAL_BITSET_MAX_BITS == 925, "Ushuaia: 925 bits");
_Static_assert(DAL_BITSET_MAX == 133, "925 bits are a 133-byte Zarith");

enum {
	TAG_PREATTESTATION = 20,
	TAG_ATTESTATION = 21,
	TAG_ATTESTATION_WITH_DAL = 23,
	TAG_BLS_PREATTESTATION = 40,
	TAG_BLS_ATTESTATION = 41,
};

const char *op_kind_name(enum op_kind kind)
{
	switch (kind) {
	case OP_BLOCK: return "block";
	case OP_PREATTESTATION: return "preattestation";
	case OP_ATTESTATION: return "attestation";
	case OP_OTHER: return "other";
	}
	return "unknown";
}

/* Reads one fitness component's length prefix at *at and checks it. */
static bool fitness_component(const uint8_t *msg, size_t *at, uint32_t want, const char *what,
			      struct err *e)
{
	uint32_t got = be32_get(msg + *at);
	if (got != want)
		return err_set(e, ERR_MALFORMED,
			       "block (magic 0x11): fitness %s has %u bytes at offset %zu, expected %u",
			       what, got, *at, want);
	*at += 4 + got;
	return true;
}

static bool classify_block(const uint8_t *msg, size_t len, struct op_info *info, struct err *e)
{
	if (len < BLOCK_FITNESS_START)
		return err_set(e, ERR_MALFORMED,
			       "block (magic 0x11) of %zu bytes is shorter than its layout (%d bytes up to the fitness)",
			       len, BLOCK_FITNESS_START);
	uint32_t fit_len = be32_get(msg + BLOCK_FITNESS_AT);
	if (fit_len != FITNESS_NO_LOCKED_ROUND && fit_len != FITNESS_LOCKED_ROUND)
		return err_set(e, ERR_MALFORMED,
			       "block (magic 0x11): fitness length %u is neither %u nor %u (a Tenderbake fitness)",
			       fit_len, FITNESS_NO_LOCKED_ROUND, FITNESS_LOCKED_ROUND);
	size_t need = BLOCK_FITNESS_START + (size_t)fit_len + CONTEXT_HASH_LEN;
	if (len < need)
		return err_set(e, ERR_MALFORMED,
			       "block (magic 0x11) of %zu bytes is shorter than its layout (%zu bytes for a fitness of %u bytes and the context hash)",
			       len, need, fit_len);

	size_t at = BLOCK_FITNESS_START;
	if (!fitness_component(msg, &at, 1, "version", e))
		return false;
	if (msg[at - 1] != FITNESS_VERSION)
		return err_set(e, ERR_MALFORMED,
			       "block (magic 0x11): fitness version %u, expected %u (Tenderbake)",
			       msg[at - 1], FITNESS_VERSION);
	if (!fitness_component(msg, &at, 4, "level", e))
		return false;
	uint32_t fit_level = be32_get(msg + at - 4);
	if (!fitness_component(msg, &at, fit_len == FITNESS_LOCKED_ROUND ? 4 : 0, "locked round",
			       e) ||
	    !fitness_component(msg, &at, 4, "predecessor round", e) ||
	    !fitness_component(msg, &at, 4, "round", e))
		return false;
	if (at != BLOCK_FITNESS_START + fit_len)
		return err_set(e, ERR_INTERNAL, "block: fitness parse ended at %zu", at);

	info->kind = OP_BLOCK;
	memcpy(info->chain_id, msg + 1, 4);
	info->level = be32_get(msg + 5);
	info->round = be32_get(msg + BLOCK_FITNESS_AT + fit_len);
	if (fit_level != info->level)
		return err_set(e, ERR_MALFORMED,
			       "block (magic 0x11): level %u in the header but %u in the fitness",
			       info->level, fit_level);
	return true;
}

/* Bits a Zarith of n bytes (last byte last) occupies: 6 in the first
 * byte, 7 in each next one, the last one counted to its highest set bit. */
static unsigned zarith_bits(size_t n, uint8_t last)
{
	unsigned top = 0;
	uint8_t v = n == 1 ? (uint8_t)(last & 0x3f) : (uint8_t)(last & 0x7f);
	while (v) {
		top++;
		v >>= 1;
	}
	return n == 1 ? top : 6u + 7u * (unsigned)(n - 2) + top;
}

/* Length of the DAL bitset (a Zarith) at msg[at..len), or 0 with a message. */
static size_t zarith_len(const uint8_t *msg, size_t len, size_t at, const char *what,
			 struct err *e)
{
	size_t n = 0;
	for (;;) {
		if (at + n >= len) {
			err_set(e, ERR_MALFORMED,
				"%s: DAL bitset (Zarith) at offset %zu is cut off after %zu bytes",
				what, at, n);
			return 0;
		}
		uint8_t b = msg[at + n++];
		if (!(b & 0x80))
			break;
		if (n == DAL_BITSET_MAX) {
			err_set(e, ERR_MALFORMED,
				"%s: DAL bitset (Zarith) at offset %zu is longer than %u bytes "
				"(%u bits: %u lags x %u slots, protocol 025)",
				what, at, DAL_BITSET_MAX, DAL_BITSET_MAX_BITS, DAL_LAGS, DAL_SLOTS);
			return 0;
		}
	}
	if (n > 1 && msg[at + n - 1] == 0) {
		/* data_encoding refuses a trailing zero byte (non-canonical). */
		err_set(e, ERR_MALFORMED,
			"%s: DAL bitset (Zarith) at offset %zu ends with a zero byte (non-canonical)",
			what, at);
		return 0;
	}
	if (msg[at] & 0x40) {
		err_set(e, ERR_MALFORMED, "%s: DAL bitset (Zarith) at offset %zu is negative", what, at);
		return 0;
	}
	unsigned bits = zarith_bits(n, msg[at + n - 1]);
	if (bits > DAL_BITSET_MAX_BITS) {
		err_set(e, ERR_MALFORMED,
			"%s: DAL bitset at offset %zu has %u bits, more than the %u the protocol "
			"allows (%u lags x %u slots, protocol 025)",
			what, at, bits, DAL_BITSET_MAX_BITS, DAL_LAGS, DAL_SLOTS);
		return 0;
	}
	return n;
}

static bool classify_consensus(const uint8_t *msg, size_t len, struct op_info *info,
			       struct err *e)
{
	bool pre = msg[0] == 0x12;
	char what[64];
	snprintf(what, sizeof(what), "%s (magic 0x%02x)", pre ? "preattestation" : "attestation",
		 msg[0]);
	if (len < CONSENSUS_TAG_AT + 1)
		return err_set(e, ERR_MALFORMED,
			       "%s of %zu bytes is shorter than its layout (%d bytes up to the operation tag)",
			       what, len, CONSENSUS_TAG_AT + 1);

	uint8_t tag = msg[CONSENSUS_TAG_AT];
	bool bls = false, dal = false;
	switch (tag) {
	case TAG_PREATTESTATION:
	case TAG_BLS_PREATTESTATION:
		if (!pre)
			return err_set(e, ERR_MALFORMED,
				       "%s carries operation tag %u, which is a preattestation's (magic 0x12)",
				       what, tag);
		bls = tag == TAG_BLS_PREATTESTATION;
		break;
	case TAG_ATTESTATION:
	case TAG_ATTESTATION_WITH_DAL:
	case TAG_BLS_ATTESTATION:
		if (pre)
			return err_set(e, ERR_MALFORMED,
				       "%s carries operation tag %u, which is an attestation's (magic 0x13)",
				       what, tag);
		bls = tag == TAG_BLS_ATTESTATION;
		dal = tag == TAG_ATTESTATION_WITH_DAL;
		break;
	default:
		return err_set(e, ERR_MALFORMED,
			       "%s has unknown operation tag %u at offset %d (expected %s)", what,
			       tag, CONSENSUS_TAG_AT, pre ? "20 or 40" : "21, 23 or 41");
	}

	size_t layout = bls ? LAYOUT_BLS_MODE : LAYOUT_WITH_SLOT;
	if (len < layout + (dal ? 1 : 0))
		return err_set(e, ERR_MALFORMED,
			       "%s of %zu bytes is shorter than its layout (%zu bytes for tag %u)",
			       what, len, layout + (dal ? 1 : 0), tag);
	if (dal) {
		size_t z = zarith_len(msg, len, layout, what, e);
		if (z == 0)
			return false;
		layout += z;
	}
	if (len > layout)
		return err_set(e, ERR_MALFORMED,
			       "%s of %zu bytes is longer than its layout (%zu bytes for tag %u)", what,
			       len, layout, tag);

	size_t level_at = bls ? CONSENSUS_TAG_AT + 1 : CONSENSUS_TAG_AT + 3;
	info->kind = pre ? OP_PREATTESTATION : OP_ATTESTATION;
	info->tag = tag;
	info->bls_mode = bls;
	memcpy(info->chain_id, msg + 1, 4);
	info->level = be32_get(msg + level_at);
	info->round = be32_get(msg + level_at + 4);
	return true;
}

bool op_classify(const uint8_t *msg, size_t len, struct op_info *info, struct err *e)
{
	if (!info)
		return err_set(e, ERR_INTERNAL, "op_classify: no output");
	memset(info, 0, sizeof(*info));
	info->kind = OP_OTHER;
	if (!msg || len == 0)
		return err_set(e, ERR_MALFORMED, "empty message: there is nothing to sign");
	info->magic = msg[0];

	bool ok;
	switch (msg[0]) {
	case 0x11:
		ok = classify_block(msg, len, info, e);
		break;
	case 0x12:
	case 0x13:
		ok = classify_consensus(msg, len, info, e);
		break;
	default:
		return true;
	}
	if (ok && ((info->level | info->round) & 0x80000000u))
		ok = err_set(e, ERR_MALFORMED,
			     "%s (magic 0x%02x): level %u or round %u is negative as an int32",
			     op_kind_name(info->kind), info->magic, info->level, info->round);
	if (!ok) {
		uint8_t magic = info->magic;
		memset(info, 0, sizeof(*info));
		info->magic = magic;
		info->kind = OP_OTHER;
	}
	return ok;
}

static const char *address_of(enum key_scheme s)
{
	switch (s) {
	case SCHEME_ED25519: return "tz1";
	case SCHEME_SECP256K1: return "tz2";
	case SCHEME_P256: return "tz3";
	case SCHEME_BLS: return "tz4";
	}
	return "unknown";
}

bool op_tag_fits_key(const struct op_info *info, enum key_scheme scheme, struct err *e)
{
	if (!info)
		return err_set(e, ERR_INTERNAL, "op_tag_fits_key: no operation");
	if ((unsigned)scheme >= SCHEME_COUNT)
		return err_set(e, ERR_INTERNAL, "op_tag_fits_key: unknown scheme %d", (int)scheme);
	if (info->kind != OP_PREATTESTATION && info->kind != OP_ATTESTATION)
		return true;
	bool bls_key = scheme == SCHEME_BLS;
	if (info->bls_mode && !bls_key)
		return err_set(e, ERR_FORBIDDEN,
			       "%s tag %u (BLS mode, no slot) is signed by tz4 keys only, not by this %s key",
			       op_kind_name(info->kind), info->tag, address_of(scheme));
	if (!info->bls_mode && bls_key)
		return err_set(e, ERR_FORBIDDEN,
			       "%s tag %u (with a slot) is for tz1, tz2 and tz3 keys; a tz4 key signs tag %u",
			       op_kind_name(info->kind), info->tag,
			       info->kind == OP_PREATTESTATION ? TAG_BLS_PREATTESTATION
							       : TAG_BLS_ATTESTATION);
	return true;
}
