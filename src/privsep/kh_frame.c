/* kh_frame.c - THROWAWAY copy for the privsep-front branch to compile
 * against until privsep-kh's codec is merged (it replaces this file). */
#include "kh_frame.h"

#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

bool kh_request_encode(const struct kh_request *r, uint8_t *out, size_t cap, size_t *len,
		       struct err *e)
{
	size_t pkh_len = strlen(r->pkh);
	if (pkh_len > KH_PKH_MAX || r->auth_len > KH_AUTH_MAX || r->body_len > KH_BODY_MAX ||
	    KH_REQ_HEADER + r->body_len > cap)
		return err_set(e, ERR_TOO_LARGE, "a request field is over its bound");
	memset(out, 0, KH_REQ_HEADER);
	memcpy(out, KH_REQ_MAGIC, 4);
	put32(out + 4, r->id);
	put16(out + 8, (uint16_t)r->op);
	out[10] = r->version;
	out[11] = (uint8_t)pkh_len;
	memcpy(out + 12, r->pkh, pkh_len);
	out[52] = (uint8_t)r->auth_kind;
	put16(out + 54, r->auth_len);
	memcpy(out + 56, r->auth, r->auth_len);
	put32(out + 256, r->body_len);
	if (r->body_len)
		memcpy(out + KH_REQ_HEADER, r->body, r->body_len);
	*len = KH_REQ_HEADER + r->body_len;
	return true;
}

bool kh_request_decode(const uint8_t *buf, size_t len, struct kh_request *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (len < KH_REQ_HEADER || memcmp(buf, KH_REQ_MAGIC, 4) != 0)
		return err_set(e, ERR_MALFORMED, "request frame of %zu bytes", len);
	r->id = get32(buf + 4);
	r->op = (enum kh_op)get16(buf + 8);
	r->version = buf[10];
	if (buf[11] > KH_PKH_MAX || get16(buf + 54) > KH_AUTH_MAX || get32(buf + 256) > KH_BODY_MAX ||
	    len != KH_REQ_HEADER + get32(buf + 256))
		return err_set(e, ERR_MALFORMED, "request frame lengths");
	memcpy(r->pkh, buf + 12, buf[11]);
	r->auth_kind = (enum kh_auth)buf[52];
	r->auth_len = get16(buf + 54);
	memcpy(r->auth, buf + 56, r->auth_len);
	r->body_len = get32(buf + 256);
	r->body = buf + KH_REQ_HEADER;
	return true;
}

bool kh_reply_encode(const struct kh_reply *r, uint8_t *out, size_t cap, size_t *len,
		     struct err *e)
{
	if (r->payload_len > KH_PAYLOAD_MAX || KH_REPLY_HEADER + r->payload_len > cap)
		return err_set(e, ERR_TOO_LARGE, "reply payload of %u bytes", r->payload_len);
	memset(out, 0, KH_REPLY_HEADER);
	memcpy(out, KH_REPLY_MAGIC, 4);
	put32(out + 4, r->id);
	put16(out + 8, (uint16_t)r->op);
	put16(out + 10, (uint16_t)r->kind);
	put16(out + 12, r->code);
	put32(out + 16, r->payload_len);
	if (r->payload_len)
		memcpy(out + KH_REPLY_HEADER, r->payload, r->payload_len);
	*len = KH_REPLY_HEADER + r->payload_len;
	return true;
}

bool kh_reply_decode(const uint8_t *buf, size_t len, struct kh_reply *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (len < KH_REPLY_HEADER || memcmp(buf, KH_REPLY_MAGIC, 4) != 0 ||
	    get32(buf + 16) > KH_PAYLOAD_MAX || len != KH_REPLY_HEADER + get32(buf + 16) ||
	    get16(buf + 8) == 0 || get16(buf + 8) >= KH_OP_COUNT || get16(buf + 10) > ERR_INTERNAL)
		return err_set(e, ERR_MALFORMED, "reply frame of %zu bytes", len);
	r->id = get32(buf + 4);
	r->op = (enum kh_op)get16(buf + 8);
	r->kind = (enum err_kind)get16(buf + 10);
	r->code = get16(buf + 12);
	r->payload_len = get32(buf + 16);
	r->payload = buf + KH_REPLY_HEADER;
	return true;
}

const char *kh_op_name(enum kh_op op)
{
	static const char *const names[KH_OP_COUNT] = {
		"?", "sign", "public_key", "authorized_keys", "known_keys", "pop", "nonce",
		"nonce_hash", "supports_nonce", "statusz", "statusz_key", "status_page", "metrics",
	};
	return (unsigned)op < KH_OP_COUNT ? names[op] : "?";
}
