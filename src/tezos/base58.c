/* base58.c - base58 (Bitcoin alphabet) and base58check with Tezos's
 * prefixes (design §2.3).
 *
 * Inputs are capped (B58_MAX characters, B58_RAW_MAX bytes) so every work
 * buffer is a fixed-size local. The conversion is the schoolbook base change
 * (quadratic in the length, which the caps keep small); encoding works on
 * 32-bit limbs and five digits at a time. It is not constant
 * time: it branches on digit values and looks characters up in a table.
 * Secret key text passes through here when a key file is loaded, so every
 * temporary is wiped with sodium_memzero, and messages about secret kinds
 * never quote the text or any of its characters. */
#include "base58.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Work buffers: the longest prefix ‖ payload ‖ checksum is 104 bytes
 * (BLsig: 4 + 96 + 4, 142 characters). */
#define B58_RAW_MAX 128
/* Longest input base58_encode takes: 116 bytes are at most 159 characters,
 * so whatever it encodes fits B58_MAX and decodes again. */
#define B58_ENCODE_MAX 116
/* Base58 digits of B58_ENCODE_MAX bytes: ceil(116 * log(256) / log(58)). */
#define B58_DIGITS_MAX 159
#define CHECKSUM_LEN 4
#define B58_POW5 656356768u /* 58^5, the largest power of 58 below 2^32 */

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The prefixes octez registers (src/lib_crypto/base58.ml, module Prefix). */
static const struct b58_prefix prefixes[B58_KIND_COUNT] = {
	[B58_TZ1] = { B58_TZ1, "tz1", { 0x06, 0xa1, 0x9f }, 3, 20 },
	[B58_TZ2] = { B58_TZ2, "tz2", { 0x06, 0xa1, 0xa1 }, 3, 20 },
	[B58_TZ3] = { B58_TZ3, "tz3", { 0x06, 0xa1, 0xa4 }, 3, 20 },
	[B58_TZ4] = { B58_TZ4, "tz4", { 0x06, 0xa1, 0xa6 }, 3, 20 },
	[B58_CHAIN_ID] = { B58_CHAIN_ID, "Net", { 0x57, 0x52, 0x00 }, 3, 4 },
	[B58_EDPK] = { B58_EDPK, "edpk", { 0x0d, 0x0f, 0x25, 0xd9 }, 4, 32 },
	[B58_SPPK] = { B58_SPPK, "sppk", { 0x03, 0xfe, 0xe2, 0x56 }, 4, 33 },
	[B58_P2PK] = { B58_P2PK, "p2pk", { 0x03, 0xb2, 0x8b, 0x7f }, 4, 33 },
	[B58_BLPK] = { B58_BLPK, "BLpk", { 0x06, 0x95, 0x87, 0xcc }, 4, 48 },
	[B58_EDSK_SEED] = { B58_EDSK_SEED, "edsk", { 0x0d, 0x0f, 0x3a, 0x07 }, 4, 32 },
	[B58_EDSK_FULL] = { B58_EDSK_FULL, "edsk", { 0x2b, 0xf6, 0x4e, 0x07 }, 4, 64 },
	[B58_SPSK] = { B58_SPSK, "spsk", { 0x11, 0xa2, 0xe0, 0xc9 }, 4, 32 },
	[B58_P2SK] = { B58_P2SK, "p2sk", { 0x10, 0x51, 0xee, 0xbd }, 4, 32 },
	[B58_BLSK] = { B58_BLSK, "BLsk", { 0x03, 0x96, 0xc0, 0x28 }, 4, 32 },
	[B58_EDESK] = { B58_EDESK, "edesk", { 0x07, 0x5a, 0x3c, 0xb3, 0x29 }, 5, 56 },
	[B58_SPESK] = { B58_SPESK, "spesk", { 0x09, 0xed, 0xf1, 0xae, 0x96 }, 5, 56 },
	[B58_P2ESK] = { B58_P2ESK, "p2esk", { 0x09, 0x30, 0x39, 0x73, 0xab }, 5, 56 },
	[B58_BLESK] = { B58_BLESK, "BLesk", { 0x02, 0x05, 0x1e, 0x35, 0x19 }, 5, 56 },
	[B58_EDSIG] = { B58_EDSIG, "edsig", { 0x09, 0xf5, 0xcd, 0x86, 0x12 }, 5, 64 },
	[B58_SPSIG] = { B58_SPSIG, "spsig1", { 0x0d, 0x73, 0x65, 0x13, 0x3f }, 5, 64 },
	[B58_P2SIG] = { B58_P2SIG, "p2sig", { 0x36, 0xf0, 0x2c, 0x34 }, 4, 64 },
	[B58_BLSIG] = { B58_BLSIG, "BLsig", { 0x28, 0xab, 0x40, 0xcf }, 4, 96 },
	[B58_SIG] = { B58_SIG, "sig", { 0x04, 0x82, 0x2b }, 3, 64 },
	[B58_TZ5] = { B58_TZ5, "tz5", { 0x06, 0xa1, 0xa9 }, 3, 20 }, /* mldsa44_public_key_hash */
};

