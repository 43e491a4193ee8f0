/* serve.c - `tzsigner serve`: the key holder's start-up and its one
 * teardown (serve.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/passphrase.h"
#include "../crypto/sign.h"
#include "cmd.h"
#include "serve.h"

static bool open_keys(struct serve_state *st, struct err *e)
{
	const struct serve_options *o = st->opt;
	struct passphrase pass = { 0 };
	const char *passdir = o->passdir;
	if (!passdir && !o->passfile)
		passdir = getenv("CREDENTIALS_DIRECTORY"); /* systemd's LoadCredential= */
	struct vault_unlock unlock = { .allow_prompt = o->passfile == NULL && passdir == NULL,
				       .passphrase_file = o->passfile, .passphrase_dir = passdir,
				       /* the base dir's lock before any prompt (issue 16) */
				       .hold_dir_lock = true };
	if (o->passfile) {
		if (!passphrase_from_file(&pass, o->passfile, e))
			return false;
		unlock.passphrase = &pass;
	}
	st->vault_open = vault_open(&st->vault, o->dir, &unlock, e);
	passphrase_free(&pass);
	if (!st->vault_open)
		return err_wrap(e, "loading keys from %s", o->dir);
	for (size_t i = 0; i < st->vault.count; i++)
		log_info("event=key_loaded name=%s pkh=%s storage=%s", st->vault.keys[i].name,
			 st->vault.keys[i].pkh_text, key_storage_name(st->vault.keys[i].storage));
	if (st->vault.count == 0)
		log_warn("event=no_keys base_dir=%s msg=\"no local keys: every sign request will get 404\"",
			 o->dir);
	return true;
}

static bool open_guard(struct serve_state *st, struct err *e)
{
	struct serve_options *o = st->opt;
	struct guard *g = &o->guard;
	if (!key_policies_load(&g->key_policies, o->dir, e) ||
	    (g->require_auth && !auth_keys_load(&g->auth, o->dir, e)))
		return false;
	if (g->require_auth && g->auth.count == 0)
		return err_set(e, ERR_MALFORMED,
			       "-A given but %s/%s lists no key (add one with `tzsigner keys authorize`)",
			       o->dir, AUTH_FILE);
	if (o->no_watermark)
		log_warn("event=unsafe_no_high_watermark msg=\"benchmark mode: nothing prevents double signing\"");
	else if (!wm_store_open(&st->store, o->dir, &o->wm, e))
		return false;
	if (!ledger_config_transport(&o->ledger, o->ledger_proxy, e))
		return false;
	if (vault_ledger_key_count(&st->vault) > 0) {
		if (!ledger_backend_open(&st->ledger, &o->ledger, e))
			return false;
		vault_attach_ledger(&st->vault, st->ledger);
		log_info("event=ledger_backend keys=%zu transport=%s timeout_ms=%d",
			 vault_ledger_key_count(&st->vault), o->ledger.proxy ? "speculos" : "usb",
			 o->ledger.timeout_ms);
	}
	st->guard_up = guard_init(g, &st->vault, st->store, e);
	return st->guard_up;
}

/* The health watchers and the metrics, which point into the key table
 * (a reload starts them again: serve_reload.c). */
bool serve_start_watchers(struct serve_state *st, struct err *e)
{
	struct serve_options *o = st->opt;
	/* Checks of a Ledger in the background are short: they must not hold
	 * the device long while a signature waits for it. */
	o->health.ledger_timeout_ms = o->ledger.timeout_ms < 1000 ? o->ledger.timeout_ms : 1000;
	if (!health_start(&st->health, &o->health, &st->vault, st->ledger, e))
		return false;
	if (!metrics_init(&st->metrics, &st->vault, st->store))
		return err_set(e, ERR_INTERNAL, "out of memory for metrics");
	st->metrics_up = true;
	st->metrics.health = st->health;
	return true;
}

void serve_stop_watchers(struct serve_state *st)
{
	health_stop(st->health);
	st->health = NULL;
	if (st->metrics_up)
		metrics_free(&st->metrics);
	st->metrics_up = false;
}

/* Ready means checked: the front starts after each key's first check, so
 * a readiness probe never sees not_checked_yet. A device that does not
 * answer costs a few exchange timeouts, not more. */
static void wait_first_checks(struct serve_state *st)
{
	size_t n = vault_ledger_key_count(&st->vault);
	size_t devices = n < 8 ? n : 8;
	int first_ms = 2000 + 4 * st->opt->health.ledger_timeout_ms * (int)devices;
	if (!health_wait_first_checks(st->health, first_ms))
		log_warn("event=first_check_late msg=\"the first check of every key took over %d ms: serving anyway\"",
			 first_ms);
}

/* The line the tests and operators wait for: everything is up. */
static void log_listening(const struct serve_state *st, const struct serve_front *f)
{
	const struct serve_options *o = st->opt;
	char magic[256 * 5 + 1];
	policy_format_magic(&o->guard.policy, magic, sizeof(magic));
	log_info("event=listening address=%s port=%u keys=%zu magic_bytes=%s durability=%s auth=%s base_dir=%s",
		 o->front_fd >= 0 ? "-" : o->address, (unsigned)serve_front_api_port(f), st->vault.count, magic,
		 o->no_watermark ? "none" : o->wm.mode == WM_SYNC ? "sync" : "reserve",
		 o->guard.require_auth ? "required" : "off", o->dir);
}

/* The one teardown, whatever start-up got to. */
static void teardown(struct serve_state *st, struct serve_listeners *l, struct serve_front *f)
{
	serve_front_stop(f);
	serve_unlisten(st->opt, l);
	serve_stop_watchers(st);
	if (st->store)
		wm_store_close(st->store);
	guard_free(&st->opt->guard);
	if (st->vault_open)
		vault_close(&st->vault);
	ledger_backend_close(st->ledger);
}

int cmd_serve(int argc, char **argv)
{
	static struct serve_options opt; /* large: off the stack */
	int status = serve_parse_options(argc, argv, &opt);
	if (status >= 0)
		return status;
	if (opt.front_fd < 0 && !cmd_base_dir_present("serve", opt.dir))
		return EXIT_FAILURE;

	/* Signals are taken synchronously by the main thread (serve_loop).
	 * They are blocked before any thread exists, so every thread inherits
	 * the mask and a SIGTERM can never land on one of them. */
	sigset_t stop;
	serve_signals(&stop);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	cmd_harden_process();

	struct serve_state st = { .opt = &opt };
	struct serve_listeners l = { .api_fd = -1, .status_fd = -1 };
	struct serve_front *f = NULL;
	struct err e = { 0 };
	bool ok = crypto_init(&e) && open_keys(&st, &e) && open_guard(&st, &e) &&
		  serve_start_watchers(&st, &e);
	if (ok)
		wait_first_checks(&st);
	ok = ok && serve_listen(&opt, &l, &e) && serve_front_start(&f, &st, &l, &e);
	if (!ok) {
		teardown(&st, &l, f);
		return cmd_fail("serve", &e);
	}
	log_listening(&st, f);
	status = serve_loop(&st, &l, f);
	teardown(&st, &l, f);
	log_info("event=stopped");
	return status;
}
