/* sim_app.c - the baking app's answer to one APDU, in the order of checks
 * of LedgerHQ/app-tezos-baking 2.5.0 (apdu.c, apdu_sign.c, baking_auth.c):
 * length, class, instruction; P1/P2; data; then the command's own rules. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sim.h"

#define SW_OK 0x9000
#define SW_WRONG_PARAM 0x6B00
#define SW_WRONG_LENGTH 0x6C00
#define SW_INVALID_INS 0x6D00
#define SW_CLASS 0x6E00
#define SW_TOO_LONG 0x917E
#define SW_REJECT 0x6985
#define SW_PARSE_ERROR 0x9405
#define SW_NOT_FOUND 0x6A88
#define SW_WRONG_VALUES 0x6A80
#define SW_SECURITY 0x6982
#define SW_LOCKED 0x5515
#define MAX_APDU_DATA 235

struct out {
	uint8_t *buf;
	size_t len;
};

static size_t finish(struct out *o, unsigned sw)
{
	o->buf[o->len++] = (uint8_t)(sw >> 8);
	o->buf[o->len++] = (uint8_t)sw;
	return o->len;
}

static size_t fail(struct sim *s, struct out *o, unsigned sw)
{
	s->sign_selected = false;
	s->packet_index = 0;
	o->len = 0;
	return finish(o, sw);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* n ‖ n × u32; false when short or longer than 10 components. */
static bool read_path(const uint8_t *d, size_t n, size_t *off, struct sim_path *p)
{
	if (n - *off < 1)
		return false;
	size_t len = d[*off];
	if (len > SIM_PATH_MAX || n - *off - 1 < 4 * len)
		return false;
	p->len = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		p->c[i] = get32(d + *off + 1 + 4 * i);
	*off += 1 + 4 * len;
	return true;
}

static bool valid_level(uint32_t level)
{
	return (level & 0xC0000000u) == 0;
}

/* The derivation types this app version takes in P2: 00–02, and 04
 * (BLS12-381) from 2.5.1 on; 03 (bip32-ed25519) is not simulated. */
static bool curve_supported(const struct sim *s, uint8_t p2)
{
	uint32_t v = (uint32_t)s->version[1] << 16 | (uint32_t)s->version[2] << 8 | s->version[3];
	return p2 <= 2 || (p2 == SIM_BLS12_381 && v >= (2u << 16 | 5u << 8 | 1u));
}

/* Writes the public key reply (length ‖ key) of curve/path. */
static unsigned pubkey_reply(struct sim *s, uint8_t curve, const struct sim_path *p, struct out *o)
{
	uint8_t sk[32], pk[97];
	size_t len;
	if (curve == SIM_BLS12_381) {
		if (!sim_bls_public_key(s->seed, p, pk))
			return SW_WRONG_VALUES;
		o->buf[0] = 97;
		memcpy(o->buf + 1, pk, 97);
		o->len = 98;
		return SW_OK;
	}
	bool ok = sim_derive(s->seed, (enum sim_curve)curve, p, sk) &&
		  sim_public_key((enum sim_curve)curve, sk, pk, &len);
	sodium_memzero(sk, sizeof(sk));
	if (!ok)
		return SW_WRONG_VALUES;
	o->buf[0] = (uint8_t)len;
	memcpy(o->buf + 1, pk, len);
	o->len = 1 + len;
	return SW_OK;
}

static struct sim_hwm *hwm_for(struct sim *s, const uint8_t chain[static 4])
{
	static const uint8_t zero[4];
	if (memcmp(chain, s->main_chain, 4) == 0 || memcmp(s->main_chain, zero, 4) == 0)
		return &s->main;
	return &s->test;
}

static bool level_authorized(const struct sim_baking *b, const struct sim_hwm *h)
{
	if (!valid_level(b->level))
		return false;
	bool same = b->level == h->level && b->round == h->round;
	return b->level > h->level || (b->level == h->level && b->round > h->round) ||
	       (same && b->type == SIM_ATTESTATION && !h->had_attestation) ||
	       (same && b->type == SIM_PREATTESTATION && !h->had_attestation && !h->had_preattestation);
}

static void write_hwm(struct sim_hwm *h, const struct sim_baking *b)
{
	if (b->level > h->level || b->round > h->round) {
		h->had_attestation = false;
		h->had_preattestation = false;
	}
	if (b->level > h->level)
		h->level = b->level;
	h->round = b->round;
	h->had_attestation |= b->type == SIM_ATTESTATION;
	h->had_preattestation |= b->type == SIM_PREATTESTATION;
}

