/* names.c - octez's animal name of a Ledger. */
#include "names.h"

#include <stdio.h>
#include <string.h>

#include "../crypto/hash.h"

/* The 32-byte hash as a little-endian integer, modulo n (n > 0). */
static size_t hash_mod(const unsigned char h[static HASH_BYTES], size_t n)
{
	size_t r = 0;
	for (size_t i = HASH_BYTES; i-- > 0;)
		r = (r * 256u + h[i]) % n;
	return r;
}

void ledger_animal_name(char out[static LEDGER_NAME_MAX], const char *text)
{
	uint8_t h[HASH_BYTES];
	const char *words[4];
	blake2b_256(h, (const uint8_t *)text, strlen(text));
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			blake2b_256(h, h, sizeof(h));
		if (i % 2 == 0)
			words[i] = ledger_adjectives[hash_mod(h, ledger_adjectives_count)];
		else
			words[i] = ledger_animals[hash_mod(h, ledger_animals_count)];
	}
	snprintf(out, LEDGER_NAME_MAX, "%s-%s-%s-%s", words[0], words[1], words[2], words[3]);
}

static bool in_list(const char *w, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], w, len) == 0)
			return true;
	return false;
}

bool ledger_animal_name_valid(const char *s)
{
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		const char *dash = strchr(p, '-');
		size_t len = i < 3 ? (dash ? (size_t)(dash - p) : 0) : strlen(p);
		if (len == 0 || (i < 3 && !dash) || (i == 3 && dash))
			return false;
		bool ok = i % 2 == 0 ? in_list(p, len, ledger_adjectives, ledger_adjectives_count)
				     : in_list(p, len, ledger_animals, ledger_animals_count);
		if (!ok)
			return false;
		p += len + (i < 3 ? 1 : 0);
	}
	return true;
}
