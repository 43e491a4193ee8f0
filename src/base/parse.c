/* parse.c - strict decimal numbers. */
#include "parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || !*s || strlen(s) > 20)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	unsigned long v = strtoul(s, NULL, 10);
	if (errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	if (!parse_ulong(s, min, max, &v))
		return false;
	*out = (unsigned int)v;
	return true;
}
