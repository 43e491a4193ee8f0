/* kh_frame.c - encode and decode the front ↔ key holder frames (layout in
 * kh_frame.h). The decoder is the key holder's first line against a hostile
 * front: every field is bounded, every reserved or padding byte must be
 * zero, and the frame's length must be exactly what its header says. */
#include "kh_frame.h"

#include <string.h>

/* Request header offsets (kh_frame.h). */
enum {
	RQ_MAGIC = 0,
	RQ_ID = 4,
	RQ_OP = 8,
	RQ_VERSION = 10,
	RQ_PKH_LEN = 11,
	RQ_PKH = 12,
	RQ_AUTH_KIND = 52,
	RQ_TRANSPORT = 53,
	RQ_AUTH_LEN = 54,
	RQ_AUTH = 56,
	RQ_BODY_LEN = 256,
	RQ_RESERVED2 = 260,
};

/* Reply header offsets. */
enum {
	RP_MAGIC = 0,
	RP_ID = 4,
	RP_OP = 8,
	RP_KIND = 10,
	RP_CODE = 12,
	RP_RESERVED = 14,
	RP_PAYLOAD_LEN = 16,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool op_known(unsigned op)
{
	return op >= KH_OP_SIGN && op < KH_OP_COUNT;
}

/* Printable ASCII without space: what a pkh or a base58 text holds. */
static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

bool kh_request_encode(const struct kh_request *r, uint8_t *out, size_t cap, size_t *len,
		       struct err *e)
{
	size_t pkh_len = strnlen(r->pkh, sizeof(r->pkh));
	if (!op_known((unsigned)r->op))
		return err_set(e, ERR_MALFORMED, "kh request: unknown op %d", (int)r->op);
	if (pkh_len > KH_PKH_MAX || !printable((const uint8_t *)r->pkh, pkh_len))
		return err_set(e, ERR_MALFORMED, "kh request: pkh is not 0..%u printable characters",
			       KH_PKH_MAX);
	if (r->auth_kind != KH_AUTH_NONE && r->auth_kind != KH_AUTH_TEXT &&
	    r->auth_kind != KH_AUTH_RAW)
		return err_set(e, ERR_MALFORMED, "kh request: unknown auth kind %d",
			       (int)r->auth_kind);
	if (r->transport != KH_TRANSPORT_HTTP && r->transport != KH_TRANSPORT_SOCKET)
		return err_set(e, ERR_MALFORMED, "kh request: unknown transport %d",
			       (int)r->transport);
	if (r->auth_len > KH_AUTH_MAX || (r->auth_kind == KH_AUTH_NONE && r->auth_len != 0))
		return err_set(e, ERR_TOO_LARGE, "kh request: authentication of %u bytes (max %u)",
			       r->auth_len, KH_AUTH_MAX);
	if (r->auth_kind == KH_AUTH_TEXT && !printable(r->auth, r->auth_len))
		return err_set(e, ERR_MALFORMED, "kh request: authentication text not printable");
	if (r->body_len > KH_BODY_MAX)
		return err_set(e, ERR_TOO_LARGE, "kh request: body of %u bytes (max %u)",
			       r->body_len, KH_BODY_MAX);
	if (cap < KH_REQ_HEADER + (size_t)r->body_len)
		return err_set(e, ERR_TOO_LARGE, "kh request: %u bytes do not fit a %zu-byte buffer",
			       KH_REQ_HEADER + r->body_len, cap);
	memset(out, 0, KH_REQ_HEADER);
	memcpy(out + RQ_MAGIC, KH_REQ_MAGIC, 4);
	put32(out + RQ_ID, r->id);
	put16(out + RQ_OP, (uint16_t)r->op);
	out[RQ_VERSION] = r->version;
	out[RQ_PKH_LEN] = (uint8_t)pkh_len;
	memcpy(out + RQ_PKH, r->pkh, pkh_len);
	out[RQ_AUTH_KIND] = (uint8_t)r->auth_kind;
	out[RQ_TRANSPORT] = (uint8_t)r->transport;
	put16(out + RQ_AUTH_LEN, r->auth_len);
	memcpy(out + RQ_AUTH, r->auth, r->auth_len);
	put32(out + RQ_BODY_LEN, r->body_len);
	if (r->body_len)
		memcpy(out + KH_REQ_HEADER, r->body, r->body_len);
	*len = KH_REQ_HEADER + r->body_len;
	return true;
}

/* The header's fields after the id (which decode reads first). */
static bool request_fields(const uint8_t *buf, size_t len, struct kh_request *r, struct err *e)
{
	unsigned op = get16(buf + RQ_OP);
	unsigned pkh_len = buf[RQ_PKH_LEN];
	unsigned auth_kind = buf[RQ_AUTH_KIND];
	unsigned auth_len = get16(buf + RQ_AUTH_LEN);
	uint32_t body_len = get32(buf + RQ_BODY_LEN);
	if (!op_known(op))
		return err_set(e, ERR_MALFORMED, "kh request %u: unknown op %u", r->id, op);
	r->op = (enum kh_op)op;
	r->version = buf[RQ_VERSION];
	if (pkh_len > KH_PKH_MAX || !printable(buf + RQ_PKH, pkh_len) ||
	    !all_zero(buf + RQ_PKH + pkh_len, KH_PKH_MAX - pkh_len))
		return err_set(e, ERR_MALFORMED,
			       "kh request %u: pkh of %u bytes is not printable, zero-padded text",
			       r->id, pkh_len);
	memcpy(r->pkh, buf + RQ_PKH, pkh_len);
	r->pkh[pkh_len] = '\0';
	if (auth_kind > KH_AUTH_RAW || buf[RQ_TRANSPORT] > KH_TRANSPORT_SOCKET)
		return err_set(e, ERR_MALFORMED, "kh request %u: auth kind %u or transport %u",
			       r->id, auth_kind, buf[RQ_TRANSPORT]);
	r->auth_kind = (enum kh_auth)auth_kind;
	r->transport = (enum kh_transport)buf[RQ_TRANSPORT];
	if (auth_len > KH_AUTH_MAX || (auth_kind == KH_AUTH_NONE && auth_len != 0) ||
	    !all_zero(buf + RQ_AUTH + auth_len, KH_AUTH_MAX - auth_len))
		return err_set(e, ERR_MALFORMED,
			       "kh request %u: authentication of %u bytes (kind %u, max %u, zero-padded)",
			       r->id, auth_len, auth_kind, KH_AUTH_MAX);
	if (auth_kind == KH_AUTH_TEXT && !printable(buf + RQ_AUTH, auth_len))
		return err_set(e, ERR_MALFORMED, "kh request %u: authentication text not printable",
			       r->id);
	r->auth_len = (uint16_t)auth_len;
	memcpy(r->auth, buf + RQ_AUTH, auth_len);
	r->auth[auth_len] = 0;
	if (get32(buf + RQ_RESERVED2) != 0)
		return err_set(e, ERR_MALFORMED, "kh request %u: reserved field not zero", r->id);
	if (body_len > KH_BODY_MAX)
		return err_set(e, ERR_TOO_LARGE, "kh request %u: body of %u bytes (max %u)", r->id,
			       body_len, KH_BODY_MAX);
	if (len != KH_REQ_HEADER + (size_t)body_len)
		return err_set(e, ERR_MALFORMED,
			       "kh request %u: frame of %zu bytes, its header says %u", r->id, len,
			       KH_REQ_HEADER + body_len);
	r->body = body_len ? buf + KH_REQ_HEADER : NULL;
	r->body_len = body_len;
	return true;
}

bool kh_request_decode(const uint8_t *buf, size_t len, struct kh_request *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (len < RQ_ID + 4 || memcmp(buf + RQ_MAGIC, KH_REQ_MAGIC, 4) != 0)
		return err_set(e, ERR_MALFORMED, "kh request: %zu bytes without the magic %s", len,
			       KH_REQ_MAGIC);
	r->id = get32(buf + RQ_ID);
	if (len < KH_REQ_HEADER)
		return err_set(e, ERR_MALFORMED, "kh request %u: %zu bytes, shorter than its %u-byte header",
			       r->id, len, KH_REQ_HEADER);
	if (!request_fields(buf, len, r, e)) {
		uint32_t id = r->id;
		memset(r, 0, sizeof(*r));
		r->id = id;
		return false;
	}
	return true;
}

bool kh_reply_encode(const struct kh_reply *r, uint8_t *out, size_t cap, size_t *len,
		     struct err *e)
{
	if (!op_known((unsigned)r->op))
		return err_set(e, ERR_MALFORMED, "kh reply: unknown op %d", (int)r->op);
	if ((unsigned)r->kind > ERR_INTERNAL)
		return err_set(e, ERR_MALFORMED, "kh reply: unknown error kind %d", (int)r->kind);
	if (r->payload_len > KH_PAYLOAD_MAX)
		return err_set(e, ERR_TOO_LARGE, "kh reply: payload of %u bytes (max %u)",
			       r->payload_len, KH_PAYLOAD_MAX);
	if (cap < KH_REPLY_HEADER + (size_t)r->payload_len)
		return err_set(e, ERR_TOO_LARGE, "kh reply: %u bytes do not fit a %zu-byte buffer",
			       KH_REPLY_HEADER + r->payload_len, cap);
	memset(out, 0, KH_REPLY_HEADER);
	memcpy(out + RP_MAGIC, KH_REPLY_MAGIC, 4);
	put32(out + RP_ID, r->id);
	put16(out + RP_OP, (uint16_t)r->op);
	put16(out + RP_KIND, (uint16_t)r->kind);
	put16(out + RP_CODE, r->code);
	put32(out + RP_PAYLOAD_LEN, r->payload_len);
	if (r->payload_len)
		memcpy(out + KH_REPLY_HEADER, r->payload, r->payload_len);
	*len = KH_REPLY_HEADER + r->payload_len;
	return true;
}

bool kh_reply_decode(const uint8_t *buf, size_t len, struct kh_reply *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (len < KH_REPLY_HEADER || memcmp(buf + RP_MAGIC, KH_REPLY_MAGIC, 4) != 0)
		return err_set(e, ERR_MALFORMED, "kh reply: %zu bytes without a %u-byte %s header",
			       len, KH_REPLY_HEADER, KH_REPLY_MAGIC);
	unsigned op = get16(buf + RP_OP);
	unsigned kind = get16(buf + RP_KIND);
	uint32_t payload_len = get32(buf + RP_PAYLOAD_LEN);
	uint32_t id = get32(buf + RP_ID);
	if (!op_known(op) || kind > ERR_INTERNAL || get16(buf + RP_RESERVED) != 0)
		return err_set(e, ERR_MALFORMED, "kh reply %u: op %u, kind %u or reserved field", id,
			       op, kind);
	if (payload_len > KH_PAYLOAD_MAX || len != KH_REPLY_HEADER + (size_t)payload_len)
		return err_set(e, ERR_MALFORMED,
			       "kh reply %u: frame of %zu bytes, its header says %u + %u (max %u)", id,
			       len, KH_REPLY_HEADER, payload_len, KH_PAYLOAD_MAX);
	r->id = id;
	r->op = (enum kh_op)op;
	r->kind = (enum err_kind)kind;
	r->code = get16(buf + RP_CODE);
	r->payload = payload_len ? buf + KH_REPLY_HEADER : NULL;
	r->payload_len = payload_len;
	return true;
}

const char *kh_op_name(enum kh_op op)
{
	switch (op) {
	case KH_OP_SIGN: return "sign";
	case KH_OP_PUBLIC_KEY: return "public_key";
	case KH_OP_AUTHORIZED_KEYS: return "authorized_keys";
	case KH_OP_KNOWN_KEYS: return "known_keys";
	case KH_OP_POP: return "pop";
	case KH_OP_NONCE: return "nonce";
	case KH_OP_NONCE_HASH: return "nonce_hash";
	case KH_OP_SUPPORTS_NONCE: return "supports_nonce";
	case KH_OP_STATUSZ: return "statusz";
	case KH_OP_STATUSZ_KEY: return "statusz_key";
	case KH_OP_STATUS_PAGE: return "status_page";
	case KH_OP_METRICS: return "metrics";
	case KH_OP_COUNT: break;
	}
	return "unknown";
}