static size_t do_sign(struct sim *s, const uint8_t *msg, size_t n, bool last, bool with_hash,
		      struct out *o, bool *is_sign_end)
{
	if (!s->sign_selected || s->sign_path.len == 0)
		return fail(s, o, SW_TOO_LONG);
	s->packet_index++;
	if (s->packet_index != 1 || n < 1)
		return fail(s, o, SW_PARSE_ERROR);
	struct sim_baking b;
	if (msg[0] == 0x03) /* manager operations are not simulated */
		return fail(s, o, SW_PARSE_ERROR);
	if (!sim_parse_baking(msg, n, &b))
		return fail(s, o, SW_PARSE_ERROR);
	if (!last)
		return finish(o, SW_OK);
	bool authorized = s->authorized && s->sign_curve == s->auth_curve &&
			  s->sign_path.len == s->auth_path.len &&
			  memcmp(s->sign_path.c, s->auth_path.c, s->sign_path.len * 4) == 0;
	if (!authorized)
		return fail(s, o, SW_SECURITY);
	struct sim_hwm *h = hwm_for(s, b.chain);
	if (!level_authorized(&b, h))
		return fail(s, o, SW_WRONG_VALUES);
	uint8_t hash[32], sk[32], sig[96];
	size_t siglen = 0;
	crypto_generichash(hash, 32, msg, n, NULL, 0);
	bool ok;
	if (s->sign_curve == SIM_BLS12_381) { /* the message itself, not its hash */
		ok = sim_bls_sign(s->seed, &s->sign_path, msg, n, sig);
		siglen = 96;
	} else {
		ok = sim_derive(s->seed, (enum sim_curve)s->sign_curve, &s->sign_path, sk) &&
		     sim_sign((enum sim_curve)s->sign_curve, sk, hash, sig, &siglen);
	}
	sodium_memzero(sk, sizeof(sk));
	if (!ok)
		return fail(s, o, SW_WRONG_VALUES);
	write_hwm(h, &b);
	o->len = 0;
	if (with_hash) {
		memcpy(o->buf, hash, 32);
		o->len = 32;
	}
	memcpy(o->buf + o->len, sig, siglen);
	o->len += siglen;
	s->sign_selected = false;
	s->packet_index = 0;
	s->signs++;
	*is_sign_end = true;
	return finish(o, SW_OK);
}

static size_t sign_apdu(struct sim *s, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *d,
			size_t n, struct out *o, bool *is_sign_end)
{
	if (ins == 0x0F && s->faults.no_sign_with_hash)
		return fail(s, o, SW_INVALID_INS);
	switch (p1 & 0x7f) {
	case 0x00: {
		size_t off = 0;
		if (!curve_supported(s, p2))
			return fail(s, o, SW_WRONG_PARAM);
		s->sign_selected = false;
		s->packet_index = 0;
		if (!read_path(d, n, &off, &s->sign_path))
			return fail(s, o, SW_WRONG_VALUES);
		if (off != n)
			return fail(s, o, SW_WRONG_LENGTH);
		s->sign_curve = p2;
		s->sign_selected = true;
		return finish(o, SW_OK);
	}
	case 0x01:
		return do_sign(s, d, n, (p1 & 0x80) != 0, ins == 0x0F, o, is_sign_end);
	}
	return fail(s, o, SW_WRONG_PARAM);
}

/* INS 01 / 02 / 03: public keys, with authorization and prompts. */
static size_t pubkey_apdu(struct sim *s, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *d,
			  size_t n, struct out *o, bool *prompt)
{
	struct sim_path p;
	uint8_t curve = p2;
	size_t off = 0;
	if (p1 != 0 || !curve_supported(s, p2))
		return fail(s, o, SW_WRONG_PARAM);
	if (n == 0 && ins == 0x01) {
		p = s->auth_path;
		curve = s->auth_curve;
	} else if (!read_path(d, n, &off, &p)) {
		return fail(s, o, SW_WRONG_VALUES);
	}
	if (off != n)
		return fail(s, o, SW_WRONG_LENGTH);
	if (ins != 0x02) {
		*prompt = true;
		if (s->faults.reject)
			return fail(s, o, SW_REJECT);
	}
	unsigned sw = pubkey_reply(s, curve, &p, o);
	if (sw != SW_OK)
		return fail(s, o, sw);
	if (ins == 0x01 && p.len) {
		s->authorized = true;
		s->auth_curve = curve;
		s->auth_path = p;
	}
	return finish(o, SW_OK);
}

