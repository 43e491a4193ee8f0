/* watermarks.c - `tzsigner watermarks`: list the high watermarks of a base
 * directory, or move one by hand. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/parse.h"
#include "../crypto/sign.h"
#include "../guard/wm_store.h"
#include "../tezos/base58.h"
#include "../vault/octez_dir.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner watermarks list [-d DIR]\n"
	"       tzsigner watermarks export [-d DIR] > FILE\n"
	"       tzsigner watermarks import FILE [-d DIR]\n"
	"       tzsigner watermarks set --chain CHAIN --key PKH|NAME --kind KIND --level N\n"
	"                               [--round R] [--force] [-d DIR]\n"
	"\n"
	"High watermarks: per chain, key and kind (block, preattestation, attestation),\n"
	"the (level, round) at or below which nothing new is signed. `list` shows the\n"
	"merged view of tzsigner's file and octez's *_high_watermark files. `set` moves\n"
	"one; lowering one needs --force (it can allow a double signature: only after\n"
	"the key has moved, e.g. to a new chain). Stop the signer first: `set` refuses\n"
	"while a signer holds the base directory.\n"
	"`export` prints every record as JSON (the file's format: a backup, or the move\n"
	"to new hardware); `import` raises each watermark to at least what the file says,\n"
	"never lowers one, and refuses while a signer runs. RESERVED in `list`: every\n"
	"level up to it is taken for that (chain, key); AT_RISK: the levels a crash\n"
	"would cost (at most the window W, see `serve --reserve-ahead`).\n"
	"\n"
	"  -d, --base-dir DIR   key directory (default ~/.tzsigner)\n"
	"\n"
	"set:\n"
	"      --chain CHAIN    the chain id, base58 (NetXdQprcVkpaWU for mainnet)\n"
	"      --key PKH|NAME   the key: its hash (tz1…, tz2…, tz3…, tz4…) or its name in\n"
	"                       the base directory (keys list)\n"
	"      --kind KIND      block, preattestation or attestation\n"
	"      --level N        the level (0 to 2^32-2)\n"
	"      --round R        the round; omit to take the whole level\n"
	"      --force          allow lowering the watermark\n"
	"  -h, --help           this text\n";

enum { OPT_CHAIN = 256, OPT_KEY, OPT_KIND, OPT_LEVEL, OPT_ROUND, OPT_FORCE };

static const struct option options[] = {
	{ "base-dir", required_argument, NULL, 'd' },
	{ "chain", required_argument, NULL, OPT_CHAIN },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "round", required_argument, NULL, OPT_ROUND },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int list(const char *dir)
{
	struct wm_store *s;
	struct wm_records r;
	struct err e = { 0 };
	if (!wm_store_load(&s, dir, false, &e) || !wm_store_snapshot(s, &r, NULL, &e)) {
		wm_store_free(s);
		return cmd_fail("watermarks list", &e);
	}
	wm_store_free(s);
	printf("%-16s %-37s %-15s %10s %6s %9s %-24s %s\n", "CHAIN", "KEY", "KIND", "LEVEL", "ROUND",
	       "RESERVED", "SIGNATURE", "AT_RISK");
	for (size_t i = 0; i < r.n; i++) {
		const struct wm_record *x = &r.v[i];
		char chain[B58_MAX], pkh[B58_MAX], round[16], reserved[16], risk[16];
		chain_id_encode(chain, x->chain, NULL);
		pkh_encode(pkh, &x->pkh, NULL);
		if (x->w.round == WM_WHOLE_LEVEL)
			snprintf(round, sizeof(round), "all");
		else
			snprintf(round, sizeof(round), "%u", x->w.round);
		snprintf(reserved, sizeof(reserved), "%u", x->reserved);
		uint32_t signed_level = x->w.exact.known ? x->w.exact.level : x->w.level;
		snprintf(risk, sizeof(risk), "%u", x->reserved > signed_level ? x->reserved - signed_level : 0);
		char sig[32];
		snprintf(sig, sizeof(sig), "%.20s%s", x->w.exact.has_signature ? x->w.exact.signature : "-",
			 x->w.exact.has_signature ? "…" : "");
		printf("%-16s %-37s %-15s %10u %6s %9s %-24s %s\n", chain, pkh, op_kind_name(x->kind),
		       x->w.level, round, x->reserved ? reserved : "-", sig, x->reserved ? risk : "-");
	}
	wm_records_free(&r);
	return EXIT_SUCCESS;
}

static int export(const char *dir)
{
	struct wm_store *s;
	struct wm_records r;
	struct err e = { 0 };
	char *text = NULL;
	size_t len;
	if (!wm_store_load(&s, dir, false, &e) || !wm_store_snapshot(s, &r, NULL, &e)) {
		wm_store_free(s);
		return cmd_fail("watermarks export", &e);
	}
	wm_store_free(s);
	bool ok = wm_format_serialise(r.v, r.n, &text, &len, &e);
	wm_records_free(&r);
	if (!ok)
		return cmd_fail("watermarks export", &e);
	ok = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
	free(text);
	if (!ok) {
		err_set(&e, ERR_IO, "could not write to standard output");
		return cmd_fail("watermarks export", &e);
	}
	return EXIT_SUCCESS;
}

static int import(const char *dir, const char *file)
{
	struct wm_store *s = NULL;
	struct wm_records r = { 0 };
	struct err e = { 0 };
	char *buf;
	size_t len;
	if (!file_read(file, 16 * 1024 * 1024, FILE_PUBLIC, &buf, &len, &e))
		return cmd_fail("watermarks import", &e);
	bool ok = wm_format_parse(buf, len, file, &r, &e);
	file_free(buf, len);
	ok = ok && wm_store_load(&s, dir, true, &e) && wm_store_raise(s, &r, &e);
	wm_store_free(s);
	if (!ok) {
		wm_records_free(&r);
		return cmd_fail("watermarks import", &e);
	}
	printf("imported %zu records from %s into %s/%s (none lowered)\n", r.n, file, dir, WM_STORE_FILE);
	wm_records_free(&r);
	return EXIT_SUCCESS;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	if (!parse_ulong(s, 0, UINT32_MAX - 1, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* --key: a key hash, else the name of a key in dir. */
