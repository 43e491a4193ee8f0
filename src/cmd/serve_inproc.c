/* serve_inproc.c - TEMPORARY in-process servers (serve_inproc.h). */
#include "serve_inproc.h"

#include <stdlib.h>

#include "../base/log.h"
#include "../server/server.h"
#include "../server/socket_listener.h"

/* Defined by src/cmd/front.c when the front is built in. */
extern int cmd_front(int argc, char **argv) __attribute__((weak));

bool serve_front_available(void)
{
	return cmd_front != NULL;
}

struct serve_inproc {
	struct server server, status_server;
	struct server_config cfg, status_cfg;
	bool server_up, status_up;
	struct socket_listener *sockets[SERVE_MAX_SOCKETS];
	struct socket_listen_opts socket_opts;
	struct socket_service svc;
	const struct serve_options *o;
};

static bool start(struct serve_inproc *p, struct serve_state *st, struct err *e)
{
	const struct serve_options *o = p->o;
	p->cfg.health = st->health;
	p->status_cfg.health = st->health;
	if (!server_start(&p->server, &p->cfg, &o->guard, &st->metrics, e))
		return false;
	p->server_up = true;
	p->cfg.port = p->server.port; /* a restart binds the same port */
	if (o->status_port_given) {
		if (!server_start(&p->status_server, &p->status_cfg, &o->guard, &st->metrics, e))
			return err_wrap(e, "--status-port");
		p->status_up = true;
		p->status_cfg.port = p->status_server.port;
		log_info("event=status_listening address=%s port=%u", p->status_cfg.address,
			 p->status_server.port);
	}
	p->svc = (struct socket_service){ &o->guard, &st->metrics, o->allow_prove_possession,
					  o->allow_list_known_keys };
	for (size_t i = 0; i < o->socket_count; i++) {
		if (!socket_listener_start(&p->sockets[i], &o->sockets[i], &p->socket_opts, &p->svc, e))
			return false;
		log_info("event=socket_listening socket=%s", socket_listener_name(p->sockets[i]));
	}
	return true;
}

bool serve_inproc_start(struct serve_inproc **out, struct serve_state *st, struct err *e)
{
	const struct serve_options *o = st->opt;
	struct serve_inproc *p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(e, ERR_INTERNAL, "out of memory for the servers");
	*out = p;
	p->o = o;
	p->cfg = (struct server_config){ .address = o->address, .port = o->port,
					 .max_connections = o->max_connections, .idle_timeout_s = 120,
					 .allow_prove_possession = o->allow_prove_possession,
					 .allow_list_known_keys = o->allow_list_known_keys };
	p->status_cfg = (struct server_config){ .address = o->status_address, .port = o->status_port,
						.max_connections = 16, .idle_timeout_s = 30,
						.monitoring_only = true };
	p->socket_opts = (struct socket_listen_opts){ .max_connections = o->max_connections,
						      .idle_timeout_ms = 30000,
						      .frame_timeout_ms = 10000,
						      .group = o->socket_group,
						      .has_group = o->has_socket_group };
	log_warn("event=no_front msg=\"this build has no tzsigner front: serving HTTP in the key holder\"");
	return start(p, st, e);
}

void serve_inproc_stop(struct serve_inproc *p)
{
	for (size_t i = 0; i < SERVE_MAX_SOCKETS; i++) {
		socket_listener_stop(p->sockets[i]);
		p->sockets[i] = NULL;
	}
	if (p->status_up)
		server_stop(&p->status_server);
	if (p->server_up)
		server_stop(&p->server);
	p->status_up = p->server_up = false;
}

bool serve_inproc_restart(struct serve_inproc *p, struct serve_state *st, struct err *e)
{
	return start(p, st, e);
}

uint16_t serve_inproc_api_port(const struct serve_inproc *p)
{
	return p->server.port;
}

void serve_inproc_free(struct serve_inproc *p)
{
	if (!p)
		return;
	serve_inproc_stop(p);
	free(p);
}
