/* socket_proto.c - octez's socket signer protocol, binary codec.
 *
 * Every layout below is data-encoding's binary form of an encoding in
 * octez; the comment next to each names the file and value it comes from.
 * data-encoding's rules used here (data-encoding/src/binary_writer.ml,
 * binary_reader.ml, encoding.ml): a union writes a 1-byte tag then its
 * case; `constant` writes nothing; `bytes` and `list` are dynamic_size:
 * a 4-byte big-endian length then the bytes; `Variable.bytes` runs to the
 * end of its container; `opt` of a Variable encoding has no marker (absent
 * when nothing is left), `opt` of a fixed one has a bool marker (0x00
 * absent, anything else present; 0xff when written); `bool` is 0xff/0x00. */
#include "socket_proto.h"

#include <stdio.h>
#include <string.h>

size_t sock_frame_length(const uint8_t header[static SOCK_HEADER_BYTES])
{
	return (size_t)header[0] << 8 | header[1];
}

/* ---- reading ---- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool take(struct reader *rd, size_t n, const uint8_t **out, const char *what, struct err *e)
{
	if (rd->left < n)
		return err_set(e, ERR_MALFORMED, "socket request: %s truncated (%zu of %zu bytes)", what,
			       rd->left, n);
	*out = rd->p;
	rd->p += n;
	rd->left -= n;
	return true;
}

static bool take_u8(struct reader *rd, uint8_t *v, const char *what, struct err *e)
{
	const uint8_t *p;
	if (!take(rd, 1, &p, what, e))
		return false;
	*v = p[0];
	return true;
}

/* Tezos_crypto.Signature.Public_key_hash.encoding (lib_crypto/signature_v3.ml,
 * Public_key_hash.raw_encoding): tag 0 ed25519, 1 secp256k1, 2 p256, 3 bls,
 * 4 mldsa44, then the 20-byte hash. */
static bool take_pkh(struct reader *rd, struct pkh *pkh, struct err *e)
{
	uint8_t tag;
	const uint8_t *hash;
	if (!take_u8(rd, &tag, "pkh tag", e))
		return false;
	if (tag > SCHEME_BLS)
		return err_set(e, ERR_MALFORMED, "socket request: pkh tag %u is not tz1..tz4%s", tag,
			       tag == 4 ? " (tz5 ML-DSA-44 keys are not held here)" : "");
	if (!take(rd, PKH_BYTES, &hash, "pkh hash", e))
		return false;
	pkh->scheme = (enum key_scheme)tag;
	memcpy(pkh->hash, hash, PKH_BYTES);
	return true;
}

/* Sign's pkh (signer_messages.ml, pkh_encoding): tags 0..2 are a plain key
 * hash; tag 3 (Bls) is obj2 (pkh: a full Public_key_hash.encoding, version:
 * Signature.version_encoding, an int8 of 0..3, lib_crypto/signature.ml). */
static bool take_sign_pkh(struct reader *rd, struct sock_request *rq, struct err *e)
{
	if (rd->left > 0 && rd->p[0] != SCHEME_BLS)
		return take_pkh(rd, &rq->pkh, e);
	uint8_t tag, version;
	if (!take_u8(rd, &tag, "pkh tag", e) || !take_pkh(rd, &rq->pkh, e) ||
	    !take_u8(rd, &version, "signature version", e))
		return false;
	if (version > 3)
		return err_set(e, ERR_MALFORMED, "socket request: signature version %u (octez knows 0..3)",
			       version);
	rq->has_version = true;
	rq->version = version;
	return true;
}

/* `req "data" bytes`: a 4-byte length, then the bytes. */
static bool take_data(struct reader *rd, struct sock_request *rq, struct err *e)
{
	const uint8_t *p;
	if (!take(rd, 4, &p, "data length", e))
		return false;
	uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n > rd->left)
		return err_set(e, ERR_MALFORMED, "socket request: data length %u exceeds the %zu bytes left",
			       n, rd->left);
	rq->data_len = n;
	return take(rd, n, &rq->data, "data", e);
}

