/* render.h - the endpoint's sshd files, rendered from the signers file and
 * the host key:
 *
 *   OUT/sshd_config             keys only, no TTY, no agent/X11/streamlocal,
 *                               remote forwarding only (plus local forwarding
 *                               to the box's own P with --permit-self-probe),
 *                               no sessions at all, ClientAlive reaping, the
 *                               given host key only
 *   OUT/authorized_keys         restrict,port-forwarding,permitlisten="P",
 *                               permitlisten="P+1000"[,permitlisten="Q"]
 *                               KEY tzsigner:NAME (Q: the box's socket=)
 *   OUT/ssh_host_TYPE_key       the host key, mode 0600
 *   OUT/ssh_host_TYPE_key.pub   what the boxes pin
 *
 * sshd runs these with `sshd -i -e -f OUT/sshd_config` on each connection
 * the forwarder accepts. sshd's StrictModes ignores an authorized_keys file
 * when it, or a directory above it, is owned by someone other than root or
 * the login user, or is writable by group or others (OpenSSH misc.c
 * safe_path); rendering checks the same so the failure is a message here,
 * not boxes silently refused later. */
#ifndef TZS_FORWARDER_RENDER_H
#define TZS_FORWARDER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"
#include "../base/file.h"
#include "admit.h"
#include "signers.h"
#include "../base/sshkey.h"

/* The login account when root runs the forwarder without --user: the same
 * name as the tunnel's default `user` (tunnel/config.c), so neither side
 * needs to say it. */
#define FWD_DEFAULT_USER "tzsigner"
#define FWD_HOST_MAX 64

/* Where the boxes' remote forwards listen on the endpoint. */
enum fwd_bind {
	FWD_BIND_LOOPBACK, /* GatewayPorts no: P and P+1000 on 127.0.0.1 */
	FWD_BIND_SIGNER,   /* GatewayPorts clientspecified: P (and the socket port Q) on
			    * 0.0.0.0 (the box asks for 0.0.0.0:P, tunnel remote-bind),
			    * P+1000 on loopback only
			    * (Kubernetes: Services reach P on the pod's IP) */
	FWD_BIND_ANY,      /* GatewayPorts yes: both on every address */
};

struct fwd_render_opts {
	const char *signers_path;
	const char *host_key_path;
	const char *out_dir;
	char listen_host[FWD_HOST_MAX]; /* for the port clash check and the log */
	uint16_t listen_port;
	uint16_t metrics_port;        /* 0: no exporter */
	const char *user;             /* the login account; NULL: the effective user */
	enum fwd_bind forward_bind;   /* where boxes' forwards listen (GatewayPorts) */
	bool self_probe;              /* permitopen the box's own P (tunnel probe-interval) */
	unsigned alive_interval_s;    /* ClientAliveInterval (5) */
	unsigned alive_count;         /* ClientAliveCountMax (3) */
	unsigned login_grace_s;       /* LoginGraceTime (10) */
	struct admit_limits admit;    /* MaxStartups, PerSourceMaxStartups, PerSourceNetBlockSize */
};

/* What a render produced (and what `run` needs afterwards). */
struct fwd_rendered {
	struct signers signers;
	struct sshkey host_key;       /* public half */
	char user[64];
	uid_t uid;
	char out_dir[FILE_PATH_MAX];   /* absolute */
	char config_path[FILE_PATH_MAX];
	char authorized_keys_path[FILE_PATH_MAX];
	char host_key_out[FILE_PATH_MAX];
	char host_pub_out[FILE_PATH_MAX];
};

void fwd_render_opts_defaults(struct fwd_render_opts *o);

/* Characters allowed in paths written into sshd_config: letters, digits
 * and ._/@+,=- (nothing sshd tokenises, quotes or %-expands). */
bool fwd_path_is_safe(const char *path);

/* Text of sshd_config / authorized_keys for these inputs (malloc'd). Pure:
 * no file system access; r supplies the paths, user and host key type. */
char *fwd_sshd_config_text(const struct fwd_render_opts *o, const struct fwd_rendered *r);
char *fwd_authorized_keys_text(const struct fwd_render_opts *o, const struct signers *s);

/* sshd's StrictModes rule for a file at path, checked for uid (and, like
 * sshd, stopping at home when path is under it; home may be NULL). */
bool fwd_check_strict_modes(const char *path, uid_t uid, const char *home, struct err *e);

/* No port of a box (P, P + 1000, its socket port) may be the SSH or metrics
 * port (0: none). */
bool fwd_check_ports(const struct signers *s, uint16_t listen_port, uint16_t metrics_port,
		     struct err *e);

/* Everything: loads the signers file and host key, resolves the login
 * user, checks for port clashes and unsafe paths, and writes the four
 * files (durably) into out_dir, created 0755 if missing. r is filled in
 * (free it with fwd_rendered_free) even when only the writing failed. */
bool fwd_render(const struct fwd_render_opts *o, struct fwd_rendered *r, struct err *e);

void fwd_rendered_free(struct fwd_rendered *r);

/* Loads the host key file's public half (for render --k8s). */
bool fwd_load_host_key(const char *path, struct sshkey *pub, char **text, size_t *len,
		       struct err *e);

#endif
