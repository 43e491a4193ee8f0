/* main.c - ledgersim: serves the speculos APDU socket on 127.0.0.1 and a
 * control channel, as described by --help. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sim.h"

static const char usage[] =
	"usage: ledgersim [--port N] [--control-port N] [--seed WORDS] [--passphrase P]\n"
	"                 [--app-version X.Y.Z] [--prompt-ms N] [--verbose]\n"
	"\n"
	"A simulator of a Ledger running the Tezos Baking app, for tests and demos.\n"
	"It serves the speculos APDU socket on 127.0.0.1:PORT (request u32be length\n"
	"and APDU; reply u32be data length, data, status word), the protocol of\n"
	"Ledger's emulator, so Ledger's own clients (@ledgerhq/hw-transport-node-\n"
	"speculos) and tzsigner --ledger-proxy talk to it. Port 0 (the default)\n"
	"picks a free port. Once listening it prints one line:\n"
	"\n"
	"  ledgersim apdu_port=N control_port=M\n"
	"\n"
	"Keys come from the BIP39 seed (default: speculos's default mnemonic):\n"
	"SLIP-10 for ed25519, BIP32 for secp256k1 and P-256. State (authorized\n"
	"key, chain, high watermarks) lives in memory only.\n"
	"\n"
	"Control channel: connect to 127.0.0.1:M and send one command per line;\n"
	"each gets one line back, \"ok ...\" or \"error ...\":\n"
	"  unplug | plug               drop every APDU connection and refuse new\n"
	"                              ones (accepted then closed) / accept again\n"
	"  app closed|open|other       answer 6D00 (dashboard) / normally / 6E00\n"
	"                              (another app) to every APDU\n"
	"  lock | unlock               answer 5515 (device locked) to every APDU\n"
	"  slow MS                     send every reply MS later (0: off)\n"
	"  reject on|off               the person rejects prompts (6985)\n"
	"  prompt-ms MS                how long the person takes to confirm\n"
	"  no-sign-with-hash on|off    answer INS 0F with 6D00 (apps before 2.1)\n"
	"  state                       authorized key, chain, watermarks, signs\n"
	"  timing                      monotonic ns of the last signature's first\n"
	"                              APDU received and last reply sent\n"
	"  quit                        exit\n"
	"SIGTERM and SIGINT exit too.\n"
	"\n"
	"Not simulated: bip32-ed25519 keys (P2=03 answers 6B00) and manager\n"
	"operations (magic byte 0x03 answers 9405).\n";

#define DEFAULT_MNEMONIC                                                                          \
	"glory promote mansion idle axis finger extra february uncover one trip resource lawn "  \
	"turtle enact monster seven myth punch hobby comfort wild raise skin"
#define MAX_CONNS 32
#define APDU_IN_MAX (4 + 5 + 255)

struct conn {
	int fd;
	bool control;
	uint8_t in[APDU_IN_MAX];
	size_t in_len;
	uint8_t out[4 + SIM_REPLY_MAX];
	size_t out_len;
	bool pending;
	bool sign_end;
	int64_t due_ns;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int listen_on(uint16_t port, uint16_t *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sa);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static bool parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool parse_version(const char *s, uint8_t v[static 4])
{
	unsigned a, b, c;
	char extra;
	if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &extra) != 3 || a > 255 || b > 255 || c > 255)
		return false;
	v[0] = 1;
	v[1] = (uint8_t)a;
	v[2] = (uint8_t)b;
	v[3] = (uint8_t)c;
	return true;
}

static void drop(struct conn *conns, size_t *n, size_t i)
{
	close(conns[i].fd);
	conns[i] = conns[--*n];
}

/* A complete APDU is in c->in: answer it, later if slow or prompting. */
static void answer(struct sim *s, struct conn *c, size_t apdu_len)
{
	const uint8_t *apdu = c->in + 4;
	int64_t t = now_ns();
	bool prompt, sign_end;
	if (apdu_len >= 3 && (apdu[1] == 0x04 || apdu[1] == 0x0F) && (apdu[2] & 0x7f) == 0)
		s->sign_first_rx_ns = t;
	size_t n = sim_handle_apdu(s, apdu, apdu_len, c->out + 4, &prompt, &sign_end);
	if (s->verbose) {
		fprintf(stderr, "ledgersim: apdu ins=%02x p1=%02x len=%zu -> sw=%02x%02x%s\n",
			apdu_len > 1 ? apdu[1] : 0, apdu_len > 2 ? apdu[2] : 0, apdu_len, c->out[4 + n - 2],
			c->out[4 + n - 1], prompt ? " (prompt)" : "");
	}
	uint32_t data = (uint32_t)(n - 2);
	c->out[0] = (uint8_t)(data >> 24);
	c->out[1] = (uint8_t)(data >> 16);
	c->out[2] = (uint8_t)(data >> 8);
	c->out[3] = (uint8_t)data;
	c->out_len = 4 + n;
	c->pending = true;
	c->sign_end = sign_end;
	c->due_ns = t + (int64_t)s->faults.slow_ms * 1000000 +
		    (prompt ? (int64_t)s->faults.prompt_ms * 1000000 : 0);
}