/* `opt "signature" Signature.encoding`: Variable.bytes (signature_v3.ml,
 * raw_encoding), so no marker: the rest of the payload, when there is one,
 * and of_bytes_opt's sizes: 64 (generic) or 96 (BLS). */
static bool take_auth(struct reader *rd, struct sock_request *rq, struct err *e)
{
	if (rd->left == 0)
		return true;
	if (rd->left != 64 && rd->left != 96)
		return err_set(e, ERR_MALFORMED,
			       "socket request: authentication signature of %zu bytes (64 or 96 expected)",
			       rd->left);
	rq->auth_len = rd->left;
	memcpy(rq->auth, rd->p, rd->left);
	rd->p += rd->left;
	rd->left = 0;
	return true;
}

/* Bls_prove_possession.Request (signer_messages.ml): obj2 (req pkh,
 * opt "override_pk" Bls.Public_key.encoding, fixed 48 bytes: a marker). */
static bool take_pop(struct reader *rd, struct sock_request *rq, struct err *e)
{
	uint8_t present;
	const uint8_t *pk;
	if (!take_pkh(rd, &rq->pkh, e) || !take_u8(rd, &present, "override_pk marker", e))
		return false;
	if (present == 0)
		return true;
	if (!take(rd, 48, &pk, "override_pk", e))
		return false;
	rq->has_override_pk = true;
	memcpy(rq->override_pk, pk, 48);
	return true;
}

bool sock_request_decode(const uint8_t *payload, size_t len, struct sock_request *rq,
			 struct err *e)
{
	struct reader rd = { payload, len };
	uint8_t tag;
	memset(rq, 0, sizeof(*rq));
	if (len > SOCK_PAYLOAD_MAX)
		return err_set(e, ERR_MALFORMED, "socket request: payload of %zu bytes (at most %u)", len,
			       SOCK_PAYLOAD_MAX);
	if (!take_u8(&rd, &tag, "request tag", e))
		return false;
	rq->kind = (enum sock_request_kind)tag;
	bool ok;
	switch (tag) {
	case SOCK_SIGN: /* merge_objs (kind: constant) Sign.Request.encoding */
		rq->has_pkh = true;
		ok = take_sign_pkh(&rd, rq, e) && take_data(&rd, rq, e) && take_auth(&rd, rq, e);
		break;
	case SOCK_DETERMINISTIC_NONCE: /* Make_authenticated_request: pkh, data, signature */
	case SOCK_DETERMINISTIC_NONCE_HASH:
		rq->has_pkh = true;
		ok = take_pkh(&rd, &rq->pkh, e) && take_data(&rd, rq, e) && take_auth(&rd, rq, e);
		break;
	case SOCK_PUBLIC_KEY: /* obj1 (req "pkh") */
	case SOCK_SUPPORTS_DETERMINISTIC_NONCES:
		rq->has_pkh = true;
		ok = take_pkh(&rd, &rq->pkh, e);
		break;
	case SOCK_AUTHORIZED_KEYS: /* obj1 (req "kind" (constant …)): nothing */
	case SOCK_KNOWN_KEYS:
		ok = true;
		break;
	case SOCK_BLS_PROVE_POSSESSION:
		rq->has_pkh = true;
		ok = take_pop(&rd, rq, e);
		break;
	default:
		return err_set(e, ERR_MALFORMED, "socket request: unknown request tag %u (octez has 0..7)",
			       tag);
	}
	if (ok && rd.left != 0)
		return err_set(e, ERR_MALFORMED, "socket request: %zu extra bytes after request tag %u",
			       rd.left, tag);
	return ok;
}

/* ---- writing ---- */

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
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(r, b, 4);
}

static void patch_be32(struct sock_reply *r, size_t at, size_t v)
{
	if (r->overflow)
		return;
	r->bytes[at] = (uint8_t)(v >> 24);
	r->bytes[at + 1] = (uint8_t)(v >> 16);
	r->bytes[at + 2] = (uint8_t)(v >> 8);
	r->bytes[at + 3] = (uint8_t)v;
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
	r->bytes[0] = (uint8_t)(n >> 8);
	r->bytes[1] = (uint8_t)n;
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
