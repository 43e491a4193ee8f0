/* kh_ops.h - what the key holder does with one decoded frame (design §2.6).
 *
 * Every op is decided here from the frame's bytes alone: the key is looked
 * up, authentication, policy and watermark are checked by the guard, the
 * ?version= byte is mapped to a BLS mode, and the --allow-* switches are
 * enforced. The front can only ask. The audit line and the signing metrics
 * are recorded here: the key holder is the authority on what was signed. */
#ifndef TZS_KEYHOLDER_KH_OPS_H
#define TZS_KEYHOLDER_KH_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../guard/guard.h"
#include "../privsep/kh_frame.h"

struct health;
struct metrics;

struct kh_context {
	const struct guard *guard;
	struct metrics *metrics; /* may be NULL */
	struct health *health;   /* may be NULL: /statusz from the key table alone */
	bool allow_prove_possession;
	bool allow_list_known_keys;
};

/* The answer to one request: kind ERR_NONE and the op's payload, or the
 * refusal's kind and message. payload points at buf (KH_PAYLOAD_MAX). */
struct kh_answer {
	enum err_kind kind;
	uint16_t code;
	uint32_t len;
	uint8_t *buf;
};

/* Runs rq (decoded by kh_request_decode) received at start_ns
 * (now_mono_ns). Never fails: a refusal is an answer. */
void kh_execute(const struct kh_context *c, const struct kh_request *rq, uint64_t start_ns,
		struct kh_answer *out);

/* Fills out with n bytes of payload (ERR_INTERNAL when over the frame). */
bool kh_answer_bytes(struct kh_answer *out, const void *p, size_t n, struct err *e);
/* Fills out with value as compact JSON; takes value's reference. */
struct json_t;
bool kh_answer_json(struct kh_answer *out, struct json_t *value, struct err *e);

#endif
