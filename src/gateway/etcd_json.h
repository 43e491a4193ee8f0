/* etcd_json.h - requests to and answers from etcd's v3 JSON gateway (etcd
 * 3.4: POST /v3/kv/range, /v3/kv/txn; keys and values base64; 64-bit
 * integers as JSON strings; fields at their default value omitted, so a
 * txn whose compare failed has no "succeeded" at all).
 *
 * Answers come from the network: parsed with explicit bounds, refused with
 * ERR_UNAVAILABLE and a message when they are not what etcd sends. */
#ifndef TZS_GATEWAY_ETCD_JSON_H
#define TZS_GATEWAY_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define ETCD_KEY_MAX 256
#define ETCD_VALUE_MAX 1024

struct etcd_kv {
	bool found;
	int64_t mod_revision;
	char value[ETCD_VALUE_MAX + 1]; /* NUL-terminated */
	size_t value_len;
};

/* {"key":"<b64>"}: a linearizable read of one key. Free with json_free_text. */
char *etcd_json_range_request(const char *key, struct err *e);

/* A txn that puts value at key only when the key's mod_revision is still
 * seen_mod_revision, or, when seen_mod_revision is 0, only when the key
 * does not exist (create_revision == 0). Free with json_free_text. */
char *etcd_json_put_if_request(const char *key, int64_t seen_mod_revision, const char *value,
			       struct err *e);

/* A range answer for key: fills *kv (found false when no kvs). */
bool etcd_json_parse_range(const char *text, size_t len, const char *key, struct etcd_kv *kv,
			   struct err *e);

/* A txn answer: *succeeded is its "succeeded" (absent means false). */
bool etcd_json_parse_txn(const char *text, size_t len, bool *succeeded, struct err *e);

/* An error answer's message ({"error":…} or {"message":…}), for logs;
 * "(no message)" when there is none. Writes into out. */
void etcd_json_error_message(const char *text, size_t len, char *out, size_t cap);

#endif
