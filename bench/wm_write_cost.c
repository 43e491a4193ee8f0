/* wm_write_cost.c - what one watermark write costs as the store grows:
 * a store with N keys (3 kinds each, one chain) in /tmp, ROUNDS times,
 * medians:
 *   journal   serving with --durability sync, one key signs a new level:
 *             begin + finish, which waits for its write (the changed
 *             records appended to the journal, fdatasync);
 *   snapshot  the whole state written as the file (compaction: serialise,
 *             write, fsync, rename, fsync the directory, empty the journal);
 *   serialise the whole state to text, alone.
 *
 *   build/bench/wm_write_cost [N…]      (default 10 100 1000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../src/crypto/sign.h"
#include "../src/guard/wm_store.h"

#define ROUNDS 41

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct wm_record record(size_t key, enum op_kind kind, uint32_t level)
{
	struct wm_record r = { .kind = kind };
	static const uint8_t chain[4] = { 0x7a, 0x06, 0xa7, 0x70 };
	memcpy(r.chain, chain, 4);
	r.pkh.scheme = SCHEME_ED25519;
	memcpy(r.pkh.hash, &key, sizeof(key));
	r.w = (struct watermark){ .known = true, .level = level, .round = 0 };
	r.w.exact = (struct wm_exact){ .known = true, .level = level, .round = 0, .has_signature = true };
	memset(r.w.exact.hash, 0xab, HASH_BYTES);
	snprintf(r.w.exact.signature, sizeof(r.w.exact.signature), "%s",
		 "edsigtXomBKi5CTRf5cjATJWSyaRvhfYNHqSUGrn4SdbYRcGwQrUGjzEfQDTuqHhuA8b2d8NarZjz8TRf65WkpQmo423BtomS8Q");
	r.reserved = level + 8;
	return r;
}

static int measure(size_t keys)
{
	char dir[] = "/tmp/tzsigner-wmcost-XXXXXX";
	struct err e = { 0 };
	struct wm_store *s;
	struct wm_records all = { 0 };
	double write_us[ROUNDS], ser_us[ROUNDS];
	if (!mkdtemp(dir))
		return 1;
	for (size_t k = 0; k < keys; k++)
		for (int kind = 0; kind < WM_KINDS; kind++)
			if (!wm_records_push(&all, &(struct wm_record){ 0 }, &e))
				return 1;
	for (size_t k = 0, i = 0; k < keys; k++)
		for (int kind = 0; kind < WM_KINDS; kind++)
			all.v[i++] = record(k, (enum op_kind)kind, 1000);
	if (!wm_store_load(&s, dir, true, &e) || !wm_store_raise(s, &all, &e)) {
		fprintf(stderr, "wm_write_cost: %s\n", e.msg);
		return 1;
	}
	double journal_us[ROUNDS];
	for (int i = 0; i < ROUNDS; i++) {
		struct wm_record r = record(0, OP_ATTESTATION, 1001 + (uint32_t)i);
		struct wm_records one = { .v = &r, .n = 1, .cap = 1 };
		double t0 = now_us();
		if (!wm_store_raise(s, &one, &e)) {
			fprintf(stderr, "wm_write_cost: %s\n", e.msg);
			return 1;
		}
		write_us[i] = now_us() - t0;
		char *text;
		size_t len;
		t0 = now_us();
		if (!wm_format_serialise(all.v, all.n, &text, &len, &e))
			return 1;
		ser_us[i] = now_us() - t0;
		free(text);
	}
	wm_store_free(s);
	struct wm_options o = { .mode = WM_SYNC };
	if (!wm_store_open(&s, dir, &o, &e)) {
		fprintf(stderr, "wm_write_cost: %s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < ROUNDS; i++) {
		struct wm_ask a = { .kind = OP_ATTESTATION, .level = 5000 + (uint32_t)i };
		struct wm_record k = record(1, OP_ATTESTATION, 0);
		struct wm_ticket t;
		memcpy(a.chain, k.chain, 4);
		a.pkh = k.pkh;
		memset(a.hash, i, HASH_BYTES);
		if (!wm_store_begin(s, &a, &t, &e))
			return 1;
		double t0 = now_us();
		if (!wm_store_finish(s, &a, "edsigX", &e))
			return 1;
		journal_us[i] = now_us() - t0;
	}
	wm_store_close(s);
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
	if (stat(path, &st) != 0)
		return 1;
	qsort(write_us, ROUNDS, sizeof(double), cmp);
	qsort(ser_us, ROUNDS, sizeof(double), cmp);
	qsort(journal_us, ROUNDS, sizeof(double), cmp);
	printf("wm_write_cost keys=%zu records=%zu file_bytes=%lld journal_write_median_us=%.0f "
	       "journal_write_p90_us=%.0f snapshot_write_median_us=%.0f snapshot_write_p90_us=%.0f "
	       "serialise_median_us=%.0f rounds=%d\n",
	       keys, all.n, (long long)st.st_size, journal_us[ROUNDS / 2], journal_us[ROUNDS * 9 / 10],
	       write_us[ROUNDS / 2], write_us[ROUNDS * 9 / 10], ser_us[ROUNDS / 2], ROUNDS);
	wm_records_free(&all);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const size_t def[] = { 10, 100, 1000 };
	if (!crypto_init(NULL))
		return 1;
	if (argc == 1) {
		for (size_t i = 0; i < 3; i++)
			if (measure(def[i]) != 0)
				return 1;
		return 0;
	}
	for (int i = 1; i < argc; i++)
		if (measure(strtoul(argv[i], NULL, 10)) != 0)
			return 1;
	return 0;
}
