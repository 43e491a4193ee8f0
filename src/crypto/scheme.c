/* scheme.c - names and sizes of the four Tezos signature schemes. */
#include "scheme.h"

#include <string.h>

struct scheme_info {
	const char *name;
	const char *prefix;
	size_t public_key_len;
	size_t signature_len;
};

static const struct scheme_info schemes[SCHEME_COUNT] = {
	[SCHEME_ED25519] = { "ed25519", "tz1", 32, 64 },
	[SCHEME_SECP256K1] = { "secp256k1", "tz2", 33, 64 },
	[SCHEME_P256] = { "p256", "tz3", 33, 64 },
	[SCHEME_BLS] = { "bls", "tz4", 48, 96 },
};

static const struct scheme_info *info(enum key_scheme s)
{
	unsigned i = (unsigned)s;
	return i < SCHEME_COUNT ? &schemes[i] : NULL;
}

size_t scheme_public_key_len(enum key_scheme s)
{
	const struct scheme_info *i = info(s);
	return i ? i->public_key_len : 0;
}

size_t scheme_signature_len(enum key_scheme s)
{
	const struct scheme_info *i = info(s);
	return i ? i->signature_len : 0;
}

const char *scheme_name(enum key_scheme s)
{
	const struct scheme_info *i = info(s);
	return i ? i->name : "unknown";
}

const char *scheme_address_prefix(enum key_scheme s)
{
	const struct scheme_info *i = info(s);
	return i ? i->prefix : "tz?";
}

bool scheme_parse(const char *name, enum key_scheme *out)
{
	if (!name)
		return false;
	for (unsigned i = 0; i < SCHEME_COUNT; i++) {
		if (strcmp(name, schemes[i].name) == 0 || strcmp(name, schemes[i].prefix) == 0) {
			*out = (enum key_scheme)i;
			return true;
		}
	}
	if (strcmp(name, "P-256") == 0) {
		*out = SCHEME_P256;
		return true;
	}
	return false;
}
