/* boxssh.h - whether something listens on the box's sshd target (the
 * address the endpoint's P+1000 is forwarded to): ssh accepts the remote
 * forward whatever the target, so a tunnel can be up with that forward
 * leading nowhere. */
#ifndef TZS_TUNNEL_BOXSSH_H
#define TZS_TUNNEL_BOXSSH_H

#include <stdbool.h>
#include <stdint.h>

/* A TCP connection to host:port succeeds within timeout_ms (then closed). */
bool tunnel_tcp_listens(const char *host, uint16_t port, int timeout_ms);

#endif
