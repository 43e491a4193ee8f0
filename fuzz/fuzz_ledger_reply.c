/* fuzz_ledger_reply.c - libFuzzer target for the baking app's replies.
 *
 * The first byte picks the curve; the rest is a reply (data ‖ SW) given to
 * every parser of device data: version, public key, watermarks,
 * authorized key, signature with and without hash. Parsers must refuse
 * or accept within bounds, and an accepted public key must be a valid
 * point. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/crypto/sign.h"
#include "../src/ledger/apdu.h"
#include "../src/ledger/reply.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct err e = { 0 };
	if (!crypto_init(&e)) {
		fprintf(stderr, "fuzz_ledger_reply: %s\n", e.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > LEDGER_REPLY_MAX + 1)
		return 0;
	enum ledger_curve curve = (enum ledger_curve)(data[0] % (LEDGER_CURVE_BLS12_381 + 1));
	const uint8_t *d;
	size_t n;
	uint16_t sw;
	struct err e = { 0 };
	if (!ledger_reply_split(data + 1, size - 1, &d, &n, &sw, &e))
		return 0;
	(void)ledger_sw_meaning(sw);
	struct ledger_version v;
	struct ledger_hwm h;
	struct public_key pk;
	struct signature sig;
	struct ledger_path path;
	bool authorized;
	enum ledger_curve c2;
	uint8_t hash[32];
	ledger_parse_version(d, n, &v, &e);
	ledger_parse_all_hwm(d, n, &h, &e);
	if (ledger_parse_auth_key(d, n, &authorized, &c2, &path, &e) && path.len > LEDGER_PATH_MAX)
		abort();
	if (ledger_parse_public_key(d, n, curve, &pk, &e) &&
	    !public_key_from_bytes(pk.scheme, pk.bytes, pk.len, &pk, &e))
		abort();
	size_t sig_len = curve == LEDGER_CURVE_BLS12_381 ? 96 : 64;
	if (ledger_parse_signature(d, n, true, curve, hash, &sig, &e) && sig.len != sig_len)
		abort();
	if (ledger_parse_signature(d, n, false, curve, hash, &sig, &e) && sig.len != sig_len)
		abort();
	return 0;
}
