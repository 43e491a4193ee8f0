/* The high watermark rule, table-driven, and the store's durability. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "../../src/crypto/sign.h"
#include "../../src/guard/watermark.h"
#include "../../src/guard/wm_store.h"
#include "harness.h"

static void fill(uint8_t h[HASH_BYTES], uint8_t v) { memset(h, v, HASH_BYTES); }

/* Each row: the watermark after a first signature at (l0, r0) with bytes
 * A, then a request at (l, r) with bytes A or B, and the verdict. */
TEST(watermark_rule_table)
{
	static const struct {
		const char *what;
		uint32_t l0, r0, l, r;
		bool same_bytes;
		enum wm_verdict want;
	} rows[] = {
		{ "higher level", 120, 0, 121, 0, false, WM_SIGN },
		{ "higher level lower round", 120, 5, 121, 0, false, WM_SIGN },
		{ "same level higher round", 120, 0, 120, 1, false, WM_SIGN },
		{ "same level lower round", 120, 3, 120, 2, false, WM_REFUSE },
		{ "same level lower round same bytes", 120, 3, 120, 2, true, WM_REFUSE },
		{ "equal, same bytes: re-answer", 120, 0, 120, 0, true, WM_REANSWER },
		{ "equal, different bytes", 120, 0, 120, 0, false, WM_REFUSE },
		{ "lower level", 120, 0, 119, 9, false, WM_REFUSE },
		{ "lower level same bytes", 120, 0, 119, 0, true, WM_REFUSE },
		{ "level 0 round 0 first after 0,0", 0, 0, 0, 1, false, WM_SIGN },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct watermark w = { 0 };
		uint8_t a[HASH_BYTES], b[HASH_BYTES];
		struct err e = { 0 };
		fill(a, 0xaa);
		fill(b, 0xbb);
		CHECK(watermark_decide(&w, OP_ATTESTATION, rows[i].l0, rows[i].r0, a, &e) == WM_SIGN);
		watermark_record(&w, rows[i].l0, rows[i].r0, a, "edsigFIRST");
		enum wm_verdict got = watermark_decide(&w, OP_ATTESTATION, rows[i].l, rows[i].r,
						       rows[i].same_bytes ? a : b, &e);
		if (got != rows[i].want)
			printf("  row '%s': got %d want %d\n", rows[i].what, got, rows[i].want);
		CHECK(got == rows[i].want);
		if (got == WM_REFUSE)
			CHECK(e.kind == ERR_CONFLICT);
	}
}

TEST(watermark_refusal_message_like_octez)
{
	struct watermark w = { 0 };
	uint8_t a[HASH_BYTES], b[HASH_BYTES];
	struct err e = { 0 };
	fill(a, 1);
	fill(b, 2);
	watermark_record(&w, 120, 1, a, "edsigX");
	CHECK(watermark_decide(&w, OP_BLOCK, 120, 0, b, &e) == WM_REFUSE);
	CHECK_STR(e.msg, "block level 120 and round 0 not above high watermark (120, 1)");
	CHECK(watermark_decide(&w, OP_BLOCK, 120, 1, b, &e) == WM_REFUSE);
	CHECK(strstr(e.msg, "already signed with different bytes"));
}

TEST(watermark_whole_level_threshold)
{
	/* After a crash the threshold is a whole reserved level: nothing at that
	 * level signs anew, but the exact record below it is re-answered. */
	struct watermark w = { 0 }, r = { .known = true, .level = 121, .round = WM_WHOLE_LEVEL };
	uint8_t a[HASH_BYTES], b[HASH_BYTES];
	fill(a, 1);
	fill(b, 2);
	watermark_record(&w, 120, 0, a, "edsigX");
	watermark_merge(&w, &r);
	CHECK(w.level == 121 && w.round == WM_WHOLE_LEVEL);
	CHECK(watermark_decide(&w, OP_BLOCK, 121, 0, b, NULL) == WM_REFUSE);
	CHECK(watermark_decide(&w, OP_BLOCK, 121, 99, b, NULL) == WM_REFUSE);
	CHECK(watermark_decide(&w, OP_BLOCK, 120, 0, a, NULL) == WM_REANSWER);
	CHECK(watermark_decide(&w, OP_BLOCK, 120, 1, b, NULL) == WM_REFUSE);
	CHECK(watermark_decide(&w, OP_BLOCK, 122, 0, b, NULL) == WM_SIGN);
	/* merging a lower watermark changes nothing */
	struct watermark low = { .known = true, .level = 5, .round = 0 };
	watermark_merge(&w, &low);
	CHECK(w.level == 121 && w.round == WM_WHOLE_LEVEL);
}

