/* reply.h - HTTP answers in octez's shapes: JSON bodies, and errors as
 * [{"kind":"temporary","id":"…","msg":"…"}] with a status saying what
 * happened (design §2.1). */
#ifndef TZS_SERVER_REPLY_H
#define TZS_SERVER_REPLY_H

#include <jansson.h>
#include <microhttpd.h>

#include "../base/err.h"

unsigned int reply_status_of(enum err_kind kind);

/* Sends text (malloc'd, taken over and freed) with a content type. */
enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *type,
			   char *text, size_t len);

/* Sends value (consumed) as JSON with status. */
enum MHD_Result reply_json(struct MHD_Connection *c, unsigned int status, json_t *value);

/* Sends the octez error shape; id is "tzsigner.<kind>". */
enum MHD_Result reply_error(struct MHD_Connection *c, unsigned int status, const char *id,
			    const char *msg);
enum MHD_Result reply_err(struct MHD_Connection *c, const struct err *e);

/* 405 with an Allow header. */
enum MHD_Result reply_method_not_allowed(struct MHD_Connection *c, const char *method,
					 const char *url, const char *allow);

#endif
