/* sign_latency.c - a baker's sign latency, one connection per request.
 *
 *   sign_latency PORT PKH [COUNT]        (default 500 requests)
 *
 * Each request is a fresh tz1 attestation (magic 0x13, tag 21, level + 1 at
 * every request on a chain id of its own) sent as POST /keys/PKH to
 * 127.0.0.1:PORT on a new TCP connection, which is closed after the answer,
 * as octez's RPC client makes one connection per call. The time counted is
 * connect, request, the whole answer. Prints one key=value line:
 *
 *   sign_latency n=N p50_ms=X p99_ms=X max_ms=X failed=N
 *
 * A C client, so that the figure is the signer's and not the client's
 * runtime's (bench/front_crowd.mjs holds its crowd open with Node and
 * measures with this). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define COUNT_MAX 100000

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 0x13 ‖ chain(4) ‖ branch(32) ‖ tag 21 ‖ slot(2) ‖ level(4) ‖ round(4) ‖
 * payload hash(32), as lowercase hex in a JSON string. */
static int attestation(char *out, size_t cap, uint32_t chain, uint32_t level)
{
	char zeros[65];
	memset(zeros, '0', 64);
	zeros[64] = '\0';
	return snprintf(out, cap, "\"13%08x%s150000%08x00000000%s\"", chain, zeros, level, zeros);
}

/* One request on a fresh connection: 0 when the answer is a 200. */
static int one(uint16_t port, const char *pkh, uint32_t chain, uint32_t level)
{
	char body[256], req[768], ans[4096];
	int blen = attestation(body, sizeof(body), chain, level);
	int rlen = snprintf(req, sizeof(req),
			    "POST /keys/%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
			    "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
			    pkh, port, blen, body);
	if (blen <= 0 || rlen <= 0 || (size_t)rlen >= sizeof(req))
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one_ = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int rc = -1;
	size_t got = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    send(fd, req, (size_t)rlen, MSG_NOSIGNAL) != rlen)
		goto out;
	for (;;) {
		ssize_t n = recv(fd, ans + got, sizeof(ans) - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(ans) - 1)
			break;
	}
	ans[got] = '\0';
	rc = strncmp(ans, "HTTP/1.1 200 ", 13) == 0 && strstr(ans, "\"signature\"") ? 0 : -1;
out:
	close(fd);
	return rc;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sign_latency PORT PKH [COUNT]\n");
		return 2;
	}
	long port = strtol(argv[1], NULL, 10), count = argc > 3 ? strtol(argv[3], NULL, 10) : 500;
	if (port <= 0 || port > 65535 || count <= 0 || count > COUNT_MAX) {
		fprintf(stderr, "sign_latency: PORT 1-65535 and COUNT 1-%d\n", COUNT_MAX);
		return 2;
	}
	double *lat = calloc((size_t)count, sizeof(*lat));
	if (!lat)
		return 1;
	struct timespec seed;
	clock_gettime(CLOCK_REALTIME, &seed);
	uint32_t chain = (uint32_t)seed.tv_nsec ^ (uint32_t)getpid() << 16;
	long failed = 0;
	for (long i = 0; i < count; i++) {
		double t = now_ms();
		if (one((uint16_t)port, argv[2], chain, (uint32_t)(i + 1)) != 0)
			failed++;
		lat[i] = now_ms() - t;
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp);
	size_t p99 = (size_t)((double)count * 0.99);
	if (p99 >= (size_t)count)
		p99 = (size_t)count - 1;
	printf("sign_latency n=%ld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f failed=%ld\n", count,
	       lat[count / 2], lat[p99], lat[count - 1], failed);
	free(lat);
	return failed ? 1 : 0;
}
