/* routes.c - the one table of the front's URLs (routes.h). */
#include "routes.h"

#include <stdio.h>
#include <string.h>

enum where { API_ONLY, BOTH, STATUS_ONLY };

static const struct route {
	const char *path; /* ends in '/': followed by exactly one non-empty segment */
	const char *method;
	enum route_action action;
	enum kh_op op;
	enum route_label label;
	enum where where;
} routes[] = {
	{ "/authorized_keys", "GET", ROUTE_ASK_KH, KH_OP_AUTHORIZED_KEYS, LABEL_AUTHORIZED_KEYS, API_ONLY },
	{ "/keys/", "GET", ROUTE_ASK_KH, KH_OP_PUBLIC_KEY, LABEL_PUBLIC_KEY, API_ONLY },
	{ "/keys/", "POST", ROUTE_ASK_KH, KH_OP_SIGN, LABEL_SIGN, API_ONLY },
	{ "/bls_prove_possession/", "GET", ROUTE_ASK_KH, KH_OP_POP, LABEL_POP, API_ONLY },
	{ "/known_keys", "GET", ROUTE_ASK_KH, KH_OP_KNOWN_KEYS, LABEL_KNOWN_KEYS, API_ONLY },
	{ "/healthz", "GET", ROUTE_HEALTHZ, KH_OP_COUNT, LABEL_HEALTH, BOTH },
	{ "/metrics", "GET", ROUTE_ASK_KH, KH_OP_METRICS, LABEL_METRICS, BOTH },
	{ "/statusz", "GET", ROUTE_ASK_KH, KH_OP_STATUSZ, LABEL_HEALTH, BOTH },
	{ "/statusz/", "GET", ROUTE_ASK_KH, KH_OP_STATUSZ_KEY, LABEL_HEALTH, BOTH },
	/* The page only on the local status port, not on the API port the
	 * tunnel exposes (/statusz there is for the forwarder's check). */
	{ "/", "GET", ROUTE_ASK_KH, KH_OP_STATUS_PAGE, LABEL_HEALTH, STATUS_ONLY },
	{ "/status.html", "GET", ROUTE_ASK_KH, KH_OP_STATUS_PAGE, LABEL_HEALTH, STATUS_ONLY },
};

static const char *const label_names[LABEL_COUNT] = {
	"authorized_keys", "public_key", "sign", "bls_prove_possession", "known_keys",
	"health", "metrics", "other",
};

const char *route_label_name(enum route_label l)
{
	return (unsigned)l < LABEL_COUNT ? label_names[l] : "other";
}

/* The segment after a "/prefix/" pattern, or the whole match of a fixed
 * path ("" then); NULL when path does not match. */
static const char *matches(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);
	if (n > 1 && pattern[n - 1] == '/') {
		if (strncmp(path, pattern, n) != 0 || path[n] == '\0' || strchr(path + n, '/'))
			return NULL;
		return path + n;
	}
	return strcmp(path, pattern) == 0 ? "" : NULL;
}

void route_match(const char *method, const char *path, bool status_port, struct route_match *m)
{
	memset(m, 0, sizeof(*m));
	m->action = ROUTE_NOT_FOUND;
	m->op = KH_OP_COUNT;
	m->label = LABEL_OTHER;
	bool path_known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (r->where == (status_port ? API_ONLY : STATUS_ONLY))
			continue;
		const char *seg = matches(r->path, path);
		if (!seg)
			continue;
		if (!path_known) {
			path_known = true;
			m->label = r->label;
		}
		if (strcmp(method, r->method) == 0) {
			m->action = r->action;
			m->op = r->op;
			m->label = r->label;
			m->segment = *seg ? seg : NULL;
			return;
		}
		size_t used = strlen(m->allow);
		snprintf(m->allow + used, sizeof(m->allow) - used, "%s%s", used ? ", " : "", r->method);
	}
	if (path_known)
		m->action = ROUTE_METHOD;
}
