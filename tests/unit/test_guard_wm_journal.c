/* The watermark journal: only changed (chain, key)s appended, replayed
 * after a crash, a torn last record dropped, damage elsewhere refused,
 * compaction, and a deleted journal written again. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/crypto/hash.h"
#include "../../src/crypto/sign.h"
#include "../../src/guard/wm_journal.h"
#include "../../src/guard/wm_store.h"
#include "harness.h"
#include "wm_test.h"

static long journal_size(const char *dir)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, WM_JOURNAL_FILE);
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static struct wm_ask key_ask(unsigned key, uint32_t level)
{
	struct wm_ask a = wmt_ask(OP_ATTESTATION, level, 0, (uint8_t)key);
	memset(a.pkh.hash, 0, PKH_BYTES);
	memcpy(a.pkh.hash, &key, sizeof(key));
	return a;
}

TEST(wm_journal_appends_only_what_changed)
{
	char dir[64];
	struct wm_store *s;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_SYNC));
	for (unsigned k = 0; k < 100; k++) {
		struct wm_ask a = key_ask(k, 50);
		CHECK(wmt_sign(s, &a, "sig"));
	}
	wm_store_close(s);
	CHECK(journal_size(dir) == 0); /* a clean stop compacts */
	CHECK(wmt_open(&s, dir, WM_SYNC));
	struct wm_ask a = key_ask(7, 51);
	CHECK(wmt_sign(s, &a, "sig51"));
	/* one (chain, key) changed: its records only, not the 100 keys' */
	long size = journal_size(dir);
	CHECK(size > 0 && size <= WM_KINDS * WM_JOURNAL_RECORD && size % WM_JOURNAL_RECORD == 0);
	wm_store_close(s);
	wmt_rm(dir);
}

static void crash_after(const char *dir, uint32_t level)
{
	struct wm_store *s;
	struct wm_ask a = key_ask(1, level);
	if (!wmt_open(&s, dir, WM_SYNC) || !wmt_sign(s, &a, "sigJ"))
		_exit(3);
	_exit(0);
}

TEST(wm_journal_replayed_after_a_crash_torn_tail_dropped)
{
	char dir[64], path[128];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_ticket t;
	int status;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		crash_after(dir, 300);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(journal_size(dir) > 0);
	/* a write torn by the crash: half a record at the end */
	snprintf(path, sizeof(path), "%s/%s", dir, WM_JOURNAL_FILE);
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	uint8_t junk[100];
	memset(junk, 0x5a, sizeof(junk));
	CHECK(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	CHECK(wmt_open(&s, dir, WM_SYNC));
	struct wm_ask a = key_ask(1, 300);
	CHECK(wm_store_begin(s, &a, &t, &e) && t.reanswer);
	CHECK_STR(t.signature, "sigJ");
	struct wm_ask b = key_ask(1, 300);
	b.hash[0] ^= 1;
	CHECK(!wm_store_begin(s, &b, &t, &e) && e.kind == ERR_CONFLICT);
	CHECK(wm_store_check(s, &e));
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(wm_journal_damage_before_the_end_is_refused)
{
	char dir[64], path[128];
	uint8_t rec[WM_JOURNAL_RECORD];
	struct wm_record r = { .kind = OP_BLOCK, .w = { .known = true, .level = 9, .round = 0 } };
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(pkh_decode("tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA", &r.pkh, NULL));
	memcpy(r.chain, WMT_MAINNET, 4);
	snprintf(path, sizeof(path), "%s/%s", dir, WM_JOURNAL_FILE);
	/* two records, the first with a flipped byte */
	uint8_t two[2 * WM_JOURNAL_RECORD];
	wm_journal_encode(rec, &r);
	memcpy(two, rec, WM_JOURNAL_RECORD);
	memcpy(two + WM_JOURNAL_RECORD, rec, WM_JOURNAL_RECORD);
	two[40] ^= 1;
	CHECK(file_write_durable(path, two, sizeof(two), 0600, NULL));
	struct wm_store *s;
	CHECK(!wmt_open(&s, dir, WM_SYNC) && wmt_last_err.kind == ERR_MALFORMED);
	CHECK(strstr(wmt_last_err.msg, "damaged"));
	/* a well-summed record with a field out of range */
	struct wm_records out = { 0 };
	size_t torn;
	struct err e = { 0 };
	rec[5] = 7; /* kind */
	uint8_t sum[HASH_BYTES];
	blake2b_256(sum, rec, 248);
	memcpy(rec + 248, sum, 8);
	CHECK(!wm_journal_parse(rec, sizeof(rec), "j", &out, &torn, &e) && e.kind == ERR_MALFORMED);
	wm_records_free(&out);
	wmt_rm(dir);
}

TEST(wm_journal_compacts_and_survives_deletion)
{
	char dir[64], path[128];
	struct wm_store *s;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_SYNC));
	for (uint32_t l = 1; l <= 600; l++) {
		struct wm_ask a = key_ask(2, l);
		CHECK(wmt_sign(s, &a, "sig"));
	}
	/* 600 writes of 3 records would be 1,800: compacted on the way */
	CHECK(journal_size(dir) <= (long)WM_JOURNAL_MIN_RECORDS * WM_JOURNAL_RECORD);
	snprintf(path, sizeof(path), "%s/%s", dir, WM_JOURNAL_FILE);
	CHECK(unlink(path) == 0);
	struct wm_ask a = key_ask(2, 601);
	CHECK(wmt_sign(s, &a, "sig601"));
	CHECK(journal_size(dir) >= 0);
	wm_store_close(s);
	CHECK(wmt_open(&s, dir, WM_SYNC));
	struct wm_ticket t;
	struct err e = { 0 };
	CHECK(wm_store_begin(s, &a, &t, &e) && t.reanswer);
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(wm_journal_deleted_while_stopped_is_refused)
{
	char dir[64], path[128];
	struct wm_store *s;
	struct err e = { 0 };
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	struct wm_ask a = key_ask(3, 40);
	CHECK(wmt_sign(s, &a, "sig"));
	wm_store_close(s);
	snprintf(path, sizeof(path), "%s/%s", dir, WM_JOURNAL_FILE);
	CHECK(unlink(path) == 0);
	CHECK(!wmt_open(&s, dir, WM_RESERVE) && wmt_last_err.kind == ERR_FORBIDDEN);
	CHECK(strstr(wmt_last_err.msg, WM_JOURNAL_FILE) && strstr(wmt_last_err.msg, "--init"));
	struct wm_options o = { .mode = WM_RESERVE, .init = true };
	CHECK(wm_store_open(&s, dir, &o, &e));
	struct wm_ticket t;
	CHECK(!wm_store_begin(s, &a, &t, &e) || t.reanswer); /* the snapshot still holds level 40 */
	wm_store_close(s);
	wmt_rm(dir);
}
