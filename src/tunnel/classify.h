/* classify.h - what ssh's stderr says, and why an attempt ended.
 *
 * The supervisor feeds every line ssh (and our ProxyCommand) writes on
 * stderr into a struct attempt; when ssh exits, attempt_classify names
 * the cause. The lines it recognises are OpenSSH 9.x's own words, seen
 * from real runs (tests/integration/tunnel_*.sh drive each case):
 *
 *   host key mismatch   "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!",
 *                       "Host key verification failed.", "No ED25519 host key
 *                       is known for …", "no matching host key type found"
 *   auth refused        "user@host: Permission denied (publickey)."
 *   identity            "no such identity: …", "UNPROTECTED PRIVATE KEY FILE!",
 *                       "Load key \"…\": …"
 *   unreachable         our proxy's "event=proxy_failed", "proxy dialer did not
 *                       pass back a connection"
 *   forward refused     "Remote: port forwarding refused" (the server's debug
 *                       notice, forced out by LogVerbose) before "Error: remote
 *                       port forwarding failed for listen port P"
 *   port in use         the same failure without that notice: the endpoint
 *                       could not bind P, which a stale session still holds
 *   disconnected        "Connection to … closed by remote host.", "Timeout,
 *                       server … not responding.", "Connection reset", …
 */
#ifndef TZS_TUNNEL_CLASSIFY_H
#define TZS_TUNNEL_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

enum tunnel_error {
	TERR_NONE = 0,
	TERR_HOST_KEY_MISMATCH,
	TERR_AUTH_REFUSED,
	TERR_IDENTITY,
	TERR_UNREACHABLE,
	TERR_PORT_IN_USE,
	TERR_FORWARD_REFUSED,
	TERR_PROBE_FAILED,
	TERR_DISCONNECTED,
	TERR_TIMEOUT,
	TERR_UPLINK_CHANGED,
	TERR_RECONNECT_REQUESTED,
	TERR_SSH_FAILED,
};

/* "host_key_mismatch", "auth_refused", … (the state file's error_kind). */
const char *tunnel_error_name(enum tunnel_error err);

/* True for the refusals that retrying soon cannot fix (host key, auth,
 * identity, forward policy): retried slowly, reported loudly. */
bool tunnel_error_is_refusal(enum tunnel_error err);

#define ATTEMPT_TEXT 200

struct attempt {
	/* our ProxyCommand */
	bool proxy_connected;
	bool proxy_failed;
	char local[64];  /* local address:port of the TCP connection */
	char peer[64];   /* endpoint address:port */
	char proxy_kind[16]; /* dns, refused, timeout, unreachable, error */
	char proxy_error[ATTEMPT_TEXT];
	/* ssh */
	bool authenticated;
	unsigned forwards_ok;
	unsigned forward_failed_port;
	bool policy_notice;       /* "Remote: port forwarding refused" seen */
	bool host_key_changed;
	bool host_key_unknown;
	char fingerprint[80];     /* of the key the endpoint presented */
	bool auth_denied;
	char auth_user[33];       /* the account ssh tried: "USER@host: Permission denied" */
	bool identity_problem;
	bool probe_prohibited;    /* our -L probe: "administratively prohibited" */
	bool probe_connect_failed;
	char disconnect[ATTEMPT_TEXT];
	char identity_msg[ATTEMPT_TEXT];
	char last_line[ATTEMPT_TEXT];
};

enum line_event {
	LINE_OTHER = 0,
	LINE_CHATTER,         /* known noise: log at debug */
	LINE_OURS,            /* already a key=value line from our proxy */
	LINE_PROXY_CONNECTED,
	LINE_AUTHENTICATED,
	LINE_FORWARD_OK,
	LINE_PROBE_REFUSED,
	LINE_ERROR,           /* a line that explains a failure */
};

void attempt_reset(struct attempt *a);

/* Feeds one line (without its newline). */
enum line_event attempt_feed(struct attempt *a, const char *line);

/* Why an attempt ended, from what it said; msg gets one human sentence
 * naming the endpoint (endpoint = "host:port", remote_port = P). */
enum tunnel_error attempt_classify(const struct attempt *a, const char *endpoint,
				   unsigned remote_port, char *msg, size_t cap);

/* Copies the value of key from a key=value log line ("a=1 b=\"x y\"");
 * false when absent. */
bool tunnel_log_line_value(const char *line, const char *key, char *out, size_t cap);

#endif
