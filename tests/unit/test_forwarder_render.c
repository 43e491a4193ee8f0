/* Unit tests of src/forwarder/render.c, k8s.c, exporter.c and boxprobe.c:
 * the sshd files' text, sshd's StrictModes rule, the Kubernetes output's
 * stability, the exporter's answers and the probe's status line parser. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/forwarder/boxprobe.h"
#include "../../src/forwarder/exporter.h"
#include "../../src/forwarder/k8s.h"
#include "../../src/forwarder/render.h"
#include "../../src/forwarder/serve.h"
#include "harness.h"
#include "test_forwarder_keys.h"

static const char two_boxes[] =
	"alpha 7001 bakers=tezos:app.kubernetes.io/name=octez-baker,baker=alpha " K_ED1 " a@box\n"
	"beta 7002 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA bakers=tezos:baker=beta "
	"bakers=other-ns:app=b " K_ED2 "\n";

static bool load(struct fwd_rendered *r)
{
	struct err e = { 0 };
	memset(r, 0, sizeof(*r));
	if (!signers_parse(&r->signers, two_boxes, strlen(two_boxes), "signers.txt", &e))
		return false;
	if (!sshkey_parse_private_text(PRIV_ED1, strlen(PRIV_ED1), &r->host_key, &e))
		return false;
	snprintf(r->user, sizeof(r->user), "tzsigner");
	snprintf(r->config_path, sizeof(r->config_path), "/srv/fwd/sshd_config");
	snprintf(r->authorized_keys_path, sizeof(r->authorized_keys_path), "/srv/fwd/authorized_keys");
	snprintf(r->host_key_out, sizeof(r->host_key_out), "/srv/fwd/ssh_host_ed25519_key");
	return true;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	printf("  missing line: %s\n", line);
	return false;
}

TEST(forwarder_render_sshd_config_is_keys_only_remote_forwarding_only)
{
	struct fwd_rendered r;
	struct fwd_render_opts o;
	fwd_render_opts_defaults(&o);
	CHECK(load(&r));
	char *cfg = fwd_sshd_config_text(&o, &r);
	CHECK(cfg != NULL);
	const char *want[] = {
		"HostKey /srv/fwd/ssh_host_ed25519_key", "HostKeyAlgorithms ssh-ed25519",
		"AuthorizedKeysFile /srv/fwd/authorized_keys", "AllowUsers tzsigner", "PermitRootLogin no",
		"StrictModes yes", "AuthenticationMethods publickey", "PasswordAuthentication no",
		"KbdInteractiveAuthentication no", "UsePAM no", "PermitTTY no", "MaxSessions 0",
		"X11Forwarding no", "AllowAgentForwarding no", "AllowStreamLocalForwarding no",
		"AllowTcpForwarding remote", "GatewayPorts no", "PermitListen 7001 8001 7002 8002",
		"PermitOpen none", "PermitTunnel no", "ClientAliveInterval 5", "ClientAliveCountMax 3",
		"LoginGraceTime 10", "MaxStartups 10:30:40", "PerSourceMaxStartups 3",
		"PerSourceNetBlockSize 32:128", "PidFile none",
	};
	bool all = true;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		all = has_line(cfg, want[i]) && all;
	bool no_subsystem = strstr(cfg, "Subsystem") == NULL;
	free(cfg);
	/* Kubernetes and the self probe change exactly what they should. */
	o.forward_bind = FWD_BIND_ANY;
	o.self_probe = true;
	snprintf(r.user, sizeof(r.user), "root");
	cfg = fwd_sshd_config_text(&o, &r);
	CHECK(cfg != NULL);
	bool k8s = has_line(cfg, "GatewayPorts yes") && has_line(cfg, "AllowTcpForwarding yes") &&
		   has_line(cfg, "PermitOpen localhost:7001 127.0.0.1:7001 localhost:7002 127.0.0.1:7002") &&
		   has_line(cfg, "PermitRootLogin prohibit-password");
	free(cfg);
	fwd_rendered_free(&r);
	CHECK(all);
	CHECK(no_subsystem);
	CHECK(k8s);
}

