/* crypto_rate.c - how fast each scheme signs a 150-byte attestation.
 *
 *   crypto_rate [THREADS [SECONDS]]     (defaults: 8 threads, 2 seconds)
 *
 * One key per scheme; signs through sign.h (blake2b + sign, or BLS over the
 * raw bytes) for SECONDS on one thread, then on THREADS threads, each with
 * its own copy of the message. Prints one key=value line per run:
 *
 *   crypto scheme=tz1 threads=1 signs=N seconds=S signs_per_sec=R ns_per_sign=L
 *
 * signs_per_sec is the aggregate rate; ns_per_sign is the mean time one
 * thread spends on one signature (threads × elapsed / signs). */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/crypto/sign.h"

#define MSG_LEN 150
#define MAX_THREADS 256

struct job {
	const struct secret_key *sk;
	const struct public_key *pk;
	uint8_t msg[MSG_LEN];
	double seconds;
	uint64_t signs;
	bool failed;
	struct err err;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A 0x13 attestation: chain id, branch, tag (41 for tz4, 21 otherwise),
 * slot, level, round, payload hash, then filler up to 150 bytes. */
static void attestation(uint8_t msg[MSG_LEN], enum key_scheme scheme)
{
	memset(msg, 0, MSG_LEN);
	msg[0] = 0x13;
	memcpy(msg + 1, "\x7a\x06\xa7\x70", 4);
	for (int i = 5; i < 37; i++)
		msg[i] = (uint8_t)(i * 31);
	msg[37] = scheme == SCHEME_BLS ? 41 : 21;
	size_t at = scheme == SCHEME_BLS ? 38 : 40;
	memcpy(msg + at, "\x00\x5b\x8d\x80\x00\x00\x00\x00", 8); /* level 6000000, round 0 */
	for (size_t i = at + 8; i < MSG_LEN; i++)
		msg[i] = (uint8_t)(i * 7);
}

static void *run(void *arg)
{
	struct job *j = arg;
	struct signature sig;
	double end = now() + j->seconds;
	while (now() < end) {
		/* Vary the message so no layer can cache the answer. */
		j->msg[MSG_LEN - 1] = (uint8_t)j->signs;
		if (!sign_message(j->sk, j->pk, BLS_MODE_POP, j->msg, MSG_LEN, &sig, &j->err)) {
			j->failed = true;
			break;
		}
		j->signs++;
	}
	return NULL;
}

static bool measure(const struct secret_key *sk, const struct public_key *pk, unsigned threads,
		    double seconds)
{
	static struct job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	unsigned started = 0;
	for (unsigned i = 0; i < threads; i++) {
		jobs[i] = (struct job){ .sk = sk, .pk = pk, .seconds = seconds };
		attestation(jobs[i].msg, sk->scheme);
	}
	double t0 = now();
	for (; started < threads; started++) {
		int rc = pthread_create(&tid[started], NULL, run, &jobs[started]);
		if (rc != 0) {
			fprintf(stderr, "crypto_rate: pthread_create: %s\n", strerror(rc));
			break;
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	double elapsed = now() - t0;
	uint64_t total = 0;
	bool ok = started == threads;
	for (unsigned i = 0; i < started; i++) {
		total += jobs[i].signs;
		if (jobs[i].failed) {
			fprintf(stderr, "crypto_rate: %s: %s\n", scheme_address_prefix(sk->scheme),
				jobs[i].err.msg);
			ok = false;
		}
	}
	if (!ok || total == 0)
		return false;
	printf("crypto scheme=%s threads=%u signs=%llu seconds=%.2f signs_per_sec=%.0f "
	       "ns_per_sign=%.0f\n",
	       scheme_address_prefix(sk->scheme), started, (unsigned long long)total, elapsed,
	       (double)total / elapsed, elapsed * 1e9 * (double)started / (double)total);
	fflush(stdout);
	return true;
}

static bool parse_arg(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	long threads = 8, seconds = 2;
	if (argc > 3 || (argc > 1 && !parse_arg(argv[1], 1, MAX_THREADS, &threads)) ||
	    (argc > 2 && !parse_arg(argv[2], 1, 3600, &seconds))) {
		fprintf(stderr, "usage: crypto_rate [THREADS (1-%d, default 8) [SECONDS (default 2)]]\n",
			MAX_THREADS);
		return 2;
	}
	struct err e = { 0 };
	if (!crypto_init(&e)) {
		fprintf(stderr, "crypto_rate: %s\n", e.msg);
		return 1;
	}
	struct secret_key *sk = sodium_malloc(sizeof(*sk));
	if (!sk) {
		fprintf(stderr, "crypto_rate: sodium_malloc failed\n");
		return 1;
	}
	int rc = 0;
	for (unsigned s = 0; s < SCHEME_COUNT && rc == 0; s++) {
		struct public_key pk;
		struct signature sig;
		uint8_t msg[MSG_LEN];
		if (!secret_key_generate((enum key_scheme)s, sk, &e) ||
		    !public_key_derive(sk, &pk, &e)) {
			fprintf(stderr, "crypto_rate: %s: %s\n", scheme_name((enum key_scheme)s), e.msg);
			rc = 1;
			break;
		}
		/* Check once that what we time is a valid signature. */
		attestation(msg, sk->scheme);
		if (!sign_message(sk, &pk, BLS_MODE_POP, msg, MSG_LEN, &sig, &e) ||
		    !verify_message(&pk, msg, MSG_LEN, sig.bytes, sig.len)) {
			fprintf(stderr, "crypto_rate: %s: signature does not verify\n",
				scheme_name(sk->scheme));
			rc = 1;
			break;
		}
		if (!measure(sk, &pk, 1, (double)seconds) ||
		    (threads > 1 && !measure(sk, &pk, (unsigned)threads, (double)seconds)))
			rc = 1;
	}
	sodium_free(sk);
	return rc;
}
