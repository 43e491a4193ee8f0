/* server.c - listening socket, libmicrohttpd daemon, bounded request bodies. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "reply.h"
#include "request.h"

/* Per-request state across the handler's calls while the body arrives. */
struct pending {
	uint64_t start_ns;
	char *body;
	size_t len;
	bool too_large;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct pending *p = *con_cls;
	(void)version;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		p->start_ns = monotonic_ns();
		*con_cls = p;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > SERVER_MAX_BODY)
			p->too_large = true;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (p->too_large || p->len + n > SERVER_MAX_BODY) {
			p->too_large = true;
			return MHD_YES; /* drain; answered once the upload ends */
		}
		char *grown = realloc(p->body, p->len + n + 1);
		if (!grown)
			return MHD_NO;
		p->body = grown;
		memcpy(p->body + p->len, upload, n);
		p->len += n;
		p->body[p->len] = '\0';
		return MHD_YES;
	}
	if (p->too_large) {
		char msg[128];
		snprintf(msg, sizeof(msg), "request body over the limit of %d bytes", SERVER_MAX_BODY);
		log_info("event=refused method=%s status=413 reason=body_too_large", method);
		return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "tzsigner.too_large", msg);
	}
	struct request req = {
		.conn = conn, .server = s, .method = method, .url = url,
		.body = p->body ? p->body : "", .body_len = p->len, .start_ns = p->start_ns,
	};
	return api_handle(&req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct pending *p = *con_cls;
	if (p) {
		free(p->body);
		free(p);
		*con_cls = NULL;
	}
}

static void on_accept_socket(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			     enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)socket_ctx;
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		int one = 1;
		setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512], q[600];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\r\n")] = '\0';
	log_warn("event=http_library msg=%s", log_str(q, sizeof(q), msg));
}

bool server_start(struct server *s, const struct server_config *config, const struct guard *g,
		  struct metrics *metrics, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->config = *config;
	s->guard = g;
	s->metrics = metrics;
	s->listen_fd = -1;
	if (!server_listen_tcp(config->address, config->port, &s->listen_fd, &s->port, e))
		return false;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_ERROR_LOG;
	if (strchr(config->address, ':'))
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)config->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)config->idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_accept_socket, NULL,
		MHD_OPTION_END);
	if (!s->daemon) {
		close(s->listen_fd);
		s->listen_fd = -1;
		return err_set(e, ERR_IO, "could not start the HTTP server on %s port %u",
			       config->address, s->port);
	}
	s->listen_fd = -1; /* the daemon owns and closes it now */
	return true;
}

void server_stop(struct server *s)
{
	if (s->daemon) {
		MHD_stop_daemon(s->daemon);
		s->daemon = NULL;
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
	}
}