TEST(forwarder_render_authorized_keys_one_restricted_line_per_box)
{
	struct fwd_rendered r;
	struct fwd_render_opts o;
	fwd_render_opts_defaults(&o);
	CHECK(load(&r));
	char *ak = fwd_authorized_keys_text(&o, &r.signers);
	o.self_probe = true;
	char *ak2 = fwd_authorized_keys_text(&o, &r.signers);
	fwd_rendered_free(&r);
	CHECK(ak && ak2);
	bool a = has_line(ak, "restrict,port-forwarding,permitlisten=\"7001\",permitlisten=\"8001\" " K_ED1
			      " tzsigner:alpha");
	bool b = has_line(ak, "restrict,port-forwarding,permitlisten=\"7002\",permitlisten=\"8002\" " K_ED2
			      " tzsigner:beta");
	bool c = has_line(ak2, "restrict,port-forwarding,permitlisten=\"7001\",permitlisten=\"8001\","
			       "permitopen=\"localhost:7001\",permitopen=\"127.0.0.1:7001\" " K_ED1 " tzsigner:alpha");
	bool no_open = strstr(ak, "permitopen") == NULL;
	free(ak);
	free(ak2);
	CHECK(a && b && c && no_open);
}

TEST(forwarder_render_strict_modes_rule_matches_sshd)
{
	char dir[] = "/tmp/tzs-fwd-strict.XXXXXX"; /* under /tmp: itself refused */
	CHECK(mkdtemp(dir) != NULL);
	struct err e = { 0 };
	bool tmp_refused = !fwd_check_strict_modes(dir, 0, NULL, &e) && strstr(e.msg, "/tmp") &&
			   strstr(e.msg, "writable by group or others");
	if (!tmp_refused)
		printf("  message: %s\n", e.msg);
	/* With the walk stopping at a "home" that is the directory itself, only
	 * the directory's own modes count, as sshd does below a home. */
	chmod(dir, 0755);
	bool ok755 = fwd_check_strict_modes(dir, 0, dir, &e);
	chmod(dir, 0775);
	bool group_w = !fwd_check_strict_modes(dir, 0, dir, &e);
	chmod(dir, 0755);
	bool other_owner = !fwd_check_strict_modes(dir, 4242, dir, &e) || geteuid() != 0;
	/* not owned by root (we are root in tests) nor the user 4242 */
	if (geteuid() == 0) {
		CHECK(chown(dir, 1234, 1234) == 0);
		other_owner = !fwd_check_strict_modes(dir, 4242, dir, &e) && strstr(e.msg, "owned by uid 1234");
		CHECK(chown(dir, 0, 0) == 0);
	}
	rmdir(dir);
	CHECK(tmp_refused);
	CHECK(ok755);
	CHECK(group_w);
	CHECK(other_owner);
	CHECK(fwd_path_is_safe("/var/lib/tzsigner-forwarder/sshd"));
	CHECK(!fwd_path_is_safe("/var/lib/with space"));
	CHECK(!fwd_path_is_safe("/var/%h"));
	CHECK(!fwd_path_is_safe(""));
}

TEST(forwarder_render_parses_listen_addresses)
{
	char host[64];
	uint16_t port = 0;
	struct err e = { 0 };
	CHECK(fwd_parse_addr("127.0.0.1:2222", host, sizeof(host), &port, &e));
	CHECK_STR(host, "127.0.0.1");
	CHECK(port == 2222);
	CHECK(fwd_parse_addr("[::1]:22", host, sizeof(host), &port, &e));
	CHECK_STR(host, "::1");
	CHECK(port == 22);
	CHECK(!fwd_parse_addr("localhost:22", host, sizeof(host), &port, &e));
	CHECK(!fwd_parse_addr("127.0.0.1", host, sizeof(host), &port, &e));
	CHECK(!fwd_parse_addr("127.0.0.1:65536", host, sizeof(host), &port, &e));
	CHECK(!fwd_parse_addr("127.0.0.1:22x", host, sizeof(host), &port, &e));
	CHECK(!fwd_parse_addr("[::1:22", host, sizeof(host), &port, &e));
}

static bool k8s_out(struct k8s_output *out, const struct signers *s)
{
	struct k8s_opts o;
	struct err e = { 0 };
	k8s_opts_defaults(&o);
	o.namespace = "tezos";
	o.image = "registry.example/tzsigner-forwarder:0.1.0";
	return k8s_render(&o, s, out, &e);
}

