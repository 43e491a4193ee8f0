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
		watermark_record(&w, rows[i].l0, rows[i].r0, a, WM_SIG_PLAIN, "edsigFIRST");
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
	watermark_record(&w, 120, 1, a, WM_SIG_PLAIN, "edsigX");
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
	watermark_record(&w, 120, 0, a, WM_SIG_PLAIN, "edsigX");
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

#include "wm_test.h"

TEST(watermark_order_is_one_rule)
{
	CHECK(wm_order_cmp(5, 0, 4, WM_WHOLE_LEVEL) > 0);
	CHECK(wm_order_cmp(5, 3, 5, WM_WHOLE_LEVEL) < 0);
	CHECK(wm_order_cmp(5, 3, 5, 3) == 0);
	CHECK(wm_order_cmp(5, 2, 5, 3) < 0);
	CHECK(wm_order_cmp(4, 9, 5, 0) < 0);
}

TEST(watermark_store_sync_survives_reopen)
{
	char dir[64];
	struct wm_store *s, *other;
	struct err e = { 0 };
	struct wm_ticket t;
	struct wm_ask a = wmt_ask(OP_BLOCK, 500, 2, 7);
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_SYNC));
	CHECK(wmt_sign(s, &a, "edsigSTORED"));
	/* a second signer on the same directory is refused while we run, and
	 * told who holds it */
	CHECK(!wmt_open(&other, dir, WM_SYNC));
	char pid[32];
	snprintf(pid, sizeof(pid), "process %ld", (long)getpid());
	CHECK(wmt_last_err.kind == ERR_UNAVAILABLE && strstr(wmt_last_err.msg, "another tzsigner"));
	CHECK(strstr(wmt_last_err.msg, pid));
	wm_store_close(s);

	CHECK(wmt_open(&s, dir, WM_SYNC));
	CHECK(wm_store_begin(s, &a, &t, &e) && t.reanswer);
	CHECK_STR(t.signature, "edsigSTORED");
	struct wm_ask b = wmt_ask(OP_BLOCK, 500, 2, 8);
	CHECK(!wm_store_begin(s, &b, &t, &e) && e.kind == ERR_CONFLICT);
	b.round = 3;
	CHECK(wmt_sign(s, &b, "edsigNEXT"));
	/* other kinds are separate */
	struct wm_ask p = wmt_ask(OP_PREATTESTATION, 10, 0, 9);
	CHECK(wmt_sign(s, &p, "edsigP"));
	CHECK(wm_store_check(s, &e));
	wm_store_close(s);
	wmt_rm(dir);
}

/* Runs in a child that signs level 1000 and then dies without closing the
 * store, as a crash would. */
static void crash_after_signing(const char *dir)
{
	struct wm_store *s;
	struct wm_ask a = wmt_ask(OP_ATTESTATION, 1000, 0, 9);
	if (!wmt_open(&s, dir, WM_RESERVE) || !wmt_sign(s, &a, "BLsigA"))
		_exit(3);
	_exit(0);
}

