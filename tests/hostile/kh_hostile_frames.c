/* kh_hostile_frames.c - what the hostile front sends, and what each frame
 * must be answered with (hostile.h). Frames are built by hand from the
 * layout in src/privsep/kh_frame.h, then broken on purpose.
 *
 * Consensus payloads follow octez's encodings (magic ‖ chain_id ‖ branch ‖
 * tag ‖ slot u16 ‖ level i32 ‖ round i32 ‖ block_payload_hash), as
 * tests/node/lib/signer.mjs consensusOp builds them: tag 21 attestation
 * under magic 0x13, tag 20 preattestation under 0x12. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define OTHER_TZ1 "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb"
#define RACE_THREADS 8
#define RACE_LEVELS 30
#define RACE_KINDS 2
#define CONSENSUS_LEN 80

static uint8_t frame[KH_REQ_MAX + 128];

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A well-formed request into out; returns its length. */
static size_t build(uint8_t *out, uint32_t id, unsigned op, const char *pkh, uint8_t version,
		    const uint8_t *body, uint32_t body_len)
{
	memset(out, 0, KH_REQ_HEADER);
	memcpy(out, "TZKQ", 4);
	le32(out + 4, id);
	out[8] = (uint8_t)op;
	out[10] = version;
	out[11] = (uint8_t)strlen(pkh);
	memcpy(out + 12, pkh, strlen(pkh));
	le32(out + 256, body_len);
	if (body_len)
		memcpy(out + KH_REQ_HEADER, body, body_len);
	return KH_REQ_HEADER + body_len;
}

static void consensus(uint8_t out[CONSENSUS_LEN], int kind, uint32_t level, uint32_t round,
		      uint32_t variant)
{
	memset(out, 0, CONSENSUS_LEN);
	out[0] = kind ? 0x12 : 0x13;
	memcpy(out + 1, "\x7a\x06\xa7\x70", 4); /* NetXdQprcVkpaWU */
	be32(out + 5, 0xb0b0b0b0u);        /* branch */
	out[37] = kind ? 20 : 21;
	out[38] = 0;
	out[39] = (uint8_t)variant; /* slot */
	be32(out + 40, level);
	be32(out + 44, round);
	be32(out + 48, variant * 2654435761u); /* block payload hash */
}

/* The flood: a cycle of cheap frames, each with a readable id. */
void flood_frame(uint32_t id)
{
	static uint8_t f[KH_REQ_HEADER + 8];
	size_t n;
	switch (id % 4) {
	case 0: n = build(f, id, KH_OP_PUBLIC_KEY, hostile_pkh(), KH_VERSION_NONE, NULL, 0); break;
	case 1: n = build(f, id, 99, hostile_pkh(), KH_VERSION_NONE, NULL, 0); break;
	case 2: n = build(f, id, KH_OP_SIGN, hostile_pkh(), KH_VERSION_NONE, (const uint8_t *)"\x11\x00", 2) - 1; break;
	default: n = build(f, id, KH_OP_SIGN, OTHER_TZ1, KH_VERSION_NONE, (const uint8_t *)"\x11", 1); break;
	}
	send_frame(f, n);
}

static const enum err_kind flood_kinds[4] = { ERR_NONE, ERR_MALFORMED, ERR_MALFORMED,
					      ERR_NOT_FOUND };

void check_flood(unsigned n)
{
	for (uint32_t id = FLOOD_FIRST_ID; id < FLOOD_FIRST_ID + n; id++) {
		const struct answer *a = answer_of(id);
		if (a->count != 1 || a->kind != flood_kinds[id % 4])
			fail("flood frame %u: %u answers, kind %d (want 1, kind %d): %s", id, a->count,
			     (int)a->kind, (int)flood_kinds[id % 4], a->payload ? a->payload : "");
	}
}

struct expect {
	uint32_t id;
	enum err_kind kind;
	const char *what;
	const char *contains; /* in the payload, or NULL */
};

static struct expect expects[64];
static size_t expect_count;

static void expect(uint32_t id, enum err_kind kind, const char *what, const char *contains)
{
	expects[expect_count++] = (struct expect){ id, kind, what, contains };
}

/* Sends every broken frame at once (their answers interleave), then checks
 * each. Frames whose id cannot be read are answered with id 0. */
