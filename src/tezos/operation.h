/* operation.h - classify bytes a baker asks us to sign (design §2.2).
 *
 * From the bytes alone: the magic byte and, for consensus operations, the
 * chain id, level and round. Offsets follow the operation tag (byte 37 of
 * a 0x12/0x13), never the key type. Anything shorter than its layout, or
 * an unknown consensus tag, is refused with a message. */
#ifndef TZS_TEZOS_OPERATION_H
#define TZS_TEZOS_OPERATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"

enum op_kind {
	OP_BLOCK = 0,          /* 0x11 */
	OP_PREATTESTATION = 1, /* 0x12 */
	OP_ATTESTATION = 2,    /* 0x13 */
	OP_OTHER = 3,          /* any other magic byte: no level, no watermark */
};

struct op_info {
	uint8_t magic;
	enum op_kind kind;
	/* Consensus kinds only: */
	uint8_t chain_id[4];
	uint32_t level;
	uint32_t round;
	uint8_t tag;          /* consensus operation tag (0x12/0x13), 0 for blocks */
	bool bls_mode;        /* tags 40/41: signed by tz4 keys, no slot */
};

const char *op_kind_name(enum op_kind kind);

/* Fills *info for any non-empty input. Consensus kinds are parsed by their
 * layout; errors are ERR_MALFORMED and name the magic, tag and length.
 * Besides inputs shorter than their layout and unknown tags, it refuses:
 * a tag that belongs to the other magic (20/40 are 0x12's, 21/23/41 are
 * 0x13's); a 0x12/0x13 with bytes after its layout (a consensus operation
 * is a single content; for tag 23 the layout ends with the DAL bitset, a
 * canonical, non-negative Zarith of at most 925 bits, 133 bytes, Ushuaia's bound); a block whose fitness is not a
 * Tenderbake fitness (length 33 or 37, version 2, components of the sizes
 * design §2.2 gives, the header's level) or whose shell header (up to the
 * context hash) is cut short; and a level or round with the top bit set
 * (octez's int32 would be negative). On failure *info keeps the magic and
 * has kind OP_OTHER. Other magic bytes are OP_OTHER and always succeed. */
bool op_classify(const uint8_t *msg, size_t len, struct op_info *info, struct err *e);

/* Whether a consensus operation's tag fits the signing key: tags 40/41 are
 * for tz4 keys only, 20/21/23 for tz1–tz3. ERR_FORBIDDEN otherwise. */
bool op_tag_fits_key(const struct op_info *info, enum key_scheme scheme, struct err *e);

#endif
