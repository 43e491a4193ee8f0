/* boxssh.c - a bounded TCP connect to the box's sshd target. */
#include "boxssh.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

bool tunnel_tcp_listens(const char *host, uint16_t port, int timeout_ms)
{
	char service[8];
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, service, &hints, &ai) != 0 || !ai)
		return false;
	bool ok = false;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd >= 0) {
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = true;
		} else if (errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			ok = poll(&p, 1, timeout_ms) == 1 &&
			     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	return ok;
}
