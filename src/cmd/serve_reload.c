/* serve_reload.c - SIGHUP: the key set read again, watermarks untouched,
 * what the status shows of the keys kept carried over. */
#include "serve_reload.h"

#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "../base/log.h"
#include "../base/passphrase.h"
#include "../server/recent.h"


static size_t key_index(const struct vault *v, const char *pkh_text)
{
	for (size_t i = 0; i < v->count; i++)
		if (strcmp(v->keys[i].pkh_text, pkh_text) == 0)
			return i;
	return v->count;
}

/* Logs the keys in `now` and not in `before` as `event`; returns how many. */
static size_t log_difference(const struct vault *now, const struct vault *before, const char *event)
{
	size_t n = 0;
	for (size_t i = 0; i < now->count; i++) {
		const struct vault_key *k = &now->keys[i];
		if (key_index(before, k->pkh_text) < before->count)
			continue;
		log_info("event=%s name=%s pkh=%s storage=%s", event, k->name, k->pkh_text,
			 key_storage_name(k->storage));
		n++;
	}
	return n;
}

/* What the status shows of each key the reload keeps (its last signatures
 * per kind, its latency minutes), in the order of the new table; NULL when
 * there is nothing to carry (or no memory: the status starts afresh). */
static struct recent_key *recent_carry(const struct serve_state *st, const struct vault *fresh)
{
	const struct recent *r = &st->metrics.recent;
	if (!st->metrics_up || !r->keys || fresh->count == 0)
		return NULL;
	struct recent_key *kept = calloc(fresh->count, sizeof(*kept));
	if (!kept)
		return NULL;
	for (size_t i = 0; i < fresh->count; i++) {
		size_t j = key_index(&st->vault, fresh->keys[i].pkh_text);
		if (j < st->vault.count && j < r->n)
			kept[i] = r->keys[j];
	}
	return kept;
}

static bool open_new_vault(struct serve_state *st, struct vault *out, struct err *e)
{
	const struct serve_options *o = st->opt;
	struct passphrase pass = { 0 };
	/* No terminal to prompt on: encrypted keys need -f. */
	struct vault_unlock unlock = { .allow_prompt = false };
	if (o->passfile) {
		if (!passphrase_from_file(&pass, o->passfile, e))
			return false;
		unlock.passphrase = &pass;
	}
	bool ok = vault_open(out, o->dir, &unlock, e);
	passphrase_free(&pass);
	if (!ok)
		return err_wrap(e, "loading keys from %s", o->dir);
	if (vault_ledger_key_count(out) > 0 && !st->ledger &&
	    !ledger_backend_open(&st->ledger, &o->ledger, e)) {
		vault_close(out);
		return false;
	}
	if (vault_ledger_key_count(out) > 0)
		vault_attach_ledger(out, st->ledger);
	return true;
}

bool serve_reload_keys(struct serve_state *st, struct serve_front *f, bool *fatal, struct err *e)
{
	*fatal = false;
	sd_notify(0, "RELOADING=1\nSTATUS=reloading keys");
	struct vault fresh;
	if (!open_new_vault(st, &fresh, e)) {
		sd_notifyf(0, "READY=1\nSTATUS=serving %zu keys (reload failed)", st->vault.count);
		return false;
	}
	size_t added = log_difference(&fresh, &st->vault, "key_added");
	size_t removed = log_difference(&st->vault, &fresh, "key_removed");

	/* Nothing may use the old table from here: no request runs, and what
	 * points into the table stops. */
	serve_front_pause(f);
	struct recent_key *kept = recent_carry(st, &fresh);
	serve_stop_watchers(st);
	if (!guard_rebind_vault(&st->opt->guard, &fresh, e)) {
		free(kept);
		vault_close(&fresh);
		*fatal = true;
		return false;
	}
	vault_close(&st->vault);
	st->vault = fresh;
	st->opt->guard.vault = &st->vault;
	bool started = serve_start_watchers(st, e);
	if (started && kept && st->metrics.recent.n == st->vault.count)
		memcpy(st->metrics.recent.keys, kept, st->vault.count * sizeof(*kept));
	free(kept);
	if (!started || !serve_front_resume(f, e)) {
		*fatal = true;
		return false;
	}
	log_info("event=keys_reloaded keys=%zu added=%zu removed=%zu base_dir=%s", st->vault.count,
		 added, removed, st->opt->dir);
	sd_notifyf(0, "READY=1\nSTATUS=serving %zu keys", st->vault.count);
	return true;
}
