/* admit.h - who gets a new unauthenticated SSH connection slot, under
 * attack. The forwarder's accept loop sees every connection before sshd
 * does (sshd -i runs once per accepted connection, where sshd's own
 * MaxStartups cannot apply), so the shares are decided here:
 *
 *   - a source (an address masked to its netblock, /32 and /128 unless
 *     told otherwise, as sshd's PerSourceNetBlockSize) holds at most
 *     per_source unauthenticated connections;
 *   - from start unauthenticated connections on, a new one from a source
 *     that already holds one is dropped at random with a probability that
 *     grows from rate% to 100% at full (sshd's MaxStartups start:rate:full);
 *     a source holding none is never dropped at random: that is how a box
 *     gets in while strangers flood the port from other addresses;
 *   - at full, a newcomer takes the slot of the oldest connection of a
 *     source holding more than its own, if that one has had min_age_ms to
 *     log in (so a box mid-login is not pushed out by the churn); else it
 *     is dropped.
 *
 * The same numbers are rendered into sshd_config (MaxStartups,
 * PerSourceMaxStartups, PerSourceNetBlockSize) for an sshd that listens
 * itself. Pure functions: no sockets, no clock, the random draw is given. */
#ifndef TZS_FORWARDER_ADMIT_H
#define TZS_FORWARDER_ADMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../base/err.h"

struct admit_limits {
	unsigned start, rate, full;  /* MaxStartups (10:30:40) */
	unsigned per_source;         /* PerSourceMaxStartups (3) */
	unsigned v4_bits, v6_bits;   /* PerSourceNetBlockSize (32:128) */
	unsigned min_age_ms;         /* a connection younger than this is not evicted (2000) */
};

/* A source: an address masked to its netblock. */
struct admit_source {
	uint8_t family;              /* 4, 6, or 0 (unknown: never shares a source) */
	uint8_t addr[16];
};

enum admit_verdict {
	ADMIT_ACCEPT,
	ADMIT_EVICT,                 /* accept, and end the victim the caller chose */
	ADMIT_DROP_PER_SOURCE,
	ADMIT_DROP_EARLY,
	ADMIT_DROP_FULL,
};

void admit_limits_defaults(struct admit_limits *l);

/* "START:RATE:FULL" (or "FULL" alone, as sshd takes it): 1 <= START <= FULL,
 * RATE 1..100, FULL <= 10000. */
bool admit_parse_startups(const char *text, struct admit_limits *l, struct err *e);

/* "V4BITS:V6BITS" or "V4BITS": 0..32 and 0..128. */
bool admit_parse_netblock(const char *text, struct admit_limits *l, struct err *e);

/* The source of a peer address (IPv4-mapped IPv6 counts as IPv4). */
void admit_source_of(const struct admit_limits *l, const struct sockaddr_storage *ss,
		     struct admit_source *out);

bool admit_same_source(const struct admit_source *a, const struct admit_source *b);

/* total: unauthenticated connections now; from_source: those of the
 * newcomer's source; can_evict: the caller found a victim (older than
 * min_age_ms, from a source holding more than from_source); rnd: a uniform
 * random number. */
enum admit_verdict admit_decide(const struct admit_limits *l, unsigned total, unsigned from_source,
				bool can_evict, uint32_t rnd);

/* "evicted", "per_source_limit", "early_drop", "unauthenticated_limit". */
const char *admit_verdict_name(enum admit_verdict v);

#endif
