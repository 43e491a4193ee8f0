/* Unit tests of src/tunnel/state.c: the state file's JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../../src/base/file.h"
#include "../../src/tunnel/state.h"
#include "harness.h"

TEST(tunnel_state_json_fields)
{
	struct tunnel_status s;
	memset(&s, 0, sizeof(s));
	s.state = "up";
	s.since_ms = 1790000000123LL; /* 2026-09-21T14:13:20Z */
	s.up_since_ms = s.since_ms;
	s.reconnects = 3;
	s.attempts = 9;
	s.failures = 0;
	s.error_kind = "disconnected";
	snprintf(s.last_error, sizeof(s.last_error), "disconnected: Connection to \"x\" closed\\");
	s.last_error_ms = 1790000000000LL - 5000;
	snprintf(s.uplink, sizeof(s.uplink), "wlan0");
	snprintf(s.local, sizeof(s.local), "192.168.1.20:40312");
	snprintf(s.peer, sizeof(s.peer), "[2001:db8::7]:22");
	s.probe = "ok";
	s.signer = "ok";
	snprintf(s.endpoint, sizeof(s.endpoint), "tunnel.example.net:22");
	s.remote_port = 7001;
	s.pid = 1234;
	s.ssh_pid = 1240;
	char *text = tunnel_status_json(&s);
	CHECK(text);
	size_t n = strlen(text);
	CHECK(n > 2 && text[n - 1] == '\n');
	CHECK(strchr(text, '\n') == text + n - 1);
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	free(text);
	CHECK(o);
	bool ok = json_is_object(o) && !strcmp(json_string_value(json_object_get(o, "state")), "up") &&
		  !strcmp(json_string_value(json_object_get(o, "since")), "2026-09-21T14:13:20Z") &&
		  json_integer_value(json_object_get(o, "reconnects")) == 3 &&
		  json_integer_value(json_object_get(o, "attempts")) == 9 &&
		  !strcmp(json_string_value(json_object_get(o, "last_error")),
			  "disconnected: Connection to \"x\" closed\\") &&
		  !strcmp(json_string_value(json_object_get(o, "error_kind")), "disconnected") &&
		  !strcmp(json_string_value(json_object_get(o, "last_error_at")), "2026-09-21T14:13:15Z") &&
		  !strcmp(json_string_value(json_object_get(o, "uplink")), "wlan0") &&
		  !strcmp(json_string_value(json_object_get(o, "peer")), "[2001:db8::7]:22") &&
		  !strcmp(json_string_value(json_object_get(o, "probe")), "ok") &&
		  json_integer_value(json_object_get(o, "remote_port")) == 7001 &&
		  json_integer_value(json_object_get(o, "ssh_pid")) == 1240 &&
		  json_is_null(json_object_get(o, "next_attempt"));
	json_decref(o);
	CHECK(ok);
}

TEST(tunnel_state_json_empty_fields_are_null)
{
	struct tunnel_status s;
	memset(&s, 0, sizeof(s));
	s.state = "starting";
	char *text = tunnel_status_json(&s);
	CHECK(text);
	json_t *o = json_loads(text, 0, NULL);
	free(text);
	CHECK(o);
	bool ok = json_is_null(json_object_get(o, "since")) &&
		  json_is_null(json_object_get(o, "last_error")) &&
		  json_is_null(json_object_get(o, "error_kind")) &&
		  json_is_null(json_object_get(o, "uplink")) &&
		  json_is_null(json_object_get(o, "ssh_pid")) &&
		  !strcmp(json_string_value(json_object_get(o, "probe")), "off") &&
		  !strcmp(json_string_value(json_object_get(o, "signer")), "unknown");
	json_decref(o);
	CHECK(ok);
	char buf[32];
	CHECK_STR(tunnel_iso_time(0, buf, sizeof(buf)), "");
	CHECK_STR(tunnel_iso_time(86400000LL, buf, sizeof(buf)), "1970-01-02T00:00:00Z");
}

TEST(tunnel_state_file_is_written_whole)
{
	char dir[] = "/tmp/tzs-unit-state.XXXXXX";
	CHECK(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	struct tunnel_status s;
	memset(&s, 0, sizeof(s));
	s.state = "down";
	s.error_kind = "host_key_mismatch";
	snprintf(s.last_error, sizeof(s.last_error), "host key mismatch: test");
	struct err e = { 0 };
	bool wrote = tunnel_status_write(path, &s, &e);
	char *text = NULL;
	size_t len = 0;
	bool read = wrote && file_read(path, 65536, FILE_PUBLIC, &text, &len, &e);
	struct stat st;
	bool mode_ok = stat(path, &st) == 0 && (st.st_mode & 0777) == 0644;
	bool has = read && strstr(text, "\"state\":\"down\"") && strstr(text, "host key mismatch: test");
	if (text)
		file_free(text, len);
	unlink(path);
	rmdir(dir);
	CHECK(wrote);
	CHECK(read);
	CHECK(mode_ok);
	CHECK(has);
	CHECK(!tunnel_status_write("/nonexistent-dir-tzs/state.json", &s, &e));
	CHECK(strstr(e.msg, "/nonexistent-dir-tzs/state.json"));
}