/* What a kind is, for messages ("expected a tz1 address, got an edpk public key"). */
static const char *const descriptions[B58_KIND_COUNT] = {
	[B58_TZ1] = "tz1 address",
	[B58_TZ2] = "tz2 address",
	[B58_TZ3] = "tz3 address",
	[B58_TZ4] = "tz4 address",
	[B58_CHAIN_ID] = "chain id",
	[B58_EDPK] = "edpk public key",
	[B58_SPPK] = "sppk public key",
	[B58_P2PK] = "p2pk public key",
	[B58_BLPK] = "BLpk public key",
	[B58_EDSK_SEED] = "edsk secret key (seed)",
	[B58_EDSK_FULL] = "edsk secret key (64 bytes)",
	[B58_SPSK] = "spsk secret key",
	[B58_P2SK] = "p2sk secret key",
	[B58_BLSK] = "BLsk secret key",
	[B58_EDESK] = "edesk encrypted secret key",
	[B58_SPESK] = "spesk encrypted secret key",
	[B58_P2ESK] = "p2esk encrypted secret key",
	[B58_BLESK] = "BLesk encrypted secret key",
	[B58_EDSIG] = "edsig signature",
	[B58_SPSIG] = "spsig1 signature",
	[B58_P2SIG] = "p2sig signature",
	[B58_BLSIG] = "BLsig signature",
	[B58_SIG] = "generic sig signature",
	[B58_TZ5] = "tz5 (ML-DSA-44) address",
};

const struct b58_prefix *b58_prefix_of(enum b58_kind kind)
{
	if ((unsigned)kind >= B58_KIND_COUNT)
		return NULL;
	return &prefixes[kind];
}

const char *b58_kind_description(enum b58_kind kind)
{
	if ((unsigned)kind >= B58_KIND_COUNT)
		return "unknown kind";
	return descriptions[kind];
}

bool b58_kind_is_secret(enum b58_kind kind)
{
	switch (kind) {
	case B58_EDSK_SEED:
	case B58_EDSK_FULL:
	case B58_SPSK:
	case B58_P2SK:
	case B58_BLSK:
	case B58_EDESK:
	case B58_SPESK:
	case B58_P2ESK:
	case B58_BLESK:
		return true;
	default:
		return false;
	}
}

/* Value of a base58 character, or -1. */
static int digit_of(unsigned char c)
{
	const char *hit = c ? memchr(alphabet, c, 58) : NULL;
	return hit ? (int)(hit - alphabet) : -1;
}

