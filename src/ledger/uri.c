/* uri.c - parse and print ledger:// key URIs. */
#include "uri.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../tezos/keycodec.h"

static const struct {
	const char *name;
	enum ledger_curve curve;
} curve_names[] = {
	{ "ed25519", LEDGER_CURVE_ED25519 },     { "ed", LEDGER_CURVE_ED25519 },
	{ "secp256k1", LEDGER_CURVE_SECP256K1 }, { "P-256", LEDGER_CURVE_P256 },
	{ "p256", LEDGER_CURVE_P256 },           { "secp256r1", LEDGER_CURVE_P256 },
	{ "bip25519", LEDGER_CURVE_BIP25519 },   { "bip32-ed25519", LEDGER_CURVE_BIP25519 },
	/* octez's Ledger backend (src/lib_signer_backends/unix/ledger.available.ml,
	 * v25.1) has no BLS curve to take a spelling from; this is the app's
	 * name (DERIVATION_TYPE_BLS12_381) and octez's key algorithm name. */
	{ "bls12_381", LEDGER_CURVE_BLS12_381 }, { "bls", LEDGER_CURVE_BLS12_381 },
};

const char *ledger_curve_name(enum ledger_curve c)
{
	switch (c) {
	case LEDGER_CURVE_ED25519: return "ed25519";
	case LEDGER_CURVE_SECP256K1: return "secp256k1";
	case LEDGER_CURVE_P256: return "P-256";
	case LEDGER_CURVE_BIP25519: return "bip25519";
	case LEDGER_CURVE_BLS12_381: return "bls12_381";
	}
	return "unknown";
}

bool ledger_curve_parse(const char *s, size_t len, enum ledger_curve *out)
{
	for (size_t i = 0; i < sizeof(curve_names) / sizeof(curve_names[0]); i++)
		if (strlen(curve_names[i].name) == len && strncasecmp(curve_names[i].name, s, len) == 0) {
			*out = curve_names[i].curve;
			return true;
		}
	return false;
}

enum key_scheme ledger_curve_scheme(enum ledger_curve c)
{
	switch (c) {
	case LEDGER_CURVE_SECP256K1: return SCHEME_SECP256K1;
	case LEDGER_CURVE_P256: return SCHEME_P256;
	case LEDGER_CURVE_BLS12_381: return SCHEME_BLS;
	case LEDGER_CURVE_ED25519:
	case LEDGER_CURVE_BIP25519: break;
	}
	return SCHEME_ED25519;
}

void ledger_path_root(struct ledger_path *p)
{
	memset(p, 0, sizeof(*p));
	p->len = 2;
	p->c[0] = LEDGER_HARDENED | 44u;
	p->c[1] = LEDGER_HARDENED | 1729u;
}

