/* parse.h - numbers from command lines and configuration, strictly: only
 * decimal digits (no sign, no spaces, no 0x), no overflow, within bounds. */
#ifndef TZS_BASE_PARSE_H
#define TZS_BASE_PARSE_H

#include <stdbool.h>

bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
bool parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out);

#endif
