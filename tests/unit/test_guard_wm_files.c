/* The high watermark store against its files: every way the base
 * directory could fool it (issue 13), each refused or survived. Run as
 * root, uid 65534 (nobody) stands for another local user. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/file.h"
#include "../../src/crypto/sign.h"
#include "../../src/guard/auth.h"
#include "../../src/guard/key_policy.h"
#include "../../src/guard/wm_store.h"
#include "harness.h"
#include "wm_test.h"

#define REC(extra) "{\"chain\":\"NetXdQprcVkpaWU\",\"pkh\":\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\"," extra "}"
#define FILE_OF(recs) "{\"version\":1,\"watermarks\":[" recs "]}"

static bool put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_write_durable(path, text, strlen(text), 0600, NULL);
}

static bool open_fails(const char *dir, enum err_kind kind, const char *needle)
{
	struct wm_store *s;
	if (wmt_open(&s, dir, WM_RESERVE)) {
		wm_store_close(s);
		return false;
	}
	if (needle && !strstr(wmt_last_err.msg, needle))
		printf("  message: %s\n", wmt_last_err.msg);
	return wmt_last_err.kind == kind && (!needle || strstr(wmt_last_err.msg, needle));
}

TEST(wm_files_must_fail)
{
	char dir[64];
	const char *bad[] = {
		"[]",
		"{\"version\":1,\"watermarks\":{}}",
		"{\"watermarks\":[]}",                   /* no version */
		"{\"version\":99,\"watermarks\":[]}",     /* unknown version */
		"{\"version\":1,\"version\":1,\"watermarks\":[]}",
		FILE_OF(REC("\"kind\":\"block\",\"level\":1000,\"level\":5")), /* duplicate key */
		FILE_OF("{\"chain\":\"NetXdQprcVkpaWU\",\"kind\":\"block\",\"level\":1}"),
		FILE_OF(REC("\"kind\":\"dance\",\"level\":1")),
		FILE_OF(REC("\"kind\":\"block\",\"level\":-1")),
		FILE_OF(REC("\"kind\":\"block\",\"level\":4294967296")),
		FILE_OF(REC("\"kind\":\"block\",\"level\":1,\"round\":0,\"hash\":\"zz\"")),
		FILE_OF(REC("\"kind\":\"block\"")),
		FILE_OF(REC("\"kind\":\"block\",\"level\":1,\"round\":0,\"hash\":\"" 
			    "0000000000000000000000000000000000000000000000000000000000000000\",\"scheme\":\"bls_pop\"")),
		FILE_OF(REC("\"kind\":\"block\",\"level\":1,\"round\":0,\"hash\":\"" 
			    "0000000000000000000000000000000000000000000000000000000000000000\",\"signature\":7")),
		"not json",
	};
	crypto_init(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wmt_dir(dir, sizeof(dir));
		CHECK(put_file(dir, WM_STORE_FILE, bad[i]));
		bool refused = open_fails(dir, ERR_MALFORMED, NULL);
		wmt_rm(dir);
		if (!refused)
			printf("  accepted: %s\n", bad[i]);
		CHECK(refused);
	}
	/* octez's files: duplicates refused too */
	wmt_dir(dir, sizeof(dir));
	CHECK(put_file(dir, "block_high_watermark",
		       "{\"NetXdQprcVkpaWU\":{\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\":{\"level\":1000},"
		       "\"tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\":{\"level\":5}}}"));
	CHECK(open_fails(dir, ERR_MALFORMED, "twice"));
	wmt_rm(dir);
}

TEST(wm_files_fifo_does_not_hang)
{
	char dir[64], path[128];
	crypto_init(NULL);
	const char *names[] = { WM_STORE_FILE, "attestation_high_watermark" };
	for (size_t i = 0; i < 2; i++) {
		wmt_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK(mkfifo(path, 0600) == 0);
		CHECK(open_fails(dir, ERR_FORBIDDEN, "not a regular file"));
		wmt_rm(dir);
	}
}

TEST(wm_files_symlink_refused)
{
	char dir[64], path[128];
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(put_file(dir, "elsewhere", FILE_OF("")));
	snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
	CHECK(symlink("elsewhere", path) == 0);
	CHECK(open_fails(dir, ERR_FORBIDDEN, "symbolic link"));
	wmt_rm(dir);
}

