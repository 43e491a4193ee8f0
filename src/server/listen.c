/* listen.c - the signer's listening sockets (listen.h). */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

bool server_listen_tcp(const char *address, uint16_t port, int *fd_out, uint16_t *bound,
			  struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
	struct addrinfo *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int rc = getaddrinfo(address, portstr, &hints, &res);
	if (rc != 0)
		return err_set(e, ERR_MALFORMED, "listen address '%s': %s (give a numeric IPv4 or IPv6 address)",
			       address, gai_strerror(rc));
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		return err_errno(e, ERR_IO, "socket for %s", address);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
		err_errno(e, ERR_IO, "bind %s port %u", address, port);
		freeaddrinfo(res);
		close(fd);
		return false;
	}
	freeaddrinfo(res);
	if (listen(fd, 64) != 0) {
		close(fd);
		return err_errno(e, ERR_IO, "listen on %s port %u", address, port);
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		close(fd);
		return err_errno(e, ERR_IO, "getsockname");
	}
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return true;
}

/* Binds under a temporary name, sets mode and group, renames into place:
 * the socket is never reachable with looser permissions. */
static bool listen_unix(const char *path, const gid_t *group, int *fd_out, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return err_set(e, ERR_IO, "--socket unix://%s exists and is not a socket: remove it or choose another path", path);
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return err_set(e, ERR_MALFORMED, "--socket unix://%s: path too long for its temporary name", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, ERR_IO, "socket for unix://%s", path);
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err_errno(e, ERR_IO, "bind unix://%s (is its directory writable by this user?)", sa.sun_path);
		goto fail;
	}
	if (chmod(sa.sun_path, 0660) != 0 ||
	    (group && chown(sa.sun_path, (uid_t)-1, *group) != 0)) {
		err_errno(e, ERR_IO, "setting mode 0660 and group of unix://%s (is this user in --socket-group?)", path);
		goto fail_unlink;
	}
	if (listen(fd, 64) != 0 || rename(sa.sun_path, path) != 0) {
		err_errno(e, ERR_IO, "listen on unix://%s", path);
		goto fail_unlink;
	}
	*fd_out = fd;
	return true;
fail_unlink:
	unlink(sa.sun_path);
fail:
	close(fd);
	return false;
}

bool server_listen_socket(const struct socket_uri *where, const gid_t *group, int *fd_out,
			  uint16_t *bound, struct err *e)
{
	*bound = 0;
	if (where->is_unix)
		return listen_unix(where->path, group, fd_out, e);
	return server_listen_tcp(where->address, where->port, fd_out, bound, e);
}

void server_socket_name(const struct socket_uri *where, uint16_t bound, char *out, size_t cap)
{
	if (where->is_unix)
		snprintf(out, cap, "unix://%s", where->path);
	else
		snprintf(out, cap, strchr(where->address, ':') ? "tcp://[%s]:%u" : "tcp://%s:%u",
			 where->address, bound);
}