TEST(watermark_store_reserve_follows_the_chain_and_costs_the_window_after_crash)
{
	char dir[64];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_ticket t;
	int status = -1;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		crash_after_signing(dir);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* after the crash, every level up to 1000 + W is taken, for all three
	 * kinds of that (chain, key): the reservation followed the chain */
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	for (int k = 0; k < WM_KINDS; k++) {
		struct wm_ask at = wmt_ask((enum op_kind)k, 1000 + WM_WINDOW_DEFAULT, 5, 1);
		CHECK(!wm_store_begin(s, &at, &t, &e) && e.kind == ERR_CONFLICT);
		CHECK(wm_store_check(s, &e));
	}
	/* the exact record rides along with the next write, which the crash
	 * prevented: identical bytes are refused, not signed again */
	struct wm_ask again = wmt_ask(OP_ATTESTATION, 1000, 0, 9);
	CHECK(!wm_store_begin(s, &again, &t, &e) && e.kind == ERR_CONFLICT);
	/* above the reservation signs (after one write: the exact record of
	 * 1000 never reached the disk, so there is nothing to reserve from) */
	struct wm_ask next = wmt_ask(OP_BLOCK, 1000 + WM_WINDOW_DEFAULT + 1, 0, 2);
	CHECK(wmt_sign(s, &next, "BLsigB"));
	wm_store_close(s);
	/* after a clean stop, the first signature finds its level reserved at
	 * open: no write on its path */
	struct wm_records r;
	struct wm_stats st0, st1;
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	CHECK(wm_store_snapshot(s, &r, &st0, &e));
	wm_records_free(&r);
	struct wm_ask first = wmt_ask(OP_ATTESTATION, 1000 + WM_WINDOW_DEFAULT + 2, 0, 4);
	CHECK(wmt_sign(s, &first, "BLsigF"));
	CHECK(wm_store_snapshot(s, &r, &st1, &e));
	wm_records_free(&r);
	CHECK(st1.writes == st0.writes);
	wm_store_close(s);
	/* a clean stop hands the unused reservation back */
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	struct wm_ask b2 = wmt_ask(OP_BLOCK, 1000 + WM_WINDOW_DEFAULT + 2, 1, 3);
	CHECK(wmt_sign(s, &b2, "BLsigC"));
	struct wm_ask pre = wmt_ask(OP_PREATTESTATION, 1000 + WM_WINDOW_DEFAULT + 2, 0, 3);
	CHECK(wmt_sign(s, &pre, "BLsigD"));
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(watermark_store_block_after_a_jump_does_not_wait)
{
	char dir[64];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_records r;
	struct wm_stats st0, st1;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	struct wm_ask a = wmt_ask(OP_ATTESTATION, 100, 0, 1);
	CHECK(wmt_sign(s, &a, "sigA")); /* a new (chain, key): waits once */
	/* wait until the background extension (if any) is durable */
	CHECK(wm_store_snapshot(s, &r, &st0, &e));
	wm_records_free(&r);
	for (uint32_t l = 101; l <= 103; l++) {
		struct wm_ask x = wmt_ask(OP_ATTESTATION, l, 0, (uint8_t)l);
		CHECK(wmt_sign(s, &x, "sigX"));
	}
	/* a block 5 levels above the last attestation: inside the window
	 * reserved for the whole (chain, key) by the attestations */
	struct wm_ask block = wmt_ask(OP_BLOCK, 108, 0, 2);
	struct wm_ticket t;
	CHECK(wm_store_begin(s, &block, &t, &e));
	CHECK(wm_store_finish(s, &block, "sigB", &e));
	CHECK(wm_store_check(s, &e));
	CHECK(wm_store_snapshot(s, &r, &st1, &e));
	CHECK(st1.window == WM_WINDOW_DEFAULT);
	wm_records_free(&r);
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(watermark_store_window_grows_when_requests_catch_up)
{
	char dir[64];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_records r;
	struct wm_stats st;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	struct wm_options o = { .mode = WM_RESERVE, .reserve_ahead = 1 };
	CHECK(wm_store_open(&s, dir, &o, &e));
	for (uint32_t l = 1; l <= 300; l++) {
		struct wm_ask x = wmt_ask(OP_ATTESTATION, l, 0, (uint8_t)l);
		CHECK(wmt_sign(s, &x, "sig"));
		CHECK(wm_store_check(s, &e));
	}
	CHECK(wm_store_snapshot(s, &r, &st, &e));
	wm_records_free(&r);
	CHECK(st.window > 1 && st.window <= WM_WINDOW_MAX);
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(watermark_store_reads_octez_files)
{
	char dir[64], path[128];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_ticket t;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/attestation_high_watermark", dir);
	const char *octez = "{\"NetXdQprcVkpaWU\":{\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\":"
			    "{\"level\":7000,\"round\":1,\"hash\":\""
			    "0000000000000000000000000000000000000000000000000000000000000000\","
			    "\"signature\":\"edsigOLD\"}}}";
	CHECK(file_write_durable(path, octez, strlen(octez), 0600, &e));
	snprintf(path, sizeof(path), "%s/block_high_watermark", dir);
	const char *old = "{\"NetXdQprcVkpaWU\":{\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\":{\"level\":6000}}}";
	CHECK(file_write_durable(path, old, strlen(old), 0600, &e));
	CHECK(wmt_open(&s, dir, WM_SYNC));
	struct wm_ask z = wmt_ask(OP_ATTESTATION, 7000, 1, 0);
	CHECK(wm_store_begin(s, &z, &t, &e) && t.reanswer);
	CHECK_STR(t.signature, "edsigOLD");
	struct wm_ask o = wmt_ask(OP_ATTESTATION, 7000, 1, 1);
	CHECK(!wm_store_begin(s, &o, &t, &e));
	o.round = 0;
	CHECK(!wm_store_begin(s, &o, &t, &e));
	/* a record without a round: only a strictly higher level signs */
	struct wm_ask b = wmt_ask(OP_BLOCK, 6000, 5, 1);
	CHECK(!wm_store_begin(s, &b, &t, &e));
	wm_store_close(s);
	/* carried into our own file: still honoured without octez's files */
	unlink(path);
	snprintf(path, sizeof(path), "%s/attestation_high_watermark", dir);
	unlink(path);
	CHECK(wmt_open(&s, dir, WM_SYNC));
	CHECK(!wm_store_begin(s, &b, &t, &e) && e.kind == ERR_CONFLICT);
	CHECK(!wm_store_begin(s, &o, &t, &e) && e.kind == ERR_CONFLICT);
	o.round = 2;
	CHECK(wmt_sign(s, &o, "edsigNEW"));
	b.level = 6001;
	CHECK(wmt_sign(s, &b, "edsigB"));
	wm_store_close(s);
	wmt_rm(dir);
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
	watermark_record(&w, 200, 1, a, WM_SIG_PLAIN, NULL);
	CHECK(!w.exact.has_signature);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 1, a, &e) == WM_REANSWER);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 1, b, &e) == WM_REFUSE);
	CHECK(e.kind == ERR_CONFLICT);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 0, a, &e) == WM_REFUSE);
	CHECK(watermark_decide(&w, OP_PREATTESTATION, 200, 2, b, &e) == WM_SIGN);
}
