/* socket_uri.c - parses --socket values (socket_uri.h). */
#include "socket_uri.h"

#include <string.h>

#include "../base/parse.h"

static bool parse_unix(const char *path, struct socket_uri *out, struct err *e)
{
	size_t n = strlen(path);
	if (path[0] != '/')
		return err_set(e, ERR_MALFORMED, "--socket unix:%.200s: the path must be absolute (unix:///run/tzsigner/signer.sock)", path);
	if (n >= sizeof(out->path))
		return err_set(e, ERR_MALFORMED, "--socket unix:%.200s: the path is longer than %zu bytes", path,
			       sizeof(out->path) - 1);
	if (path[n - 1] == '/')
		return err_set(e, ERR_MALFORMED, "--socket unix:%.200s: the path names a directory", path);
	out->is_unix = true;
	memcpy(out->path, path, n + 1);
	return true;
}

static bool parse_tcp(const char *hostport, struct socket_uri *out, struct err *e)
{
	const char *colon, *host = hostport;
	size_t hlen;
	if (hostport[0] == '[') {
		const char *close = strchr(hostport, ']');
		if (!close || close[1] != ':')
			return err_set(e, ERR_MALFORMED, "--socket tcp://%.100s: expected [IPv6]:PORT", hostport);
		host = hostport + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(hostport, ':');
		if (!colon || strchr(hostport, ':') != colon)
			return err_set(e, ERR_MALFORMED, "--socket tcp://%.100s: expected ADDR:PORT", hostport);
		hlen = (size_t)(colon - hostport);
	}
	unsigned long port;
	if (hlen == 0 || hlen >= sizeof(out->address))
		return err_set(e, ERR_MALFORMED, "--socket tcp://%.100s: missing or too long address", hostport);
	if (!parse_ulong(colon + 1, 0, 65535, &port))
		return err_set(e, ERR_MALFORMED, "--socket tcp://%.100s: port is not a number from 0 to 65535",
			       hostport);
	memcpy(out->address, host, hlen);
	out->address[hlen] = '\0';
	out->port = (uint16_t)port;
	return true;
}

bool socket_uri_parse(const char *text, struct socket_uri *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(text, "tcp://", 6) == 0)
		return parse_tcp(text + 6, out, e);
	if (strncmp(text, "unix://", 7) == 0)
		return parse_unix(text + 7, out, e);
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, out, e);
	return err_set(e, ERR_MALFORMED, "--socket '%.200s': expected tcp://ADDR:PORT or unix:///PATH", text);
}
