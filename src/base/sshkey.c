/* sshkey.c - OpenSSH public key blobs, checked field by field. */
#include "sshkey.h"

#include <stdio.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "be.h"

static const struct {
	const char *name;
	const char *algorithms;
	const char *file_tag;
	const char *curve;      /* ECDSA: the curve name inside the blob */
	size_t point_len;       /* ECDSA: uncompressed point length */
	int nid;
} types[] = {
	[SSHKEY_ED25519] = { "ssh-ed25519", "ssh-ed25519", "ed25519", NULL, 0, 0 },
	[SSHKEY_ECDSA_P256] = { "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "ecdsa", "nistp256", 65,
				NID_X9_62_prime256v1 },
	[SSHKEY_ECDSA_P384] = { "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "ecdsa", "nistp384", 97,
				NID_secp384r1 },
	[SSHKEY_ECDSA_P521] = { "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "ecdsa", "nistp521", 133,
				NID_secp521r1 },
	[SSHKEY_RSA] = { "ssh-rsa", "rsa-sha2-512,rsa-sha2-256", "rsa", NULL, 0, 0 },
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

const char *sshkey_type_name(enum sshkey_type t) { return types[t].name; }
const char *sshkey_host_algorithms(enum sshkey_type t) { return types[t].algorithms; }
const char *sshkey_file_tag(enum sshkey_type t) { return types[t].file_tag; }

static bool token_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

static bool ends_with(const char *tok, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(tok + len - n, suffix, n) == 0;
}

/* Reads an SSH "string" (u32 length, bytes) at *off. */
static bool get_string(const uint8_t *b, size_t len, size_t *off, const uint8_t **s, size_t *sl)
{
	if (len - *off < 4)
		return false;
	uint32_t n = be32_get(b + *off);
	*off += 4;
	if (n > len - *off)
		return false;
	*s = b + *off;
	*sl = n;
	*off += n;
	return true;
}

static bool get_u32(const uint8_t *b, size_t len, size_t *off, uint32_t *v)
{
	if (len - *off < 4)
		return false;
	*v = be32_get(b + *off);
	*off += 4;
	return true;
}

/* Bit length of a positive mpint; 0 when it is not a canonical positive
 * integer (negative, or with a needless leading zero byte). */
static unsigned mpint_bits(const uint8_t *s, size_t sl)
{
	if (sl == 0 || (s[0] & 0x80))
		return 0;
	if (s[0] == 0) {
		if (sl == 1 || !(s[1] & 0x80))
			return 0;
		s++;
		sl--;
	}
	unsigned bits = (unsigned)(sl - 1) * 8;
	for (uint8_t top = s[0]; top; top >>= 1)
		bits++;
	return bits;
}

static bool ec_point_ok(int nid, const uint8_t *p, size_t len)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	if (!g)
		return false;
	EC_POINT *pt = EC_POINT_new(g);
	bool ok = pt && EC_POINT_oct2point(g, pt, p, len, NULL) == 1 &&
		  !EC_POINT_is_at_infinity(g, pt);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ok;
}

/* Checks a blob whose type is already known and fills bits. */
static bool check_blob(enum sshkey_type t, const uint8_t *b, size_t len, unsigned rsa_min_bits,
		       unsigned *bits, struct err *e)
{
	const char *name = types[t].name;
	size_t off = 0;
	const uint8_t *s;
	size_t sl;
	if (!get_string(b, len, &off, &s, &sl) || !token_is((const char *)s, sl, name))
		return err_set(e, ERR_MALFORMED, "the base64 blob is not a %s key (its type field says otherwise)",
			       name);
	switch (t) {
	case SSHKEY_ED25519:
		if (!get_string(b, len, &off, &s, &sl) || sl != 32)
			return err_set(e, ERR_MALFORMED, "malformed %s key: the key is not 32 bytes", name);
		*bits = 256;
		break;
	case SSHKEY_ECDSA_P256:
	case SSHKEY_ECDSA_P384:
	case SSHKEY_ECDSA_P521:
		if (!get_string(b, len, &off, &s, &sl) || !token_is((const char *)s, sl, types[t].curve))
			return err_set(e, ERR_MALFORMED, "malformed %s key: the curve is not %s", name,
				       types[t].curve);
		if (!get_string(b, len, &off, &s, &sl) || sl != types[t].point_len || s[0] != 0x04)
			return err_set(e, ERR_MALFORMED, "malformed %s key: the point is not %zu bytes uncompressed",
				       name, types[t].point_len);
		if (!ec_point_ok(types[t].nid, s, sl))
			return err_set(e, ERR_MALFORMED, "malformed %s key: the point is not on the curve", name);
		*bits = t == SSHKEY_ECDSA_P256 ? 256 : t == SSHKEY_ECDSA_P384 ? 384 : 521;
		break;
	case SSHKEY_RSA: {
		const uint8_t *ex, *n;
		size_t exl, nl;
		if (!get_string(b, len, &off, &ex, &exl) || !get_string(b, len, &off, &n, &nl))
			return err_set(e, ERR_MALFORMED, "malformed ssh-rsa key: truncated");
		unsigned ebits = mpint_bits(ex, exl), nbits = mpint_bits(n, nl);
		if (ebits < 2 || ebits > 64 || !(ex[exl - 1] & 1))
			return err_set(e, ERR_MALFORMED, "malformed ssh-rsa key: bad public exponent");
		if (nbits == 0 || !(n[nl - 1] & 1))
			return err_set(e, ERR_MALFORMED, "malformed ssh-rsa key: bad modulus");
		if (nbits > SSHKEY_RSA_MAX_BITS)
			return err_set(e, ERR_MALFORMED, "ssh-rsa key of %u bits: sshd refuses more than %u",
				       nbits, SSHKEY_RSA_MAX_BITS);
		if (nbits < rsa_min_bits)
			return err_set(e, ERR_FORBIDDEN,
				       "ssh-rsa key of %u bits is too weak: RSA keys must have at least %u bits "
				       "(better: ssh-keygen -t ed25519)",
				       nbits, rsa_min_bits);
		*bits = nbits;
		break;
	}
	}
	if (off != len)
		return err_set(e, ERR_MALFORMED, "malformed %s key: %zu bytes trail the key", name, len - off);
	return true;
}

