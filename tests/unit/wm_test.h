/* wm_test.h - helpers for the high watermark store's tests: a scratch
 * directory, an ask, and a sign that checks the store's invariants after
 * every operation (wm_store_check, as sshbuf_check_sanity in OpenSSH). */
#ifndef TZS_TESTS_WM_TEST_H
#define TZS_TESTS_WM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/guard/wm_store.h"

static const uint8_t WMT_MAINNET[4] = { 0x7a, 0x06, 0xa7, 0x70 };
static struct err wmt_last_err;

static inline void wmt_dir(char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/tzsigner-wm-XXXXXX");
	if (!mkdtemp(out))
		abort();
}

static inline void wmt_rm(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

/* An ask for tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA on mainnet whose bytes
 * hash to 32 times `bytes`. */
static inline struct wm_ask wmt_ask(enum op_kind kind, uint32_t level, uint32_t round, uint8_t bytes)
{
	struct wm_ask a = { .kind = kind, .level = level, .round = round, .sig = WM_SIG_PLAIN };
	memcpy(a.chain, WMT_MAINNET, 4);
	if (!pkh_decode("tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA", &a.pkh, NULL))
		abort();
	memset(a.hash, bytes, HASH_BYTES);
	return a;
}

static inline bool wmt_open(struct wm_store **s, const char *dir, enum wm_durability mode)
{
	struct wm_options o = { .mode = mode };
	memset(&wmt_last_err, 0, sizeof(wmt_last_err));
	return wm_store_open(s, dir, &o, &wmt_last_err);
}

/* begin (must say: sign), finish, check. */
static inline bool wmt_sign(struct wm_store *s, const struct wm_ask *a, const char *sig)
{
	struct wm_ticket t;
	memset(&wmt_last_err, 0, sizeof(wmt_last_err));
	return wm_store_begin(s, a, &t, &wmt_last_err) && !t.reanswer &&
	       wm_store_check(s, &wmt_last_err) && wm_store_finish(s, a, sig, &wmt_last_err) &&
	       wm_store_check(s, &wmt_last_err);
}

#endif
