/* passphrase.h - passphrases come from a file (-f) or the terminal, never
 * from argv or the environment. */
#ifndef TZS_BASE_PASSPHRASE_H
#define TZS_BASE_PASSPHRASE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define PASSPHRASE_MAX 1024

struct passphrase {
	char *text; /* sodium_malloc'd, NUL-terminated */
	size_t len;
};

/* The first line of path (without its newline). The file must be ours and
 * 0600 or stricter, as for key files. */
bool passphrase_from_file(struct passphrase *out, const char *path, struct err *e);

/* Prompts on /dev/tty with echo off. ERR_UNAVAILABLE without a terminal. */
bool passphrase_prompt(struct passphrase *out, const char *prompt, struct err *e);

void passphrase_free(struct passphrase *p);

#endif