unsigned hostile_frames(unsigned before)
{
	uint32_t id = HOSTILE_FIRST_ID;
	uint8_t att[CONSENSUS_LEN];
	unsigned sent = 0;
	size_t n;
	const char *me = hostile_pkh();
	consensus(att, 0, 5, 0, 1);
#define SEND(len) (send_frame(frame, (len)), sent++)
	SEND(3), expect(0, ERR_MALFORMED, "3 bytes", NULL); /* frame still zero: counted below */
	n = build(frame, id, KH_OP_SIGN, me, KH_VERSION_NONE, att, sizeof(att));
	frame[0] = 'X';
	SEND(n);
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, att, sizeof(att));
	SEND(100), expect(id, ERR_MALFORMED, "truncated header", "shorter than");
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, att, sizeof(att));
	SEND(n - 30), expect(id, ERR_MALFORMED, "body shorter than its length", "header says");
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, NULL, 0);
	memset(frame + n, 0x11, KH_REQ_MAX + 100 - n);
	SEND(KH_REQ_MAX + 100), expect(id, ERR_TOO_LARGE, "oversized frame", "over the");
	n = build(frame, ++id, 99, me, KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_MALFORMED, "unknown op", "unknown op");
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, att, sizeof(att));
	frame[52] = 7;
	SEND(n), expect(id, ERR_MALFORMED, "unknown auth kind", NULL);
	n = build(frame, ++id, KH_OP_SIGN, "tz1 space", KH_VERSION_NONE, att, sizeof(att));
	SEND(n), expect(id, ERR_MALFORMED, "pkh with a space", "pkh");
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, NULL, 0);
	le32(frame + 256, 0xffffffffu);
	SEND(n), expect(id, ERR_TOO_LARGE, "body length 2^32-1", NULL);
	n = build(frame, ++id, KH_OP_SIGN, me, 9, att, sizeof(att));
	SEND(n), expect(id, ERR_MALFORMED, "version 9", "version 9");
	n = build(frame, ++id, KH_OP_SIGN, OTHER_TZ1, KH_VERSION_NONE, att, sizeof(att));
	SEND(n), expect(id, ERR_NOT_FOUND, "a key not held", NULL);
	n = build(frame, ++id, KH_OP_SIGN, "tz1abc", KH_VERSION_NONE, att, sizeof(att));
	SEND(n), expect(id, ERR_MALFORMED, "a pkh that is not one", NULL);
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_MALFORMED, "nothing to sign", NULL);
	n = build(frame, ++id, KH_OP_SIGN, me, KH_VERSION_NONE, (const uint8_t *)"\x05\x01\x02", 3);
	SEND(n), expect(id, ERR_FORBIDDEN, "magic byte 0x05 not allowed", NULL);
	n = build(frame, ++id, KH_OP_KNOWN_KEYS, "", KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NOT_FOUND, "known keys (not allowed)", "--allow-list-known-keys");
	n = build(frame, ++id, KH_OP_POP, me, KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NOT_FOUND, "proof of possession (not allowed)", "--allow-to-prove-possession");
	n = build(frame, ++id, KH_OP_PUBLIC_KEY, me, KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "public key", "edpk");
	n = build(frame, ++id, KH_OP_NONCE, me, KH_VERSION_NONE, (const uint8_t *)"\x05\x01", 2);
	SEND(n), expect(id, ERR_NONE, "deterministic nonce", NULL);
	n = build(frame, ++id, KH_OP_SUPPORTS_NONCE, me, KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "supports nonces", "\x01");
	n = build(frame, ++id, KH_OP_AUTHORIZED_KEYS, "", KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "authorized keys without -A", "{}");
	n = build(frame, ++id, KH_OP_METRICS, "", KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "metrics", "tzsigner_sign_requests_total");
	n = build(frame, ++id, KH_OP_STATUSZ, "", KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "statusz", "\"can_sign\":true");
	n = build(frame, ++id, KH_OP_STATUSZ_KEY, me, KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "statusz of the key", me);
	n = build(frame, ++id, KH_OP_STATUS_PAGE, "", KH_VERSION_NONE, NULL, 0);
	SEND(n), expect(id, ERR_NONE, "status page", "<html");
