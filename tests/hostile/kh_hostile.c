/* kh_hostile.c - the hostile-front test (issue 14): this program takes the
 * front's place on the socketpair against a real key holder
 * (`tzsigner serve --front-fd 3`, the sanitizer build) with a real key
 * made by `tzsigner keys gen` and the real watermark store, and sends what
 * a compromised front could: truncated, oversized, mistyped and
 * interleaved frames, a flood it does not read the answers of, and
 * different payloads at one (level, round) for one key from many threads.
 *
 * It fails unless: every frame is answered exactly once with the expected
 * error kind; the key holder stops reading while its queue is full; at
 * most one payload is signed per (kind, level, round) and every signature
 * verifies (libsodium, against the public key from the base directory's
 * public_keys file, over blake2b-256 of the bytes); and the key holder
 * exits 0 with no sanitizer report when the socket closes.
 *
 * usage: kh_hostile [TZSIGNER]   (default $TZSIGNER, else build/asan/tzsigner) */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../../src/privsep/kh_frame.h"
#include "../../src/tezos/base58.h"
#include "hostile.h"

static int fd = -1;
static pid_t kh_pid;
static char base_dir[] = "/tmp/kh-hostile-XXXXXX";
static char log_path[300], pkh[KH_PKH_MAX + 1];
static uint8_t pk[32];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct answer answers[MAX_ID];
static unsigned answered_total, zero_id_answers;
static atomic_uint sent_flood;

void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL: kh_hostile: ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
	fflush(stdout);
	if (kh_pid > 0)
		kill(kh_pid, SIGKILL);
	exit(1);
}

static void run(const char *cmd)
{
	if (system(cmd) != 0)
		fail("command failed: %s", cmd);
}

/* The key, from the files `keys gen` wrote (not from the key holder). */
static void read_key(void)
{
	char path[300], text[4096];
	snprintf(path, sizeof(path), "%s/public_keys", base_dir);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	char *p = strstr(text, "\"key\": \"edpk");
	struct err e = { 0 };
	if (!p || !strtok(p + 8, "\"") || !b58check_decode(p + 8, B58_EDPK, pk, sizeof(pk), &e))
		fail("no edpk key in %s: %s", path, e.msg);
	snprintf(path, sizeof(path), "%s/public_key_hashs", base_dir);
	f = fopen(path, "r");
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	p = strstr(text, "\"tz1");
	if (!p || !strtok(p + 1, "\"") || strlen(p + 1) > KH_PKH_MAX)
		fail("no tz1 in %s", path);
	snprintf(pkh, sizeof(pkh), "%s", p + 1);
}

static void start_key_holder(const char *tzsigner)
{
	int sv[2];
	char cmd[1024];
	if (!mkdtemp(base_dir))
		fail("mkdtemp");
	snprintf(cmd, sizeof(cmd), "%s keys gen baker --type tz1 -d %s >/dev/null", tzsigner, base_dir);
	run(cmd);
	read_key();
	snprintf(log_path, sizeof(log_path), "%s/kh.log", base_dir);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		fail("socketpair: %s", strerror(errno));
	kh_pid = fork();
	if (kh_pid == 0) {
		dup2(sv[1], 3);
		if (!freopen(log_path, "w", stderr))
			_exit(126);
		execl(tzsigner, "tzsigner", "serve", "-d", base_dir, "--front-fd", "3",
		      "--power-sysfs", "none", "--workers", "4", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	fd = sv[0];
}

void send_frame(const uint8_t *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n)
		fail("send of a %zu-byte frame: %s", n, strerror(errno));
}

static void *reader(void *arg)
{
	(void)arg;
	uint8_t *buf = malloc(KH_REPLY_MAX + 1);
	for (;;) {
		ssize_t got = recv(fd, buf, KH_REPLY_MAX + 1, 0);
		if (got <= 0)
			break;
		struct kh_reply r;
		struct err e = { 0 };
		if (!kh_reply_decode(buf, (size_t)got, &r, &e))
			fail("a reply that does not decode: %s", e.msg);
		if (r.id >= MAX_ID)
			fail("reply to id %u, never sent", r.id);
		pthread_mutex_lock(&lock);
		struct answer *a = &answers[r.id];
		if (r.id == 0)
			zero_id_answers++;
		a->count++;
		a->kind = r.kind;
		a->code = r.code;
		free(a->payload);
		a->len = r.payload_len;
		if (!(a->payload = malloc(a->len + 1)))
			fail("out of memory for an answer");
		if (a->len)
			memcpy(a->payload, r.payload, a->len);
		a->payload[a->len] = 0;
		answered_total++;
		pthread_cond_broadcast(&more);
		pthread_mutex_unlock(&lock);
	}
	free(buf);
	return NULL;
}

void wait_answers(unsigned total)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 120;
	pthread_mutex_lock(&lock);
	while (answered_total < total)
		if (pthread_cond_timedwait(&more, &lock, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&lock);
			fail("%u answers of %u after 120 s", answered_total, total);
		}
	pthread_mutex_unlock(&lock);
}