static const char *file_of(const struct k8s_output *out, const char *name)
{
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->files[i].name, name) == 0)
			return out->files[i].text;
	return "";
}

TEST(forwarder_k8s_output_is_stable_and_names_every_box)
{
	struct fwd_rendered r;
	CHECK(load(&r));
	struct k8s_output a, b;
	CHECK(k8s_out(&a, &r.signers));
	bool second = k8s_out(&b, &r.signers);
	bool same = second && a.n == b.n;
	for (size_t i = 0; same && i < a.n; i++)
		same = strcmp(a.files[i].name, b.files[i].name) == 0 && strcmp(a.files[i].text, b.files[i].text) == 0;
	const char *svc = file_of(&a, "services.yaml");
	bool boxes = strstr(svc, "name: \"tzsigner-alpha\"") && strstr(svc, "name: \"tzsigner-beta\"") &&
		     strstr(svc, "port: 7001") && strstr(svc, "type: \"LoadBalancer\"");
	const char *dep = file_of(&a, "deployment.yaml");
	bool deploy = strstr(dep, "type: \"Recreate\"") && strstr(dep, "replicas: 1") &&
		      strstr(dep, "secretName: \"tzsigner-forwarder-host-key\"") &&
		      /* a signers change must not roll the pod: no checksum of it */
		      !strstr(dep, "signers-sha256") && strstr(dep, "\"--forward-bind\"\n            - \"signer\"");
	bool cm = strstr(file_of(&a, "configmap.yaml"), "    alpha 7001 bakers=tezos:app.kubernetes.io/name=octez-baker,baker=alpha ssh-ed25519 ") != NULL;
	bool no_secret = file_of(&a, "secret.yaml")[0] == '\0';
	k8s_output_free(&a);
	if (second)
		k8s_output_free(&b);
	/* A box port that is also the pod's SSH port is refused. */
	struct k8s_opts o;
	struct err e = { 0 };
	k8s_opts_defaults(&o);
	o.ssh_port = 7002;
	struct k8s_output c;
	bool clash = !k8s_render(&o, &r.signers, &c, &e) && strstr(e.msg, "box 'beta'");
	o.ssh_port = 2222;
	o.namespace = "Bad_NS";
	bool bad_ns = !k8s_render(&o, &r.signers, &c, &e);
	/* A box that names no bakers: every pod could reach it. Refused. */
	o.namespace = "tezos";
	r.signers.v[1].n_bakers = 0;
	bool no_bakers = !k8s_render(&o, &r.signers, &c, &e) && strstr(e.msg, "box 'beta' names no bakers");
	fwd_rendered_free(&r);
	CHECK(no_bakers);
	CHECK(second);
	CHECK(same);
	CHECK(boxes);
	CHECK(deploy);
	CHECK(cm);
	CHECK(no_secret);
	CHECK(clash);
	CHECK(bad_ns);
}

