/* uplink.c - route lookups and change notifications over rtnetlink. */
#include "uplink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

bool uplink_addr_of(const char *addr_port, char *out, size_t cap)
{
	const char *start = addr_port, *end;
	if (*addr_port == '[') {
		start++;
		end = strchr(start, ']');
	} else {
		end = strrchr(addr_port, ':');
	}
	if (!end || end == start || (size_t)(end - start) >= cap)
		return false;
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return true;
}

struct nl_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static bool add_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->nh.nlmsg_len);
	size_t alen = RTA_LENGTH(len);
	if (off + RTA_ALIGN(alen) > sizeof(*r))
		return false;
	struct rtattr *rta = (struct rtattr *)(void *)((char *)r + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)alen;
	memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
	return true;
}

static int parse_ip(const char *text, unsigned char buf[16])
{
	if (inet_pton(AF_INET, text, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, buf) == 1)
		return AF_INET6;
	return 0;
}

bool uplink_route_get(const char *dst, const char *src, struct route_info *out, struct err *e)
{
	unsigned char dbuf[16], sbuf[16];
	int family = parse_ip(dst, dbuf);
	if (!family)
		return err_set(e, ERR_MALFORMED, "route lookup: '%s' is not an IP address", dst);
	int sfamily = src ? parse_ip(src, sbuf) : 0;
	if (src && sfamily != family)
		src = NULL; /* a source of another family cannot constrain the lookup */
	size_t alen = family == AF_INET ? 4 : 16;
	memset(out, 0, sizeof(*out));

	struct nl_req req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)family;
	req.rt.rtm_dst_len = (unsigned char)(alen * 8);
	if (!add_attr(&req, RTA_DST, dbuf, alen))
		return err_set(e, ERR_INTERNAL, "route lookup: request too long");
	if (src) {
		req.rt.rtm_src_len = (unsigned char)(alen * 8);
		if (!add_attr(&req, RTA_SRC, sbuf, alen))
			return err_set(e, ERR_INTERNAL, "route lookup: request too long");
	}

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return err_errno(e, ERR_IO, "route lookup: netlink socket");
	bool ok = false;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err_errno(e, ERR_IO, "route lookup: netlink send");
		goto out;
	}
	union {
		struct nlmsghdr nh;
		char buf[8192];
	} resp;
	for (int round = 0; round < 4; round++) {
		ssize_t n = recv(fd, resp.buf, sizeof(resp.buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(e, ERR_IO, "route lookup for %s: netlink receive", dst);
			goto out;
		}
		size_t left = (size_t)n;
		for (struct nlmsghdr *nh = &resp.nh; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != 1)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *ne = NLMSG_DATA(nh);
				errno = -ne->error;
				err_errno(e, ERR_UNAVAILABLE, "no route to %s%s%s", dst,
					  src ? " from " : "", src ? src : "");
				goto out;
			}
			if (nh->nlmsg_type != RTM_NEWROUTE)
				continue;
			const char *base = NLMSG_DATA(nh);
			size_t plen = nh->nlmsg_len > NLMSG_LENGTH(0) ? nh->nlmsg_len - NLMSG_LENGTH(0) : 0;
			size_t off = NLMSG_ALIGN(sizeof(struct rtmsg));
			while (off + sizeof(struct rtattr) <= plen) {
				struct rtattr a;
				memcpy(&a, base + off, sizeof(a));
				if (a.rta_len < sizeof(struct rtattr) || off + a.rta_len > plen)
					break;
				const char *data = base + off + RTA_LENGTH(0);
				size_t dlen = a.rta_len - RTA_LENGTH(0);
				if (a.rta_type == RTA_OIF && dlen >= sizeof(int)) {
					memcpy(&out->oif, data, sizeof(int));
				} else if (a.rta_type == RTA_PREFSRC && dlen == alen) {
					out->has_prefsrc = inet_ntop(family, data, out->prefsrc,
								     sizeof(out->prefsrc)) != NULL;
				}
				off += RTA_ALIGN((size_t)a.rta_len);
			}
			if (out->oif <= 0 || !if_indextoname((unsigned)out->oif, out->ifname))
				snprintf(out->ifname, sizeof(out->ifname), "if%d", out->oif);
			ok = true;
			goto out;
		}
	}
	err_set(e, ERR_IO, "route lookup for %s: no answer from the kernel", dst);
out:
	close(fd);
	return ok;
}

int uplink_monitor_open(struct err *e)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0) {
		err_errno(e, ERR_IO, "netlink monitor socket");
		return -1;
	}
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
					       RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err_errno(e, ERR_IO, "netlink monitor bind");
		close(fd);
		return -1;
	}
	return fd;
}

bool uplink_monitor_drain(int fd)
{
	bool changed = false;
	union {
		struct nlmsghdr nh;
		char buf[16384];
	} m;
	for (int round = 0; round < 256; round++) {
		ssize_t n = recv(fd, m.buf, sizeof(m.buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS)
				changed = true; /* we missed some: assume a change */
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			break;
		}
		if (n == 0)
			break;
		size_t left = (size_t)n;
		for (struct nlmsghdr *nh = &m.nh; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			switch (nh->nlmsg_type) {
			case RTM_NEWLINK:
			case RTM_DELLINK:
			case RTM_NEWADDR:
			case RTM_DELADDR:
			case RTM_NEWROUTE:
			case RTM_DELROUTE: changed = true; break;
			default: break;
			}
		}
	}
	return changed;
}
