/* test_guard.c - guard_sign in process, over a real key table (a tz1 and a
 * tz4 local key in a scratch base directory) and a real watermark store:
 * the order of its checks, signatures that verify (and equal Taquito's),
 * the re-answer at a taken (level, round), and the BLS versions. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../../src/base/be.h"
#include "../../src/crypto/bls.h"
#include "../../src/guard/guard.h"
#include "harness.h"
#include "keydir_test.h"

static const uint8_t MAINNET[4] = { 0x7a, 0x06, 0xa7, 0x70 };

/* A consensus operation in octez's layout (design §2.2, as
 * test_tezos_operation.c builds it): magic, chain, branch, tag, slot
 * (not for the tz4 tags 40/41), level, round, payload hash. */
static size_t consensus(uint8_t *b, uint8_t magic, uint8_t tag, uint32_t level, uint32_t round,
			uint8_t branch)
{
	size_t n = 0;
	b[n++] = magic;
	memcpy(b + n, MAINNET, 4), n += 4;
	memset(b + n, branch, 32), n += 32;
	b[n++] = tag;
	if (tag != 40 && tag != 41)
		be16_put(b + n, 7), n += 2;
	be32_put(b + n, level), n += 4;
	be32_put(b + n, round), n += 4;
	memset(b + n, 0xf6, 32), n += 32;
	return n;
}

struct fixture {
	char dir[64];
	char ed[B58_MAX], bls[B58_MAX], outsider[B58_MAX]; /* tz1, tz4, and a key not held */
	struct vault v;
	struct wm_store *wm;
	struct guard g;
};

/* -M default (0x11, 0x12, 0x13); with require_auth, the secp256k1 client
 * key is the one authorized key. */
static bool fx_open(struct fixture *f, bool require_auth)
{
	struct err e = { 0 };
	struct wm_options o = { .mode = WM_SYNC };
	char text[256];
	memset(f, 0, sizeof(*f));
	kd_dir(f->dir, sizeof(f->dir));
	kd_pkh(KD_ED_PK, f->ed);
	kd_pkh(KD_BLS_PK, f->bls);
	kd_pkh(KD_SP_PK, f->outsider);
	snprintf(text, sizeof(text), "[{\"name\":\"client\",\"value\":\"%s\"}]", KD_SP_PK);
	bool ok = crypto_init(&e) && kd_add(f->dir, "baker", KD_ED_SK, KD_ED_PK) &&
		  kd_add(f->dir, "consensus", KD_BLS_SK, KD_BLS_PK) &&
		  vault_open(&f->v, f->dir, NULL, &e) && wm_store_open(&f->wm, f->dir, &o, &e) &&
		  guard_init(&f->g, &f->v, f->wm, &e) &&
		  (!require_auth || auth_keys_parse(&f->g.auth, text, strlen(text), &e));
	policy_default(&f->g.policy);
	f->g.require_auth = require_auth;
	if (!ok)
		printf("  fixture: %s\n", e.msg);
	return ok;
}

static void fx_close(struct fixture *f)
{
	guard_free(&f->g);
	if (f->wm)
		wm_store_close(f->wm);
	vault_close(&f->v);
	kd_rm(f->dir);
}

/* guard_sign's verdict: ERR_NONE when it signed; a refusal must leave no
 * signature behind (ERR_INTERNAL here if it does). */
static enum err_kind sign(const struct fixture *f, const char *pkh, const uint8_t *msg, size_t len,
			  enum bls_mode mode, const char *auth, struct sign_result *out)
{
	struct err e = { 0 };
	struct sign_request req = { .pkh_text = pkh, .msg = msg, .len = len, .bls_mode = mode,
				    .authentication = auth };
	if (guard_sign(&f->g, &req, out, &e))
		return out->signature[0] ? ERR_NONE : ERR_INTERNAL;
	return out->signature[0] ? ERR_INTERNAL : e.kind;
}