static void temp_dir(char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/tzsigner-wm-XXXXXX");
	if (!mkdtemp(out))
		abort();
}

static void rm_dir(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

static const uint8_t MAINNET[4] = { 0x7a, 0x06, 0xa7, 0x70 };

TEST(watermark_store_sync_survives_reopen)
{
	char dir[64];
	struct wm_store s;
	struct err e = { 0 };
	struct pkh pkh = { .scheme = SCHEME_ED25519 };
	uint8_t a[HASH_BYTES];
	fill(a, 7);
	crypto_init(NULL);
	temp_dir(dir, sizeof(dir));
	CHECK(wm_store_open(&s, dir, WM_SYNC, &e));
	struct wm_slot *x = wm_store_slot(&s, MAINNET, &pkh, OP_BLOCK, &e);
	CHECK(x);
	watermark_record(&x->mem, 500, 2, a, "edsigSTORED");
	CHECK(wm_store_commit(&s, x, &x->mem, true, &e));
	/* a second signer on the same directory is refused while we run */
	struct wm_store other;
	CHECK(!wm_store_open(&other, dir, WM_SYNC, &e));
	CHECK(e.kind == ERR_UNAVAILABLE && strstr(e.msg, "another tzsigner"));
	wm_store_close(&s);

	CHECK(wm_store_open(&s, dir, WM_SYNC, &e));
	x = wm_store_slot(&s, MAINNET, &pkh, OP_BLOCK, &e);
	CHECK(x->mem.known && x->mem.level == 500 && x->mem.round == 2);
	CHECK(watermark_decide(&x->mem, OP_BLOCK, 500, 2, a, NULL) == WM_REANSWER);
	CHECK_STR(x->mem.exact.signature, "edsigSTORED");
	CHECK(watermark_decide(&x->mem, OP_BLOCK, 500, 3, a, NULL) == WM_SIGN);
	/* other kinds and chains are separate */
	struct wm_slot *y = wm_store_slot(&s, MAINNET, &pkh, OP_PREATTESTATION, &e);
	CHECK(y != x && !y->mem.known);
	wm_store_close(&s);
	rm_dir(dir);
}

/* Runs in a child that signs level 1000 and then dies without closing the
 * store, as a crash would. */
static void crash_after_signing(const char *dir)
{
	struct wm_store s;
	struct pkh pkh = { .scheme = SCHEME_BLS };
	uint8_t a[HASH_BYTES];
	fill(a, 9);
	if (!wm_store_open(&s, dir, WM_RESERVE, NULL))
		_exit(2);
	struct wm_slot *x = wm_store_slot(&s, MAINNET, &pkh, OP_ATTESTATION, NULL);
	if (!x || !wm_store_reserve(&s, x, 1000, 1, NULL) || x->reserve_durable < 1000)
		_exit(3);
	watermark_record(&x->mem, 1000, 0, a, "BLsigA");
	/* the next level's reservation is written after the signature */
	if (!wm_store_commit(&s, x, &x->mem, true, NULL) || x->reserve_durable < 1001)
		_exit(4);
	_exit(0);
}

TEST(watermark_store_reserve_costs_a_level_after_crash)
{
	char dir[64];
	struct wm_store s;
	struct err e = { 0 };
	struct pkh pkh = { .scheme = SCHEME_BLS };
	uint8_t a[HASH_BYTES];
	int status = -1;
	fill(a, 9);
	crypto_init(NULL);
	temp_dir(dir, sizeof(dir));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		crash_after_signing(dir);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* after the crash, all of the reserved level 1001 is taken */
	CHECK(wm_store_open(&s, dir, WM_RESERVE, &e));
	struct wm_slot *x = wm_store_slot(&s, MAINNET, &pkh, OP_ATTESTATION, &e);
	bool whole = x && x->mem.level == 1001 && x->mem.round == WM_WHOLE_LEVEL;
	bool refuse = x && watermark_decide(&x->mem, OP_ATTESTATION, 1001, 0, a, NULL) == WM_REFUSE;
	bool next = x && watermark_decide(&x->mem, OP_ATTESTATION, 1002, 0, a, NULL) == WM_SIGN;
	bool again = x && watermark_decide(&x->mem, OP_ATTESTATION, 1000, 0, a, NULL) == WM_REANSWER;
	wm_store_close(&s);
	CHECK(whole && refuse && next && again);
	/* a clean stop hands the unused reservation back: 1002 is not lost
	 * after a clean restart that signed 1002 */
	CHECK(wm_store_open(&s, dir, WM_RESERVE, &e));
	x = wm_store_slot(&s, MAINNET, &pkh, OP_ATTESTATION, &e);
	bool reserved = x && wm_store_reserve(&s, x, 1002, 1, &e);
	if (reserved) {
		watermark_record(&x->mem, 1002, 0, a, "BLsigB");
		reserved = wm_store_commit(&s, x, &x->mem, true, &e);
	}
	wm_store_close(&s);
	CHECK(reserved);
	CHECK(wm_store_open(&s, dir, WM_RESERVE, &e));
	x = wm_store_slot(&s, MAINNET, &pkh, OP_ATTESTATION, &e);
	bool exact = x && x->mem.level == 1002 && x->mem.round == 0;
	bool signs_next = x && watermark_decide(&x->mem, OP_ATTESTATION, 1003, 0, a, NULL) == WM_SIGN;
	wm_store_close(&s);
	CHECK(exact && signs_next);
	rm_dir(dir);
}

TEST(watermark_store_reads_octez_files)
{
	char dir[64], path[128];
	struct wm_store s;
	struct err e = { 0 };
	struct pkh pkh;
	crypto_init(NULL);
	temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/attestation_high_watermark", dir);
	const char *octez = "{\"NetXdQprcVkpaWU\":{\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\":"
			    "{\"level\":7000,\"round\":1,\"hash\":\"" 
			    "0000000000000000000000000000000000000000000000000000000000000000\","
			    "\"signature\":\"edsigOLD\"}}}";
	CHECK(file_write_durable(path, octez, strlen(octez), 0600, &e));
	snprintf(path, sizeof(path), "%s/block_high_watermark", dir);
	const char *old = "{\"NetXdQprcVkpaWU\":{\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\":{\"level\":6000}}}";
	CHECK(file_write_durable(path, old, strlen(old), 0600, &e));
	CHECK(pkh_decode("tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA", &pkh, &e));
	CHECK(wm_store_open(&s, dir, WM_RESERVE, &e));
	struct wm_slot *x = wm_store_slot(&s, MAINNET, &pkh, OP_ATTESTATION, &e);
	uint8_t z[HASH_BYTES] = { 0 }, o[HASH_BYTES];
	fill(o, 1);
	CHECK(x->mem.level == 7000 && x->mem.round == 1);
	CHECK(watermark_decide(&x->mem, OP_ATTESTATION, 7000, 1, z, NULL) == WM_REANSWER);
	CHECK(watermark_decide(&x->mem, OP_ATTESTATION, 7000, 1, o, NULL) == WM_REFUSE);
	CHECK(watermark_decide(&x->mem, OP_ATTESTATION, 7000, 0, o, NULL) == WM_REFUSE);
	CHECK(watermark_decide(&x->mem, OP_ATTESTATION, 7000, 2, o, NULL) == WM_SIGN);
	/* a record without a round: only a strictly higher level signs */
	struct wm_slot *b = wm_store_slot(&s, MAINNET, &pkh, OP_BLOCK, &e);
	CHECK(watermark_decide(&b->mem, OP_BLOCK, 6000, 5, o, NULL) == WM_REFUSE);
	CHECK(watermark_decide(&b->mem, OP_BLOCK, 6001, 0, o, NULL) == WM_SIGN);
	wm_store_close(&s);
	/* carried into our own file: still honoured without octez's files */
	unlink(path);
	snprintf(path, sizeof(path), "%s/attestation_high_watermark", dir);
	unlink(path);
	CHECK(wm_store_open(&s, dir, WM_RESERVE, &e));
	b = wm_store_slot(&s, MAINNET, &pkh, OP_BLOCK, &e);
	CHECK(watermark_decide(&b->mem, OP_BLOCK, 6000, 5, o, NULL) == WM_REFUSE);
	x = wm_store_slot(&s, MAINNET, &pkh, OP_ATTESTATION, &e);
	CHECK(watermark_decide(&x->mem, OP_ATTESTATION, 7000, 0, o, NULL) == WM_REFUSE);
	wm_store_close(&s);
	rm_dir(dir);
}

TEST(watermark_store_must_fail)
{
	char dir[64], path[128];
	struct wm_store s;
	struct err e = { 0 };
	const char *bad[] = {
		"[]",
		"{\"watermarks\":{}}",
		"{\"watermarks\":[{\"chain\":\"NetXdQprcVkpaWU\",\"kind\":\"block\",\"level\":1}]}",
		"{\"watermarks\":[{\"chain\":\"NetXdQprcVkpaWU\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\",\"kind\":\"dance\",\"level\":1}]}",
		"{\"watermarks\":[{\"chain\":\"NetXdQprcVkpaWU\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\",\"kind\":\"block\",\"level\":-1}]}",
		"{\"watermarks\":[{\"chain\":\"NetXdQprcVkpaWU\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\",\"kind\":\"block\",\"level\":4294967296}]}",
		"{\"watermarks\":[{\"chain\":\"NetXdQprcVkpaWU\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\",\"kind\":\"block\",\"level\":1,\"round\":0,\"hash\":\"zz\"}]}",
		"{\"watermarks\":[{\"chain\":\"NetXdQprcVkpaWU\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\",\"kind\":\"block\"}]}",
		"{\"watermarks\":[{\"chain\":\"Net\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\",\"kind\":\"block\",\"level\":1}]}",
		"not json",
	};
	crypto_init(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		temp_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
		CHECK(file_write_durable(path, bad[i], strlen(bad[i]), 0600, &e));
		e.kind = ERR_NONE;
		bool opened = wm_store_open(&s, dir, WM_SYNC, &e);
		if (opened)
			wm_store_close(&s);
		rm_dir(dir);
		if (opened)
			printf("  opened: %s\n", bad[i]);
		CHECK(!opened);
		CHECK(e.kind == ERR_MALFORMED);
	}
}

TEST(watermark_record_without_signature_signs_same_bytes_again)
{
	/* A signature that failed after the watermark was taken (a Ledger
	 * hiccup): the same bytes may be signed again, other bytes may not. */
	struct watermark w = { 0 };
	uint8_t a[HASH_BYTES], b[HASH_BYTES];
	struct err e = { 0 };
	fill(a, 3);
	fill(b, 4);
	watermark_record(&w, 200, 1, a, NULL);
	CHECK(!w.exact.has_signature);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 1, a, &e) == WM_REANSWER);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 1, b, &e) == WM_REFUSE);
	CHECK(e.kind == ERR_CONFLICT);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 0, a, &e) == WM_REFUSE);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 2, b, &e) == WM_SIGN);
}