/* Reads from an APDU connection; false when it must be closed. */
static bool read_apdu(struct sim *s, struct conn *c)
{
	ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (r <= 0)
		return r < 0 && errno == EINTR;
	c->in_len += (size_t)r;
	if (c->in_len < 4)
		return true;
	uint32_t len = (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 | (uint32_t)c->in[2] << 8 | c->in[3];
	if (len > APDU_IN_MAX - 4)
		return false;
	if (c->in_len < 4 + len)
		return true;
	if (c->in_len > 4 + len)
		return false; /* one exchange at a time */
	answer(s, c, len);
	c->in_len = 0;
	return true;
}

static bool read_control(struct sim *s, struct conn *c, bool *quit)
{
	ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
	if (r <= 0)
		return r < 0 && errno == EINTR;
	c->in_len += (size_t)r;
	for (;;) {
		uint8_t *nl = memchr(c->in, '\n', c->in_len);
		if (!nl)
			return c->in_len < sizeof(c->in) - 1;
		*nl = '\0';
		char reply[512];
		sim_control(s, (const char *)c->in, reply, sizeof(reply) - 1, quit);
		size_t rl = strlen(reply);
		reply[rl++] = '\n';
		if (send(c->fd, reply, rl, MSG_NOSIGNAL) != (ssize_t)rl)
			return false;
		size_t used = (size_t)(nl - c->in) + 1;
		memmove(c->in, nl + 1, c->in_len - used);
		c->in_len -= used;
	}
}

static void flush_due(struct sim *s, struct conn *conns, size_t *n)
{
	int64_t t = now_ns();
	for (size_t i = 0; i < *n;) {
		struct conn *c = &conns[i];
		if (!c->control && c->pending && c->due_ns <= t) {
			c->pending = false;
			if (send(c->fd, c->out, c->out_len, MSG_NOSIGNAL) != (ssize_t)c->out_len) {
				drop(conns, n, i);
				continue;
			}
			if (c->sign_end)
				s->sign_last_tx_ns = now_ns();
		}
		i++;
	}
}

static int serve(struct sim *s, int apdu_fd, int ctl_fd)
{
	struct conn conns[MAX_CONNS];
	size_t n = 0;
	bool quit = false;
	while (!stop && !quit) {
		struct pollfd p[MAX_CONNS + 2];
		int64_t next = INT64_MAX;
		p[0] = (struct pollfd){ .fd = apdu_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = ctl_fd, .events = POLLIN };
		for (size_t i = 0; i < n; i++) {
			p[2 + i] = (struct pollfd){ .fd = conns[i].fd, .events = conns[i].pending ? 0 : POLLIN };
			if (conns[i].pending && conns[i].due_ns < next)
				next = conns[i].due_ns;
		}
		int timeout = -1;
		if (next != INT64_MAX) {
			int64_t left = (next - now_ns() + 999999) / 1000000;
			timeout = left < 0 ? 0 : (int)left;
		}
		int r = poll(p, 2 + n, timeout);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r < 0)
			continue;
		/* Descending, so a dropped connection is replaced by one already seen. */
		for (size_t k = n; k-- > 0;) {
			if (!(p[2 + k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			bool keep = conns[k].control ? read_control(s, &conns[k], &quit) : read_apdu(s, &conns[k]);
			if (!keep)
				drop(conns, &n, k);
		}
		if (s->faults.unplugged)
			for (size_t i = n; i-- > 0;)
				if (!conns[i].control)
					drop(conns, &n, i);
		flush_due(s, conns, &n);
		for (int l = 0; l < 2; l++) {
			if (!(p[l].revents & POLLIN))
				continue;
			int fd = accept4(l == 0 ? apdu_fd : ctl_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			if ((l == 0 && s->faults.unplugged) || n == MAX_CONNS) {
				close(fd);
				continue;
			}
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			conns[n] = (struct conn){ .fd = fd, .control = l == 1 };
			n++;
		}
	}
	for (size_t i = 0; i < n; i++)
		close(conns[i].fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct sim s;
	const char *mnemonic = DEFAULT_MNEMONIC, *passphrase = "";
	uint16_t port = 0, ctl_port = 0;
	s.version[0] = 1;
	s.version[1] = 2;
	s.version[2] = 5;
	s.version[3] = 0;
	s.faults.prompt_ms = 200;
	if (!sim_bls_self_test()) {
		fputs("ledgersim: the EIP-2333 known-answer test failed: tz4 keys would be wrong\n", stderr);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--verbose") == 0) {
			s.verbose = true;
			continue;
		} else if (!v) {
			ok = false;
		} else if (strcmp(a, "--port") == 0) {
			ok = parse_port(v, &port);
		} else if (strcmp(a, "--control-port") == 0) {
			ok = parse_port(v, &ctl_port);
		} else if (strcmp(a, "--seed") == 0) {
			mnemonic = v;
		} else if (strcmp(a, "--passphrase") == 0) {
			passphrase = v;
		} else if (strcmp(a, "--app-version") == 0) {
			ok = parse_version(v, s.version);
		} else if (strcmp(a, "--prompt-ms") == 0) {
			long ms = strtol(v, NULL, 10);
			ok = ms >= 0 && ms <= 600000;
			s.faults.prompt_ms = (int)ms;
		} else {
			ok = false;
		}
		if (!ok) {
			fprintf(stderr, "ledgersim: bad option or value at '%s'\n%s", a, usage);
			return 2;
		}
		i++;
	}
	if (sodium_init() < 0 || !sim_seed_from_mnemonic(mnemonic, passphrase, s.seed)) {
		fprintf(stderr, "ledgersim: cannot derive the seed\n");
		return 1;
	}
	uint16_t apdu_bound, ctl_bound;
	int apdu_fd = listen_on(port, &apdu_bound);
	int ctl_fd = apdu_fd >= 0 ? listen_on(ctl_port, &ctl_bound) : -1;
	if (apdu_fd < 0 || ctl_fd < 0) {
		fprintf(stderr, "ledgersim: cannot listen on 127.0.0.1:%u / %u: %s\n", port, ctl_port,
			strerror(errno));
		sodium_memzero(s.seed, sizeof(s.seed));
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("ledgersim apdu_port=%u control_port=%u\n", apdu_bound, ctl_bound);
	fflush(stdout);
	int rc = serve(&s, apdu_fd, ctl_fd);
	close(apdu_fd);
	close(ctl_fd);
	sodium_memzero(s.seed, sizeof(s.seed));
	return rc;
}
