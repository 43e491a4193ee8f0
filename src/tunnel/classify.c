/* classify.c - reading ssh's stderr. */
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

const char *tunnel_error_name(enum tunnel_error err)
{
	switch (err) {
	case TERR_NONE: return "none";
	case TERR_HOST_KEY_MISMATCH: return "host_key_mismatch";
	case TERR_AUTH_REFUSED: return "auth_refused";
	case TERR_IDENTITY: return "identity";
	case TERR_UNREACHABLE: return "unreachable";
	case TERR_PORT_IN_USE: return "port_in_use";
	case TERR_FORWARD_REFUSED: return "forward_refused";
	case TERR_PROBE_FAILED: return "probe_failed";
	case TERR_DISCONNECTED: return "disconnected";
	case TERR_TIMEOUT: return "timeout";
	case TERR_UPLINK_CHANGED: return "uplink_changed";
	case TERR_RECONNECT_REQUESTED: return "reconnect_requested";
	case TERR_SSH_FAILED: return "ssh_failed";
	}
	return "unknown";
}

bool tunnel_error_is_refusal(enum tunnel_error err)
{
	return err == TERR_HOST_KEY_MISMATCH || err == TERR_AUTH_REFUSED || err == TERR_IDENTITY ||
	       err == TERR_FORWARD_REFUSED;
}

void attempt_reset(struct attempt *a) { memset(a, 0, sizeof(*a)); }

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

bool tunnel_log_line_value(const char *line, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	if (cap == 0)
		return false;
	for (const char *p = line; (p = strstr(p, key)) != NULL; p++) {
		if ((p != line && p[-1] != ' ') || p[kl] != '=')
			continue;
		const char *v = p + kl + 1;
		size_t o = 0;
		if (*v == '"') {
			for (v++; *v && *v != '"' && o + 1 < cap; v++) {
				if (*v == '\\' && v[1])
					v++;
				out[o++] = *v;
			}
		} else {
			while (*v && *v != ' ' && o + 1 < cap)
				out[o++] = *v++;
		}
		out[o] = '\0';
		return true;
	}
	return false;
}

static const char *after(const char *line, const char *needle)
{
	const char *p = strstr(line, needle);
	return p ? p + strlen(needle) : NULL;
}

