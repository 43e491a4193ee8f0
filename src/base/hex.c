/* hex.c - constant-time hex encoding and decoding. */
#include "hex.h"

/* 0..15 -> '0'..'9','a'..'f' without branching on the value. */
static char nibble_to_char(unsigned int n)
{
	/* 87 = 'a' - 10; for n < 10 subtract 39 to land on '0' + n. */
	return (char)(n + 87U + (((n - 10U) >> 8) & ~38U));
}

void hex_encode(char *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = nibble_to_char(in[i] >> 4);
		out[2 * i + 1] = nibble_to_char(in[i] & 0xfU);
	}
	out[2 * len] = '\0';
}

/* Returns the value of c in 0..15, or a value >= 256 when c is not hex;
 * no data-dependent branches. */
static unsigned int char_to_nibble(unsigned char c)
{
	unsigned int x = c;
	unsigned int num = x ^ 0x30U;          /* '0'..'9' -> 0..9 */
	unsigned int num_ok = ((num - 10U) >> 8) & 1U;
	unsigned int alpha = (x | 0x20U) - 0x57U; /* 'a'..'f' / 'A'..'F' -> 10..15 */
	unsigned int alpha_ok = (((alpha - 10U) ^ (alpha - 16U)) >> 8) & 1U;
	unsigned int valid = num_ok | alpha_ok;
	unsigned int val = (num & (0U - num_ok)) | (alpha & (0U - alpha_ok));
	return (val & 0xfU) | ((valid ^ 1U) << 8);
}

int hex_digit_value(char c)
{
	unsigned int v = char_to_nibble((unsigned char)c);
	return v > 0xfU ? -1 : (int)v;
}

bool hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex,
		size_t hex_len, struct err *e)
{
	if (hex_len % 2 != 0)
		return err_set(e, ERR_MALFORMED, "hex: odd length %zu", hex_len);
	if (hex_len / 2 > out_cap)
		return err_set(e, ERR_MALFORMED, "hex: %zu bytes exceed the limit of %zu",
			       hex_len / 2, out_cap);
	unsigned int bad = 0;
	size_t first_bad = 0;
	for (size_t i = 0; i < hex_len / 2; i++) {
		unsigned int hi = char_to_nibble((unsigned char)hex[2 * i]);
		unsigned int lo = char_to_nibble((unsigned char)hex[2 * i + 1]);
		unsigned int this_bad = (hi | lo) >> 8;
		if (this_bad && !bad)
			first_bad = (hi >> 8) ? 2 * i : 2 * i + 1;
		bad |= this_bad;
		out[i] = (uint8_t)((hi << 4) | (lo & 0xfU));
	}
	if (bad)
		return err_set(e, ERR_MALFORMED, "hex: invalid character 0x%02x at offset %zu",
			       (unsigned char)hex[first_bad], first_bad);
	if (out_len)
		*out_len = hex_len / 2;
	return true;
}
