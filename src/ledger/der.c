/* der.c - DER-with-parity ECDSA signatures → r ‖ s, low-S. */
#include "der.h"

#include <string.h>

static const uint8_t order_secp256k1[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const uint8_t order_p256[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* Big-endian 256-bit helpers. */
static int cmp256(const uint8_t a[static 32], const uint8_t b[static 32])
{
	return memcmp(a, b, 32);
}

static void sub256(uint8_t out[static 32], const uint8_t a[static 32], const uint8_t b[static 32])
{
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int d = a[i] - b[i] - borrow;
		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

static void half256(uint8_t out[static 32], const uint8_t a[static 32])
{
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		unsigned v = a[i];
		out[i] = (uint8_t)((v >> 1) | (carry << 7));
		carry = v & 1u;
	}
}

static bool is_zero256(const uint8_t a[static 32])
{
	uint8_t acc = 0;
	for (int i = 0; i < 32; i++)
		acc |= a[i];
	return acc == 0;
}

/* Reads INTEGER at der[*pos] into out (32 bytes, left-padded). */
static bool read_integer(const uint8_t *der, size_t len, size_t *pos, uint8_t out[static 32],
			 const char *which, struct err *e)
{
	size_t p = *pos;
	if (p + 2 > len || der[p] != 0x02)
		return err_set(e, ERR_MALFORMED, "Ledger signature: %s is not a DER INTEGER (offset %zu)", which, p);
	size_t n = der[p + 1];
	p += 2;
	if (n == 0 || n > 33 || p + n > len)
		return err_set(e, ERR_MALFORMED, "Ledger signature: %s has length %zu (1 to 33 fit in %zu bytes left)",
			       which, n, len - p);
	if (der[p] & 0x80)
		return err_set(e, ERR_MALFORMED, "Ledger signature: %s is negative", which);
	const uint8_t *v = der + p;
	size_t vn = n;
	while (vn > 0 && *v == 0) {
		v++;
		vn--;
	}
	if (vn > 32)
		return err_set(e, ERR_MALFORMED, "Ledger signature: %s is longer than 32 bytes", which);
	memset(out, 0, 32);
	memcpy(out + 32 - vn, v, vn);
	*pos = p + n;
	return true;
}

bool ledger_der_to_compact(const uint8_t *der, size_t len, enum key_scheme scheme,
			   uint8_t out[static 64], struct err *e)
{
	const uint8_t *order;
	if (scheme == SCHEME_SECP256K1)
		order = order_secp256k1;
	else if (scheme == SCHEME_P256)
		order = order_p256;
	else
		return err_set(e, ERR_INTERNAL, "Ledger signature: scheme %d is not ECDSA", (int)scheme);
	if (len < 8 || len > LEDGER_DER_MAX)
		return err_set(e, ERR_MALFORMED, "Ledger signature: %zu bytes is no DER ECDSA signature (8 to %d)",
			       len, LEDGER_DER_MAX);
	if ((der[0] & 0xfe) != 0x30)
		return err_set(e, ERR_MALFORMED, "Ledger signature: first byte 0x%02x is not a DER SEQUENCE", der[0]);
	if ((size_t)der[1] != len - 2)
		return err_set(e, ERR_MALFORMED, "Ledger signature: DER length %u but %zu bytes follow",
			       der[1], len - 2);
	uint8_t r[32], s[32], half[32];
	size_t pos = 2;
	if (!read_integer(der, len, &pos, r, "r", e) || !read_integer(der, len, &pos, s, "s", e))
		return false;
	if (pos != len)
		return err_set(e, ERR_MALFORMED, "Ledger signature: %zu bytes after the DER sequence", len - pos);
	if (is_zero256(r) || is_zero256(s) || cmp256(r, order) >= 0 || cmp256(s, order) >= 0)
		return err_set(e, ERR_MALFORMED, "Ledger signature: r or s is zero or not below the group order");
	half256(half, order);
	if (cmp256(s, half) > 0)
		sub256(s, order, s);
	memcpy(out, r, 32);
	memcpy(out + 32, s, 32);
	return true;
}
