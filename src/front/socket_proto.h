/* socket_proto.h - octez's socket signer protocol: frames, requests and
 * responses (design §2.8). Pure and bounded: no I/O, no allocation.
 *
 * A frame is a 2-byte big-endian payload length and the payload (octez
 * src/lib_base/unix/socket.ml, send/recv: size_of_length_of_message_payload
 * = 2, payloads below 1 lsl 16). A payload is one data-encoding binary
 * value: a request (src/lib_signer_services/signer_messages.ml,
 * Request.encoding) or a response wrapped in the error monad's result
 * (src/lib_error_monad/monad_maker.ml, result_encoding). */
#ifndef TZS_FRONT_SOCKET_PROTO_H
#define TZS_FRONT_SOCKET_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/keycodec.h"

#define SOCK_HEADER_BYTES 2
#define SOCK_PAYLOAD_MAX 65535u
#define SOCK_PKH_BYTES 21

/* Request.encoding's union tags (signer_messages.ml, module Request). */
enum sock_request_kind {
	SOCK_SIGN = 0,
	SOCK_PUBLIC_KEY = 1,
	SOCK_AUTHORIZED_KEYS = 2,
	SOCK_DETERMINISTIC_NONCE = 3,
	SOCK_DETERMINISTIC_NONCE_HASH = 4,
	SOCK_SUPPORTS_DETERMINISTIC_NONCES = 5,
	SOCK_KNOWN_KEYS = 6,
	SOCK_BLS_PROVE_POSSESSION = 7,
};

struct sock_request {
	enum sock_request_kind kind;
	bool has_pkh;
	struct pkh pkh;
	/* Sign of a tz4 key: signer_messages.ml pkh_encoding's Bls case
	 * carries the signature version (0..3). */
	bool has_version;
	uint8_t version;
	/* Sign and the nonces: the bytes (pointing into the payload). */
	const uint8_t *data;
	size_t data_len;
	/* The optional authentication signature: 64 bytes (octez's generic
	 * signature) or 96 (BLS). */
	size_t auth_len; /* 0: none */
	uint8_t auth[SIGNATURE_MAX];
	/* Bls_prove_possession's optional override_pk (48 bytes). */
	bool has_override_pk;
	uint8_t override_pk[48];
};

/* The payload length a 2-byte header announces. */
size_t sock_frame_length(const uint8_t header[static SOCK_HEADER_BYTES]);

/* Decodes one request payload. ERR_MALFORMED, naming the field, for
 * anything truncated, oversized, of an unknown tag, or followed by extra
 * bytes; rq->data points into payload. */
bool sock_request_decode(const uint8_t *payload, size_t len, struct sock_request *rq,
			 struct err *e);

/* A response frame under construction: header and payload. */
struct sock_reply {
	size_t len; /* bytes used, header included */
	bool overflow;
	size_t mark; /* where an open list's length goes */
	uint8_t bytes[SOCK_HEADER_BYTES + SOCK_PAYLOAD_MAX];
};

/* Each builds a complete "Ok" frame; false (and r->overflow) when it would
 * not fit a frame. */
bool sock_reply_signature(struct sock_reply *r, const struct signature *sig);
bool sock_reply_public_key(struct sock_reply *r, const struct public_key *pk);
bool sock_reply_no_authentication(struct sock_reply *r);
/* A list of key hashes: begin, add each, end. authorized_keys: the
 * Authorized_keys case (tag 1) of its union, else Known_keys' object. */
void sock_reply_pkh_list_begin(struct sock_reply *r, bool authorized_keys);
void sock_reply_pkh_list_add(struct sock_reply *r, const struct pkh *pkh);
bool sock_reply_pkh_list_end(struct sock_reply *r);
bool sock_reply_bytes(struct sock_reply *r, const uint8_t *bytes, size_t len);
bool sock_reply_bool(struct sock_reply *r, bool value);
bool sock_reply_bls_signature(struct sock_reply *r, const struct signature *sig);

/* An "Error" frame: a trace of one error, octez's JSON error object
 * {"kind":"temporary","id":id,"msg":msg} carried as BSON. msg is cut to
 * fit a frame. */
bool sock_reply_error(struct sock_reply *r, const char *id, const char *msg);

#endif
