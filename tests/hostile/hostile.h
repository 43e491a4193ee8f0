/* hostile.h - the hostile-front test's parts (kh_hostile.c: the key holder,
 * the socket and the answers; kh_hostile_frames.c: what is sent). */
#ifndef TZS_TESTS_HOSTILE_H
#define TZS_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/privsep/kh_frame.h"

#define MAX_ID 65536u
#define FLOOD_FIRST_ID 1u
#define FLOOD_COUNT 4000u
#define HOSTILE_FIRST_ID 10000u
#define RACE_FIRST_ID 20000u

struct answer {
	unsigned count;
	enum err_kind kind;
	uint16_t code;
	uint32_t len;
	char *payload; /* payload_len bytes, NUL-terminated */
};

void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void send_frame(const uint8_t *p, size_t n);
/* Waits until total answers (all phases together) have arrived. */
void wait_answers(unsigned total);
const struct answer *answer_of(uint32_t id);
/* Answers to frames whose id could not be read. */
unsigned zero_answers(void);
const char *hostile_pkh(void);
/* The edsig text over msg, checked with libsodium against the key. */
bool verify_signature(const char *sig_text, const uint8_t *msg, size_t len);

/* Frees the answers' payloads. */
void free_answers(void);

void flood_frame(uint32_t id);
void check_flood(unsigned n);
/* Each phase sends its frames and checks their answers; returns how many
 * answers it waited for. before: the answers of the phases before. */
unsigned hostile_frames(unsigned before);
unsigned double_sign_race(unsigned before);

#endif
