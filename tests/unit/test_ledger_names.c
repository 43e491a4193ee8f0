/* Unit tests of octez's animal names of Ledger devices. */
#include <string.h>

#include "../../src/ledger/names.h"
#include "harness.h"

TEST(ledger_names_octez_vector)
{
	char name[LEDGER_NAME_MAX];
	/* octez's own test vector (ledger_names.ml's crouching_tiger) */
	ledger_animal_name(name, "12345");
	CHECK_STR(name, "calculating-meerkat-straight-beetle");
	/* the device seeded with speculos's default mnemonic: its ed25519 key
	 * at 44'/1729' is tz1MJYG7DKz4WsPvbjn619nVZcMmejd62w7r */
	ledger_animal_name(name, "tz1MJYG7DKz4WsPvbjn619nVZcMmejd62w7r");
	CHECK_STR(name, "kooky-chameleon-pointless-caracal");
}

TEST(ledger_names_lists_are_octez_s)
{
	/* Duplicates kept: the index is taken modulo these lengths. */
	CHECK(ledger_adjectives_count == 1308);
	CHECK(ledger_animals_count == 283);
	CHECK_STR(ledger_adjectives[0], "abandoned");
	CHECK_STR(ledger_adjectives[ledger_adjectives_count - 1], "zesty");
	CHECK_STR(ledger_animals[0], "aardvark");
	CHECK_STR(ledger_animals[ledger_animals_count - 1], "zorse");
}

TEST(ledger_names_valid)
{
	CHECK(ledger_animal_name_valid("calculating-meerkat-straight-beetle"));
	CHECK(ledger_animal_name_valid("kooky-chameleon-pointless-caracal"));
	CHECK(!ledger_animal_name_valid("calculating-meerkat-straight"));
	CHECK(!ledger_animal_name_valid("calculating-meerkat-straight-beetle-x"));
	CHECK(!ledger_animal_name_valid("meerkat-calculating-straight-beetle"));
	CHECK(!ledger_animal_name_valid("calculating--straight-beetle"));
	CHECK(!ledger_animal_name_valid(""));
	CHECK(!ledger_animal_name_valid("calculating-meerkat-straight-beetle-"));
}
