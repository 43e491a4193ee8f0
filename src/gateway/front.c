/* front.c - the gateway's HTTP listener (libmicrohttpd, a thread per
 * connection, bounded request bodies). */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../base/log.h"
#include "../server/reply.h"
#include "gateway.h"
#include "../base/clock.h"

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
	struct gateway *gw = cls;
	struct pending *p = *con_cls;
	(void)version;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		p->start_ns = now_mono_ns();
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (p->too_large || p->len + n > GW_MAX_BODY) {
			p->too_large = true;
			return MHD_YES;
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
		char msg[96];
		snprintf(msg, sizeof(msg), "request body over the limit of %d bytes", GW_MAX_BODY);
		return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "tzsigner.too_large", msg);
	}
	struct gw_request r = { .gw = gw, .conn = conn, .method = method, .url = url,
				.body = p->body ? p->body : "", .body_len = p->len,
				.start_ns = p->start_ns };
	return gw_api_handle(&r);
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

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)socket_ctx;
	const union MHD_ConnectionInfo *ci =
		code == MHD_CONNECTION_NOTIFY_STARTED
			? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)
			: NULL;
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

bool gateway_start(struct gateway *gw, struct err *e)
{
	const struct gateway_config *c = &gw->config;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", c->port);
	int rc = getaddrinfo(c->address, port, &hints, &res);
	if (rc != 0)
		return err_set(e, ERR_MALFORMED, "listen address '%s': %s (give a numeric IPv4 or IPv6 address)",
			       c->address, gai_strerror(rc));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_ERROR_LOG | (res->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	gw->daemon = MHD_start_daemon(flags, c->port, NULL, NULL, on_request, gw,
				      MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				      MHD_OPTION_SOCK_ADDR, res->ai_addr,
				      MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
				      MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				      MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				      MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
				      MHD_OPTION_END);
	freeaddrinfo(res);
	if (!gw->daemon)
		return err_set(e, ERR_IO, "could not listen on %s port %u (in use, or not an address of this machine?)",
			       c->address, c->port);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(gw->daemon, MHD_DAEMON_INFO_BIND_PORT);
	gw->port = di ? di->port : c->port;
	return true;
}

void gateway_stop(struct gateway *gw)
{
	if (gw->daemon)
		MHD_stop_daemon(gw->daemon);
	gw->daemon = NULL;
}
