/* state.c - the state file and the state log line. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../base/file.h"
#include "../base/json_secure.h"
#include "../base/log.h"

const char *tunnel_iso_time(int64_t ms, char *out, size_t cap)
{
	if (ms <= 0) {
		if (cap)
			out[0] = '\0';
		return out;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return out;
}

static int set_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static int set_opt_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, v && *v ? json_string(v) : json_null());
}

static int set_time(json_t *o, const char *k, int64_t ms)
{
	char buf[32];
	return json_object_set_new(o, k, ms > 0 ? json_string(tunnel_iso_time(ms, buf, sizeof(buf)))
						: json_null());
}

char *tunnel_status_json(const struct tunnel_status *s)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad |= set_str(o, "state", s->state ? s->state : "unknown");
	bad |= set_time(o, "since", s->since_ms);
	bad |= set_time(o, "up_since", s->up_since_ms);
	bad |= json_object_set_new(o, "reconnects", json_integer(s->reconnects));
	bad |= json_object_set_new(o, "attempts", json_integer(s->attempts));
	bad |= json_object_set_new(o, "failures", json_integer(s->failures));
	bad |= set_opt_str(o, "last_error", s->last_error);
	bad |= set_opt_str(o, "error_kind", s->error_kind);
	bad |= set_time(o, "last_error_at", s->last_error_ms);
	bad |= set_opt_str(o, "uplink", s->uplink);
	bad |= set_opt_str(o, "local", s->local);
	bad |= set_opt_str(o, "peer", s->peer);
	bad |= set_str(o, "probe", s->probe ? s->probe : "off");
	bad |= set_str(o, "signer", s->signer ? s->signer : "unknown");
	bad |= set_str(o, "box_ssh", s->box_ssh ? s->box_ssh : "unknown");
	bad |= set_time(o, "next_attempt", s->next_attempt_ms);
	bad |= set_opt_str(o, "endpoint", s->endpoint);
	bad |= json_object_set_new(o, "remote_port", json_integer(s->remote_port));
	bad |= json_object_set_new(o, "pid", json_integer(s->pid));
	bad |= json_object_set_new(o, "ssh_pid", s->ssh_pid > 0 ? json_integer(s->ssh_pid) : json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return json_dump_line(o);
}

bool tunnel_status_write(const char *path, const struct tunnel_status *s, struct err *e)
{
	char *text = tunnel_status_json(s);
	if (!text)
		return err_set(e, ERR_INTERNAL, "state file %s: could not build the JSON", path);
	bool ok = file_write_durable(path, text, strlen(text), 0644, e);
	free(text);
	return ok;
}

void tunnel_status_log(const struct tunnel_status *s)
{
	char since[32], up[32], next[32], err[sizeof(s->last_error) + 16];
	enum log_level level = LOG_INFO;
	bool down = s->state && strcmp(s->state, "down") == 0;
	if (down && s->error_kind && strcmp(s->error_kind, "reconnect_requested") != 0 &&
	    strcmp(s->error_kind, "uplink_changed") != 0)
		level = LOG_WARN;
	if (down && s->error_kind &&
	    (!strcmp(s->error_kind, "host_key_mismatch") || !strcmp(s->error_kind, "auth_refused") ||
	     !strcmp(s->error_kind, "forward_refused") || !strcmp(s->error_kind, "identity")))
		level = LOG_ERROR;
	log_emit(level, "tunnel_status", "event=state state=%s since=%s up_since=%s reconnects=%u attempts=%u "
		 "failures=%u uplink=%s local=%s peer=%s probe=%s signer=%s box_ssh=%s "
		 "next_attempt=%s "
		 "error_kind=%s last_error=%s",
		 s->state, tunnel_iso_time(s->since_ms, since, sizeof(since))[0] ? since : "-",
		 tunnel_iso_time(s->up_since_ms, up, sizeof(up))[0] ? up : "-", s->reconnects,
		 s->attempts, s->failures, s->uplink[0] ? s->uplink : "-",
		 s->local[0] ? s->local : "-", s->peer[0] ? s->peer : "-",
		 s->probe ? s->probe : "off", s->signer ? s->signer : "unknown",
		 s->box_ssh ? s->box_ssh : "unknown", tunnel_iso_time(s->next_attempt_ms, next, sizeof(next))[0] ? next : "-",
		 s->error_kind ? s->error_kind : "-",
		 s->last_error[0] ? log_str(err, sizeof(err), s->last_error) : "-");
}