static size_t setup_apdu(struct sim *s, uint8_t p1, uint8_t p2, const uint8_t *d, size_t n,
			 struct out *o, bool *prompt)
{
	struct sim_path p;
	size_t off = 12;
	if (p1 != 0 || !curve_supported(s, p2))
		return fail(s, o, SW_WRONG_PARAM);
	if (n < 12 || !read_path(d, n, &off, &p))
		return fail(s, o, SW_WRONG_VALUES);
	if (off != n)
		return fail(s, o, SW_WRONG_LENGTH);
	*prompt = true;
	if (s->faults.reject)
		return fail(s, o, SW_REJECT);
	unsigned sw = pubkey_reply(s, p2, &p, o);
	if (sw != SW_OK)
		return fail(s, o, sw);
	s->authorized = p.len > 0;
	s->auth_curve = p2;
	s->auth_path = p;
	memcpy(s->main_chain, d, 4);
	s->main = (struct sim_hwm){ .level = get32(d + 4) };
	s->test = (struct sim_hwm){ .level = get32(d + 8) };
	return finish(o, SW_OK);
}

static size_t query_apdu(struct sim *s, uint8_t ins, struct out *o)
{
	switch (ins) {
	case 0x00:
		memcpy(o->buf, s->version, 4);
		o->len = 4;
		break;
	case 0x09: {
		static const char commit[] = "ledgersim";
		memcpy(o->buf, commit, sizeof(commit));
		o->len = sizeof(commit);
		break;
	}
	case 0x07:
	case 0x0D: {
		size_t pos = 0;
		if (ins == 0x0D) {
			if (!s->authorized)
				return fail(s, o, SW_NOT_FOUND);
			o->buf[pos++] = s->auth_curve;
		}
		uint8_t len = s->authorized ? s->auth_path.len : 0;
		o->buf[pos++] = len;
		for (size_t i = 0; i < len; i++, pos += 4)
			put32(o->buf + pos, s->auth_path.c[i]);
		o->len = pos;
		break;
	}
	case 0x08:
		put32(o->buf, s->main.level);
		put32(o->buf + 4, s->main.round);
		o->len = 8;
		break;
	case 0x0B:
		put32(o->buf, s->main.level);
		put32(o->buf + 4, s->main.round);
		put32(o->buf + 8, s->test.level);
		put32(o->buf + 12, s->test.round);
		memcpy(o->buf + 16, s->main_chain, 4);
		o->len = 20;
		break;
	case 0x0C:
		s->authorized = false;
		memset(&s->auth_path, 0, sizeof(s->auth_path));
		break;
	}
	return finish(o, SW_OK);
}

size_t sim_handle_apdu(struct sim *s, const uint8_t *apdu, size_t len,
		       uint8_t reply[static SIM_REPLY_MAX], bool *prompt, bool *is_sign_end)
{
	struct out o = { reply, 0 };
	*prompt = false;
	*is_sign_end = false;
	if (s->faults.locked)
		return finish(&o, SW_LOCKED);
	if (s->faults.app_closed)
		return finish(&o, SW_INVALID_INS);
	if (s->faults.other_app)
		return finish(&o, SW_CLASS);
	if (len < 4 || (len >= 5 && apdu[4] != len - 5))
		return fail(s, &o, SW_WRONG_LENGTH);
	size_t n = len >= 5 ? apdu[4] : 0;
	const uint8_t *d = apdu + 5;
	uint8_t ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
	if (n > MAX_APDU_DATA)
		return fail(s, &o, SW_TOO_LONG);
	if (apdu[0] != 0x80)
		return fail(s, &o, SW_CLASS);
	switch (ins) {
	case 0x00: case 0x09: case 0x07: case 0x0D: case 0x08: case 0x0B: case 0x0C:
		if (p1 != 0 || p2 != 0)
			return fail(s, &o, SW_WRONG_PARAM);
		if (n != 0)
			return fail(s, &o, SW_WRONG_VALUES);
		return query_apdu(s, ins, &o);
	case 0x01: case 0x02: case 0x03:
		return pubkey_apdu(s, ins, p1, p2, d, n, &o, prompt);
	case 0x0A:
		return setup_apdu(s, p1, p2, d, n, &o, prompt);
	case 0x06:
		if (p1 != 0 || p2 != 0)
			return fail(s, &o, SW_WRONG_PARAM);
		if (n < 4 || !valid_level(get32(d)))
			return fail(s, &o, SW_WRONG_VALUES);
		if (n != 4)
			return fail(s, &o, SW_WRONG_LENGTH);
		*prompt = true;
		if (s->faults.reject)
			return fail(s, &o, SW_REJECT);
		s->main.level = s->test.level = get32(d);
		s->main.round = s->test.round = 0;
		s->main.had_attestation = s->test.had_attestation = false;
		return finish(&o, SW_OK);
	case 0x04: case 0x0F:
		return sign_apdu(s, ins, p1, p2, d, n, &o, is_sign_end);
	}
	return fail(s, &o, SW_INVALID_INS);
}
