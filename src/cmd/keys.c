/* keys.c - `tzsigner keys`: generate, import, list and show local keys in
 * an octez-format base directory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../base/passphrase.h"
#include "../base/file.h"
#include "../crypto/sign.h"
#include "../guard/auth.h"
#include "../tezos/keycodec.h"
#include "../vault/encrypted.h"
#include "../vault/octez_dir.h"
#include "../vault/vault.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner keys gen NAME --type tz1|tz2|tz3|tz4 [--encrypt] [-f FILE] [-d DIR] [--force]\n"
	"       tzsigner keys import NAME SECRET [-f FILE] [-d DIR] [--force]\n"
	"       tzsigner keys import NAME ledger://… [--ledger-proxy HOST:PORT] [-d DIR] [--force]\n"
	"       tzsigner keys list [-d DIR]\n"
	"       tzsigner keys show NAME|PKH [-d DIR]\n"
	"       tzsigner keys remove NAME [-d DIR]\n"
	"       tzsigner keys authorize PUBLIC_KEY [--name N] [-d DIR]\n"
	"\n"
	"Manage local keys in an octez-format base directory (secret_keys, public_keys,\n"
	"public_key_hashs), compatible with octez-client and octez-signer.\n"
	"\n"
	"  gen      create a key (tz1 ed25519, tz2 secp256k1, tz3 P-256, tz4 BLS12-381)\n"
	"  import   add a secret key: unencrypted:edsk…, encrypted:edesk…, or bare\n"
	"           edsk/spsk/p2sk/BLsk/edesk/spesk/p2esk/BLesk text; SECRET - reads it\n"
	"           from standard input (keeps it out of the process list)\n"
	"  list     one key a line: NAME PKH PUBLIC_KEY STORAGE\n"
	"  show     one key's name, pkh, public key and storage\n"
	"  remove   delete an alias from the three key files; its high watermark\n"
	"           records stay (the same key imported again keeps its history)\n"
	"  authorize  allow a client key (edpk/sppk/p2pk/BLpk) to sign requests when\n"
	"           the signer runs with -A (written to <base-dir>/authorized_keys)\n"
	"\n"
	"  -d, --base-dir DIR            key directory (default ~/.tzsigner)\n"
	"  -t, --type TYPE               tz1, tz2, tz3 or tz4 (gen)\n"
	"  -e, --encrypt                 encrypt the new key with a passphrase (gen)\n"
	"  -f, --password-filename FILE  passphrase from the first line of FILE (mode 0600);\n"
	"                                otherwise asked on the terminal\n"
	"      --force                   replace an existing key of that name\n"
	"  -n, --name NAME               name of an authorized key (default: its pkh)\n"
	"  -P, --ledger-proxy HOST:PORT  reach the Ledger through the speculos APDU socket\n"
	"                                (else LEDGER_PROXY_ADDRESS/PORT, else USB)\n"
	"  -h, --help                    this text\n";

enum { OPT_FORCE = 256 };

static const struct option options[] = {
	{ "base-dir", required_argument, NULL, 'd' },
	{ "type", required_argument, NULL, 't' },
	{ "encrypt", no_argument, NULL, 'e' },
	{ "password-filename", required_argument, NULL, 'f' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "name", required_argument, NULL, 'n' },
	{ "ledger-proxy", required_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct keys_opts {
	const char *dir;
	const char *type;
	const char *passfile;
	const char *name;
	const char *ledger_proxy;
	bool encrypt;
	bool force;
};

static bool get_new_passphrase(const struct keys_opts *o, struct passphrase *p, struct err *e)
{
	if (o->passfile)
		return passphrase_from_file(p, o->passfile, e);
	struct passphrase again = { 0 };
	if (!passphrase_prompt(p, "Passphrase for the new key: ", e))
		return false;
	if (!passphrase_prompt(&again, "Again: ", e)) {
		passphrase_free(p);
		return false;
	}
	bool same = p->len == again.len && sodium_memcmp(p->text, again.text, p->len) == 0;
	passphrase_free(&again);
	if (!same) {
		passphrase_free(p);
		return err_set(e, ERR_MALFORMED, "the two passphrases differ");
	}
	if (p->len == 0) {
		passphrase_free(p);
		return err_set(e, ERR_MALFORMED, "empty passphrase");
	}
	return true;
}

/* Writes sk (and its public halves) under name; the secret text is built
 * in locked memory and zeroed. */
