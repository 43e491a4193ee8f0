/* sim_ops.c - what the baking app reads from the bytes it signs (after
 * the magic byte): chain, level and round of a Tenderbake block or a
 * consensus operation. Every read is bounded. */
#include <string.h>

#include "sim.h"

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static bool skip(struct rd *r, size_t k)
{
	if (r->n - r->off < k)
		return false;
	r->off += k;
	return true;
}

static bool u32(struct rd *r, uint32_t *v)
{
	if (r->n - r->off < 4)
		return false;
	const uint8_t *p = r->p + r->off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	r->off += 4;
	return true;
}

static bool u8(struct rd *r, uint8_t *v)
{
	if (r->n - r->off < 1)
		return false;
	*v = r->p[r->off++];
	return true;
}

/* Block: chain level proto(1) predecessor(32) timestamp(8) passes(1)
 * operations hash(32), then the fitness: size 33 or 37, a 1-byte version 2,
 * level, locked round, predecessor round (each length-prefixed), round. */
static bool parse_block(struct rd *r, struct sim_baking *out)
{
	uint32_t size, chain;
	uint8_t tag;
	if (!u32(r, &chain) || !u32(r, &out->level) || !skip(r, 1 + 32 + 8 + 1 + 32) || !u32(r, &size) ||
	    (size != 33 && size != 37) || !u32(r, &size) || size != 1 || !u8(r, &tag) || tag != 2)
		return false;
	for (int i = 0; i < 3; i++)
		if (!u32(r, &size) || !skip(r, size))
			return false;
	if (!u32(r, &size) || size != 4 || !u32(r, &out->round))
		return false;
	memcpy(out->chain, r->p, 4);
	out->type = SIM_BLOCK;
	return true;
}

/* Consensus operation: chain branch(32) tag(1) slot(2) level round
 * payload hash(32). The app does not look at the tag. */
static bool parse_consensus(struct rd *r, struct sim_baking *out)
{
	uint32_t chain;
	if (!u32(r, &chain) || !skip(r, 32 + 1 + 2) || !u32(r, &out->level) || !u32(r, &out->round) ||
	    !skip(r, 32))
		return false;
	memcpy(out->chain, r->p, 4);
	return true;
}

bool sim_parse_baking(const uint8_t *msg, size_t len, struct sim_baking *out)
{
	if (len < 1)
		return false;
	struct rd r = { msg + 1, len - 1, 0 };
	switch (msg[0]) {
	case 0x11: return parse_block(&r, out);
	case 0x12: out->type = SIM_PREATTESTATION; return parse_consensus(&r, out);
	case 0x13: out->type = SIM_ATTESTATION; return parse_consensus(&r, out);
	}
	return false;
}
