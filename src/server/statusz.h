/* statusz.h - the bodies of /statusz, /statusz/<pkh> and the status page. */
#ifndef TZS_SERVER_STATUSZ_H
#define TZS_SERVER_STATUSZ_H

#include <jansson.h>
#include <stdbool.h>

#include <stddef.h>

#include "../vault/vault.h"

struct health;
struct metrics;

/* What the status is rendered from: the key table, the health watchers'
 * snapshot (NULL: none run) and the signing history (NULL: none kept). */
struct statusz_source {
	const struct vault *vault;
	struct health *health;
	struct metrics *metrics;
};

/* The /statusz body; *all: every key can sign. NULL when out of memory. */
json_t *statusz_body(const struct statusz_source *s, bool *all);

/* One key's /statusz/<pkh> body; *can_sign: it can sign now. */
json_t *statusz_key_json(const struct statusz_source *s, const struct vault_key *k,
			 bool *can_sign);

/* GET / and /status.html on the status port: statusz_body as a page
 * (caller frees; *len its size). NULL when out of memory. */
char *statusz_page_html(const struct statusz_source *s, size_t *len);

#endif
