/* uplink.h - which interface carries the route to the endpoint (netlink).
 *
 * uplink_route_get asks the kernel, as `ip route get DST from SRC` does,
 * which route a packet from our connection's local address to the
 * endpoint takes: its output interface names the uplink in use (wlan0 on
 * the home line, wwan0 on 4G). The monitor socket wakes the supervisor on
 * link, address and route changes, so it can see the route move to another
 * interface (reconnect over the new uplink) or come back (retry now rather
 * than when the backoff ends). */
#ifndef TZS_BASE_UPLINK_H
#define TZS_BASE_UPLINK_H

#include <net/if.h>
#include <stdbool.h>

#include "err.h"

struct route_info {
	int oif;
	char ifname[IF_NAMESIZE];
	bool has_prefsrc;
	char prefsrc[48]; /* preferred source address, textual */
};

/* dst and src are textual IP addresses; src may be NULL. A missing route
 * is ERR_UNAVAILABLE with the kernel's reason. */
bool uplink_route_get(const char *dst, const char *src, struct route_info *out, struct err *e);

/* Splits "1.2.3.4:22" or "[::1]:22" into its address ("1.2.3.4", "::1"). */
bool uplink_addr_of(const char *addr_port, char *out, size_t cap);

/* A non-blocking NETLINK_ROUTE socket subscribed to link, address and
 * route changes (IPv4 and IPv6); -1 on failure. */
int uplink_monitor_open(struct err *e);

/* Reads every pending message; true when any was a change we care about. */
bool uplink_monitor_drain(int fd);

#endif
