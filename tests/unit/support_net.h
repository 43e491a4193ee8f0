/* support_net.h - sockets for unit tests. */
#ifndef TZS_TESTS_SUPPORT_NET_H
#define TZS_TESTS_SUPPORT_NET_H

#include <stdint.h>

/* A listening socket on 127.0.0.1 with a kernel-chosen port; -1 on failure. */
int test_tcp_listener(uint16_t *port);

#endif
