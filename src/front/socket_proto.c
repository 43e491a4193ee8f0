/* socket_proto.c - octez's socket signer protocol: frames and requests
 * (the responses are in socket_reply.c).
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

#include <string.h>

#include "../base/be.h"

size_t sock_frame_length(const uint8_t header[static SOCK_HEADER_BYTES])
{
	return be16_get(header);
}

/* ---- reading ---- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool take(struct reader *rd, size_t n, const uint8_t **out, const char *what, struct err *e)
{
	*out = NULL;
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
	uint32_t n = be32_get(p);
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
