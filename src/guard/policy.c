/* policy.c - the magic byte allow-list. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "../base/hex.h"

void policy_default(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->magic_allowed[0x11] = p->magic_allowed[0x12] = p->magic_allowed[0x13] = true;
}

/* OCaml's int_of_string on s[0..n), as octez reads each -M item
 * (src/bin_signer/main_signer.ml, magic_bytes_arg; the rules are those of
 * OCaml's runtime/ints.c, parse_intnat): an optional '-' or '+', then 0x/0X
 * (hexadecimal), 0o/0O (octal), 0b/0B (binary), 0u/0U or nothing (decimal),
 * at least one digit, then digits or '_' (ignored). Only values 0..255
 * matter here: larger ones are reported as 256. */
static bool ocaml_int_of_string(const char *s, size_t n, int *out)
{
	size_t i = 0;
	int sign = 1;
	unsigned base = 10;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		sign = s[i++] == '-' ? -1 : 1;
	if (i + 1 < n && s[i] == '0') {
		switch (s[i + 1]) {
		case 'x': case 'X': base = 16; i += 2; break;
		case 'o': case 'O': base = 8; i += 2; break;
		case 'b': case 'B': base = 2; i += 2; break;
		case 'u': case 'U': i += 2; break;
		default: break;
		}
	}
	int d = i < n ? hex_digit_value(s[i]) : -1;
	if (d < 0 || (unsigned)d >= base)
		return false;
	unsigned value = (unsigned)d;
	for (i++; i < n; i++) {
		if (s[i] == '_')
			continue;
		d = hex_digit_value(s[i]);
		if (d < 0 || (unsigned)d >= base)
			return false;
		value = value > 255 ? 256 : value * base + (unsigned)d;
	}
	*out = value > 255 ? 256 : sign * (int)value;
	return true;
}

bool policy_parse_magic_bytes(struct policy *p, const char *list, struct err *e)
{
	struct policy next;
	memset(&next, 0, sizeof(next));
	size_t count = 0;
	/* octez splits on ',' and drops empty items (String.split_no_empty). */
	for (const char *s = list; *s;) {
		size_t n = strcspn(s, ",");
		int v;
		if (n > 0) {
			if (!ocaml_int_of_string(s, n, &v) || v < 0 || v > 255)
				return err_set(e, ERR_MALFORMED,
					       "magic bytes '%.64s': '%.*s' is not a number from 0 to 255 "
					       "(write 0x11 or 17; octez reads them as OCaml's int_of_string)",
					       list, (int)(n > 16 ? 16 : n), s);
			next.magic_allowed[v] = true;
			count++;
		}
		s += n + (s[n] == ',');
	}
	if (count == 0)
		return err_set(e, ERR_MALFORMED,
			       "magic bytes '%.64s': no byte in the list (it would sign nothing)", list);
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
