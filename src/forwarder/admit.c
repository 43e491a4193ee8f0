/* admit.c - shares of the unauthenticated connection slots (admit.h). */
#include "admit.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "../base/parse.h"

void admit_limits_defaults(struct admit_limits *l)
{
	l->start = 10;
	l->rate = 30;
	l->full = 40;
	l->per_source = 3;
	l->v4_bits = 32;
	l->v6_bits = 128;
	l->min_age_ms = 2000;
}

/* Splits text at ':' into at most n fields of at most 15 characters. */
static unsigned split(const char *text, char f[][16], unsigned n)
{
	unsigned k = 0;
	const char *p = text;
	for (;;) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (k == n || len >= 16)
			return 0;
		memcpy(f[k], p, len);
		f[k][len] = '\0';
		k++;
		if (!c)
			return k;
		p = c + 1;
	}
}

bool admit_parse_startups(const char *text, struct admit_limits *l, struct err *e)
{
	char f[3][16];
	unsigned start, rate = 100, full;
	unsigned k = split(text, f, 3);
	bool ok = false;
	if (k == 1) {
		ok = parse_uint(f[0], 1, 10000, &full);
		start = full;
	} else if (k == 3) {
		ok = parse_uint(f[0], 1, 10000, &start) && parse_uint(f[1], 1, 100, &rate) &&
		     parse_uint(f[2], 1, 10000, &full) && start <= full;
	}
	if (!ok)
		return err_set(e, ERR_MALFORMED,
			       "max-startups '%.40s' is not START:RATE:FULL (1 <= START <= FULL <= 10000, "
			       "RATE 1 to 100) or FULL",
			       text);
	l->start = start;
	l->rate = rate;
	l->full = full;
	return true;
}

bool admit_parse_netblock(const char *text, struct admit_limits *l, struct err *e)
{
	char f[2][16];
	unsigned v4, v6 = l->v6_bits;
	unsigned k = split(text, f, 2);
	if (k == 0 || !parse_uint(f[0], 0, 32, &v4) || (k == 2 && !parse_uint(f[1], 0, 128, &v6)))
		return err_set(e, ERR_MALFORMED,
			       "per-source netblock '%.40s' is not V4BITS[:V6BITS] (0 to 32, 0 to 128)", text);
	l->v4_bits = v4;
	l->v6_bits = v6;
	return true;
}

static void mask(uint8_t *a, size_t len, unsigned bits)
{
	for (size_t i = 0; i < len; i++) {
		unsigned keep = bits >= 8 ? 8 : bits;
		a[i] &= (uint8_t)(0xff00u >> keep);
		bits -= keep;
	}
}

void admit_source_of(const struct admit_limits *l, const struct sockaddr_storage *ss,
		     struct admit_source *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		out->family = 4;
		memcpy(out->addr, &a->sin_addr, 4);
		mask(out->addr, 4, l->v4_bits);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			out->family = 4;
			memcpy(out->addr, a->sin6_addr.s6_addr + 12, 4);
			mask(out->addr, 4, l->v4_bits);
		} else {
			out->family = 6;
			memcpy(out->addr, &a->sin6_addr, 16);
			mask(out->addr, 16, l->v6_bits);
		}
	}
}

bool admit_same_source(const struct admit_source *a, const struct admit_source *b)
{
	return a->family != 0 && a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

enum admit_verdict admit_decide(const struct admit_limits *l, unsigned total, unsigned from_source,
				bool can_evict, uint32_t rnd)
{
	if (total >= l->full)
		return can_evict ? ADMIT_EVICT : ADMIT_DROP_FULL;
	if (from_source >= l->per_source)
		return ADMIT_DROP_PER_SOURCE;
	if (from_source > 0 && total >= l->start) {
		/* sshd's drop(): rate% at start, rising linearly to 100% at full. */
		unsigned p = 100;
		if (l->full > l->start)
			p = l->rate + (100 - l->rate) * (total - l->start) / (l->full - l->start);
		if (rnd % 100 < p)
			return ADMIT_DROP_EARLY;
	}
	return ADMIT_ACCEPT;
}

const char *admit_verdict_name(enum admit_verdict v)
{
	switch (v) {
	case ADMIT_ACCEPT: return "accepted";
	case ADMIT_EVICT: return "evicted";
	case ADMIT_DROP_PER_SOURCE: return "per_source_limit";
	case ADMIT_DROP_EARLY: return "early_drop";
	case ADMIT_DROP_FULL: return "unauthenticated_limit";
	}
	return "?";
}
