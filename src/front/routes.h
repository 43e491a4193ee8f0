/* routes.h - the front's URLs, matched once from one table: method and
 * path → what answers it and the route label of
 * tzsigner_http_requests_total (the labels of today's /metrics). */
#ifndef TZS_FRONT_ROUTES_H
#define TZS_FRONT_ROUTES_H

#include <stdbool.h>

#include "../privsep/kh_frame.h"

enum route_label {
	LABEL_AUTHORIZED_KEYS, LABEL_PUBLIC_KEY, LABEL_SIGN, LABEL_POP, LABEL_KNOWN_KEYS,
	LABEL_HEALTH, LABEL_METRICS, LABEL_OTHER, LABEL_COUNT
};

enum route_action {
	ROUTE_ASK_KH,    /* a frame of op to the key holder */
	ROUTE_HEALTHZ,   /* answered by the front: {"status":"ok"} */
	ROUTE_NOT_FOUND, /* 404 */
	ROUTE_METHOD,    /* 405 with allow */
};

struct route_match {
	enum route_action action;
	enum kh_op op;
	enum route_label label;
	const char *segment; /* the <pkh> of a "/prefix/<pkh>" path, into path */
	char allow[32];      /* ROUTE_METHOD: the Allow header's value */
};

/* status_port: the --status-fd listener (monitoring and the status page
 * only); else the API port. */
void route_match(const char *method, const char *path, bool status_port, struct route_match *m);

const char *route_label_name(enum route_label l);

#endif
