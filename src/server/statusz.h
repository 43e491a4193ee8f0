/* statusz.h - the bodies of /statusz, /statusz/<pkh> and the status page. */
#ifndef TZS_SERVER_STATUSZ_H
#define TZS_SERVER_STATUSZ_H

#include <jansson.h>
#include <stdbool.h>

#include "../vault/vault.h"
#include "request.h"

/* The /statusz body; *all: every key can sign. NULL when out of memory. */
json_t *statusz_body(const struct request *r, bool *all);

/* One key's /statusz/<pkh> body; *can_sign: it can sign now. */
json_t *statusz_key_json(const struct request *r, const struct vault_key *k, bool *can_sign);

/* GET / and /status.html on the status port: statusz_body as a page. */
enum MHD_Result statusz_page(const struct request *r);

#endif