TEST(forwarder_exporter_answers_from_the_state)
{
	struct fwd_state s;
	memset(&s, 0, sizeof(s));
	CHECK(load(&s.r));
	struct fwd_box_state boxes[2];
	memset(boxes, 0, sizeof(boxes));
	boxes[0].tunnel = TRI_UP;
	boxes[0].signer = TRI_UP;
	boxes[0].sessions = 1;
	boxes[1].tunnel = TRI_DOWN;
	boxes[1].signer = TRI_DOWN;
	snprintf(boxes[1].error, sizeof(boxes[1].error), "connect: Connection refused");
	s.boxes = boxes;
	s.ready = true;
	s.n_children = 1;
	snprintf(s.listen_text, sizeof(s.listen_text), "127.0.0.1:2222");
	struct http_answer a;
	CHECK(fwd_http_route(&s, "GET", "/metrics", &a));
	bool metrics = a.status == 200 &&
		       strstr(a.body, "tzsigner_forwarder_box_signer_up{box=\"alpha\",port=\"7001\"} 1\n") &&
		       strstr(a.body, "tzsigner_forwarder_box_signer_up{box=\"beta\",port=\"7002\"} 0\n") &&
		       strstr(a.body, "tzsigner_forwarder_box_tunnel_up{box=\"beta\",port=\"7002\"} 0\n") &&
		       strstr(a.body, "tzsigner_forwarder_box_sessions{box=\"alpha\",port=\"7001\"} 1\n") &&
		       strstr(a.body, "fingerprint=\"" FP_ED1 "\"");
	free(a.body);
	CHECK(fwd_http_route(&s, "GET", "/ready/alpha", &a));
	bool ready_a = a.status == 200;
	free(a.body);
	CHECK(fwd_http_route(&s, "GET", "/ready/beta", &a));
	bool ready_b = a.status == 503 && strstr(a.body, "Connection refused");
	free(a.body);
	CHECK(fwd_http_route(&s, "GET", "/ready/gamma", &a));
	bool nobox = a.status == 404;
	free(a.body);
	CHECK(fwd_http_route(&s, "GET", "/status", &a));
	bool status = a.status == 200 && strstr(a.body, "\"name\":\"beta\"") &&
		      strstr(a.body, "\"signer\":\"down\"") && strstr(a.body, "\"ready\":true");
	free(a.body);
	CHECK(fwd_http_route(&s, "POST", "/metrics", &a));
	bool method = a.status == 405;
	free(a.body);
	s.ready = false;
	CHECK(fwd_http_route(&s, "GET", "/readyz", &a));
	bool notready = a.status == 503;
	free(a.body);
	fwd_rendered_free(&s.r);
	CHECK(metrics);
	CHECK(ready_a);
	CHECK(ready_b);
	CHECK(nobox);
	CHECK(status);
	CHECK(method);
	CHECK(notready);

	char m[16], p[64];
	CHECK(fwd_http_request_line("GET /ready/x?y=1 HTTP/1.1\r\n", 27, m, sizeof(m), p, sizeof(p)));
	CHECK_STR(m, "GET");
	CHECK_STR(p, "/ready/x");
	CHECK(!fwd_http_request_line("GET ready HTTP/1.1\r\n", 20, m, sizeof(m), p, sizeof(p)));
	CHECK(!fwd_http_request_line("GET /x SPDY\r\n", 13, m, sizeof(m), p, sizeof(p)));
}

TEST(forwarder_boxprobe_reads_status_lines)
{
	CHECK(boxprobe_status_of("HTTP/1.1 200 OK\r\n", 17) == 200);
	CHECK(boxprobe_status_of("HTTP/1.0 503 Service", 20) == 503);
	CHECK(boxprobe_status_of("HTTP/1.1 20", 11) == -1);
	CHECK(boxprobe_status_of("SSH-2.0-OpenSSH_9.2", 19) == -1);
	CHECK(boxprobe_status_of("HTTP/1.1 2x0 OK", 15) == -1);
	/* nothing listens on port 1 of 127.0.0.1: the tunnel is down */
	struct boxprobe p;
	boxprobe_init(&p);
	enum probe_result r = boxprobe_start(&p, 1, "/authorized_keys", 0, 1000);
	for (int i = 0; i < 50 && r == PROBE_PENDING; i++) {
		struct pollfd pf = { p.hp.fd, boxprobe_events(&p), 0 };
		if (poll(&pf, 1, 100) > 0)
			r = boxprobe_step(&p, pf.revents);
	}
	if (r == PROBE_PENDING)
		r = boxprobe_expire(&p, 5000);
	boxprobe_close(&p);
	CHECK(r == PROBE_TUNNEL_DOWN);
}

TEST(forwarder_render_signer_bind_puts_p_on_every_address_and_p1000_on_loopback)
{
	struct fwd_rendered r;
	struct fwd_render_opts o;
	fwd_render_opts_defaults(&o);
	CHECK(load(&r));
	o.forward_bind = FWD_BIND_SIGNER;
	char *cfg = fwd_sshd_config_text(&o, &r);
	char *ak = fwd_authorized_keys_text(&o, &r.signers);
	CHECK(cfg && ak);
	CHECK(has_line(cfg, "GatewayPorts clientspecified"));
	CHECK(has_line(cfg, "PermitListen 0.0.0.0:7001 localhost:8001 0.0.0.0:7002 localhost:8002"));
	CHECK(strstr(ak, "restrict,port-forwarding,permitlisten=\"0.0.0.0:7001\",permitlisten=\"localhost:8001\" ") !=
	      NULL);
	free(cfg);
	free(ak);
	fwd_rendered_free(&r);
}

