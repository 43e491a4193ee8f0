/* names.h - the "animal name" octez gives a Ledger (design §2.4).
 *
 * The name is derived from the tz1 text of the device's ed25519 key at
 * 44'/1729': h1 = blake2b-256(text), h2..h4 each blake2b-256 of the one
 * before; name = adjectives[h1]-animals[h2]-adjectives[h3]-animals[h4],
 * each hash read as a little-endian integer modulo the list's length. */
#ifndef TZS_LEDGER_NAMES_H
#define TZS_LEDGER_NAMES_H

#include <stdbool.h>
#include <stddef.h>

extern const char *const ledger_adjectives[];
extern const size_t ledger_adjectives_count;
extern const char *const ledger_animals[];
extern const size_t ledger_animals_count;

/* Longest name: four words of at most 15 letters, three dashes, NUL. */
#define LEDGER_NAME_MAX 72

/* Writes the animal name of text (normally a tz1… string) into out. */
void ledger_animal_name(char out[static LEDGER_NAME_MAX], const char *text);

/* True when s has the shape of an animal name: four dash-separated words,
 * each in its list. */
bool ledger_animal_name_valid(const char *s);

#endif