static bool type_of(const char *type, size_t type_len, enum sshkey_type *t, struct err *e)
{
	for (size_t i = 0; i < N_TYPES; i++) {
		if (token_is(type, type_len, types[i].name)) {
			*t = (enum sshkey_type)i;
			return true;
		}
	}
	if (token_is(type, type_len, "ssh-dss"))
		return err_set(e, ERR_FORBIDDEN,
			       "ssh-dss (DSA) keys are refused: DSA is weak and OpenSSH disables it "
			       "(use ssh-keygen -t ed25519)");
	if (ends_with(type, type_len, "-cert-v01@openssh.com"))
		return err_set(e, ERR_FORBIDDEN, "%.*s: certificates are refused; give the plain public key",
			       (int)type_len, type);
	if (type_len > 3 && memcmp(type, "sk-", 3) == 0)
		return err_set(e, ERR_FORBIDDEN,
			       "%.*s: security-key (FIDO) keys need a touch at every login and a box "
			       "reconnects unattended; use ssh-ed25519",
			       (int)type_len, type);
	return err_set(e, ERR_MALFORMED,
		       "unknown key type '%.*s' (expected ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa)",
		       (int)(type_len > 40 ? 40 : type_len), type);
}

static void fingerprint(struct sshkey *k)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	crypto_hash_sha256(h, k->blob, k->blob_len);
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(k->fingerprint, sizeof(k->fingerprint), "SHA256:%s", b64);
}

static bool from_blob(enum sshkey_type t, const uint8_t *blob, size_t len, unsigned rsa_min_bits,
		      struct sshkey *out, struct err *e)
{
	if (len > sizeof(out->blob))
		return err_set(e, ERR_MALFORMED, "%s key blob of %zu bytes is too long", types[t].name, len);
	unsigned bits = 0;
	if (!check_blob(t, blob, len, rsa_min_bits, &bits, e))
		return false;
	memset(out, 0, sizeof(*out));
	out->type = t;
	out->bits = bits;
	memcpy(out->blob, blob, len);
	out->blob_len = len;
	sodium_bin2base64(out->b64, sizeof(out->b64), blob, len, sodium_base64_VARIANT_ORIGINAL);
	fingerprint(out);
	return true;
}

static bool parse_public(const char *type, size_t type_len, const char *b64, size_t b64_len,
			 unsigned rsa_min_bits, struct sshkey *out, struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "libsodium failed to initialise");
	enum sshkey_type t;
	if (!type_of(type, type_len, &t, e))
		return false;
	if (b64_len == 0)
		return err_set(e, ERR_MALFORMED, "the base64 key after %s is missing", types[t].name);
	if (b64_len >= SSHKEY_B64_MAX)
		return err_set(e, ERR_MALFORMED, "%s key text of %zu characters is too long", types[t].name,
			       b64_len);
	uint8_t blob[SSHKEY_BLOB_MAX];
	size_t blen = 0;
	const char *end = NULL;
	if (sodium_base642bin(blob, sizeof(blob), b64, b64_len, NULL, &blen, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + b64_len)
		return err_set(e, ERR_MALFORMED, "the %s key is not valid base64", types[t].name);
	return from_blob(t, blob, blen, rsa_min_bits, out, e);
}

