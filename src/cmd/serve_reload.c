/* serve_reload.c - SIGHUP: the key set read again, watermarks untouched. */
#include "serve_reload.h"

#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "../base/log.h"
#include "../base/passphrase.h"

static bool has_key(const struct vault *v, const char *pkh_text)
{
	for (size_t i = 0; i < v->count; i++)
		if (strcmp(v->keys[i].pkh_text, pkh_text) == 0)
			return true;
	return false;
}

/* Logs the keys in `now` and not in `before` as `event`; returns how many. */
static size_t log_difference(const struct vault *now, const struct vault *before, const char *event)
{
	size_t n = 0;
	for (size_t i = 0; i < now->count; i++) {
		const struct vault_key *k = &now->keys[i];
		if (has_key(before, k->pkh_text))
			continue;
		log_info("event=%s name=%s pkh=%s storage=%s", event, k->name, k->pkh_text,
			 key_storage_name(k->storage));
		n++;
	}
	return n;
}

static bool open_new_vault(const struct serve_parts *p, struct vault *out, struct err *e)
{
	struct passphrase pass = { 0 };
	/* No terminal to prompt on: encrypted keys need -f. */
	struct vault_unlock unlock = { .allow_prompt = false };
	if (p->passfile) {
		if (!passphrase_from_file(&pass, p->passfile, e))
			return false;
		unlock.passphrase = &pass;
	}
	bool ok = vault_open(out, p->dir, &unlock, e);
	passphrase_free(&pass);
	if (!ok)
		return err_wrap(e, "loading keys from %s", p->dir);
	if (vault_ledger_key_count(out) > 0 && !*p->ledger &&
	    !ledger_backend_open(p->ledger, p->ledger_cfg, e)) {
		vault_close(out);
		return false;
	}
	if (vault_ledger_key_count(out) > 0)
		vault_attach_ledger(out, *p->ledger);
	return true;
}

static bool restart(struct serve_parts *p, struct err *e)
{
	if (!health_start(p->health, p->health_cfg, p->vault, *p->ledger, e))
		return false;
	p->cfg->health = *p->health;
	p->status_cfg->health = *p->health;
	if (!metrics_init(p->metrics, p->vault, p->store))
		return err_set(e, ERR_INTERNAL, "out of memory for metrics");
	p->metrics->health = *p->health;
	/* The same ports again (a first start with port 0 picked one). */
	p->cfg->port = p->server->port;
	if (!server_start(p->server, p->cfg, p->guard, p->metrics, e))
		return false;
	if (p->status_server) {
		p->status_cfg->port = p->status_server->port;
		if (!server_start(p->status_server, p->status_cfg, p->guard, p->metrics, e))
			return err_wrap(e, "--status-port");
	}
	return true;
}

bool serve_reload_keys(struct serve_parts *p, bool *fatal, struct err *e)
{
	*fatal = false;
	sd_notify(0, "RELOADING=1\nSTATUS=reloading keys");
	struct vault fresh;
	if (!open_new_vault(p, &fresh, e)) {
		sd_notifyf(0, "READY=1\nSTATUS=serving %zu keys (reload failed)", p->vault->count);
		return false;
	}
	size_t added = log_difference(&fresh, p->vault, "key_added");
	size_t removed = log_difference(p->vault, &fresh, "key_removed");

	/* Nothing may use the old table from here: stop what points into it. */
	if (p->status_server)
		server_stop(p->status_server);
	server_stop(p->server);
	health_stop(*p->health);
	*p->health = NULL;
	metrics_free(p->metrics);
	if (!guard_rebind_vault(p->guard, &fresh, e)) {
		vault_close(&fresh);
		*fatal = true;
		return false;
	}
	vault_close(p->vault);
	*p->vault = fresh;
	p->guard->vault = p->vault;
	if (!restart(p, e)) {
		*fatal = true;
		return false;
	}
	log_info("event=keys_reloaded keys=%zu added=%zu removed=%zu base_dir=%s", p->vault->count, added,
		 removed, p->dir);
	sd_notifyf(0, "READY=1\nSTATUS=serving %zu keys on %s port %u", p->vault->count, p->cfg->address,
		   (unsigned)p->server->port);
	return true;
}
