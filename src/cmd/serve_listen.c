/* serve_listen.c - the key holder binds every listening socket itself (the
 * front, unprivileged and sandboxed, can bind nothing) and hands them over. */
#include <stdio.h>
#include <unistd.h>

#include "../base/log.h"
#include "../server/listen.h"
#include "serve.h"

bool serve_listen(const struct serve_options *o, struct serve_listeners *l, struct err *e)
{
	l->api_fd = l->status_fd = -1;
	l->socket_count = 0;
	if (o->front_fd >= 0)
		return true; /* frames on an inherited fd (tests): nothing to bind */
	if (!server_listen_tcp(o->address, o->port, &l->api_fd, &l->api_port, e))
		return false;
	if (o->status_port_given) {
		if (!server_listen_tcp(o->status_address, o->status_port, &l->status_fd,
				       &l->status_port, e))
			return err_wrap(e, "--status-port");
		log_info("event=status_listening address=%s port=%u", o->status_address,
			 (unsigned)l->status_port);
	}
	for (size_t i = 0; i < o->socket_count; i++) {
		uint16_t port = 0;
		if (!server_listen_socket(&o->sockets[i], o->has_socket_group ? &o->socket_group : NULL,
					  &l->socket_fds[i], &port, e))
			return false;
		server_socket_name(&o->sockets[i], port, l->socket_names[i], sizeof(l->socket_names[i]));
		l->socket_count++;
		log_info("event=socket_listening socket=%s", l->socket_names[i]);
	}
	return true;
}

void serve_unlisten(const struct serve_options *o, struct serve_listeners *l)
{
	if (l->api_fd >= 0)
		close(l->api_fd);
	if (l->status_fd >= 0)
		close(l->status_fd);
	for (size_t i = 0; i < l->socket_count; i++) {
		close(l->socket_fds[i]);
		if (o->sockets[i].is_unix)
			unlink(o->sockets[i].path);
	}
	l->api_fd = l->status_fd = -1;
	l->socket_count = 0;
}
