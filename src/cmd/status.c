/* status.c - `tzsigner status`: one screen for a running box, read from its
 * status port (/statusz), and `tzsigner forwarder status`: every box the
 * cloud endpoint serves, read from its exporter (/status). --json passes the
 * answer through for scripts. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/html.h"
#include "../base/http_get.h"
#include "../base/parse.h"
#include "cmd.h"

#define BOX_DEFAULT "127.0.0.1:6733"
#define FORWARDER_DEFAULT "127.0.0.1:9732"

static const char box_usage[] =
	"usage: tzsigner status [--url HOST:PORT] [--json] [--timeout MS]\n"
	"\n"
	"One screen for this box, from the running signer's status port (serve\n"
	"--status-port; GET /statusz): for each key whether it can sign now and why\n"
	"not, the last block, preattestation and attestation it signed (level/round,\n"
	"how long ago); its storage and Ledger; power, uplink and tunnel; the version.\n"
	"The same in a browser: http://HOST:PORT/\n"
	"\n"
	"  -u, --url HOST:PORT   the status port (default " BOX_DEFAULT ")\n"
	"  -j, --json            print /statusz's JSON as it is\n"
	"  -t, --timeout MS      (default 3000)\n"
	"\n"
	"Exit status: 0 every key can sign, 1 some cannot, 2 usage, 3 no answer.\n";

static const char fwd_usage[] =
	"usage: tzsigner forwarder status [--url HOST:PORT] [--json] [--timeout MS]\n"
	"\n"
	"Every box the cloud endpoint serves, from its exporter (forwarder run\n"
	"--metrics; GET /status): its tunnel and how long it has been in that state,\n"
	"whether its signer answers through the tunnel and how fast, sessions,\n"
	"logins and the last error. The same in a browser: http://HOST:PORT/\n"
	"\n"
	"  -u, --url HOST:PORT   the exporter (default " FORWARDER_DEFAULT ")\n"
	"  -j, --json            print /status's JSON as it is\n"
	"  -t, --timeout MS      (default 3000)\n"
	"\n"
	"Exit status: 0 every box's signer answers, 1 some do not, 2 usage, 3 no answer.\n";

static const struct option options[] = {
	{ "url", required_argument, NULL, 'u' },
	{ "json", no_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct status_opts {
	char host[256];
	uint16_t port;
	bool json;
	int timeout_ms;
};

static const char *str(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* "http://host:port/", "host:port" or ":port" (host 127.0.0.1). */
static bool parse_target(const char *text, struct status_opts *o)
{
	if (strncmp(text, "http://", 7) == 0)
		text += 7;
	const char *colon = strrchr(text, ':');
	unsigned long port;
	char ps[8];
	if (!colon || (size_t)(colon - text) >= sizeof(o->host))
		return false;
	size_t pl = strcspn(colon + 1, "/");
	if (pl == 0 || pl >= sizeof(ps))
		return false;
	memcpy(ps, colon + 1, pl);
	ps[pl] = '\0';
	if (!parse_ulong(ps, 1, 65535, &port))
		return false;
	if (colon == text)
		snprintf(o->host, sizeof(o->host), "127.0.0.1");
	else
		snprintf(o->host, sizeof(o->host), "%.*s", (int)(colon - text), text);
	if (o->host[0] == '[') { /* [::1] */
		memmove(o->host, o->host + 1, strlen(o->host));
		o->host[strcspn(o->host, "]")] = '\0';
	}
	o->port = (uint16_t)port;
	return true;
}