/* A client's ?authentication=: its signature over 0x04 ‖ 0x01 ‖ pkh
 * (21 bytes, tag ‖ hash) ‖ msg, the shape auth.h states. */
static bool client_auth(const char *sk_text, const char *pkh_text, const uint8_t *msg, size_t len,
			char out[static B58_MAX])
{
	struct secret_key sk;
	struct pkh pkh;
	struct signature sig;
	uint8_t buf[23 + 128];
	if (len > 128 || !kd_secret(sk_text, &sk) || !pkh_decode(pkh_text, &pkh, NULL))
		return false;
	buf[0] = 0x04;
	buf[1] = 0x01;
	pkh_to_binary(&pkh, buf + 2);
	memcpy(buf + 23, msg, len);
	bool ok = sign_message(&sk, NULL, BLS_MODE_POP, buf, 23 + len, &sig, NULL) &&
		  signature_encode(out, &sig, NULL);
	sodium_memzero(&sk, sizeof(sk));
	return ok;
}

TEST(guard_refuses_in_order_key_policy_auth_watermark)
{
	struct fixture f;
	struct sign_result r;
	uint8_t att[96], other[96], low[96], tz4tag[96];
	char auth[B58_MAX], own[B58_MAX];
	CHECK(fx_open(&f, true));
	size_t n = consensus(att, 0x13, 21, 100, 0, 0xe5);
	consensus(other, 0x13, 21, 100, 0, 0xaa);
	consensus(low, 0x13, 21, 99, 5, 0xe5);
	size_t n41 = consensus(tz4tag, 0x13, 41, 100, 0, 0xe5);

	/* 404 before the magic byte: a key not held, bytes no policy allows, no auth */
	CHECK(sign(&f, f.outsider, KD_MSG, sizeof(KD_MSG), BLS_MODE_POP, NULL, &r) == ERR_NOT_FOUND);
	CHECK(sign(&f, "tz1notakey", att, n, BLS_MODE_POP, NULL, &r) == ERR_MALFORMED);
	CHECK(sign(&f, f.ed, att, 0, BLS_MODE_POP, NULL, &r) == ERR_MALFORMED);
	/* 403 before authentication: a magic byte outside -M, a tag of the other key kind */
	CHECK(sign(&f, f.ed, KD_MSG, sizeof(KD_MSG), BLS_MODE_POP, NULL, &r) == ERR_FORBIDDEN);
	CHECK(sign(&f, f.ed, tz4tag, n41, BLS_MODE_POP, NULL, &r) == ERR_FORBIDDEN);
	CHECK(sign(&f, f.bls, att, n, BLS_MODE_POP, NULL, &r) == ERR_FORBIDDEN);
	/* 401: none, or by a key that is not authorized */
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, NULL, &r) == ERR_AUTH);
	CHECK(client_auth(KD_ED_SK, f.ed, att, n, own));
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, own, &r) == ERR_AUTH);
	/* an authorization is for these bytes and this key only */
	CHECK(client_auth(KD_SP_SK, f.ed, other, n, auth));
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, auth, &r) == ERR_AUTH);
	CHECK(client_auth(KD_SP_SK, f.bls, att, n, auth));
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, auth, &r) == ERR_AUTH);

	CHECK(client_auth(KD_SP_SK, f.ed, att, n, auth));
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, auth, &r) == ERR_NONE);
	CHECK(r.classified && r.op.kind == OP_ATTESTATION && r.op.level == 100 && r.op.round == 0);
	CHECK(!r.reanswered && r.authenticated_by && strcmp(r.authenticated_by, "client") == 0);
	CHECK(kd_verifies(KD_ED_PK, att, n, r.signature));
	CHECK(!kd_verifies(KD_ED_PK, other, n, r.signature));

	/* 401 before 409: other bytes at the taken (level, round) */
	CHECK(sign(&f, f.ed, other, n, BLS_MODE_POP, NULL, &r) == ERR_AUTH);
	CHECK(client_auth(KD_SP_SK, f.ed, other, n, auth));
	CHECK(sign(&f, f.ed, other, n, BLS_MODE_POP, auth, &r) == ERR_CONFLICT);
	CHECK(client_auth(KD_SP_SK, f.ed, low, n, auth));
	CHECK(sign(&f, f.ed, low, n, BLS_MODE_POP, auth, &r) == ERR_CONFLICT);
	fx_close(&f);
}

