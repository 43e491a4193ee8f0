/* policy.c - the magic byte allow-list. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

void policy_default(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->magic_allowed[0x11] = p->magic_allowed[0x12] = p->magic_allowed[0x13] = true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool policy_parse_magic_bytes(struct policy *p, const char *list, struct err *e)
{
	struct policy next;
	memset(&next, 0, sizeof(next));
	const char *s = list;
	size_t count = 0;
	while (*s) {
		const char *start = s;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		int hi = hexval(s[0]);
		int lo = hi >= 0 ? hexval(s[1]) : -1;
		if (hi < 0 || lo < 0 || (s[2] != ',' && s[2] != '\0'))
			return err_set(e, ERR_MALFORMED,
				       "magic bytes '%.64s': '%.8s' is not a byte like 0x11", list, start);
		next.magic_allowed[hi * 16 + lo] = true;
		count++;
		s += 2;
		if (*s == ',' && *++s == '\0')
			return err_set(e, ERR_MALFORMED, "magic bytes '%.64s': trailing comma", list);
	}
	if (count == 0)
		return err_set(e, ERR_MALFORMED, "magic bytes '%.64s': empty list", list);
	*p = next;
	return true;
}

void policy_format_magic(const struct policy *p, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (int b = 0; b < 256; b++) {
		if (!p->magic_allowed[b])
			continue;
		int n = snprintf(out + used, cap - used, "%s0x%02x", used ? "," : "", b);
		if (n < 0 || (size_t)n >= cap - used)
			return;
		used += (size_t)n;
	}
}

bool policy_check_magic(const struct policy *p, uint8_t magic, struct err *e)
{
	if (p->magic_allowed[magic])
		return true;
	char allowed[256 * 5 + 1];
	policy_format_magic(p, allowed, sizeof(allowed));
	return err_set(e, ERR_FORBIDDEN, "magic byte 0x%02x is not allowed by this signer (allowed: %s)",
		       magic, allowed);
}
