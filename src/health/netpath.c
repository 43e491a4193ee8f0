/* netpath.c - the uplink carrying the route to the cloud endpoint. */
#include "netpath.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../base/uplink.h"

const char *uplink_role_name(enum uplink_role r)
{
	switch (r) {
	case UPLINK_PRIMARY: return "primary";
	case UPLINK_BACKUP: return "backup";
	case UPLINK_OTHER: return "other";
	case UPLINK_NONE: break;
	}
	return "none";
}

static bool host_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-' || c == '_' || c == ':';
}

bool netpath_parse_endpoint(const char *text, struct netpath_config *c, struct err *e)
{
	const char *host = text, *host_end, *port = NULL;
	if (text[0] == '[') {
		host = text + 1;
		host_end = strchr(host, ']');
		if (!host_end)
			return err_set(e, ERR_MALFORMED, "endpoint '%.80s': no ']' after the IPv6 address", text);
		if (host_end[1] == ':')
			port = host_end + 2;
		else if (host_end[1] != '\0')
			return err_set(e, ERR_MALFORMED, "endpoint '%.80s': unexpected text after ']'", text);
	} else {
		const char *first = strchr(text, ':'), *last = strrchr(text, ':');
		if (first && first == last) {
			host_end = first;
			port = first + 1;
		} else {
			host_end = text + strlen(text); /* a name, an IPv4 or a bare IPv6 address */
		}
	}
	size_t n = (size_t)(host_end - host);
	if (n == 0)
		return err_set(e, ERR_MALFORMED, "endpoint '%.80s': no host", text);
	if (n >= sizeof(c->host))
		return err_set(e, ERR_MALFORMED, "endpoint '%.80s…': host longer than %zu bytes", text,
			       sizeof(c->host) - 1);
	for (size_t i = 0; i < n; i++)
		if (!host_char(host[i]))
			return err_set(e, ERR_MALFORMED, "endpoint '%.80s': the host has a '%c'", text, host[i]);
	unsigned long p = 22;
	if (port) {
		char *end;
		if (*port < '0' || *port > '9')
			return err_set(e, ERR_MALFORMED, "endpoint '%.80s': the port is not a number", text);
		p = strtoul(port, &end, 10);
		if (*end || p == 0 || p > 65535)
			return err_set(e, ERR_MALFORMED, "endpoint '%.80s': port not 1 to 65535", text);
	}
	memcpy(c->host, host, n);
	c->host[n] = '\0';
	c->port = (uint16_t)p;
	return true;
}

bool netpath_valid_ifname(const char *name, size_t len)
{
	if (len == 0 || len >= IF_NAMESIZE)
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == ':' || ch == '"' || ch == '\\' || ch == ',')
			return false;
	}
	return true;
}

bool netpath_add_ifaces(struct netpath_config *c, bool backup, const char *list, struct err *e)
{
	const char *p = list;
	size_t *count = backup ? &c->nbackup : &c->nprimary;
	char (*names)[IF_NAMESIZE] = backup ? c->backup : c->primary;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (!netpath_valid_ifname(p, n))
			return err_set(e, ERR_MALFORMED, "--uplink-%s '%.80s': '%.*s' is not an interface name",
				       backup ? "backup" : "primary", list, (int)(n > 40 ? 40 : n), p);
		if (*count == NETPATH_IFACES_MAX)
			return err_set(e, ERR_MALFORMED, "--uplink-%s: more than %d interfaces",
				       backup ? "backup" : "primary", NETPATH_IFACES_MAX);
		memcpy(names[*count], p, n);
		names[*count][n] = '\0';
		(*count)++;
		if (!comma)
			return true;
		p = comma + 1;
	}
}

enum uplink_role netpath_classify(const struct netpath_config *c, const char *ifname)
{
	if (!ifname || !ifname[0])
		return UPLINK_NONE;
	for (size_t i = 0; i < c->nprimary; i++)
		if (strcmp(c->primary[i], ifname) == 0)
			return UPLINK_PRIMARY;
	for (size_t i = 0; i < c->nbackup; i++)
		if (strcmp(c->backup[i], ifname) == 0)
			return UPLINK_BACKUP;
	return UPLINK_OTHER;
}

bool netpath_resolve(const struct netpath_config *c, char *addr, size_t cap, struct err *e)
{
	unsigned char buf[16];
	if (inet_pton(AF_INET, c->host, buf) == 1 || inet_pton(AF_INET6, c->host, buf) == 1) {
		if (strlen(c->host) >= cap)
			return err_set(e, ERR_INTERNAL, "address buffer too small");
		snprintf(addr, cap, "%s", c->host);
		return true;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(c->host, NULL, &hints, &res);
	if (rc != 0)
		return err_set(e, ERR_UNAVAILABLE, "resolving the endpoint '%s': %s", c->host,
			       gai_strerror(rc));
	bool ok = false;
	for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET
					? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
					: (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		ok = inet_ntop(ai->ai_family, a, addr, (socklen_t)cap) != NULL;
	}
	freeaddrinfo(res);
	if (!ok)
		return err_set(e, ERR_UNAVAILABLE, "resolving the endpoint '%s': no IPv4 or IPv6 address",
			       c->host);
	return true;
}

void netpath_lookup(const struct netpath_config *c, const char *addr, struct netpath_status *out)
{
	struct route_info ri;
	struct err e = { 0 };
	memset(out, 0, sizeof(*out));
	snprintf(out->address, sizeof(out->address), "%s", addr);
	if (!uplink_route_get(addr, NULL, &ri, &e)) {
		snprintf(out->error, sizeof(out->error), "%s", e.msg);
		out->role = UPLINK_NONE;
		return;
	}
	out->known = true;
	snprintf(out->ifname, sizeof(out->ifname), "%s", ri.ifname);
	out->role = netpath_classify(c, out->ifname);
}