TEST(guard_reanswers_identical_bytes_refuses_others)
{
	struct fixture f;
	struct sign_result r;
	struct err e = { 0 };
	uint8_t att[96], other[96], next[96], pre[96];
	char first[B58_MAX];
	CHECK(fx_open(&f, false));
	size_t n = consensus(att, 0x13, 21, 5000000, 2, 0xe5);
	consensus(other, 0x13, 21, 5000000, 2, 0xaa);
	consensus(next, 0x13, 21, 5000000, 3, 0xaa);
	size_t np = consensus(pre, 0x12, 20, 5000000, 2, 0xaa);

	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE && !r.reanswered);
	CHECK(r.authenticated_by == NULL);
	snprintf(first, sizeof(first), "%s", r.signature);
	CHECK(kd_verifies(KD_ED_PK, att, n, first));
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(r.reanswered && strcmp(r.signature, first) == 0);
	struct sign_request req = { .pkh_text = f.ed, .msg = other, .len = n };
	CHECK(!guard_sign(&f.g, &req, &r, &e) && e.kind == ERR_CONFLICT && r.signature[0] == '\0');
	CHECK(strstr(e.msg, "attestation level 5000000 and round 2 already signed with different bytes"));
	/* the refusal changed nothing: the first bytes are still answered */
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(r.reanswered && strcmp(r.signature, first) == 0);
	/* a preattestation has its own watermark; a higher round signs */
	CHECK(sign(&f, f.ed, pre, np, BLS_MODE_POP, NULL, &r) == ERR_NONE && !r.reanswered);
	CHECK(r.op.kind == OP_PREATTESTATION && kd_verifies(KD_ED_PK, pre, np, r.signature));
	CHECK(sign(&f, f.ed, next, n, BLS_MODE_POP, NULL, &r) == ERR_NONE && !r.reanswered);
	/* and the old round is now below the watermark, even its own bytes */
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, NULL, &r) == ERR_CONFLICT);
	fx_close(&f);
}