static bool key_by_name_or_hash(const char *dir, const char *key, struct pkh *pkh, struct err *e)
{
	if (pkh_decode(key, pkh, NULL))
		return true;
	struct octez_dir d;
	if (!octez_dir_load(dir, &d, e))
		return err_wrap(e, "--key '%.64s' is not a key hash; looking it up as a name", key);
	const struct octez_entry *ent = octez_dir_find(&d, key);
	char pk[B58_MAX], text[B58_MAX] = "-";
	if (ent)
		cmd_key_public(ent, pk, text);
	octez_dir_free(&d);
	if (!ent)
		return err_set(e, ERR_NOT_FOUND,
			       "--key '%.64s' is neither a key hash (tz1…, tz2…, tz3…, tz4…) nor the name of a "
			       "key in %s (tzsigner keys list -d %s)",
			       key, dir, dir);
	if (!pkh_decode(text, pkh, NULL))
		return err_set(e, ERR_NOT_FOUND,
			       "key '%.64s' in %s has no known hash (an encrypted key without its "
			       "public_key_hashs entry): give its hash instead",
			       key, dir);
	return true;
}

int cmd_watermarks(int argc, char **argv)
{
	char dirbuf[4096];
	const char *dir = cmd_default_base_dir(dirbuf, sizeof(dirbuf));
	const char *chain = NULL, *key = NULL, *kind = NULL, *level = NULL, *round = NULL;
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", options, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case OPT_CHAIN: chain = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_KIND: kind = optarg; break;
		case OPT_LEVEL: level = optarg; break;
		case OPT_ROUND: round = optarg; break;
		case OPT_FORCE: force = true; break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	struct err e = { 0 };
	if (!crypto_init(&e))
		return cmd_fail("watermarks", &e);
	if (optind == argc - 1 && strcmp(argv[optind], "list") == 0)
		return list(dir);
	if (optind == argc - 1 && strcmp(argv[optind], "export") == 0)
		return export(dir);
	if (optind == argc - 2 && strcmp(argv[optind], "import") == 0)
		return import(dir, argv[optind + 1]);
	if (optind != argc - 1 || strcmp(argv[optind], "set") != 0) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	uint8_t chain_id[4];
	struct pkh pkh;
	enum op_kind k;
	uint32_t lvl, rnd = WM_WHOLE_LEVEL;
	if (!chain || !key || !kind || !level) {
		fprintf(stderr, "tzsigner watermarks set: --chain, --key, --kind and --level are required\n");
		return EXIT_USAGE;
	}
	if (!chain_id_decode(chain, chain_id, &e) || !key_by_name_or_hash(dir, key, &pkh, &e))
		return cmd_fail("watermarks set", &e);
	if (!op_kind_parse(kind, &k)) {
		fprintf(stderr, "tzsigner watermarks set: kind '%s' is not block, preattestation or attestation\n", kind);
		return EXIT_USAGE;
	}
	if (!parse_u32(level, &lvl) || (round && !parse_u32(round, &rnd))) {
		fprintf(stderr, "tzsigner watermarks set: level and round must be numbers below 2^32-1\n");
		return EXIT_USAGE;
	}
	struct wm_store *s = NULL;
	bool ok = wm_store_load(&s, dir, true, &e) && wm_store_set(s, chain_id, &pkh, k, lvl, rnd, force, &e);
	wm_store_free(s);
	if (!ok)
		return cmd_fail("watermarks set", &e);
	printf("%s %s %s: level %u round %s\n", chain, key, kind, lvl, round ? round : "all");
	return EXIT_SUCCESS;
}
