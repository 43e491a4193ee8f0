/* netpath.h - which uplink the box uses to reach the cloud: the interface
 * carrying the route to the tunnel's endpoint (the kernel's answer, asked
 * through src/tunnel/uplink.h), classified as the main line (primary) or
 * the 4G backup by configuration. */
#ifndef TZS_HEALTH_NETPATH_H
#define TZS_HEALTH_NETPATH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define NETPATH_HOST_MAX 256
#define NETPATH_IFACES_MAX 8

enum uplink_role { UPLINK_NONE, UPLINK_PRIMARY, UPLINK_BACKUP, UPLINK_OTHER };
#define UPLINK_ROLE_COUNT 4
const char *uplink_role_name(enum uplink_role r); /* none, primary, backup, other */

struct netpath_config {
	char host[NETPATH_HOST_MAX]; /* "" : ask the tunnel's state file instead */
	uint16_t port;
	size_t nprimary, nbackup;
	char primary[NETPATH_IFACES_MAX][IF_NAMESIZE];
	char backup[NETPATH_IFACES_MAX][IF_NAMESIZE];
};

/* "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address; port 22 by
 * default. */
bool netpath_parse_endpoint(const char *text, struct netpath_config *c, struct err *e);
/* Adds interface names (comma-separated) to the primary or backup list. */
bool netpath_add_ifaces(struct netpath_config *c, bool backup, const char *list, struct err *e);
/* An interface name as the kernel allows it (1–15 bytes, no '/', ':' or space). */
bool netpath_valid_ifname(const char *name, size_t len);

enum uplink_role netpath_classify(const struct netpath_config *c, const char *ifname);

struct netpath_status {
	bool known;                 /* an interface carries the route now */
	char ifname[IF_NAMESIZE];
	enum uplink_role role;
	char address[48];           /* the endpoint's address looked up */
	char error[ERR_MSG_MAX];    /* why not known */
};

/* The endpoint's address: a numeric host as it is, else resolved (this
 * may wait on DNS; call it from a background thread). */
bool netpath_resolve(const struct netpath_config *c, char *addr, size_t cap, struct err *e);
/* The route to addr now. */
void netpath_lookup(const struct netpath_config *c, const char *addr, struct netpath_status *out);

#endif