TEST(guard_signs_as_taquito_under_key_policy)
{
	struct fixture f;
	struct sign_result r;
	struct err e = { 0 };
	uint8_t pre[96];
	char text[256];
	CHECK(fx_open(&f, false));
	size_t np = consensus(pre, 0x12, 20, 10, 0, 0xe5);
	/* tz1 follows its own list (0x05 and 0x13), tz4 follows -M */
	snprintf(text, sizeof(text), "{\"keys\": {\"%s\": {\"magic_bytes\": \"0x05,0x13\"}}}", f.ed);
	CHECK(key_policies_parse(&f.g.key_policies, text, strlen(text), &e));
	CHECK(sign(&f, f.ed, KD_MSG, sizeof(KD_MSG), BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(strcmp(r.signature, KD_ED_SIG) == 0 && r.op.kind == OP_OTHER && !r.reanswered);
	/* no watermark for other magic bytes: the same bytes sign again, afresh */
	CHECK(sign(&f, f.ed, KD_MSG, sizeof(KD_MSG), BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(strcmp(r.signature, KD_ED_SIG) == 0 && !r.reanswered);
	CHECK(sign(&f, f.ed, pre, np, BLS_MODE_POP, NULL, &r) == ERR_FORBIDDEN);
	CHECK(sign(&f, f.bls, KD_MSG, sizeof(KD_MSG), BLS_MODE_POP, NULL, &r) == ERR_FORBIDDEN);
	CHECK(policy_parse_magic_bytes(&f.g.policy, "0x05,0x11,0x12,0x13", &e));
	CHECK(sign(&f, f.bls, KD_MSG, sizeof(KD_MSG), BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(strcmp(r.signature, KD_BLS_SIG) == 0);
	fx_close(&f);
}

/* Decodes a BLsig… text to its 96 bytes. */
static bool bls_sig(const char *text, uint8_t out[static SIGNATURE_MAX])
{
	size_t len = 0;
	return signature_decode(text, out, &len, NULL) && len == BLS_SIGNATURE_BYTES;
}

TEST(guard_bls_versions_keep_their_own_answers)
{
	struct fixture f;
	struct sign_result r;
	struct public_key pk;
	uint8_t att[96], other[96], sig[SIGNATURE_MAX];
	char pop[B58_MAX], aug[B58_MAX];
	CHECK(fx_open(&f, false));
	CHECK(public_key_decode(KD_BLS_PK, &pk, NULL));
	size_t n = consensus(att, 0x13, 41, 200, 0, 0xe5);
	consensus(other, 0x13, 41, 200, 0, 0xaa);

	CHECK(sign(&f, f.bls, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE && !r.reanswered);
	CHECK(r.op.bls_mode && bls_sig(r.signature, sig));
	CHECK(bls12_verify(pk.bytes, BLS_MODE_POP, att, n, sig));
	CHECK(!bls12_verify(pk.bytes, BLS_MODE_AUG, att, n, sig));
	snprintf(pop, sizeof(pop), "%s", r.signature);
	/* the same bytes in the augmented scheme (version 1): a signature of
	 * its own, not the POP one re-answered */
	CHECK(sign(&f, f.bls, att, n, BLS_MODE_AUG, NULL, &r) == ERR_NONE && !r.reanswered);
	CHECK(bls_sig(r.signature, sig) && bls12_verify(pk.bytes, BLS_MODE_AUG, att, n, sig));
	CHECK(!bls12_verify(pk.bytes, BLS_MODE_POP, att, n, sig));
	snprintf(aug, sizeof(aug), "%s", r.signature);
	CHECK(strcmp(pop, aug) != 0);
	CHECK(sign(&f, f.bls, att, n, BLS_MODE_AUG, NULL, &r) == ERR_NONE);
	CHECK(r.reanswered && strcmp(r.signature, aug) == 0);
	/* back to POP: signed again (the record holds the AUG answer), the
	 * same deterministic signature, then re-answered */
	CHECK(sign(&f, f.bls, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE && !r.reanswered);
	CHECK(strcmp(r.signature, pop) == 0);
	CHECK(sign(&f, f.bls, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(r.reanswered && strcmp(r.signature, pop) == 0);
	/* other bytes at (200, 0) are refused in either scheme */
	CHECK(sign(&f, f.bls, other, n, BLS_MODE_AUG, NULL, &r) == ERR_CONFLICT);
	CHECK(sign(&f, f.bls, other, n, BLS_MODE_POP, NULL, &r) == ERR_CONFLICT);
	fx_close(&f);
}

TEST(guard_refuses_chains_not_allowed)
{
	struct fixture f;
	struct sign_result r;
	struct err e = { 0 };
	uint8_t att[96];
	CHECK(fx_open(&f, false));
	size_t n = consensus(att, 0x13, 21, 300, 0, 0xe5);
	CHECK(guard_allow_chain(&f.g, "NetXnHfVqm9iesp", &e)); /* ghostnet */
	struct sign_request req = { .pkh_text = f.ed, .msg = att, .len = n };
	CHECK(!guard_sign(&f.g, &req, &r, &e) && e.kind == ERR_FORBIDDEN);
	CHECK(strstr(e.msg, "chain NetXdQprcVkpaWU is not one this signer signs for"));
	CHECK(guard_allow_chain(&f.g, "NetXdQprcVkpaWU", &e)); /* mainnet */
	CHECK(sign(&f, f.ed, att, n, BLS_MODE_POP, NULL, &r) == ERR_NONE);
	CHECK(kd_verifies(KD_ED_PK, att, n, r.signature));
	fx_close(&f);
}