void free_answers(void)
{
	for (size_t i = 0; i < MAX_ID; i++)
		free(answers[i].payload);
}

const struct answer *answer_of(uint32_t id)
{
	return &answers[id];
}

unsigned zero_answers(void)
{
	return zero_id_answers;
}

const char *hostile_pkh(void) { return pkh; }

bool verify_signature(const char *sig_text, const uint8_t *msg, size_t len)
{
	uint8_t sig[64], digest[32];
	struct err e = { 0 };
	if (!b58check_decode(sig_text, B58_EDSIG, sig, sizeof(sig), &e))
		return false;
	crypto_generichash(digest, sizeof(digest), msg, len, NULL, 0);
	return crypto_sign_verify_detached(sig, digest, sizeof(digest), pk) == 0;
}

/* The flood's sender: many frames, nobody reading the answers yet. */
static void *flood_sender(void *arg)
{
	unsigned n = *(unsigned *)arg;
	for (unsigned i = 0; i < n; i++) {
		flood_frame(FLOOD_FIRST_ID + i);
		atomic_fetch_add(&sent_flood, 1);
	}
	return NULL;
}

static void check_alive(const char *when)
{
	int status;
	if (waitpid(kh_pid, &status, WNOHANG) != 0)
		fail("the key holder exited %s (status %d); its log is %s", when, status, log_path);
}

static void finish(void)
{
	int status = 0;
	shutdown(fd, SHUT_WR); /* the front is gone: the key holder stops */
	for (int i = 0; i < 300 && waitpid(kh_pid, &status, WNOHANG) == 0; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("the key holder did not exit 0 after its peer closed (status %d); log %s", status,
		     log_path);
	char cmd[600];
	snprintf(cmd, sizeof(cmd),
		 "grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error' %s",
		 log_path);
	if (system(cmd) == 0)
		fail("sanitizer report in the key holder's log %s", log_path);
}

int main(int argc, char **argv)
{
	const char *tzsigner = argc > 1 ? argv[1] : getenv("TZSIGNER");
	if (!tzsigner)
		tzsigner = "build/asan/tzsigner";
	if (sodium_init() < 0)
		fail("sodium_init");
	start_key_holder(tzsigner);

	/* Backpressure: nobody reads, the sender must stall once the key
	 * holder's queue and both socket buffers are full. */
	unsigned flood = FLOOD_COUNT;
	pthread_t sender, rd;
	pthread_create(&sender, NULL, flood_sender, &flood);
	sleep(3);
	unsigned stalled_at = atomic_load(&sent_flood);
	check_alive("during the flood");
	if (stalled_at >= flood)
		fail("all %u flood frames were taken while no answer was read: no backpressure", flood);
	pthread_create(&rd, NULL, reader, NULL);
	pthread_join(sender, NULL);
	wait_answers(flood);
	check_flood(flood);
	printf("ok   flood: %u frames, the sender stalled at %u until answers were read, each answered once\n",
	       flood, stalled_at);

	unsigned total = flood;
	total += hostile_frames(total);
	total += double_sign_race(total);
	check_alive("at the end");
	finish();
	pthread_join(rd, NULL);
	printf("ok   kh_hostile: %u frames answered, the key holder exited 0 with a clean log\n", total);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base_dir);
	run(cmd);
	free_answers();
	return 0;
}
