/* kh_frame.h - the frames between the network front and the key holder
 * (design §2.6): one SOCK_SEQPACKET message per frame, so a frame is never
 * split or merged with another. The front sends requests; the key holder
 * answers each with a reply carrying the request's id, in any order (a
 * Ledger signature does not hold up a local key's).
 *
 * Every length is checked by the side that reads it. The key holder
 * trusts nothing in a request beyond its layout: it looks the key up,
 * checks authentication, policy and watermark itself, and the front can
 * only ask. Integers are little-endian; text fields are ASCII, not
 * NUL-terminated, zero-padded to their slot.
 *
 * request (front -> key holder), KH_REQ_HEADER bytes then body_len bytes:
 *   off size
 *     0    4  magic "TZKQ"
 *     4    4  id (chosen by the front; echoed)
 *     8    2  op (enum kh_op)
 *    10    1  version: signature version 0..255 as asked (?version=),
 *             KH_VERSION_NONE when the request named none
 *    11    1  pkh_len (0..KH_PKH_MAX)
 *    12   40  pkh text (tz1…tz4 base58), zero padded
 *    52    1  auth_kind (enum kh_auth)
 *    53    1  transport (enum kh_transport): what the front heard the
 *             request on, for the audit line only (the key holder decides
 *             nothing from it)
 *    54    2  auth_len (0..KH_AUTH_MAX)
 *    56  200  auth: KH_AUTH_TEXT: the ?authentication= base58 text;
 *             KH_AUTH_RAW: the socket protocol's raw signature bytes
 *   256    4  body_len (0..KH_BODY_MAX)
 *   260    4  reserved, 0
 *   264    …  body: KH_OP_SIGN, KH_OP_NONCE, KH_OP_NONCE_HASH: the bytes to
 *             sign (magic byte first); KH_OP_POP: empty, or the 48-byte
 *             BLS public key to prove instead of the key's own
 *
 * reply (key holder -> front), KH_REPLY_HEADER bytes then payload_len bytes:
 *     0    4  magic "TZKR"
 *     4    4  id of the request
 *     8    2  op of the request
 *    10    2  kind: enum err_kind (ERR_NONE: done); a frame the key holder
 *             could not read is answered ERR_MALFORMED, with id 0 when even
 *             the id could not be read
 *    12    2  code: for the monitoring ops, the HTTP status the answer
 *             goes out with (200, 503); else 0
 *    14    2  reserved, 0
 *    16    4  payload_len (0..KH_PAYLOAD_MAX)
 *    20    …  payload: on ERR_NONE the op's answer (below); else the
 *             refusal's message (text, what failed and why)
 *
 * ops and their answers on ERR_NONE:
 *   KH_OP_SIGN            signature, base58 text (edsig…, spsig…, p2sig…, BLsig…)
 *   KH_OP_PUBLIC_KEY      public key, base58 text
 *   KH_OP_AUTHORIZED_KEYS the JSON body of GET /authorized_keys
 *   KH_OP_KNOWN_KEYS      the JSON body of GET /known_keys (refused
 *                         ERR_NOT_FOUND unless --allow-list-known-keys)
 *   KH_OP_POP             proof of possession, BLsig base58 text (refused
 *                         unless --allow-to-prove-possession)
 *   KH_OP_NONCE           32 bytes: octez's deterministic nonce
 *   KH_OP_NONCE_HASH      32 bytes: its blake2b-256 hash
 *   KH_OP_SUPPORTS_NONCE  1 byte: 1 when the key can answer nonces
 *   KH_OP_STATUSZ         JSON body of /statusz, code 200 or 503
 *   KH_OP_STATUSZ_KEY     JSON body of /statusz/<pkh>, code 200 or 503
 *   KH_OP_STATUS_PAGE     HTML of the status page, code 200 or 503
 *   KH_OP_METRICS         the key holder's Prometheus text (the front
 *                         appends its own connection and route counters)
 */
#ifndef TZS_PRIVSEP_KH_FRAME_H
#define TZS_PRIVSEP_KH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define KH_REQ_MAGIC "TZKQ"
#define KH_REPLY_MAGIC "TZKR"
#define KH_REQ_HEADER 264u
#define KH_REPLY_HEADER 20u
#define KH_PKH_MAX 40u
#define KH_AUTH_MAX 200u
#define KH_BODY_MAX 65536u
/* A SOCK_SEQPACKET message must fit the socket buffer (net.core.wmem_default,
 * 208 KiB on Debian): 160 KiB holds /metrics of a few hundred keys. */
#define KH_PAYLOAD_MAX (160u * 1024u)
#define KH_REQ_MAX (KH_REQ_HEADER + KH_BODY_MAX)
#define KH_REPLY_MAX (KH_REPLY_HEADER + KH_PAYLOAD_MAX)
#define KH_VERSION_NONE 0xffu

enum kh_op {
	KH_OP_SIGN = 1,
	KH_OP_PUBLIC_KEY,
	KH_OP_AUTHORIZED_KEYS,
	KH_OP_KNOWN_KEYS,
	KH_OP_POP,
	KH_OP_NONCE,
	KH_OP_NONCE_HASH,
	KH_OP_SUPPORTS_NONCE,
	KH_OP_STATUSZ,
	KH_OP_STATUSZ_KEY,
	KH_OP_STATUS_PAGE,
	KH_OP_METRICS,
	KH_OP_COUNT /* one past the last */
};

enum kh_auth {
	KH_AUTH_NONE = 0,
	KH_AUTH_TEXT = 1, /* base58 signature text (HTTP ?authentication=) */
	KH_AUTH_RAW = 2,  /* raw signature bytes (socket protocol) */
};

enum kh_transport {
	KH_TRANSPORT_HTTP = 0,
	KH_TRANSPORT_SOCKET = 1, /* octez's socket signer protocol */
};

/* A request as decoded. body points into the buffer it was decoded from. */
struct kh_request {
	uint32_t id;
	enum kh_op op;
	enum kh_transport transport;
	uint8_t version;            /* KH_VERSION_NONE: none asked */
	char pkh[KH_PKH_MAX + 1];   /* NUL-terminated */
	enum kh_auth auth_kind;
	uint16_t auth_len;
	uint8_t auth[KH_AUTH_MAX + 1]; /* NUL-terminated for KH_AUTH_TEXT */
	const uint8_t *body;
	uint32_t body_len;
};

/* A reply as decoded. payload points into the buffer it was decoded from. */
struct kh_reply {
	uint32_t id;
	enum kh_op op;
	enum err_kind kind;
	uint16_t code;
	const uint8_t *payload;
	uint32_t payload_len;
};

/* Writes r into out (capacity cap); *len is the frame's size. False
 * (ERR_TOO_LARGE / ERR_MALFORMED) when a field is over its bound. */
bool kh_request_encode(const struct kh_request *r, uint8_t *out, size_t cap, size_t *len,
		       struct err *e);
/* Decodes exactly len bytes. Refuses a wrong magic, an unknown op, a
 * field over its bound, a nonzero reserved byte, a pkh or text auth with
 * bytes outside printable ASCII, and a length that disagrees with len.
 * On failure r->id holds the id when the header got that far, else 0. */
bool kh_request_decode(const uint8_t *buf, size_t len, struct kh_request *r, struct err *e);

bool kh_reply_encode(const struct kh_reply *r, uint8_t *out, size_t cap, size_t *len,
		     struct err *e);
bool kh_reply_decode(const uint8_t *buf, size_t len, struct kh_reply *r, struct err *e);

const char *kh_op_name(enum kh_op op);

#endif
