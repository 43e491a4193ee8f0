/* cmd.h - subcommand entry points and the helpers they share. Only these
 * functions (and main) print to stdout or turn failures into exit codes. */
#ifndef TZS_CMD_CMD_H
#define TZS_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

#define EXIT_USAGE 2

int cmd_serve(int argc, char **argv);
/* The network front serve starts (front.c); internal. */
int cmd_front(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_watermarks(int argc, char **argv);
int cmd_tunnel(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_forwarder(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* `tzsigner forwarder status` (status.c). */
int cmd_forwarder_status(int argc, char **argv);
int cmd_gateway(int argc, char **argv);
int cmd_gateway_render(int argc, char **argv);

/* `keys import NAME ledger://…`: finds the device, has the person confirm
 * the key on it, and stores the URI with its public key and hash. proxy:
 * --ledger-proxy HOST:PORT or NULL. */
int cmd_ledger_import(const char *dir, const char *name, const char *uri, bool force,
		      const char *proxy);

/* The base directory: -d DIR, else $HOME/.tzsigner. */
const char *cmd_default_base_dir(char *buf, size_t cap);

/* Whether the base directory exists; if not, says so (and what to do). */
bool cmd_base_dir_present(const char *cmd, const char *dir);

struct octez_entry;
/* An octez alias's public key and hash, each into a buffer of B58_MAX bytes
 * ("-" when unknown): from the public files, or derived from an unencrypted
 * secret when those lack it (keys.c). */
void cmd_key_public(const struct octez_entry *ent, char *pk, char *pkh);

/* Prints "tzsigner CMD: message" to stderr and returns EXIT_FAILURE. */
int cmd_fail(const char *cmd, const struct err *e);

/* Process hardening for anything that holds secrets: no core dumps, not
 * ptrace-able by other processes of the same user. */
void cmd_harden_process(void);

#endif
