/* etcd_json.h - requests to and answers from etcd's v3 JSON gateway (etcd
 * 3.4: POST /v3/kv/txn; keys and values base64; 64-bit integers as JSON
 * strings; fields at their default value omitted, so a txn whose compare
 * failed has no "succeeded" at all, and a range that found nothing no
 * "kvs").
 *
 * The one request the gateway makes is a swap on one key, a txn:
 *   compare  mod_revision == seen (seen 0: create_revision == 0, absent)
 *   success  put value (or nothing: a read-only txn)
 *   failure  range of the key
 * so a writer that lost a race gets the record that beat it in the same
 * answer. etcd serves a read-only txn with a range that is not
 * serializable only after a linearizable read (etcdserver/v3_server.go,
 * EtcdServer.Txn: isTxnReadonly, isTxnSerializable, linearizableReadNotify)
 * and a txn with a put through Raft: both need a quorum. A txn's
 * header.revision is the store's revision after it, so after a put that
 * succeeded it is the key's new mod_revision (etcdserver/apply.go,
 * applierV3backend.Txn: revision + 1 when an op changed the store).
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

/* What a swap's answer says. */
struct etcd_swap {
	bool succeeded;   /* the compare held: the put (if any) is made */
	int64_t revision; /* header.revision; after a put that succeeded, the key's mod_revision */
	struct etcd_kv now; /* the compare failed: the key as it is now */
};

/* The swap txn above; value NULL: no put. Free with json_free_text. */
char *etcd_json_swap_request(const char *key, int64_t seen_mod_revision, const char *value,
			     struct err *e);

/* A swap's answer for key (put: whether the request carried a put). */
bool etcd_json_parse_swap(const char *text, size_t len, const char *key, bool put,
			  struct etcd_swap *out, struct err *e);

/* An error answer's message ({"error":…} or {"message":…}), for logs;
 * "(no message)" when there is none. Writes into out. */
void etcd_json_error_message(const char *text, size_t len, char *out, size_t cap);

#endif
