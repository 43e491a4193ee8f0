/* signers.h - the signers file: the boxes one forwarder serves.
 *
 * One box a line, `#` starts a comment line, blank lines are ignored:
 *
 *   NAME PORT [OPTION=VALUE …] SSH_PUBLIC_KEY
 *   alpha 7001 ssh-ed25519 AAAAC3Nza… alpha@kitchen
 *   beta  7002 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA ssh-ed25519 AAAA…
 *   gamma 7003 socket=9003 ssh-ed25519 AAAA…
 *
 * NAME names the box and its Kubernetes Service (tzsigner-NAME): lowercase
 * letters, digits and '-', a letter first, at most 54 characters, and not
 * starting with "forwarder" (the endpoint's own objects). PORT is P, where
 * the box's signer is reached; P + 1000 is the box's own sshd. A box may
 * listen on P and P + 1000 (and its socket port Q, below) and nothing else,
 * so no two boxes may share a name, a key, or a port of either's.
 *
 * Options: socket=Q (1024 to 65535) lets the box also listen on Q, where
 * its octez socket-protocol listener is reached (`serve --socket tcp://…`,
 * `tunnel --socket-remote-port Q`); Q is neither of its own P and P + 1000
 * nor any port of another box. statusz=PKH makes the forwarder's health check (and the
 * per-box readiness) ask the box for GET /statusz/PKH instead of
 * GET /authorized_keys. bakers=NAMESPACE:LABEL=VALUE[,LABEL=VALUE…] names
 * the pods that may reach the box's P in Kubernetes (its NetworkPolicy):
 * those in namespace NAMESPACE carrying every label given, e.g.
 * bakers=tezos:app.kubernetes.io/name=octez-baker,baker=alpha; up to four
 * bakers= options a box (the union). `forwarder check --k8s` and
 * `render --k8s` refuse a box without one.
 *
 * Every error names FILE:LINE and, for a clash, the line of the other box. */
#ifndef TZS_FORWARDER_SIGNERS_H
#define TZS_FORWARDER_SIGNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/sshkey.h"

#define SIGNERS_MAX 256             /* boxes in one file */
#define SIGNERS_FILE_MAX (1u << 20) /* bytes */
#define SIGNERS_LINE_MAX 8192
#define SIGNER_NAME_MAX 54          /* "tzsigner-" + name fits a 63-character DNS label */
#define SIGNER_PORT_MIN 1024
#define SIGNER_PORT_OFFSET 1000     /* P + 1000: the box's sshd */
#define SIGNER_PORT_MAX (65535 - SIGNER_PORT_OFFSET)
#define SIGNER_PKH_LEN 36
#define SIGNER_COMMENT_MAX 128
#define SIGNER_BAKERS_MAX 4          /* bakers= options a box */
#define SIGNER_NS_MAX 63             /* a namespace: a DNS label */
#define SIGNER_LABELS_MAX 512        /* "k=v,k=v" */

/* Pods allowed to reach a box's P: a namespace and labels they all carry. */
struct signer_bakers {
	char ns[SIGNER_NS_MAX + 1];
	char labels[SIGNER_LABELS_MAX + 1]; /* "KEY=VALUE[,KEY=VALUE…]", checked */
};

struct signer {
	char name[SIGNER_NAME_MAX + 1];
	uint16_t port;                      /* P */
	uint16_t socket_port;               /* Q, the socket protocol; 0 when not configured */
	char statusz[SIGNER_PKH_LEN + 1];   /* "" when not configured */
	char comment[SIGNER_COMMENT_MAX + 1];
	struct signer_bakers bakers[SIGNER_BAKERS_MAX];
	unsigned n_bakers;
	unsigned line;
	struct sshkey key;
};

struct signers {
	struct signer *v;
	size_t n;
};

/* Parses text (len bytes, may hold NULs, which are refused); origin is the
 * file name used in messages. On failure *s is left empty. */
bool signers_parse(struct signers *s, const char *text, size_t len, const char *origin,
		   struct err *e);

/* Reads and parses a file (symbolic links are followed: Kubernetes mounts
 * ConfigMaps through them). */
bool signers_load(struct signers *s, const char *path, struct err *e);

void signers_free(struct signers *s);

/* The box whose key has this fingerprint ("SHA256:…"), or -1. */
int signers_find_fingerprint(const struct signers *s, const char *fingerprint);

/* NAMESPACE:LABEL=VALUE[,LABEL=VALUE…] (v, vl bytes) into *k; messages
 * name origin:line. */
bool signer_bakers_parse(const char *v, size_t vl, struct signer_bakers *k, const char *origin,
			 unsigned line, struct err *e);

/* The first box with no bakers= option, or -1 (Kubernetes needs them). */
int signers_find_without_bakers(const struct signers *s);

/* Which of box b's ports port is: "port" (P), "sshd port (P + 1000)",
 * "socket port", or NULL when it is none of them. */
const char *signer_port_role(const struct signer *b, unsigned port);

/* The box that may listen on port (its P, P + 1000 or socket port), or -1;
 * *role (when role is not NULL) names which of its ports it is. */
int signers_find_port(const struct signers *s, unsigned port, const char **role);

/* The box named name, or -1. */
int signers_find_name(const struct signers *s, const char *name);

/* The path of the request the health check sends through the box's tunnel:
 * "/statusz/PKH" or "/authorized_keys". */
const char *signer_check_path(const struct signer *b, char *buf, size_t cap);

/* Writes the canonical form of the file (what the Kubernetes ConfigMap
 * carries): a header comment, then one normalised line per box. Returns a
 * malloc'd NUL-terminated string, or NULL when out of memory. */
char *signers_canonical(const struct signers *s);

#endif
