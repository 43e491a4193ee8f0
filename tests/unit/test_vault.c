/* Unit tests of the octez key files, encrypted keys and the key table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../../src/base/file.h"
#include "../../src/crypto/bls.h"
#include "../../src/vault/encrypted.h"
#include "../../src/vault/octez_dir.h"
#include "../../src/vault/vault.h"
#include "harness.h"
#include "keydir_test.h"

#define PARSE(sk, pk, pkh, out, e) \
	octez_dir_parse(out, sk, strlen(sk), pk, strlen(pk), pkh, strlen(pkh), e)

TEST(vault_octez_dir_parse_both_public_key_forms)
{
	struct octez_dir d;
	struct err e = { 0 };
	const char *sk = "[{\"name\":\"a\",\"value\":\"unencrypted:edskX\"},"
			 "{\"name\":\"b\",\"value\":\"encrypted:edeskY\"}]";
	const char *pk = "[{\"name\":\"a\",\"value\":{\"locator\":\"unencrypted:edpkA\",\"key\":\"edpkA\"}},"
			 "{\"name\":\"b\",\"value\":\"unencrypted:edpkB\"},"
			 "{\"name\":\"c\",\"value\":\"ledger://x-y-z-w/ed25519/0h/0h\"}]";
	const char *pkh = "[{\"name\":\"a\",\"value\":\"tz1A\"},{\"name\":\"b\",\"value\":\"tz1B\"}]";
	CHECK(PARSE(sk, pk, pkh, &d, &e));
	CHECK(d.count == 3);
	const struct octez_entry *a = octez_dir_find(&d, "a");
	const struct octez_entry *b = octez_dir_find(&d, "b");
	const struct octez_entry *c = octez_dir_find(&d, "c");
	CHECK(a && b && c);
	CHECK_STR(a->secret_uri, "unencrypted:edskX");
	CHECK_STR(a->public_key, "edpkA");
	CHECK_STR(a->pkh, "tz1A");
	CHECK_STR(b->secret_uri, "encrypted:edeskY");
	CHECK_STR(b->public_key, "edpkB");
	CHECK(c->secret_uri == NULL && c->public_key[0] == '\0');
	octez_dir_free(&d);
}

TEST(vault_octez_dir_parse_must_fail)
{
	struct octez_dir d;
	struct err e = { 0 };
	const char *bad_sk[] = {
		"",
		"{}",
		"[1]",
		"[{\"name\":\"a\"}]",
		"[{\"value\":\"x\"}]",
		"[{\"name\":\"\",\"value\":\"x\"}]",
		"[{\"name\":7,\"value\":\"x\"}]",
		"[{\"name\":\"a\",\"value\":7}]",
		"[{\"name\":\"a\",\"value\":\"x\"},{\"name\":\"a\",\"value\":\"y\"}]",
		"[{\"name\":\"a\",\"name\":\"b\",\"value\":\"x\"}]",
		"[{\"name\":\"a\",\"value\":\"x\"}",
		"[{\"name\":\"a\\u0000b\",\"value\":\"x\"}]",
	};
	for (size_t i = 0; i < sizeof(bad_sk) / sizeof(bad_sk[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!PARSE(bad_sk[i], "[]", "[]", &d, &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(strstr(e.msg, "secret_keys"));
	}
	CHECK(!PARSE("[]", "[{\"name\":\"a\",\"value\":{\"locator\":3}}]", "[]", &d, &e));
	CHECK(!PARSE("[]", "[]", "[{\"name\":\"a\",\"value\":[\"tz1\"]}]", &d, &e));
	/* over-long names and values */
	char big[2048];
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	char doc[4096];
	snprintf(doc, sizeof(doc), "[{\"name\":\"%s\",\"value\":\"x\"}]", big);
	CHECK(!PARSE(doc, "[]", "[]", &d, &e));
	snprintf(doc, sizeof(doc), "[{\"name\":\"a\",\"value\":\"%s\"}]", big);
	CHECK(!PARSE(doc, "[]", "[]", &d, &e));
}

TEST(vault_octez_name_valid)
{
	struct err e = { 0 };
	CHECK(octez_name_valid("baker-1.consensus_key", &e));
	CHECK(!octez_name_valid("", &e));
	CHECK(!octez_name_valid("has space", &e));
	CHECK(!octez_name_valid("slash/", &e));
	CHECK(!octez_name_valid("quote\"", &e));
	CHECK(!octez_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &e));
}