static bool store_key(const struct keys_opts *o, const char *name, const struct secret_key *sk,
		      const char *secret_uri, struct err *e)
{
	struct public_key pk;
	struct pkh pkh;
	char pk_text[B58_MAX], pkh_text[B58_MAX];
	if (!public_key_derive(sk, &pk, e))
		return false;
	pkh_of_public_key(&pk, &pkh);
	if (!public_key_encode(pk_text, &pk, e) || !pkh_encode(pkh_text, &pkh, e))
		return false;
	if (!octez_dir_add(o->dir, name, secret_uri, pk_text, pkh_text, o->force, e))
		return false;
	printf("%s %s %s\n", name, pkh_text, pk_text);
	return true;
}

static int keys_gen(const struct keys_opts *o, const char *name)
{
	struct err e = { 0 };
	enum key_scheme scheme;
	if (!o->type) {
		fprintf(stderr, "tzsigner keys gen: --type tz1|tz2|tz3|tz4 is required\n");
		return EXIT_USAGE;
	}
	if (!scheme_parse(o->type, &scheme)) {
		fprintf(stderr, "tzsigner keys gen: type '%s' is not tz1, tz2, tz3 or tz4\n", o->type);
		return EXIT_USAGE;
	}
	if (!octez_name_valid(name, &e))
		return cmd_fail("keys gen", &e);
	struct secret_key *sk = sodium_malloc(sizeof(*sk));
	char *uri = sodium_malloc(B58_MAX + 16);
	uint8_t *raw = sodium_malloc(32);
	struct passphrase pass = { 0 };
	bool ok = false;
	if (!sk || !uri || !raw) {
		err_set(&e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!secret_key_generate(scheme, sk, &e))
		goto out;
	if (o->encrypt) {
		uint8_t payload[ENCRYPTED_PAYLOAD_BYTES];
		char text[B58_MAX];
		secret_key_to_bytes(sk, raw);
		if (!get_new_passphrase(o, &pass, &e) ||
		    !encrypted_seal(payload, raw, pass.text, pass.len, &e) ||
		    !encrypted_secret_encode(text, scheme, payload, &e))
			goto out;
		snprintf(uri, B58_MAX + 16, "encrypted:%s", text);
	} else {
		char *text = uri + 12;
		memcpy(uri, "unencrypted:", 12);
		if (!secret_key_encode(text, sk, &e))
			goto out;
	}
	ok = store_key(o, name, sk, uri, &e);
out:
	passphrase_free(&pass);
	if (sk)
		sodium_free(sk);
	if (uri)
		sodium_free(uri);
	if (raw)
		sodium_free(raw);
	return ok ? EXIT_SUCCESS : cmd_fail("keys gen", &e);
}

static int keys_import(const struct keys_opts *o, const char *name, const char *secret)
{
	struct err e = { 0 };
	if (strncmp(secret, "ledger://", 9) == 0)
		return cmd_ledger_import(o->dir, name, secret, o->force, o->ledger_proxy);
	if (!octez_name_valid(name, &e))
		return cmd_fail("keys import", &e);
	struct secret_key *sk = sodium_malloc(sizeof(*sk));
	char *uri = sodium_malloc(KEY_URI_MAX + 1);
	struct passphrase pass = { 0 };
	struct vault_unlock unlock = { .allow_prompt = o->passfile == NULL };
	enum key_storage storage;
	bool ok = false;
	if (!sk || !uri) {
		err_set(&e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (o->passfile) {
		if (!passphrase_from_file(&pass, o->passfile, &e))
			goto out;
		unlock.passphrase = &pass;
	}
	if (strlen(secret) > KEY_URI_MAX - 16) {
		err_set(&e, ERR_MALFORMED, "secret key text of %zu characters is too long", strlen(secret));
		goto out;
	}
	if (!secret_uri_decode(secret, name, &unlock, sk, &storage, &e))
		goto out;
	const char *bare = strchr(secret, ':') ? strchr(secret, ':') + 1 : secret;
	snprintf(uri, KEY_URI_MAX + 1, "%s:%s",
		 storage == STORAGE_ENCRYPTED ? "encrypted" : "unencrypted", bare);
	ok = store_key(o, name, sk, uri, &e);
out:
	passphrase_free(&pass);
	if (sk)
		sodium_free(sk);
	if (uri)
		sodium_free(uri);
	return ok ? EXIT_SUCCESS : cmd_fail("keys import", &e);
}

static int keys_import_stdin(const struct keys_opts *o, const char *name)
{
	char *line = sodium_malloc(KEY_URI_MAX + 2);
	if (!line) {
		fprintf(stderr, "tzsigner keys import: out of memory\n");
		return EXIT_FAILURE;
	}
	size_t n = 0;
	int c;
	while (n < KEY_URI_MAX + 1 && (c = getchar()) != EOF && c != '\n')
		line[n++] = (char)c;
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	int rc = keys_import(o, name, line);
	sodium_free(line);
	return rc;
}

static const char *storage_of_uri(const char *uri)
{
	if (!uri)
		return "public-only";
	if (strncmp(uri, "encrypted:", 10) == 0)
		return "encrypted";
	if (strncmp(uri, "ledger://", 9) == 0)
		return "ledger";
	return "unencrypted";
}

/* Public key and hash of an entry: from the public files, or derived from
 * an unencrypted secret when those are missing. */
void cmd_key_public(const struct octez_entry *ent, char *pk, char *pkh)
{
	snprintf(pk, B58_MAX, "%.150s", ent->public_key[0] ? ent->public_key : "-");
	snprintf(pkh, B58_MAX, "%.60s", ent->pkh[0] ? ent->pkh : "-");
	if ((ent->public_key[0] && ent->pkh[0]) || !ent->secret_uri ||
	    strcmp(storage_of_uri(ent->secret_uri), "unencrypted") != 0)
		return;
	struct secret_key *sk = sodium_malloc(sizeof(*sk));
	struct vault_unlock none = { 0 };
	enum key_storage st;
	struct public_key p;
	struct pkh h;
	if (sk && secret_uri_decode(ent->secret_uri, ent->name, &none, sk, &st, NULL) &&
	    public_key_derive(sk, &p, NULL)) {
		pkh_of_public_key(&p, &h);
		public_key_encode(pk, &p, NULL);
		pkh_encode(pkh, &h, NULL);
	}
	if (sk)
		sodium_free(sk);
}

static int keys_list(const struct keys_opts *o)
{
	struct err e = { 0 };
	struct octez_dir d;
	if (!octez_dir_load(o->dir, &d, &e))
		return cmd_fail("keys list", &e);
	for (size_t i = 0; i < d.count; i++) {
		char pk[B58_MAX], pkh[B58_MAX];
		cmd_key_public(&d.entries[i], pk, pkh);
		printf("%s %s %s %s\n", d.entries[i].name, pkh, pk, storage_of_uri(d.entries[i].secret_uri));
	}
	octez_dir_free(&d);
	return EXIT_SUCCESS;
}

static int keys_show(const struct keys_opts *o, const char *which)
{
	struct err e = { 0 };
	struct octez_dir d;
	if (!octez_dir_load(o->dir, &d, &e))
		return cmd_fail("keys show", &e);
	int rc = EXIT_FAILURE;
	for (size_t i = 0; i < d.count; i++) {
		char pk[B58_MAX], pkh[B58_MAX];
		cmd_key_public(&d.entries[i], pk, pkh);
		if (strcmp(d.entries[i].name, which) != 0 && strcmp(pkh, which) != 0)
			continue;
		printf("name: %s\npkh: %s\npublic_key: %s\nstorage: %s\n", d.entries[i].name, pkh, pk,
		       storage_of_uri(d.entries[i].secret_uri));
		rc = EXIT_SUCCESS;
		break;
	}
	if (rc != EXIT_SUCCESS)
		fprintf(stderr, "tzsigner keys show: no key named or hashed '%s' in %s\n", which, o->dir);
	octez_dir_free(&d);
	return rc;
}

static int keys_remove(const struct keys_opts *o, const char *name)
{
	struct err e = { 0 };
	struct octez_dir d;
	char pk[B58_MAX], pkh[B58_MAX] = "-";
	if (!octez_dir_load(o->dir, &d, &e))
		return cmd_fail("keys remove", &e);
	const struct octez_entry *ent = octez_dir_find(&d, name);
	if (ent)
		cmd_key_public(ent, pk, pkh);
	octez_dir_free(&d);
	if (!octez_dir_remove(o->dir, name, &e))
		return cmd_fail("keys remove", &e);
	printf("removed %s %s from %s; its high watermark records stay in %s "
	       "(tzsigner watermarks list -d %s)\n", name, pkh, o->dir, o->dir, o->dir);
	return EXIT_SUCCESS;
}

static int keys_authorize(const struct keys_opts *o, const char *public_key)
{
	struct err e = { 0 };
	struct public_key pk;
	struct pkh pkh;
	char pkh_text[B58_MAX];
	if (!public_key_decode(public_key, &pk, &e))
		return cmd_fail("keys authorize", &e);
	pkh_of_public_key(&pk, &pkh);
	if (!pkh_encode(pkh_text, &pkh, &e))
		return cmd_fail("keys authorize", &e);
	const char *name = o->name ? o->name : pkh_text;
	if (!octez_name_valid(name, &e) || !dir_ensure(o->dir, 0700, &e) ||
	    !auth_keys_add(o->dir, name, public_key, &e))
		return cmd_fail("keys authorize", &e);
	printf("%s %s authorized\n", name, pkh_text);
	return EXIT_SUCCESS;
}

int cmd_keys(int argc, char **argv)
{
	char dirbuf[4096];
	struct keys_opts o = { .dir = cmd_default_base_dir(dirbuf, sizeof(dirbuf)) };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:t:ef:n:P:h", options, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 't': o.type = optarg; break;
		case 'e': o.encrypt = true; break;
		case 'f': o.passfile = optarg; break;
		case OPT_FORCE: o.force = true; break;
		case 'n': o.name = optarg; break;
		case 'P': o.ledger_proxy = optarg; break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	struct err e = { 0 };
	if (nargs < 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!crypto_init(&e))
		return cmd_fail("keys", &e);
	cmd_harden_process();
	if (strcmp(args[0], "gen") == 0 && nargs == 2)
		return keys_gen(&o, args[1]);
	if (strcmp(args[0], "import") == 0 && nargs == 3 && strcmp(args[2], "-") == 0)
		return keys_import_stdin(&o, args[1]);
	if (strcmp(args[0], "import") == 0 && nargs == 3)
		return keys_import(&o, args[1], args[2]);
	if (strcmp(args[0], "list") == 0 && nargs == 1)
		return cmd_base_dir_present("keys list", o.dir) ? keys_list(&o) : EXIT_FAILURE;
	if (strcmp(args[0], "show") == 0 && nargs == 2)
		return cmd_base_dir_present("keys show", o.dir) ? keys_show(&o, args[1]) : EXIT_FAILURE;
	if (strcmp(args[0], "remove") == 0 && nargs == 2)
		return keys_remove(&o, args[1]);
	if (strcmp(args[0], "authorize") == 0 && nargs == 2)
		return keys_authorize(&o, args[1]);
	fprintf(stderr, "tzsigner keys: unknown action or wrong arguments: '%s'\n%s", args[0], usage);
	return EXIT_USAGE;
}
