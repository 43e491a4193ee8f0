/* json_secure.h - make jansson zero every block it frees.
 *
 * Secret key files and request bodies pass through jansson; with these
 * allocators no freed JSON string leaves a secret behind in the heap.
 * Call once at start, before any other jansson call. */
#ifndef TZS_BASE_JSON_SECURE_H
#define TZS_BASE_JSON_SECURE_H

#include <jansson.h>

void json_secure_init(void);

/* Frees a string that jansson allocated (json_dumps), with whatever
 * allocator is installed. Never pass such a string to free(3). */
void json_free_text(void *text);

/* Serialises j (consumed; may be NULL) compactly, in insertion order, as
 * one line ending in a newline, in malloc'd memory the caller frees with
 * free(3). NULL on failure. */
char *json_dump_line(json_t *j);

#endif