void ledger_path_format(const struct ledger_path *p, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < p->len && used < cap; i++) {
		int n = snprintf(out + used, cap - used, "%s%u%s", i ? "/" : "",
				 (unsigned)(p->c[i] & ~LEDGER_HARDENED),
				 (p->c[i] & LEDGER_HARDENED) ? "h" : "");
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

bool ledger_path_equal(const struct ledger_path *a, const struct ledger_path *b)
{
	return a->len == b->len && memcmp(a->c, b->c, a->len * sizeof(a->c[0])) == 0;
}

/* One path component: decimal below 2^31, optionally ' or h. */
static bool parse_component(const char *s, size_t len, bool allow_soft, uint32_t *out,
			    const char *uri, struct err *e)
{
	bool hard = len > 0 && (s[len - 1] == '\'' || s[len - 1] == 'h');
	size_t digits = hard ? len - 1 : len;
	uint64_t v = 0;
	if (digits == 0 || digits > 10)
		return err_set(e, ERR_MALFORMED, "ledger URI %.200s: path component '%.*s' is not a number",
			       uri, (int)(len > 16 ? 16 : len), s);
	for (size_t i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return err_set(e, ERR_MALFORMED,
				       "ledger URI %.200s: path component '%.*s' is not a number", uri,
				       (int)(len > 16 ? 16 : len), s);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= LEDGER_HARDENED)
		return err_set(e, ERR_MALFORMED, "ledger URI %.200s: path component '%.*s' is 2^31 or more",
			       uri, (int)(len > 16 ? 16 : len), s);
	if (!hard && !allow_soft)
		return err_set(e, ERR_MALFORMED,
			       "ledger URI %.200s: non-hardened path component '%.*s' is not allowed with ed25519 (write %.*sh)",
			       uri, (int)(len > 16 ? 16 : len), s, (int)(len > 16 ? 16 : len), s);
	*out = (uint32_t)v | (hard ? LEDGER_HARDENED : 0u);
	return true;
}

static bool parse_device(const char *s, size_t len, struct ledger_uri *out, const char *uri,
			 struct err *e)
{
	if (len == 0 || len >= sizeof(out->device))
		return err_set(e, ERR_MALFORMED,
			       "ledger URI %.200s: no device name (expected ledger://<animal-name or tz1…>/…)",
			       uri);
	memcpy(out->device, s, len);
	out->device[len] = '\0';
	if (strncmp(out->device, "tz1", 3) == 0) {
		struct pkh pkh;
		if (!pkh_decode(out->device, &pkh, e))
			return err_wrap(e, "ledger URI %.200s: device", uri);
		out->device_is_pkh = true;
		return true;
	}
	if (!ledger_animal_name_valid(out->device))
		return err_set(e, ERR_MALFORMED,
			       "ledger URI %.200s: device '%s' is neither a tz1 address nor an animal name like calculating-meerkat-straight-beetle",
			       uri, out->device);
	return true;
}

bool ledger_uri_parse(const char *s, struct ledger_uri *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	size_t total = strnlen(s, LEDGER_URI_TEXT_MAX);
	if (total >= LEDGER_URI_TEXT_MAX)
		return err_set(e, ERR_MALFORMED, "ledger URI of %zu characters or more is too long",
			       (size_t)LEDGER_URI_TEXT_MAX);
	for (size_t i = 0; i < total; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return err_set(e, ERR_MALFORMED, "ledger URI has a control, space or non-ASCII byte at %zu", i);
	if (strncmp(s, "ledger://", 9) != 0)
		return err_set(e, ERR_MALFORMED, "'%.200s' is not a ledger:// URI", s);
	const char *p = s + 9;
	const char *slash = strchr(p, '/');
	size_t dlen = slash ? (size_t)(slash - p) : strlen(p);
	if (!parse_device(p, dlen, out, s, e))
		return false;
	if (!slash || slash[1] == '\0')
		return true; /* ledger://device or ledger://device/ */
	p = slash + 1;
	ledger_path_root(&out->path);
	out->curve = LEDGER_CURVE_ED25519;
	bool first = true;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return err_set(e, ERR_MALFORMED, "ledger URI %.200s: empty path component", s);
		enum ledger_curve c;
		if (first && ledger_curve_parse(p, len, &c)) {
			out->curve = c;
		} else if (first && !(p[0] >= '0' && p[0] <= '9')) {
			return err_set(e, ERR_MALFORMED,
				       "ledger URI %.200s: unknown curve '%.*s' (the curves are %s)", s,
				       (int)(len > 24 ? 24 : len), p, LEDGER_CURVE_LIST);
		} else {
			if (out->path.len == LEDGER_PATH_MAX)
				return err_set(e, ERR_MALFORMED,
					       "ledger URI %.200s: more than %d path components under 44'/1729'",
					       s, LEDGER_PATH_MAX - 2);
			if (!parse_component(p, len, out->curve != LEDGER_CURVE_ED25519,
					     &out->path.c[out->path.len], s, e))
				return false;
			out->path.len++;
		}
		first = false;
		p += len;
		if (*p == '/')
			p++;
	}
	out->has_key = true;
	return true;
}

void ledger_uri_format(const struct ledger_uri *u, char out[static LEDGER_URI_TEXT_MAX])
{
	if (!u->has_key) {
		snprintf(out, LEDGER_URI_TEXT_MAX, "ledger://%s/", u->device);
		return;
	}
	struct ledger_path rel = { 0 };
	for (size_t i = 2; i < u->path.len; i++)
		rel.c[rel.len++] = u->path.c[i];
	char path[160];
	ledger_path_format(&rel, path, sizeof(path));
	snprintf(out, LEDGER_URI_TEXT_MAX, "ledger://%s/%s%s%s", u->device, ledger_curve_name(u->curve),
		 rel.len ? "/" : "", path);
}