TEST(forwarder_k8s_knobs_are_checked_and_rendered)
{
	struct fwd_rendered r;
	CHECK(load(&r));
	struct k8s_opts o;
	struct err e = { 0 };
	k8s_opts_defaults(&o);
	struct k8s_knobs *k = &o.knobs;
	CHECK(k8s_knob_add(k, "label", "team=bakers", &e));
	CHECK(k8s_knob_add(k, "lb-annotation", "service.beta.kubernetes.io/aws-load-balancer-type=nlb", &e));
	CHECK(k8s_knob_add(k, "lb-source-range", "203.0.113.0/24", &e));
	CHECK(k8s_knob_add(k, "lb-source-range", "2001:db8::/32", &e));
	CHECK(k8s_knob_add(k, "node-selector", "kubernetes.io/arch=amd64", &e));
	CHECK(k8s_knob_add(k, "toleration", "dedicated=tezos:NoSchedule", &e));
	CHECK(k8s_knob_add(k, "toleration", "spot:NoExecute", &e));
	CHECK(k8s_knob_add(k, "priority-class", "system-cluster-critical", &e));
	CHECK(k8s_knob_add(k, "monitoring-from", "monitoring:app.kubernetes.io/name=prometheus", &e));
	const char *bad[][2] = {
		{ "label", "team" }, { "label", "Team Bakers=x" }, { "label", "team=-x" },
		{ "label", "bad_prefix.io/x=y" }, { "lb-annotation", "k=tab\there" },
		{ "lb-source-range", "203.0.113.0" }, { "lb-source-range", "203.0.113.0/33" },
		{ "lb-source-range", "2001:db8::/129" }, { "lb-source-range", "example.com/24" },
		{ "toleration", "dedicated=tezos" }, { "toleration", "dedicated:Sometimes" },
		{ "priority-class", "Not_A_Name" }, { "monitoring-from", "monitoring" },
		{ "monitoring-from", "Monitoring:app=p" }, { "monitoring-from", "monitoring:app=" },
		{ "node-selector", "=x" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool refused = !k8s_knob_add(k, bad[i][0], bad[i][1], &e);
		if (!refused)
			printf("  accepted --%s %s\n", bad[i][0], bad[i][1]);
		CHECK(refused);
	}
	struct k8s_output out;
	CHECK(k8s_render(&o, &r.signers, &out, &e));
	const char *dep = file_of(&out, "deployment.yaml"), *svc = file_of(&out, "services.yaml");
	const char *np = file_of(&out, "networkpolicy.yaml"), *mon = file_of(&out, "monitoring.yaml");
	CHECK(strstr(dep, "      nodeSelector:\n        kubernetes.io/arch: \"amd64\"\n"));
	CHECK(strstr(dep, "        - key: \"dedicated\"\n          operator: \"Equal\"\n          value: \"tezos\"\n"
			  "          effect: \"NoSchedule\"\n"));
	CHECK(strstr(dep, "        - key: \"spot\"\n          operator: \"Exists\"\n"));
	CHECK(strstr(dep, "      priorityClassName: \"system-cluster-critical\"\n"));
	CHECK(strstr(dep, "        team: \"bakers\"\n")); /* the pod template */
	CHECK(strstr(svc, "    service.beta.kubernetes.io/aws-load-balancer-type: \"nlb\"\n"));
	CHECK(strstr(svc, "  loadBalancerSourceRanges:\n    - \"203.0.113.0/24\"\n    - \"2001:db8::/32\"\n"));
	CHECK(strstr(np, "cidr: \"203.0.113.0/24\""));
	CHECK(strstr(np, "kubernetes.io/metadata.name: \"monitoring\""));
	/* absent() as well as == 0: a pod that is gone has no `up` series */
	CHECK(strstr(mon, "or absent(up{service=\\\"tzsigner-forwarder-metrics\\\"})"));
	k8s_output_free(&out);
	fwd_rendered_free(&r);
}
