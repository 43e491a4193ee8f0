/* socket_reply.c - octez's socket signer protocol: the response frames
 * (socket_proto.h). The data-encoding rules they follow are listed at the
 * top of socket_proto.c. */
#include "socket_proto.h"

#include <string.h>

#include "../base/be.h"

static void put(struct sock_reply *r, const void *p, size_t n)
{
	if (r->overflow || n > sizeof(r->bytes) - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->bytes + r->len, p, n);
	r->len += n;
}

static void put_u8(struct sock_reply *r, uint8_t v) { put(r, &v, 1); }

static void put_be32(struct sock_reply *r, size_t v)
{
	uint8_t b[4];
	be32_put(b, (uint32_t)v);
	put(r, b, 4);
}

static void patch_be32(struct sock_reply *r, size_t at, size_t v)
{
	if (r->overflow)
		return;
	be32_put(r->bytes + at, (uint32_t)v);
}

/* result_encoding (lib_error_monad/monad_maker.ml): union with a uint8
 * tag, 0 Ok (obj1 "result"), 1 Error (obj1 "error" trace). */
static void begin(struct sock_reply *r, uint8_t result_tag)
{
	r->len = SOCK_HEADER_BYTES;
	r->overflow = false;
	put_u8(r, result_tag);
}

static bool finish(struct sock_reply *r)
{
	if (r->overflow)
		return false;
	size_t n = r->len - SOCK_HEADER_BYTES;
	be16_put(r->bytes, (uint16_t)n);
	return true;
}

/* Sign.Response: obj1 (req "signature" Signature.encoding): the raw
 * signature bytes to the end (signature_v3.ml raw_encoding, Variable). */
bool sock_reply_signature(struct sock_reply *r, const struct signature *sig)
{
	begin(r, 0);
	put(r, sig->bytes, sig->len);
	return finish(r);
}

/* Public_key.Response: obj1 (req "pubkey" Public_key.encoding): tag 0..3
 * then the 32, 33, 33 or 48 key bytes (signature_v3.ml,
 * Public_key.raw_encoding). */
bool sock_reply_public_key(struct sock_reply *r, const struct public_key *pk)
{
	begin(r, 0);
	put_u8(r, (uint8_t)pk->scheme);
	put(r, pk->bytes, pk->len);
	return finish(r);
}

/* Authorized_keys.Response: union, tag 0 No_authentication (constant). */
bool sock_reply_no_authentication(struct sock_reply *r)
{
	begin(r, 0);
	put_u8(r, 0);
	return finish(r);
}

/* Authorized_keys.Response tag 1 (list Public_key_hash.encoding) and
 * Known_keys.Response (obj1 (req "known_keys" (list …))): a 4-byte byte
 * count, then 21 bytes per key. */
void sock_reply_pkh_list_begin(struct sock_reply *r, bool authorized_keys)
{
	begin(r, 0);
	if (authorized_keys)
		put_u8(r, 1);
	r->mark = r->len;
	put_be32(r, 0);
}

void sock_reply_pkh_list_add(struct sock_reply *r, const struct pkh *pkh)
{
	uint8_t bin[SOCK_PKH_BYTES];
	pkh_to_binary(pkh, bin);
	put(r, bin, sizeof(bin));
}

bool sock_reply_pkh_list_end(struct sock_reply *r)
{
	patch_be32(r, r->mark, r->len - r->mark - 4);
	return finish(r);
}

/* Deterministic_nonce(_hash).Response: obj1 (req … bytes): 4-byte length
 * and the bytes. */
bool sock_reply_bytes(struct sock_reply *r, const uint8_t *bytes, size_t len)
{
	begin(r, 0);
	put_be32(r, len);
	put(r, bytes, len);
	return finish(r);
}

/* Supports_deterministic_nonces.Response: obj1 (req "bool" bool). */
bool sock_reply_bool(struct sock_reply *r, bool value)
{
	begin(r, 0);
	put_u8(r, value ? 0xff : 0x00);
	return finish(r);
}

/* Bls_prove_possession.Response: obj1 (req … Bls.encoding): 96 bytes
 * (lib_crypto/bls.ml, fixed). */
bool sock_reply_bls_signature(struct sock_reply *r, const struct signature *sig)
{
	if (sig->len != 96) {
		r->overflow = true;
		return false;
	}
	begin(r, 0);
	put(r, sig->bytes, 96);
	return finish(r);
}

/* A BSON string element: 0x02, name, NUL, int32 LE (len + 1), bytes, NUL
 * (json-data-encoding/src/json_repr_bson.ml, serialize_fields). */
static void put_bson_string(struct sock_reply *r, const char *name, const char *value, size_t n)
{
	put_u8(r, 0x02);
	put(r, name, strlen(name) + 1);
	size_t m = n + 1;
	uint8_t le[4] = { (uint8_t)m, (uint8_t)(m >> 8), (uint8_t)(m >> 16), (uint8_t)(m >> 24) };
	put(r, le, 4);
	put(r, value, n);
	put_u8(r, 0);
}

/* The Error case: obj1 (req "error" trace); a trace is `list
 * error_encoding` (lib_error_monad/TzTrace.ml) and an error's binary form
 * is its JSON as a BSON document in a `string` (core_maker.ml,
 * error_encoding: conv Json.construct … json; data-encoding/src/json.ml,
 * encoding: bson_to_bytes under Encoding.string). */
bool sock_reply_error(struct sock_reply *r, const char *id, const char *msg)
{
	size_t id_len = strnlen(id, 128), msg_len = strnlen(msg, 4096);
	begin(r, 1);
	size_t list_at = r->len;
	put_be32(r, 0);
	size_t str_at = r->len;
	put_be32(r, 0);
	size_t doc_at = r->len;
	put(r, "\0\0\0\0", 4);
	put_bson_string(r, "kind", "temporary", 9);
	put_bson_string(r, "id", id, id_len);
	put_bson_string(r, "msg", msg, msg_len);
	put_u8(r, 0);
	if (r->overflow)
		return false;
	size_t doc_len = r->len - doc_at;
	r->bytes[doc_at] = (uint8_t)doc_len;
	r->bytes[doc_at + 1] = (uint8_t)(doc_len >> 8);
	r->bytes[doc_at + 2] = (uint8_t)(doc_len >> 16);
	r->bytes[doc_at + 3] = (uint8_t)(doc_len >> 24);
	patch_be32(r, str_at, doc_len);
	patch_be32(r, list_at, r->len - str_at);
	return finish(r);
}