static void sha256d(uint8_t out[crypto_hash_sha256_BYTES], const uint8_t *in, size_t len)
{
	uint8_t first[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(first, in, len);
	crypto_hash_sha256(out, first, sizeof(first));
	sodium_memzero(first, sizeof(first));
}

bool base58_encode(char *out, size_t cap, const uint8_t *in, size_t len, struct err *e)
{
	if (!out || cap == 0)
		return err_set(e, ERR_INTERNAL, "base58: no output buffer");
	out[0] = '\0';
	if (len > B58_ENCODE_MAX)
		return err_set(e, ERR_INTERNAL, "base58: %zu bytes to encode exceed the limit of %d",
			       len, B58_ENCODE_MAX);
	if (len > 0 && !in)
		return err_set(e, ERR_INTERNAL, "base58: no input buffer");

	size_t zeros = 0;
	while (zeros < len && in[zeros] == 0)
		zeros++;

	/* The number in[zeros..len) as big-endian 32-bit limbs, divided by
	 * 58^5 again and again: each pass yields five little-endian base58
	 * digits (a fifth of the byte-at-a-time schoolbook work). */
	uint32_t limbs[(B58_ENCODE_MAX + 3) / 4];
	uint8_t digits[B58_DIGITS_MAX + 5];
	size_t bytes = len - zeros, nl = (bytes + 3) / 4, n = 0, top = 0;
	for (size_t i = 0; i < nl; i++)
		limbs[i] = 0;
	for (size_t i = 0; i < bytes; i++) {
		size_t at = (nl * 4 - bytes + i) / 4; /* the first limb takes the odd bytes */
		limbs[at] = limbs[at] << 8 | in[zeros + i];
	}
	while (top < nl) {
		uint64_t rem = 0;
		for (size_t i = top; i < nl; i++) {
			uint64_t cur = rem << 32 | limbs[i];
			limbs[i] = (uint32_t)(cur / B58_POW5);
			rem = cur % B58_POW5;
		}
		while (top < nl && limbs[top] == 0)
			top++;
		for (int k = 0; k < 5; k++) { /* n + 5 <= sizeof(digits) for len <= B58_ENCODE_MAX */
			digits[n++] = (uint8_t)(rem % 58);
			rem /= 58;
		}
	}
	while (n > 0 && digits[n - 1] == 0) /* the last pass's leading zeros */
		n--;
	sodium_memzero(limbs, sizeof(limbs));

	bool ok = true;
	if (zeros + n + 1 > cap) {
		ok = err_set(e, ERR_INTERNAL, "base58: %zu characters do not fit in %zu bytes",
			     zeros + n, cap);
	} else {
		size_t k = 0;
		for (size_t i = 0; i < zeros; i++)
			out[k++] = alphabet[0];
		for (size_t i = n; i > 0; i--)
			out[k++] = alphabet[digits[i - 1]];
		out[k] = '\0';
	}
	sodium_memzero(digits, sizeof(digits));
	return ok;
}

/* Decodes in[0..in_len) into out (at most cap bytes). quiet: name offsets
 * but never characters (the text may be a secret key). */
static bool decode_raw(uint8_t *out, size_t cap, size_t *len, const char *in, size_t in_len,
		       bool quiet, struct err *e)
{
	if (in_len >= B58_MAX)
		return err_set(e, ERR_MALFORMED,
			       "base58: %zu characters exceed the limit of %d", in_len, B58_MAX - 1);
	if (in_len > 0 && !in)
		return err_set(e, ERR_INTERNAL, "base58: no input buffer");

	size_t zeros = 0;
	while (zeros < in_len && in[zeros] == alphabet[0])
		zeros++;

	/* Little-endian bytes of the number; in_len < B58_MAX keeps it under
	 * B58_MAX * log(58) / log(256) < B58_RAW_MAX bytes. */
	uint8_t bytes[B58_RAW_MAX];
	size_t n = 0;
	bool ok = true;
	for (size_t i = zeros; i < in_len; i++) {
		int d = digit_of((unsigned char)in[i]);
		if (d < 0) {
			if (quiet)
				ok = err_set(e, ERR_MALFORMED,
					     "base58: invalid character at offset %zu", i);
			else
				ok = err_set(e, ERR_MALFORMED,
					     "base58: invalid character 0x%02x at offset %zu",
					     (unsigned char)in[i], i);
			goto out;
		}
		unsigned int carry = (unsigned int)d;
		for (size_t j = 0; j < n; j++) {
			carry += (unsigned int)bytes[j] * 58U;
			bytes[j] = (uint8_t)(carry & 0xffU);
			carry >>= 8;
		}
		while (carry > 0) {
			if (n == sizeof(bytes)) {
				ok = err_set(e, ERR_INTERNAL, "base58: decoder overflow");
				goto out;
			}
			bytes[n++] = (uint8_t)(carry & 0xffU);
			carry >>= 8;
		}
	}
	if (zeros + n > cap) {
		ok = err_set(e, ERR_MALFORMED, "base58: %zu decoded bytes exceed the limit of %zu",
			     zeros + n, cap);
		goto out;
	}
	if (zeros > 0)
		memset(out, 0, zeros);
	for (size_t i = 0; i < n; i++)
		out[zeros + i] = bytes[n - 1 - i];
	if (len)
		*len = zeros + n;
out:
	sodium_memzero(bytes, sizeof(bytes));
	return ok;
}

bool base58_decode(uint8_t *out, size_t cap, size_t *len, const char *in, size_t in_len,
		   struct err *e)
{
	if (!out && cap > 0)
		return err_set(e, ERR_INTERNAL, "base58: no output buffer");
	return decode_raw(out, cap, len, in, in_len, false, e);
}

bool b58check_encode(char *out, size_t cap, enum b58_kind kind, const uint8_t *payload,
		     size_t len, struct err *e)
{
	const struct b58_prefix *p = b58_prefix_of(kind);
	if (out && cap > 0)
		out[0] = '\0';
	if (!p)
		return err_set(e, ERR_INTERNAL, "base58check: unknown kind %d", (int)kind);
	if (len != p->payload_len || !payload)
		return err_set(e, ERR_INTERNAL, "base58check: a %s takes %u bytes, not %zu",
			       descriptions[kind], (unsigned)p->payload_len, len);

	uint8_t buf[B58_RAW_MAX];
	uint8_t sum[crypto_hash_sha256_BYTES];
	size_t n = p->prefix_len + len;
	memcpy(buf, p->prefix, p->prefix_len);
	memcpy(buf + p->prefix_len, payload, len);
	sha256d(sum, buf, n);
	memcpy(buf + n, sum, CHECKSUM_LEN);
	bool ok = base58_encode(out, cap, buf, n + CHECKSUM_LEN, e);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(sum, sizeof(sum));
	return ok;
}

/* The kind whose prefix and payload length match raw (prefix ‖ payload), if any. */
static bool identify(const uint8_t *raw, size_t n, enum b58_kind *kind)
{
	for (int k = 0; k < B58_KIND_COUNT; k++) {
		const struct b58_prefix *p = &prefixes[k];
		if (n == (size_t)p->prefix_len + p->payload_len &&
		    memcmp(raw, p->prefix, p->prefix_len) == 0) {
			*kind = (enum b58_kind)k;
			return true;
		}
	}
	return false;
}

static const char *article(const char *noun)
{
	return strchr("aeiouAEIOU", noun[0]) ? "an" : "a";
}

/* What the caller expects, for messages: "a tz1 address" for one kind,
 * "tz1, tz2, tz3 or tz4 text" for several (names listed once each). */
static void describe_kinds(char *out, size_t cap, const enum b58_kind *kinds, size_t n)
{
	if (n == 1) {
		snprintf(out, cap, "%s %s", article(descriptions[kinds[0]]),
			 descriptions[kinds[0]]);
		return;
	}
	const char *names[B58_KIND_COUNT];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = prefixes[kinds[i]].name;
		bool seen = false;
		for (size_t j = 0; j < m; j++)
			seen = seen || strcmp(names[j], name) == 0;
		if (!seen && m < B58_KIND_COUNT)
			names[m++] = name;
	}
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < m && used < cap; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == m ? " or " : ", ");
		int w = snprintf(out + used, cap - used, "%s%s%s", sep, names[i],
				 i + 1 == m ? " text" : "");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Quotes public text in messages, cut to a readable length. Only called on
 * text that decoded, so it is all base58 characters. */