TEST(wm_files_owner_and_mode)
{
	char dir[64], path[128], sub[128];
	crypto_init(NULL);
	CHECK(geteuid() == 0); /* chown to another user needs root */
	const char *names[] = { WM_STORE_FILE, "preattestation_high_watermark" };
	const char *texts[] = { FILE_OF(""), "{}" };
	for (size_t i = 0; i < 2; i++) {
		wmt_dir(dir, sizeof(dir));
		CHECK(put_file(dir, names[i], texts[i]));
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK(chown(path, 65534, 65534) == 0);
		CHECK(open_fails(dir, ERR_FORBIDDEN, "fix with: chown"));
		CHECK(chown(path, 0, 0) == 0 && chmod(path, 0620) == 0);
		CHECK(open_fails(dir, ERR_FORBIDDEN, "fix with: chmod go-w"));
		CHECK(chmod(path, 0644) == 0); /* readable by others is fine */
		struct wm_store *s;
		CHECK(wmt_open(&s, dir, WM_RESERVE));
		wm_store_close(s);
		wmt_rm(dir);
	}
	/* the base directory, and a parent, writable by others */
	wmt_dir(dir, sizeof(dir));
	CHECK(chmod(dir, 0777) == 0);
	CHECK(open_fails(dir, ERR_FORBIDDEN, "fix with: chmod go-w"));
	CHECK(chmod(dir, 0700) == 0 && chown(dir, 65534, 65534) == 0);
	CHECK(open_fails(dir, ERR_FORBIDDEN, "fix with: chown"));
	CHECK(chown(dir, 0, 0) == 0 && chmod(dir, 0775) == 0);
	snprintf(sub, sizeof(sub), "%s/base", dir);
	CHECK(mkdir(sub, 0700) == 0);
	CHECK(open_fails(sub, ERR_FORBIDDEN, dir));
	/* sticky and world-writable (like /tmp) is fine for a parent */
	CHECK(chmod(dir, 01777) == 0);
	struct wm_store *s;
	CHECK(wmt_open(&s, sub, WM_RESERVE));
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(wm_files_lock_survives_deleted_lock_files)
{
	char dir[64], path[128];
	struct wm_store *s, *other;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	/* what operators delete after a crash: nothing there holds the lock */
	snprintf(path, sizeof(path), "%s/%s", dir, WM_LEGACY_LOCK_FILE);
	unlink(path);
	CHECK(!wmt_open(&other, dir, WM_RESERVE));
	CHECK(wmt_last_err.kind == ERR_UNAVAILABLE);
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(wm_files_deleted_or_replaced_while_serving)
{
	char dir[64], path[128], tmp[140];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_records r;
	struct wm_stats st;
	struct wm_ticket t;
	crypto_init(NULL);
	for (int mode = 0; mode < 2; mode++) {
		wmt_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
		CHECK(wmt_open(&s, dir, mode ? WM_RESERVE : WM_SYNC));
		struct wm_ask a = wmt_ask(OP_ATTESTATION, 500, 0, 1);
		CHECK(wmt_sign(s, &a, "sig500"));
		/* deleted: rewritten before the next decision */
		CHECK(unlink(path) == 0);
		struct wm_ask b = wmt_ask(OP_ATTESTATION, 501, 0, 2);
		CHECK(wmt_sign(s, &b, "sig501"));
		CHECK(access(path, F_OK) == 0);
		/* replaced by an old copy that protects nothing */
		snprintf(tmp, sizeof(tmp), "%s.old", path);
		CHECK(put_file(dir, WM_STORE_FILE ".old", FILE_OF("")) && rename(tmp, path) == 0);
		struct wm_ask c = wmt_ask(OP_ATTESTATION, 501, 0, 3);
		CHECK(!wm_store_begin(s, &c, &t, &e) && e.kind == ERR_CONFLICT);
		CHECK(wm_store_snapshot(s, &r, &st, &e));
		wm_records_free(&r);
		CHECK(st.files_replaced == 2);
		CHECK(wm_store_check(s, &e));
		/* replaced by something that cannot be written over: 503 */
		CHECK(unlink(path) == 0 && mkdir(path, 0700) == 0);
		struct wm_ask d = wmt_ask(OP_ATTESTATION, 502, 0, 4);
		CHECK(!wm_store_begin(s, &d, &t, &e) && e.kind == ERR_UNAVAILABLE);
		CHECK(rmdir(path) == 0);
		wm_store_close(s);
		/* a crash now (the file as rewritten) still protects 501 */
		bool reopened = wmt_open(&s, dir, WM_RESERVE);
		if (!reopened)
			printf("  reopen: %s\n", wmt_last_err.msg);
		CHECK(reopened);
		CHECK(!wm_store_begin(s, &c, &t, &e) && e.kind == ERR_CONFLICT);
		wm_store_close(s);
		wmt_rm(dir);
	}
}

TEST(wm_files_missing_in_a_used_directory)
{
	char dir[64], path[128];
	struct wm_store *s;
	struct err e = { 0 };
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	struct wm_ask a = wmt_ask(OP_BLOCK, 10, 0, 1);
	CHECK(wmt_sign(s, &a, "sig"));
	wm_store_close(s);
	snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
	CHECK(unlink(path) == 0);
	CHECK(open_fails(dir, ERR_FORBIDDEN, "--init"));
	struct wm_options o = { .mode = WM_RESERVE, .init = true };
	CHECK(wm_store_open(&s, dir, &o, &e));
	wm_store_close(s);
	wmt_rm(dir);
	/* a directory an earlier version used (its lock file) */
	wmt_dir(dir, sizeof(dir));
	CHECK(put_file(dir, WM_LEGACY_LOCK_FILE, ""));
	CHECK(open_fails(dir, ERR_FORBIDDEN, WM_LEGACY_LOCK_FILE));
	wmt_rm(dir);
}

TEST(wm_files_reanswer_in_the_scheme_asked)
{
	char dir[64];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_ticket t;
	crypto_init(NULL);
	for (int mode = 0; mode < 2; mode++) {
		wmt_dir(dir, sizeof(dir));
		CHECK(wmt_open(&s, dir, mode ? WM_RESERVE : WM_SYNC));
		struct wm_ask a = wmt_ask(OP_ATTESTATION, 70, 0, 5);
		CHECK(pkh_decode("tz4HVR6aty9KwsQFHh81C1G7gBdhxT8kuytm", &a.pkh, &e));
		a.sig = WM_SIG_BLS_POP;
		CHECK(wmt_sign(s, &a, "BLsigPOP"));
		a.sig = WM_SIG_BLS_AUG; /* the same bytes, the other scheme: signed anew */
		CHECK(wm_store_begin(s, &a, &t, &e) && !t.reanswer);
		CHECK(wm_store_finish(s, &a, "BLsigAUG", &e));
		CHECK(wm_store_begin(s, &a, &t, &e) && t.reanswer);
		CHECK_STR(t.signature, "BLsigAUG");
		wm_store_close(s);
		/* kept on disk with its scheme */
		CHECK(wmt_open(&s, dir, WM_RESERVE));
		CHECK(wm_store_begin(s, &a, &t, &e) && t.reanswer);
		CHECK_STR(t.signature, "BLsigAUG");
		a.sig = WM_SIG_BLS_POP;
		CHECK(wm_store_begin(s, &a, &t, &e) && !t.reanswer);
		CHECK(wm_store_check(s, &e));
		wm_store_close(s);
		wmt_rm(dir);
	}
}

TEST(wm_files_chains_are_capped)
{
	char dir[64];
	struct wm_store *s;
	struct err e = { 0 };
	struct wm_ticket t;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_RESERVE));
	for (int i = 0; i <= WM_MAX_CHAINS; i++) {
		struct wm_ask a = wmt_ask(OP_ATTESTATION, 5, 0, 1);
		a.chain[0] = (uint8_t)i;
		a.chain[1] = (uint8_t)(i >> 8);
		bool ok = wm_store_begin(s, &a, &t, &e);
		CHECK(ok == (i < WM_MAX_CHAINS));
		if (ok)
			CHECK(wm_store_finish(s, &a, "sig", &e));
	}
	CHECK(e.kind == ERR_FORBIDDEN && strstr(e.msg, "--chain"));
	CHECK(wm_store_check(s, &e));
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(wm_files_import_only_raises_and_needs_the_lock)
{
	char dir[64];
	struct wm_store *s, *admin;
	struct err e = { 0 };
	struct wm_records r = { 0 };
	struct wm_ticket t;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(wmt_open(&s, dir, WM_SYNC));
	struct wm_ask a = wmt_ask(OP_BLOCK, 900, 1, 1);
	CHECK(wmt_sign(s, &a, "sig900"));
	/* while a signer runs, import cannot take the directory */
	CHECK(!wm_store_load(&admin, dir, true, &e) && e.kind == ERR_UNAVAILABLE);
	wm_store_close(s);
	const char *lower = FILE_OF(REC("\"kind\":\"block\",\"level\":5") "," REC("\"kind\":\"attestation\",\"level\":77,\"round\":2"));
	CHECK(wm_format_parse(lower, strlen(lower), "import", &r, &e));
	CHECK(wm_store_load(&admin, dir, true, &e) && wm_store_raise(admin, &r, &e));
	CHECK(wm_store_check(admin, &e));
	wm_store_free(admin);
	wm_records_free(&r);
	CHECK(wmt_open(&s, dir, WM_SYNC));
	struct wm_ask b = wmt_ask(OP_BLOCK, 900, 1, 2);
	CHECK(!wm_store_begin(s, &b, &t, &e)); /* not lowered to 5 */
	struct wm_ask c = wmt_ask(OP_ATTESTATION, 77, 2, 2);
	CHECK(!wm_store_begin(s, &c, &t, &e)); /* raised to 77 */
	c.round = 3;
	CHECK(wmt_sign(s, &c, "sig77"));
	wm_store_close(s);
	wmt_rm(dir);
}

TEST(wm_files_authorized_keys_and_policy_must_be_ours)
{
	char dir[64], path[128];
	struct err e = { 0 };
	struct auth_keys a;
	struct key_policies kp;
	crypto_init(NULL);
	wmt_dir(dir, sizeof(dir));
	CHECK(put_file(dir, AUTH_FILE, "[]") && put_file(dir, KEY_POLICY_FILE, "{\"keys\": {}}"));
	snprintf(path, sizeof(path), "%s/%s", dir, AUTH_FILE);
	CHECK(chown(path, 65534, 65534) == 0);
	CHECK(!auth_keys_load(&a, dir, &e) && e.kind == ERR_FORBIDDEN && strstr(e.msg, "chown"));
	CHECK(chown(path, 0, 0) == 0 && chmod(path, 0666) == 0);
	CHECK(!auth_keys_load(&a, dir, &e) && e.kind == ERR_FORBIDDEN && strstr(e.msg, "chmod go-w"));
	CHECK(chmod(path, 0600) == 0 && auth_keys_load(&a, dir, &e));
	auth_keys_free(&a);
	snprintf(path, sizeof(path), "%s/%s", dir, KEY_POLICY_FILE);
	CHECK(chmod(path, 0662) == 0);
	CHECK(!key_policies_load(&kp, dir, &e) && e.kind == ERR_FORBIDDEN);
	CHECK(chmod(path, 0600) == 0 && key_policies_load(&kp, dir, &e));
	key_policies_free(&kp);
	wmt_rm(dir);
}

TEST(wm_format_round_trip_escapes_and_schemes)
{
	struct wm_record r[2] = { 0 };
	struct wm_records back = { 0 };
	struct err e = { 0 };
	char *text;
	size_t len;
	crypto_init(NULL);
	CHECK(pkh_decode("tz4HVR6aty9KwsQFHh81C1G7gBdhxT8kuytm", &r[0].pkh, &e));
	memcpy(r[0].chain, WMT_MAINNET, 4);
	r[0].kind = OP_PREATTESTATION;
	r[0].w = (struct watermark){ .known = true, .level = 77, .round = 3 };
	r[0].w.exact = (struct wm_exact){ .known = true, .level = 77, .round = 3, .sig = WM_SIG_BLS_AUG,
					  .has_signature = true };
	memset(r[0].w.exact.hash, 0xcd, HASH_BYTES);
	snprintf(r[0].w.exact.signature, sizeof(r[0].w.exact.signature), "BL\"sig\\x\n");
	r[0].reserved = 90;
	r[1] = r[0];
	r[1].kind = OP_BLOCK;
	r[1].w = (struct watermark){ .known = true, .level = 80, .round = WM_WHOLE_LEVEL };
	CHECK(wm_format_serialise(r, 2, &text, &len, &e));
	CHECK(wm_format_parse(text, len, "again", &back, &e));
	free(text);
	CHECK(back.n == 2);
	CHECK(back.v[0].w.exact.sig == WM_SIG_BLS_AUG && back.v[0].reserved == 90);
	CHECK_STR(back.v[0].w.exact.signature, "BL\"sig\\x\n");
	CHECK(back.v[1].w.round == WM_WHOLE_LEVEL && !back.v[1].w.exact.known && back.v[1].w.level == 80);
	wm_records_free(&back);
}