#undef SEND
	wait_answers(before + sent);
	if (zero_answers() != 2)
		fail("%u answers with id 0, want 2 (the 3-byte frame and the one without magic)",
		     zero_answers());
	for (size_t i = 0; i < expect_count; i++) {
		const struct expect *x = &expects[i];
		const struct answer *a = answer_of(x->id);
		if (x->id == 0)
			continue;
		if (a->count != 1 || a->kind != x->kind ||
		    (x->contains && !memmem(a->payload, a->len, x->contains, strlen(x->contains))))
			fail("%s (id %u): %u answers, kind %d, want kind %d with '%s': %s", x->what, x->id,
			     a->count, (int)a->kind, (int)x->kind, x->contains ? x->contains : "",
			     a->payload ? a->payload : "");
	}
	if (strstr(answer_of(HOSTILE_FIRST_ID + 19)->payload, "tzsigner_http_requests_total"))
		fail("the key holder's metrics carry the front's tzsigner_http_requests_total");
	if (answer_of(HOSTILE_FIRST_ID + 16)->len != 32)
		fail("a nonce of %u bytes", answer_of(HOSTILE_FIRST_ID + 16)->len);
	printf("ok   hostile frames: %u truncated, oversized, mistyped and refused frames, each answered once with its kind\n",
	       sent);
	return sent;
}

struct racer {
	int thread, level;
};

static uint32_t race_id(int thread, int level, int kind)
{
	return RACE_FIRST_ID + (uint32_t)((level * RACE_KINDS + kind) * RACE_THREADS + thread);
}

static void *racer(void *arg)
{
	int t = ((struct racer *)arg)->thread, level = ((struct racer *)arg)->level;
	uint8_t f[KH_REQ_HEADER + CONSENSUS_LEN], op[CONSENSUS_LEN];
	for (int kind = 0; kind < RACE_KINDS; kind++) {
			consensus(op, kind, 1000u + (uint32_t)level, 0, (uint32_t)t + 1);
			size_t n = build(f, race_id(t, level, kind), KH_OP_SIGN, hostile_pkh(),
					 KH_VERSION_NONE, op, sizeof(op));
			send_frame(f, n);
	}
	return NULL;
}

/* RACE_THREADS threads, each with its own payload at (kind, level, round
 * 0), level after level (a level's answers are awaited before the next,
 * so a higher level never overtakes a lower one): exactly one payload is
 * signed per (kind, level), the others refused by the watermark. */
unsigned double_sign_race(unsigned before)
{
	pthread_t th[RACE_THREADS];
	struct racer r[RACE_THREADS];
	unsigned signed_total = 0, sent = 0;
	for (int level = 0; level < RACE_LEVELS; level++) {
		for (int t = 0; t < RACE_THREADS; t++) {
			r[t] = (struct racer){ t, level };
			pthread_create(&th[t], NULL, racer, &r[t]);
		}
		for (int t = 0; t < RACE_THREADS; t++)
			pthread_join(th[t], NULL);
		sent += RACE_THREADS * RACE_KINDS;
		wait_answers(before + sent);
	}
	for (int level = 0; level < RACE_LEVELS; level++)
		for (int kind = 0; kind < RACE_KINDS; kind++) {
			int winners = 0;
			for (int t = 0; t < RACE_THREADS; t++) {
				const struct answer *a = answer_of(race_id(t, level, kind));
				uint8_t op[CONSENSUS_LEN];
				consensus(op, kind, 1000u + (uint32_t)level, 0, (uint32_t)t + 1);
				if (a->count != 1)
					fail("race frame %u answered %u times", race_id(t, level, kind), a->count);
				if (a->kind == ERR_NONE) {
					winners++;
					if (!verify_signature(a->payload, op, sizeof(op)))
						fail("the signature %s for level %d does not verify", a->payload,
						     1000 + level);
				} else if (a->kind != ERR_CONFLICT) {
					fail("race frame %u: kind %d, want a signature or a watermark refusal: %s",
					     race_id(t, level, kind), (int)a->kind, a->payload);
				}
			}
			if (winners != 1)
				fail("%d different payloads signed at %s level %d round 0 (want exactly 1)",
				     winners, kind ? "preattestation" : "attestation", 1000 + level);
			signed_total++;
		}
	printf("ok   double-sign race: %d threads, %u frames, %u (kind, level) pairs each signed for exactly one payload, every signature verified\n",
	       RACE_THREADS, sent, signed_total);
	return sent;
}