static int parse_args(int argc, char **argv, const char *usage, const char *dflt, struct status_opts *o)
{
	int c;
	unsigned long v;
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 3000;
	parse_target(dflt, o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:jt:h", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (!parse_target(optarg, o)) {
				fprintf(stderr, "tzsigner status: --url '%s' is not HOST:PORT\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': o->json = true; break;
		case 't':
			if (!parse_ulong(optarg, 1, 600000, &v)) {
				fprintf(stderr, "tzsigner status: --timeout '%s' is not 1 to 600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			o->timeout_ms = (int)v;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* GETs path; prints it raw with --json; else parses it into *root. */
static int fetch(const struct status_opts *o, const char *what, const char *path, json_t **root)
{
	struct err e = { 0 };
	int status = 0;
	char *body = NULL;
	size_t len = 0;
	if (!http_get(o->host, o->port, path, o->timeout_ms, &status, &body, &len, &e)) {
		fprintf(stderr, "tzsigner %s: %s (is it running, and is %s:%u its %s?)\n", what, e.msg,
			o->host, (unsigned)o->port, strcmp(what, "status") == 0 ? "--status-port" : "--metrics");
		return 3;
	}
	json_error_t je;
	*root = json_loadb(body, len, 0, &je);
	if (!*root || !json_is_object(*root)) {
		fprintf(stderr, "tzsigner %s: %s:%u%s answered HTTP %d, not a status object: %.200s\n", what,
			o->host, (unsigned)o->port, path, status, body);
		free(body);
		json_decref(*root);
		return 3;
	}
	if (o->json) {
		fwrite(body, 1, len, stdout);
		if (len == 0 || body[len - 1] != '\n')
			putchar('\n');
	}
	free(body);
	return 0;
}

static void last_text(const json_t *last, const char *kind, char *out, size_t cap)
{
	const json_t *v = json_object_get(last, kind);
	char age[32];
	if (!json_is_object(v))
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%lld/%lld %s ago", num(v, "level"), num(v, "round"),
			 html_age(num(v, "age_s"), age, sizeof(age)));
}

static void print_system(const json_t *sys)
{
	const json_t *p = json_object_get(sys, "power"), *u = json_object_get(sys, "uplink"),
		     *t = json_object_get(sys, "tunnel");
	printf("power:   ");
	if (json_is_object(p) && json_object_get(p, "battery_percent"))
		printf("%s (battery %lld%% %s)\n", str(p, "source", "?"), num(p, "battery_percent"),
		       str(p, "battery_status", ""));
	else
		printf("%s\n", json_is_object(p) ? str(p, "source", "?") : "not watched");
	printf("uplink:  ");
	if (json_is_object(u))
		printf("%s %s\n", str(u, "role", "?"), str(u, "interface", str(u, "error", "")));
	else
		printf("not watched (serve --uplink-endpoint)\n");
	printf("tunnel:  ");
	if (json_is_object(t) && json_object_get(t, "error"))
		printf("%s: %s\n", str(t, "state", "?"), str(t, "error", ""));
	else if (json_is_object(t))
		printf("%s, %lld reconnects%s\n", str(t, "state", "?"), num(t, "reconnects"),
		       strcmp(str(t, "box_ssh", ""), "not_listening") == 0
			       ? "; box sshd not listening: the endpoint's P+1000 leads nowhere"
			       : "");
	else
		printf("not watched (serve --tunnel-state)\n");
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o;
	int rc = parse_args(argc, argv, box_usage, BOX_DEFAULT, &o);
	if (rc)
		return rc < 0 ? EXIT_SUCCESS : rc;
	json_t *st = NULL;
	if ((rc = fetch(&o, "status", "/statusz", &st)) != 0)
		return rc;
	const json_t *keys = json_object_get(st, "keys"), *k;
	size_t n = json_array_size(keys), can = 0, i;
	json_array_foreach(keys, i, k) can += json_is_true(json_object_get(k, "can_sign"));
	if (!o.json) {
		printf("tzsigner %s at %s:%u: ", str(st, "version", "?"), o.host, (unsigned)o.port);
		if (n && can == n)
			printf("all %zu keys can sign\n\n", n);
		else
			printf("%zu of %zu keys CANNOT sign\n\n", n - can, n);
		printf("%-14s %-37s %-5s %-22s %-22s %-22s %s\n", "KEY", "PKH", "SIGN", "LAST BLOCK",
		       "LAST PREATTESTATION", "LAST ATTESTATION", "STORAGE");
		json_array_foreach(keys, i, k) {
			char b[64], p[64], a[64];
			const json_t *last = json_object_get(k, "last_signed"), *d = json_object_get(k, "device");
			last_text(last, "block", b, sizeof(b));
			last_text(last, "preattestation", p, sizeof(p));
			last_text(last, "attestation", a, sizeof(a));
			bool ok = json_is_true(json_object_get(k, "can_sign"));
			printf("%-14s %-37s %-5s %-22s %-22s %-22s %s%s%s\n", str(k, "name", "?"),
			       str(k, "pkh", "?"), ok ? "yes" : "NO", b, p, a, str(k, "storage", "?"),
			       json_is_object(d) ? " " : "", json_is_object(d) ? str(d, "state", "") : "");
			if (!ok)
				printf("    why not: %s%s%s\n", str(k, "reason", "?"), json_object_get(k, "msg") ? ": " : "",
				       str(k, "msg", ""));
		}
		printf("\n");
		print_system(json_object_get(st, "system"));
	}
	json_decref(st);
	return n && can == n ? EXIT_SUCCESS : EXIT_FAILURE;
}

int cmd_forwarder_status(int argc, char **argv)
{
	struct status_opts o;
	int rc = parse_args(argc, argv, fwd_usage, FORWARDER_DEFAULT, &o);
	if (rc)
		return rc < 0 ? EXIT_SUCCESS : rc;
	json_t *st = NULL;
	if ((rc = fetch(&o, "forwarder status", "/status", &st)) != 0)
		return rc;
	const json_t *boxes = json_object_get(st, "boxes"), *b;
	size_t n = json_array_size(boxes), up = 0, i;
	json_array_foreach(boxes, i, b) up += strcmp(str(b, "signer", ""), "up") == 0;
	if (!o.json) {
		printf("forwarder at %s:%u (ssh %s, login %s, host key %s): %s; %zu of %zu signers answer\n\n",
		       o.host, (unsigned)o.port, str(st, "listen", "?"), str(st, "user", "?"),
		       str(st, "host_key", "?"), json_is_true(json_object_get(st, "ready")) ? "ready" : "NOT READY",
		       up, n);
		printf("%-14s %-6s %-8s %-8s %-21s %-10s %-9s %s\n", "BOX", "PORT", "TUNNEL", "SIGNER", "SINCE",
		       "CHECK", "SESSIONS", "LAST ERROR");
		json_array_foreach(boxes, i, b) {
			char check[32];
			snprintf(check, sizeof(check), "%.1f ms", json_number_value(json_object_get(b, "check_ms")));
			printf("%-14s %-6lld %-8s %-8s %-21s %-10s %-9lld %s\n", str(b, "name", "?"), num(b, "port"),
			       str(b, "tunnel", "?"), str(b, "signer", "?"), str(b, "since", "-"), check,
			       num(b, "sessions"), *str(b, "error", "") ? str(b, "error", "") : "-");
		}
	}
	json_decref(st);
	return n && up == n ? EXIT_SUCCESS : EXIT_FAILURE;
}
