/* reply.c - JSON and error responses. */
#include "reply.h"

#include "../base/json_secure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned int reply_status_of(enum err_kind kind) { return err_http_status(kind); }

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned int status, char *text,
				 const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer_with_free_callback(strlen(text), text, json_free_text);
	if (!r) {
		json_free_text(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *type,
			   char *text, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result reply_json(struct MHD_Connection *c, unsigned int status, json_t *value)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
	json_decref(value);
	if (!text)
		return MHD_NO;
	return send_text(c, status, text, NULL);
}

static enum MHD_Result error_with_allow(struct MHD_Connection *c, unsigned int status,
					const char *id, const char *msg, const char *allow)
{
	json_t *body = json_pack("[{s:s, s:s, s:s}]", "kind", "temporary", "id", id, "msg", msg);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	return send_text(c, status, text, allow);
}

enum MHD_Result reply_error(struct MHD_Connection *c, unsigned int status, const char *id,
			    const char *msg)
{
	return error_with_allow(c, status, id, msg, NULL);
}

enum MHD_Result reply_err(struct MHD_Connection *c, const struct err *e)
{
	char id[64];
	snprintf(id, sizeof(id), "tzsigner.%s", err_kind_name(e->kind));
	return reply_error(c, reply_status_of(e->kind), id, e->msg);
}

enum MHD_Result reply_method_not_allowed(struct MHD_Connection *c, const char *method,
					 const char *url, const char *allow)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "method %.16s is not allowed on %.128s (allowed: %s)", method,
		 url, allow);
	return error_with_allow(c, MHD_HTTP_METHOD_NOT_ALLOWED, "tzsigner.method_not_allowed", msg,
				allow);
}
