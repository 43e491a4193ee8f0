/* k8s_names.c - Kubernetes name rules (k8s_names.h). */
#include "k8s_names.h"

#include <string.h>

static bool alnum(char c, bool upper)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z');
}

bool k8s_dns_label_ok(const char *p, size_t n, size_t max)
{
	if (n == 0 || n > max || !alnum(p[0], false) || !alnum(p[n - 1], false))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i], false) && p[i] != '-')
			return false;
	return true;
}

bool k8s_label_value_ok(const char *p, size_t n)
{
	if (n == 0 || n > 63 || !alnum(p[0], true) || !alnum(p[n - 1], true))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i], true) && !strchr("._-", p[i]))
			return false;
	return true;
}

/* A DNS subdomain: dot-separated DNS labels, at most 253 in all. */
static bool dns_subdomain(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (!k8s_dns_label_ok(p + start, i - start, 63))
				return false;
			start = i + 1;
		}
	}
	return true;
}

bool k8s_label_key_ok(const char *p, size_t n)
{
	const char *slash = memchr(p, '/', n);
	if (!slash)
		return k8s_label_value_ok(p, n);
	size_t pl = (size_t)(slash - p);
	return dns_subdomain(p, pl) && k8s_label_value_ok(slash + 1, n - pl - 1);
}