enum line_event attempt_feed(struct attempt *a, const char *line)
{
	const char *p;
	if (strncmp(line, "ts=", 3) == 0) {
		/* One of ours: the ProxyCommand's log line. */
		if (strstr(line, " event=proxy_connected")) {
			a->proxy_connected = true;
			tunnel_log_line_value(line, "local", a->local, sizeof(a->local));
			tunnel_log_line_value(line, "peer", a->peer, sizeof(a->peer));
			return LINE_PROXY_CONNECTED;
		}
		if (strstr(line, " event=proxy_failed")) {
			a->proxy_failed = true;
			if (!tunnel_log_line_value(line, "kind", a->proxy_kind, sizeof(a->proxy_kind)))
				copy_text(a->proxy_kind, sizeof(a->proxy_kind), "error");
			if (!tunnel_log_line_value(line, "error", a->proxy_error, sizeof(a->proxy_error)))
				copy_text(a->proxy_error, sizeof(a->proxy_error), "connection failed");
		}
		return LINE_OURS;
	}
	if (!*line)
		return LINE_CHATTER;
	copy_text(a->last_line, sizeof(a->last_line), line);
	if (strstr(line, "Authenticated to ")) {
		a->authenticated = true;
		return LINE_AUTHENTICATED;
	}
	if (strstr(line, "remote forward success for: listen ")) {
		a->forwards_ok++;
		return LINE_FORWARD_OK;
	}
	if (strstr(line, "remote forward failure for: listen "))
		return LINE_CHATTER; /* the fatal line that follows says it */
	if (strstr(line, "Remote: port forwarding refused") ||
	    strstr(line, "Remote: Server has disabled port forwarding")) {
		a->policy_notice = true;
		return LINE_ERROR;
	}
	if (strstr(line, "Remote: ") && strstr(line, "packet.c:"))
		return LINE_CHATTER; /* e.g. the endpoint listing our key's options */
	if ((p = after(line, "remote port forwarding failed for listen port "))) {
		a->forward_failed_port = (unsigned)strtoul(p, NULL, 10);
		return LINE_ERROR;
	}
	/* OpenSSH's changed-host-key banner (and its ssh-keygen -R advice, wrong
	 * for a pinned key) is chatter: our own host_key_mismatch line says it
	 * once, with the fingerprint. */
	if (strstr(line, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
	    (strstr(line, "Host key for ") && strstr(line, "has changed"))) {
		a->host_key_changed = true;
		return LINE_CHATTER;
	}
	if (strncmp(line, "SHA256:", 7) == 0 && (a->host_key_changed || a->host_key_unknown)) {
		copy_text(a->fingerprint, sizeof(a->fingerprint), line);
		size_t n = strlen(a->fingerprint);
		if (n && a->fingerprint[n - 1] == '.')
			a->fingerprint[n - 1] = '\0';
		return LINE_CHATTER;
	}
	if ((strstr(line, "host key is known for ") && strstr(line, "strict checking")) ||
	    strstr(line, "no matching host key type found")) {
		a->host_key_unknown = true;
		copy_text(a->disconnect, sizeof(a->disconnect), line);
		return LINE_ERROR;
	}
	if (strstr(line, "Host key verification failed")) {
		if (!a->host_key_changed)
			a->host_key_unknown = true;
		return LINE_ERROR;
	}
	if (strstr(line, "@@@@@@@@") || strstr(line, "IT IS POSSIBLE THAT SOMEONE") ||
	    strstr(line, "Someone could be eavesdropping") ||
	    strstr(line, "It is also possible that a host key") ||
	    strstr(line, "Please contact your system administrator") ||
	    strstr(line, "Add correct host key in") || strstr(line, "Offending ") ||
	    strstr(line, "remove with:") || strstr(line, "ssh-keygen -f ") ||
	    strstr(line, "The fingerprint for the "))
		return LINE_CHATTER;
	const char *denied = strstr(line, ": Permission denied (");
	if (denied || strstr(line, "Permission denied (")) {
		a->auth_denied = true;
		const char *at = denied ? memchr(line, '@', (size_t)(denied - line)) : NULL;
		if (at && (size_t)(at - line) < sizeof(a->auth_user))
			snprintf(a->auth_user, sizeof(a->auth_user), "%.*s", (int)(at - line), line);
		return LINE_ERROR;
	}
	if (strstr(line, "no such identity:") || strstr(line, "UNPROTECTED PRIVATE KEY FILE") ||
	    strstr(line, "Load key \"") || strstr(line, "bad permissions")) {
		a->identity_problem = true;
		if (!a->identity_msg[0] || strstr(line, "Load key") || strstr(line, "no such identity"))
			copy_text(a->identity_msg, sizeof(a->identity_msg), line);
		return LINE_ERROR;
	}
	if (strstr(line, "open failed: administratively prohibited")) {
		a->probe_prohibited = true;
		return LINE_PROBE_REFUSED;
	}
	if (strstr(line, "open failed: connect failed")) {
		a->probe_connect_failed = true;
		return LINE_ERROR;
	}
	if (strstr(line, "proxy dialer did not pass back a connection")) {
		if (!a->proxy_failed) {
			a->proxy_failed = true;
			copy_text(a->proxy_kind, sizeof(a->proxy_kind), "error");
			copy_text(a->proxy_error, sizeof(a->proxy_error), line);
		}
		return LINE_ERROR;
	}
	if (strstr(line, "closed by remote host") || strstr(line, "Connection closed by") ||
	    strstr(line, "Connection reset") || strstr(line, "Broken pipe") ||
	    strstr(line, "not responding") || strstr(line, "timed out") ||
	    strstr(line, "Connection timed out") || strstr(line, "No route to host") ||
	    strstr(line, "Network is unreachable") || strstr(line, "kex_exchange_identification") ||
	    strstr(line, "Disconnected from") || strstr(line, "Received disconnect") ||
	    strstr(line, "Unable to negotiate")) {
		copy_text(a->disconnect, sizeof(a->disconnect), line);
		return LINE_ERROR;
	}
	return LINE_OTHER;
}

enum tunnel_error attempt_classify(const struct attempt *a, const char *endpoint,
				   unsigned remote_port, char *msg, size_t cap)
{
	if (a->host_key_changed) {
		snprintf(msg, cap,
			 "host key mismatch: %s presented a host key (%s) that is not the pinned one; "
			 "either someone is in the middle or the endpoint was rebuilt with a new key: "
			 "check the key and pass the right one with --host-key",
			 endpoint, a->fingerprint[0] ? a->fingerprint : "fingerprint unknown");
		return TERR_HOST_KEY_MISMATCH;
	}
	if (a->host_key_unknown) {
		snprintf(msg, cap,
			 "host key mismatch: %s offers no host key of the pinned type (%s); "
			 "check the endpoint's host keys and --host-key",
			 endpoint, a->disconnect[0] ? a->disconnect : "Host key verification failed");
		return TERR_HOST_KEY_MISMATCH;
	}
	if (a->identity_problem) {
		snprintf(msg, cap, "identity unusable: %s", a->identity_msg);
		return TERR_IDENTITY;
	}
	if (a->auth_denied) {
		const char *user = a->auth_user[0] ? a->auth_user : "(see --user)";
		snprintf(msg, cap,
			 "authentication refused by %s for the account %s: either the endpoint has "
			 "no account %s (its login account is in `tzsigner forwarder render`'s output; "
			 "set the box's `user` to it) or it does not accept this box's key for it (is "
			 "the box's line, from `tzsigner tunnel keygen`, in its signers file?)",
			 endpoint, user, user);
		return TERR_AUTH_REFUSED;
	}
	if (a->forward_failed_port) {
		unsigned port = a->forward_failed_port;
		const char *which = port == remote_port ? "signer"
				    : port == remote_port + TUNNEL_PORT_OFFSET ? "box ssh"
									: "socket protocol";
		if (a->policy_notice) {
			snprintf(msg, cap,
				 "forward refused by policy: %s does not let this key listen on port %u "
				 "(the %s port); check permitlisten in the endpoint's authorized keys",
				 endpoint, a->forward_failed_port, which);
			return TERR_FORWARD_REFUSED;
		}
		snprintf(msg, cap,
			 "remote port %u (the %s port) is still held on %s, most likely by a stale "
			 "session of this box; retrying until the endpoint reaps it",
			 a->forward_failed_port, which, endpoint);
		return TERR_PORT_IN_USE;
	}
	if (a->proxy_failed) {
		snprintf(msg, cap, "endpoint unreachable: %s (%s)", a->proxy_error, a->proxy_kind);
		return TERR_UNREACHABLE;
	}
	if (a->disconnect[0]) {
		snprintf(msg, cap, "disconnected: %s", a->disconnect);
		return TERR_DISCONNECTED;
	}
	snprintf(msg, cap, "ssh exited: %s", a->last_line[0] ? a->last_line : "no message");
	return TERR_SSH_FAILED;
}