#define QUOTE_MAX 64

bool b58check_decode_any(const char *s, const enum b58_kind *kinds, size_t n,
			 enum b58_kind *which, uint8_t *out, size_t cap, size_t *len,
			 struct err *e)
{
	if (!kinds || n == 0)
		return err_set(e, ERR_INTERNAL, "base58check: no kinds to decode");
	bool quiet = false;
	for (size_t i = 0; i < n; i++) {
		if (!b58_prefix_of(kinds[i]))
			return err_set(e, ERR_INTERNAL, "base58check: unknown kind %d",
				       (int)kinds[i]);
		quiet = quiet || b58_kind_is_secret(kinds[i]);
	}
	char want[160];
	describe_kinds(want, sizeof(want), kinds, n);

	if (!s)
		return err_set(e, ERR_MALFORMED, "expected %s, got nothing", want);
	size_t slen = strnlen(s, B58_MAX);
	if (slen == 0)
		return err_set(e, ERR_MALFORMED, "expected %s, got an empty string", want);
	if (slen >= B58_MAX)
		return err_set(e, ERR_MALFORMED,
			       "expected %s, got a string over %d characters", want, B58_MAX - 1);

	uint8_t raw[B58_RAW_MAX];
	uint8_t sum[crypto_hash_sha256_BYTES];
	size_t raw_len = 0;
	bool ok = false;
	if (!decode_raw(raw, sizeof(raw), &raw_len, s, slen, quiet, e)) {
		err_wrap(e, "expected %s", want);
		goto out;
	}
	if (raw_len < CHECKSUM_LEN + 1) {
		if (quiet)
			err_set(e, ERR_MALFORMED, "expected %s: %zu characters are too short",
				want, slen);
		else
			err_set(e, ERR_MALFORMED, "expected %s: \"%.*s\" is too short", want,
				QUOTE_MAX, s);
		goto out;
	}
	size_t body = raw_len - CHECKSUM_LEN;
	sha256d(sum, raw, body);
	if (sodium_memcmp(sum, raw + body, CHECKSUM_LEN) != 0) {
		if (quiet)
			err_set(e, ERR_MALFORMED,
				"expected %s: checksum mismatch in the %zu-character text", want,
				slen);
		else
			err_set(e, ERR_MALFORMED, "expected %s: checksum mismatch in \"%.*s%s\"",
				want, QUOTE_MAX, s, slen > QUOTE_MAX ? "…" : "");
		goto out;
	}

