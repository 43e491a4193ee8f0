/* Must-fail and good cases of the guard's files: authorized_keys and the
 * per-key policy file; and the authentication check. */
#include <stdio.h>
#include <string.h>

#include "../../src/crypto/sign.h"
#include "../../src/guard/auth.h"
#include "../../src/guard/key_policy.h"
#include "harness.h"

#define EDPK "edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp"
#define TZ1 "tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA"

static bool parse_auth(const char *s, struct auth_keys *a, struct err *e)
{
	return auth_keys_parse(a, s, strlen(s), e);
}

TEST(guard_auth_keys_parse)
{
	struct auth_keys a;
	struct err e = { 0 };
	crypto_init(NULL);
	CHECK(parse_auth("[{\"name\":\"baker\",\"value\":\"" EDPK "\"}]", &a, &e));
	CHECK(a.count == 1);
	CHECK_STR(a.keys[0].pkh_text, TZ1);
	CHECK_STR(a.keys[0].name, "baker");
	auth_keys_free(&a);
	CHECK(parse_auth("[{\"name\":\"b\",\"value\":{\"locator\":\"unencrypted:" EDPK "\",\"key\":\"" EDPK "\"}}]", &a, &e));
	CHECK(a.count == 1);
	auth_keys_free(&a);
	CHECK(parse_auth("[]", &a, &e));
	CHECK(a.count == 0);
	auth_keys_free(&a);
}

TEST(guard_auth_keys_must_fail)
{
	struct auth_keys a;
	struct err e = { 0 };
	const char *bad[] = {
		"", "{}", "[1]", "[{\"name\":\"x\"}]", "[{\"value\":\"" EDPK "\"}]",
		"[{\"name\":\"x\",\"value\":\"edpkBAD\"}]",
		"[{\"name\":\"x\",\"value\":\"" TZ1 "\"}]",
		"[{\"name\":\"x\",\"value\":\"" EDPK "\",}]",
	};
	crypto_init(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!parse_auth(bad[i], &a, &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
}

TEST(guard_auth_check_signature)
{
	struct secret_key client, other;
	struct public_key client_pk;
	struct err e = { 0 };
	crypto_init(NULL);
	CHECK(secret_key_generate(SCHEME_ED25519, &client, &e));
	CHECK(secret_key_generate(SCHEME_ED25519, &other, &e));
	CHECK(public_key_derive(&client, &client_pk, &e));
	char pk_text[B58_MAX];
	CHECK(public_key_encode(pk_text, &client_pk, &e));
	char doc[256];
	snprintf(doc, sizeof(doc), "[{\"name\":\"client\",\"value\":\"%s\"}]", pk_text);
	struct auth_keys a;
	CHECK(parse_auth(doc, &a, &e));

	struct pkh target;
	CHECK(pkh_decode(TZ1, &target, &e));
	uint8_t data[3] = { 0x13, 0x01, 0x02 };
	uint8_t msg[2 + 21 + 3];
	msg[0] = 0x04;
	msg[1] = 0x01;
	pkh_to_binary(&target, msg + 2);
	memcpy(msg + 23, data, 3);
	struct signature sig, bad_sig;
	char sig_text[B58_MAX], bad_text[B58_MAX];
	CHECK(sign_message(&client, NULL, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
	CHECK(signature_encode(sig_text, &sig, &e));
	CHECK(sign_message(&other, NULL, BLS_MODE_POP, msg, sizeof(msg), &bad_sig, &e));
	CHECK(signature_encode(bad_text, &bad_sig, &e));

	const struct auth_key *who = NULL;
	CHECK(auth_check(&a, &target, data, 3, sig_text, &who, &e));
	CHECK(who && strcmp(who->name, "client") == 0);
	CHECK(!auth_check(&a, &target, data, 3, NULL, &who, &e));
	CHECK(e.kind == ERR_AUTH && strstr(e.msg, "missing"));
	CHECK(!auth_check(&a, &target, data, 3, bad_text, &who, &e));
	CHECK(e.kind == ERR_AUTH);
	data[2] ^= 1; /* other bytes */
	CHECK(!auth_check(&a, &target, data, 3, sig_text, &who, &e));
	data[2] ^= 1;
	struct pkh other_target = target;
	other_target.hash[0] ^= 1; /* signed for another key */
	CHECK(!auth_check(&a, &other_target, data, 3, sig_text, &who, &e));
	CHECK(!auth_check(&a, &target, data, 3, "edsigNOTASIGNATURE", &who, &e));
	CHECK(e.kind == ERR_AUTH);
	auth_keys_free(&a);
}

TEST(guard_key_policy_parse_and_must_fail)
{
	struct key_policies kp;
	struct err e = { 0 };
	const char *good = "{\"keys\":{\"" TZ1 "\":{\"magic_bytes\":\"0x03,0x11\"}}}";
	crypto_init(NULL);
	CHECK(key_policies_parse(&kp, good, strlen(good), &e));
	struct pkh pkh;
	CHECK(pkh_decode(TZ1, &pkh, &e));
	const struct policy *p = key_policies_find(&kp, &pkh);
	CHECK(p && p->magic_allowed[0x03] && p->magic_allowed[0x11] && !p->magic_allowed[0x13]);
	pkh.hash[0] ^= 1;
	CHECK(key_policies_find(&kp, &pkh) == NULL);
	key_policies_free(&kp);
	const char *bad[] = {
		"", "[]", "{}", "{\"keys\":[]}",
		"{\"keys\":{\"tz1bad\":{\"magic_bytes\":\"0x03\"}}}",
		"{\"keys\":{\"" TZ1 "\":{\"magic_bytes\":\"0x3g\"}}}",
		"{\"keys\":{\"" TZ1 "\":{\"magic_bytes\":\"0x03\",\"extra\":1}}}",
		"{\"keys\":{\"" TZ1 "\":{}}}",
		"{\"keys\":{\"" TZ1 "\":\"0x03\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!key_policies_parse(&kp, bad[i], strlen(bad[i]), &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
}
