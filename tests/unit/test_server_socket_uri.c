/* Unit tests of --socket value parsing (src/server/socket_uri.c). */
#include <string.h>

#include "../../src/server/socket_uri.h"
#include "harness.h"

TEST(socket_uri_parses_tcp_and_unix)
{
	struct socket_uri u;
	struct err e = { 0 };
	CHECK(socket_uri_parse("tcp://127.0.0.1:7732", &u, &e));
	CHECK(!u.is_unix && strcmp(u.address, "127.0.0.1") == 0 && u.port == 7732);
	CHECK(socket_uri_parse("tcp://[::1]:0", &u, &e));
	CHECK(strcmp(u.address, "::1") == 0 && u.port == 0);
	CHECK(socket_uri_parse("unix:///run/tzsigner/signer.sock", &u, &e));
	CHECK(u.is_unix && strcmp(u.path, "/run/tzsigner/signer.sock") == 0);
	CHECK(socket_uri_parse("unix:/tmp/s", &u, &e)); /* octez's unix:/path form */
	CHECK(u.is_unix && strcmp(u.path, "/tmp/s") == 0);
}

TEST(socket_uri_must_fail)
{
	struct socket_uri u;
	struct err e = { 0 };
	char long_path[200] = "unix:///";
	memset(long_path + 8, 'a', 150);
	const char *bad[] = {
		"", "127.0.0.1:7732", "http://127.0.0.1:1", "tcp://", "tcp://127.0.0.1", "tcp://:7732",
		"tcp://127.0.0.1:65536", "tcp://127.0.0.1:-1", "tcp://127.0.0.1:7x", "tcp://::1:7732",
		"tcp://[::1]7732", "tcp://[::1", "unix://relative/path", "unix://", "unix:///dir/", long_path,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!socket_uri_parse(bad[i], &u, &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
}
