/* fuzz_ledger_uri.c - libFuzzer target for ledger:// URIs (from
 * secret_keys files and the command line). A parsed URI printed in its
 * canonical form must parse again to the same key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/crypto/sign.h"
#include "../src/ledger/uri.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct err e = { 0 };
	if (!crypto_init(&e))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[LEDGER_URI_TEXT_MAX + 8];
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct ledger_uri u, v;
	struct err e = { 0 };
	if (!ledger_uri_parse(text, &u, &e))
		return 0;
	char out[LEDGER_URI_TEXT_MAX];
	ledger_uri_format(&u, out);
	if (!ledger_uri_parse(out, &v, &e)) {
		fprintf(stderr, "fuzz_ledger_uri: '%s' printed as '%s' does not parse: %s\n", text, out, e.msg);
		abort();
	}
	if (strcmp(u.device, v.device) != 0 || u.has_key != v.has_key ||
	    (u.has_key && (u.curve != v.curve || !ledger_path_equal(&u.path, &v.path))))
		abort();
	return 0;
}