	enum b58_kind found;
	bool known = identify(raw, body, &found);
	for (size_t i = 0; known && i < n; i++) {
		if (kinds[i] != found)
			continue;
		const struct b58_prefix *p = &prefixes[found];
		if (cap < p->payload_len) {
			err_set(e, ERR_INTERNAL, "base58check: %u-byte %s does not fit in %zu bytes",
				(unsigned)p->payload_len, descriptions[found], cap);
			goto out;
		}
		memcpy(out, raw + p->prefix_len, p->payload_len);
		if (which)
			*which = found;
		if (len)
			*len = p->payload_len;
		ok = true;
		goto out;
	}
	if (known) {
		/* Valid text of another kind: safe to name, and the most useful hint.
		 * The text itself is quoted only when it is not a secret. */
		if (quiet || b58_kind_is_secret(found))
			err_set(e, ERR_MALFORMED, "expected %s, got %s %s", want,
				article(descriptions[found]), descriptions[found]);
		else
			err_set(e, ERR_MALFORMED, "expected %s, got %s %s \"%.*s%s\"", want,
				article(descriptions[found]), descriptions[found], QUOTE_MAX, s, slen > QUOTE_MAX ? "…" : "");
		goto out;
	}
	/* Right checksum, but no known prefix, or a known prefix with a payload
	 * of the wrong length. */
	for (size_t i = 0; i < n; i++) {
		const struct b58_prefix *p = &prefixes[kinds[i]];
		if (body >= p->prefix_len && memcmp(raw, p->prefix, p->prefix_len) == 0) {
			err_set(e, ERR_MALFORMED, "expected %s: a %s holds %u bytes, this one %zu",
				want, descriptions[kinds[i]], (unsigned)p->payload_len,
				body - p->prefix_len);
			goto out;
		}
	}
	if (quiet)
		err_set(e, ERR_MALFORMED, "expected %s: unknown prefix (%zu bytes decoded)", want,
			body);
	else
		err_set(e, ERR_MALFORMED, "expected %s: \"%.*s%s\" has an unknown prefix", want,
			QUOTE_MAX, s, slen > QUOTE_MAX ? "…" : "");
out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(sum, sizeof(sum));
	return ok;
}

bool b58check_decode(const char *s, enum b58_kind kind, uint8_t *out, size_t cap,
		     struct err *e)
{
	return b58check_decode_any(s, &kind, 1, NULL, out, cap, NULL, e);
}
