/* hex.h - lowercase hex, constant-time in the data (no table lookups or
 * branches on byte values), so it is safe for secret bytes too. */
#ifndef TZS_BASE_HEX_H
#define TZS_BASE_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* out must hold 2*len+1 bytes; always NUL-terminated. */
void hex_encode(char *out, const uint8_t *in, size_t len);

/* Decodes exactly hex_len characters (upper or lower case, no 0x prefix)
 * into out, which holds out_cap bytes. Refuses odd length, non-hex
 * characters (naming the first offending offset) and results over out_cap. */
bool hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex,
		size_t hex_len, struct err *e);

/* The value 0..15 of one hex digit (upper or lower case), -1 for any other
 * character. Also the digit value for bases 2, 8 and 10 (the caller checks
 * it against its base). Constant-time like hex_decode. */
int hex_digit_value(char c);

#endif