TEST(vault_octez_dir_add_writes_files_with_modes)
{
	char dir[64], path[128];
	struct err e = { 0 };
	struct stat st;
	struct octez_dir d;
	snprintf(dir, sizeof(dir), "/tmp/tzsigner-unit-XXXXXX");
	CHECK(mkdtemp(dir));
	CHECK(octez_dir_add(dir, "k1", "unencrypted:edskA", "edpkA", "tz1A", false, &e));
	CHECK(octez_dir_add(dir, "k2", "unencrypted:edskB", "edpkB", "tz1B", false, &e));
	CHECK(!octez_dir_add(dir, "k1", "unencrypted:edskC", "edpkC", "tz1C", false, &e));
	CHECK(strstr(e.msg, "already exists"));
	CHECK(octez_dir_add(dir, "k1", "unencrypted:edskC", "edpkC", "tz1C", true, &e));
	snprintf(path, sizeof(path), "%s/secret_keys", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(octez_dir_load(dir, &d, &e));
	CHECK(d.count == 2);
	CHECK_STR(octez_dir_find(&d, "k1")->secret_uri, "unencrypted:edskC");
	CHECK_STR(octez_dir_find(&d, "k1")->public_key, "edpkC");
	CHECK_STR(octez_dir_find(&d, "k2")->pkh, "tz1B");
	octez_dir_free(&d);
	/* a secret file others can read is refused, saying how to fix it */
	chmod(path, 0644);
	CHECK(!octez_dir_load(dir, &d, &e));
	CHECK(e.kind == ERR_FORBIDDEN && strstr(e.msg, "chmod 600"));
	const char *files[] = { "secret_keys", "public_keys", "public_key_hashs" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

TEST(vault_encrypted_roundtrip_and_wrong_passphrase)
{
	uint8_t secret[32], payload[56], back[32];
	struct err e = { 0 };
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)(i * 7 + 1);
	CHECK(encrypted_seal(payload, secret, "correct horse", 13, &e));
	CHECK(encrypted_open(back, payload, "correct horse", 13, &e));
	CHECK_MEM(secret, back, 32);
	CHECK(!encrypted_open(back, payload, "correct horsf", 13, &e));
	CHECK(e.kind == ERR_AUTH && strstr(e.msg, "wrong passphrase"));
	payload[20] ^= 1;
	CHECK(!encrypted_open(back, payload, "correct horse", 13, &e));
	/* two seals of the same secret differ (fresh salt) */
	uint8_t p2[56], p3[56];
	CHECK(encrypted_seal(p2, secret, "x", 1, &e));
	CHECK(encrypted_seal(p3, secret, "x", 1, &e));
	CHECK(memcmp(p2, p3, 56) != 0);
}

#define KD_LEDGER_TZ4 "ledger://calculating-meerkat-straight-beetle/bls12_381/0h/0h"

/* A fresh tz4 public key text (for a key the table holds on a Ledger). */
static bool fresh_bls_pk(char out[static B58_MAX])
{
	struct secret_key sk;
	struct public_key pk;
	bool ok = secret_key_generate(SCHEME_BLS, &sk, NULL) && public_key_derive(&sk, &pk, NULL) &&
		  public_key_encode(out, &pk, NULL);
	sodium_memzero(&sk, sizeof(sk));
	return ok;
}

TEST(vault_open_signs_with_local_keys_and_routes_ledger_ones)
{
	char dir[64], ed[B58_MAX], bls[B58_MAX], sp[B58_MAX], lpk[B58_MAX], lpkh[B58_MAX];
	char text[B58_MAX];
	struct vault v;
	struct err e = { 0 };
	struct pkh pkh;
	struct signature sig;
	struct public_key pk;
	CHECK(crypto_init(&e) && fresh_bls_pk(lpk));
	kd_dir(dir, sizeof(dir));
	kd_pkh(KD_ED_PK, ed);
	kd_pkh(KD_BLS_PK, bls);
	kd_pkh(KD_SP_PK, sp);
	kd_pkh(lpk, lpkh);
	CHECK(kd_add(dir, "baker", KD_ED_SK, KD_ED_PK) && kd_add(dir, "consensus", KD_BLS_SK, KD_BLS_PK));
	CHECK(kd_add(dir, "on-ledger", KD_LEDGER_TZ4, lpk));
	CHECK(vault_open(&v, dir, NULL, &e));
	CHECK(v.count == 3 && vault_ledger_key_count(&v) == 1);

	CHECK(pkh_decode(ed, &pkh, &e));
	const struct vault_key *k = vault_find(&v, &pkh);
	CHECK(k && strcmp(k->name, "baker") == 0 && k->storage == STORAGE_UNENCRYPTED);
	CHECK(strcmp(k->pk_text, KD_ED_PK) == 0 && strcmp(k->pkh_text, ed) == 0 && k->sk);
	CHECK(vault_sign(k, BLS_MODE_POP, KD_MSG, sizeof(KD_MSG), &sig, &e));
	CHECK(signature_encode(text, &sig, &e) && strcmp(text, KD_ED_SIG) == 0);

	CHECK(pkh_decode(bls, &pkh, &e) && (k = vault_find(&v, &pkh)) != NULL);
	CHECK(vault_sign(k, BLS_MODE_POP, KD_MSG, sizeof(KD_MSG), &sig, &e));
	CHECK(signature_encode(text, &sig, &e) && strcmp(text, KD_BLS_SIG) == 0);
	CHECK(vault_sign(k, BLS_MODE_AUG, KD_MSG, sizeof(KD_MSG), &sig, &e));
	CHECK(public_key_decode(KD_BLS_PK, &pk, &e));
	CHECK(bls12_verify(pk.bytes, BLS_MODE_AUG, KD_MSG, sizeof(KD_MSG), sig.bytes));

	/* the Ledger key: no secret here, the augmented scheme only, and
	 * 503 while no backend is attached */
	CHECK(pkh_decode(lpkh, &pkh, &e) && (k = vault_find(&v, &pkh)) != NULL);
	CHECK(k->storage == STORAGE_LEDGER && k->sk == NULL && k->ledger_backend == NULL);
	CHECK(strcmp(k->pk_text, lpk) == 0 && k->ledger.curve == LEDGER_CURVE_BLS12_381);
	CHECK(!vault_key_signs_mode(k, BLS_MODE_POP, &e) && e.kind == ERR_FORBIDDEN);
	CHECK(strstr(e.msg, KD_LEDGER_TZ4) && strstr(e.msg, "augmented"));
	CHECK(!vault_sign(k, BLS_MODE_POP, KD_MSG, sizeof(KD_MSG), &sig, &e) && e.kind == ERR_FORBIDDEN);
	CHECK(!vault_sign(k, BLS_MODE_AUG, KD_MSG, sizeof(KD_MSG), &sig, &e) && e.kind == ERR_UNAVAILABLE);
	CHECK(strstr(e.msg, "Ledger backend is not running"));

	CHECK(pkh_decode(sp, &pkh, &e) && vault_find(&v, &pkh) == NULL);
	vault_close(&v);
	CHECK(v.count == 0 && v.keys == NULL);
	kd_rm(dir);
}

/* secret_keys by hand (octez_dir_add refuses what these tests need), mode 0600. */
static bool write_secret_keys(const char *dir, const char *json)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/secret_keys", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(json, f) >= 0;
	return (fclose(f) == 0) && ok && chmod(path, 0600) == 0;
}

/* vault_open on a directory holding the keys, kind and message text of its refusal. */
static bool open_refused(const char *dir, enum err_kind kind, const char *says)
{
	struct vault v;
	struct err e = { 0 };
	if (vault_open(&v, dir, NULL, &e)) {
		vault_close(&v);
		return false;
	}
	if (e.kind != kind || !strstr(e.msg, says))
		printf("  refused with %d: %s\n", (int)e.kind, e.msg);
	return e.kind == kind && strstr(e.msg, says);
}

TEST(vault_open_refuses_inconsistent_key_files)
{
	char dir[64];
	CHECK(crypto_init(NULL));
	/* public_keys disagrees with the secret key */
	kd_dir(dir, sizeof(dir));
	CHECK(kd_add(dir, "baker", KD_ED_SK, KD_SP_PK));
	CHECK(open_refused(dir, ERR_MALFORMED, "public_keys says " KD_SP_PK));
	kd_rm(dir);
	/* one key under two names */
	kd_dir(dir, sizeof(dir));
	CHECK(write_secret_keys(dir, "[{\"name\":\"a\",\"value\":\"unencrypted:" KD_ED_SK "\"},"
				     "{\"name\":\"b\",\"value\":\"unencrypted:" KD_ED_SK "\"}]"));
	CHECK(open_refused(dir, ERR_MALFORMED, "keys 'a' and 'b' are the same key"));
	kd_rm(dir);
	/* a ledger:// URI whose curve is not its public key's */
	kd_dir(dir, sizeof(dir));
	CHECK(kd_add(dir, "l", KD_LEDGER_TZ4, KD_ED_PK));
	CHECK(open_refused(dir, ERR_MALFORMED, "public_keys has a ed25519 key but the URI's curve is bls12_381"));
	kd_rm(dir);
	/* a secret key in no known form */
	kd_dir(dir, sizeof(dir));
	CHECK(octez_dir_add(dir, "x", "hsm:edskX", KD_ED_PK, "", false, NULL));
	CHECK(open_refused(dir, ERR_MALFORMED, "unknown secret key scheme 'hsm:'"));
	kd_rm(dir);
}