bool sshkey_parse_public(const char *type, size_t type_len, const char *b64, size_t b64_len,
			 struct sshkey *out, struct err *e)
{
	return parse_public(type, type_len, b64, b64_len, SSHKEY_RSA_MIN_BITS, out, e);
}

bool sshkey_parse_pinned(const char *type, size_t type_len, const char *b64, size_t b64_len,
			 struct sshkey *out, struct err *e)
{
	return parse_public(type, type_len, b64, b64_len, 0, out, e);
}

#define PRIV_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PRIV_END "-----END OPENSSH PRIVATE KEY-----"
#define PRIV_MAGIC "openssh-key-v1"

static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

bool sshkey_parse_private_text(const char *text, size_t len, struct sshkey *pub, struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "libsodium failed to initialise");
	const char *begin = find(text, len, PRIV_BEGIN);
	if (!begin) {
		if (find(text, len, "PRIVATE KEY-----"))
			return err_set(e, ERR_MALFORMED,
				       "a PEM private key; sshd host keys here must be in OpenSSH format "
				       "(convert with: ssh-keygen -p -N '' -f FILE)");
		return err_set(e, ERR_MALFORMED, "not an OpenSSH private key (no '" PRIV_BEGIN "' line)");
	}
	const char *body = begin + strlen(PRIV_BEGIN);
	const char *end = find(body, len - (size_t)(body - text), PRIV_END);
	if (!end)
		return err_set(e, ERR_MALFORMED, "truncated OpenSSH private key (no '" PRIV_END "' line)");
	size_t cap = (size_t)(end - body);
	unsigned char *raw = sodium_malloc(cap + 1);
	if (!raw)
		return err_set(e, ERR_INTERNAL, "out of memory for a %zu-byte key", cap);
	bool ok = false;
	size_t rl = 0;
	const char *stop = NULL;
	if (sodium_base642bin(raw, cap, body, cap, " \t\r\n", &rl, &stop,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    stop != end) {
		err_set(e, ERR_MALFORMED, "the private key's base64 body does not decode");
		goto out;
	}
	size_t off = sizeof(PRIV_MAGIC); /* with its NUL */
	const uint8_t *cipher, *kdf, *kdfopt, *pk, *priv;
	size_t cl, kl, kol, pkl, privl;
	uint32_t nkeys;
	if (rl < off || memcmp(raw, PRIV_MAGIC, off) != 0 ||
	    !get_string(raw, rl, &off, &cipher, &cl) || !get_string(raw, rl, &off, &kdf, &kl) ||
	    !get_string(raw, rl, &off, &kdfopt, &kol) || !get_u32(raw, rl, &off, &nkeys)) {
		err_set(e, ERR_MALFORMED, "not an openssh-key-v1 private key");
		goto out;
	}
	if (!token_is((const char *)cipher, cl, "none") || !token_is((const char *)kdf, kl, "none")) {
		err_set(e, ERR_MALFORMED,
			"the private key is encrypted (cipher %.*s); sshd cannot ask for a passphrase, so a "
			"host key must be unencrypted (remove it with: ssh-keygen -p -N '' -f FILE)",
			(int)(cl > 32 ? 32 : cl), (const char *)cipher);
		goto out;
	}
	if (nkeys != 1) {
		err_set(e, ERR_MALFORMED, "the private key file holds %u keys; give exactly one", nkeys);
		goto out;
	}
	if (!get_string(raw, rl, &off, &pk, &pkl) || !get_string(raw, rl, &off, &priv, &privl) ||
	    off != rl) {
		err_set(e, ERR_MALFORMED, "truncated openssh-key-v1 private key");
		goto out;
	}
	/* The public blob names its type first. */
	size_t poff = 0;
	const uint8_t *tn;
	size_t tl;
	enum sshkey_type t;
	if (!get_string(pk, pkl, &poff, &tn, &tl) || !type_of((const char *)tn, tl, &t, e)) {
		err_wrap(e, "the host key's public half");
		goto out;
	}
	if (!from_blob(t, pk, pkl, SSHKEY_RSA_MIN_BITS, pub, e))
		goto out;
	/* The private section: checkint twice (equal when unencrypted), then
	 * the same type name. */
	size_t qoff = 0;
	uint32_t c1, c2;
	const uint8_t *ptn;
	size_t ptl;
	if (!get_u32(priv, privl, &qoff, &c1) || !get_u32(priv, privl, &qoff, &c2) || c1 != c2 ||
	    !get_string(priv, privl, &qoff, &ptn, &ptl) || ptl != tl || memcmp(ptn, tn, tl) != 0) {
		err_set(e, ERR_MALFORMED, "the private key's private section does not match its %s public key",
			types[t].name);
		goto out;
	}
	ok = true;
out:
	sodium_free(raw);
	return ok;
}
