/* tunnel_view.c - parsing the tunnel's state file. */
#include "tunnel_view.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netpath.h"

const char *const tunnel_state_names[TUNNEL_STATE_COUNT] = {
	"starting", "connecting", "up", "down", "stopped",
};

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool tunnel_view_parse_time(const char *t, int64_t *ms, struct err *e)
{
	/* YYYY-MM-DDTHH:MM:SSZ */
	if (strlen(t) != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
	    t[16] != ':' || t[19] != 'Z' || !is_digits(t, 4) || !is_digits(t + 5, 2) ||
	    !is_digits(t + 8, 2) || !is_digits(t + 11, 2) || !is_digits(t + 14, 2) ||
	    !is_digits(t + 17, 2))
		return err_set(e, ERR_MALFORMED, "time '%.40s' is not YYYY-MM-DDTHH:MM:SSZ", t);
	struct tm tm = { 0 };
	tm.tm_year = num(t, 4) - 1900;
	tm.tm_mon = num(t + 5, 2) - 1;
	tm.tm_mday = num(t + 8, 2);
	tm.tm_hour = num(t + 11, 2);
	tm.tm_min = num(t + 14, 2);
	tm.tm_sec = num(t + 17, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return err_set(e, ERR_MALFORMED, "time '%.40s' is out of range", t);
	int mday = tm.tm_mday;
	time_t secs = timegm(&tm);
	if (secs == (time_t)-1 || tm.tm_mday != mday) /* 2026-02-31 normalises to March */
		return err_set(e, ERR_MALFORMED, "time '%.40s' is not a calendar date", t);
	*ms = (int64_t)secs * 1000;
	return true;
}

/* A bounded word of [a-z0-9_] (what the tunnel writes for states and kinds). */
static bool word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* An optional string member: absent or null leaves out empty. */
static bool opt_string(json_t *o, const char *key, const char **out, struct err *e)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return err_set(e, ERR_MALFORMED, "tunnel state: \"%s\" is not a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_set(e, ERR_MALFORMED, "tunnel state: \"%s\" has a NUL byte", key);
	*out = json_string_value(v);
	return true;
}

static bool opt_word(json_t *o, const char *key, char *out, size_t cap, struct err *e)
{
	const char *s;
	out[0] = '\0';
	if (!opt_string(o, key, &s, e))
		return false;
	if (!s)
		return true;
	if (!word_ok(s, cap - 1))
		return err_set(e, ERR_MALFORMED, "tunnel state: \"%s\" '%.40s' is not a word of up to %zu [a-z0-9_]",
			       key, s, cap - 1);
	snprintf(out, cap, "%s", s);
	return true;
}

static bool opt_time(json_t *o, const char *key, int64_t *ms, struct err *e)
{
	const char *s;
	*ms = 0;
	if (!opt_string(o, key, &s, e))
		return false;
	if (!s)
		return true;
	if (!tunnel_view_parse_time(s, ms, e))
		return err_wrap(e, "tunnel state: \"%s\"", key);
	return true;
}

static bool opt_count(json_t *o, const char *key, bool required, uint64_t *out, struct err *e)
{
	json_t *v = json_object_get(o, key);
	*out = 0;
	if (!v || json_is_null(v)) {
		if (required)
			return err_set(e, ERR_MALFORMED, "tunnel state: no \"%s\"", key);
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return err_set(e, ERR_MALFORMED, "tunnel state: \"%s\" is not a non-negative integer", key);
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool tunnel_view_parse(const char *text, size_t len, struct tunnel_view *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (len > TUNNEL_VIEW_FILE_MAX)
		return err_set(e, ERR_MALFORMED, "tunnel state: %zu bytes, over the limit of %d", len,
			       TUNNEL_VIEW_FILE_MAX);
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return err_set(e, ERR_MALFORMED, "tunnel state: not JSON: %s (line %d)", je.text, je.line);
	bool ok = false;
	const char *s;
	uint64_t pid;
	if (!json_is_object(o)) {
		err_set(e, ERR_MALFORMED, "tunnel state: not a JSON object");
		goto out;
	}
	if (!opt_string(o, "state", &s, e))
		goto out;
	if (!s) {
		err_set(e, ERR_MALFORMED, "tunnel state: no \"state\"");
		goto out;
	}
	if (!word_ok(s, sizeof(out->state) - 1)) {
		err_set(e, ERR_MALFORMED, "tunnel state: state '%.40s' is not a word of up to %zu [a-z0-9_]", s,
			sizeof(out->state) - 1);
		goto out;
	}
	snprintf(out->state, sizeof(out->state), "%s", s);
	if (!opt_count(o, "reconnects", true, &out->reconnects, e) ||
	    !opt_count(o, "attempts", false, &out->attempts, e) ||
	    !opt_count(o, "failures", false, &out->failures, e) ||
	    !opt_count(o, "pid", false, &pid, e) || !opt_time(o, "since", &out->since_ms, e) ||
	    !opt_time(o, "up_since", &out->up_since_ms, e) ||
	    !opt_word(o, "error_kind", out->error_kind, sizeof(out->error_kind), e) ||
	    !opt_word(o, "signer", out->signer, sizeof(out->signer), e) ||
	    !opt_word(o, "probe", out->probe, sizeof(out->probe), e) ||
	    !opt_word(o, "box_ssh", out->box_ssh, sizeof(out->box_ssh), e) ||
	    !opt_string(o, "uplink", &s, e))
		goto out;
	if (pid > 4194304) { /* PID_MAX_LIMIT */
		err_set(e, ERR_MALFORMED, "tunnel state: pid %llu is not a process id", (unsigned long long)pid);
		goto out;
	}
	out->pid = (long)pid;
	if (s) {
		if (!netpath_valid_ifname(s, strlen(s))) {
			err_set(e, ERR_MALFORMED, "tunnel state: uplink '%.40s' is not an interface name", s);
			goto out;
		}
		snprintf(out->uplink, sizeof(out->uplink), "%s", s);
	}
	ok = true;
out:
	json_decref(o);
	if (!ok)
		memset(out, 0, sizeof(*out));
	return ok;
}
