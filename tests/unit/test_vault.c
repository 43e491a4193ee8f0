/* Unit tests of the octez key files and encrypted keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "../../src/vault/encrypted.h"
#include "../../src/vault/octez_dir.h"
#include "harness.h"

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
