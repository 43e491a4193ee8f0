/* server.h - the signer's HTTP server (libmicrohttpd, one thread per
 * connection so a slow backend holds up only its own connection; HTTP
 * keep-alive). */
#ifndef TZS_SERVER_SERVER_H
#define TZS_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../guard/guard.h"
#include "listen.h"
#include "metrics.h"

#define SERVER_MAX_BODY (64 * 1024)

struct health;

struct server_config {
	const char *address; /* "127.0.0.1", "::1", "0.0.0.0" … */
	uint16_t port;       /* 0 picks a free port */
	unsigned int max_connections;
	unsigned int idle_timeout_s;
	bool allow_prove_possession;
	bool allow_list_known_keys;
	/* Only /healthz, /statusz and /metrics (the separate local status
	 * port); everything else is 404. */
	bool monitoring_only;
	/* The box's health for /statusz (src/health); NULL: /statusz answers
	 * from the key table alone (keys held here can sign, Ledger keys are
	 * unknown). */
	struct health *health;
};

struct server {
	struct server_config config;
	const struct guard *guard;
	struct metrics *metrics; /* may be NULL */
	struct MHD_Daemon *daemon;
	int listen_fd;
	uint16_t port; /* the port actually bound */
};

bool server_start(struct server *s, const struct server_config *config, const struct guard *g,
		  struct metrics *metrics, struct err *e);

/* Stops accepting, finishes in-flight requests, joins the threads. */
void server_stop(struct server *s);

#endif
