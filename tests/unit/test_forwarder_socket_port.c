/* Unit tests of a box's socket port (signers file `socket=Q`): parsed,
 * refused where it would clash with any port of any box or of the endpoint,
 * kept by the canonical form, and rendered as permitlisten="Q", in
 * PermitListen, and as a Service port and NetworkPolicy rule in Kubernetes.
 * The real sshd's verdict on the rendered files is
 * tests/integration/forwarder_socket_port.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/forwarder/k8s.h"
#include "../../src/forwarder/render.h"
#include "../../src/forwarder/signers.h"
#include "harness.h"
#include "test_forwarder_keys.h"

/* alpha has a socket port, beta (an old-style line) has none. */
static const char boxes[] = "alpha 7001 socket=9001 bakers=tezos:baker=alpha " K_ED1 " a@box\n"
			    "beta 7002 bakers=tezos:baker=beta " K_ED2 "\n";

static bool parse(struct signers *s, const char *text, struct err *e)
{
	return signers_parse(s, text, strlen(text), "signers.txt", e);
}

/* The text must fail, with a message containing want. */
static bool refused(const char *text, const char *want)
{
	struct signers s;
	struct err e = { 0 };
	if (parse(&s, text, &e)) {
		printf("  accepted: %s\n", text);
		signers_free(&s);
		return false;
	}
	if (!strstr(e.msg, want)) {
		printf("  message: %s\n  wanted: %s\n", e.msg, want);
		return false;
	}
	return true;
}

TEST(forwarder_socket_port_is_parsed_and_kept_by_the_canonical_form)
{
	struct signers s, back;
	struct err e = { 0 };
	CHECK(parse(&s, boxes, &e));
	CHECK(s.n == 2 && s.v[0].socket_port == 9001 && s.v[1].socket_port == 0);
	const char *role = NULL;
	CHECK(signers_find_port(&s, 9001, &role) == 0 && strcmp(role, "socket port") == 0);
	CHECK(signers_find_port(&s, 8002, &role) == 1 && strcmp(role, "sshd port (P + 1000)") == 0);
	CHECK(signers_find_port(&s, 9002, NULL) == -1);
	char *canon = signers_canonical(&s);
	CHECK(canon != NULL);
	bool has = strstr(canon, "\nalpha 7001 socket=9001 bakers=tezos:baker=alpha ") != NULL &&
		   strstr(canon, "\nbeta 7002 bakers=") != NULL;
	bool again = parse(&back, canon, &e);
	free(canon);
	CHECK(has);
	CHECK(again);
	CHECK(back.n == 2 && back.v[0].socket_port == 9001 && back.v[1].socket_port == 0);
	signers_free(&back);
	signers_free(&s);
	/* the option may stand anywhere among the options, and Q may be above P's range */
	CHECK(parse(&s, "alpha 7001 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA socket=65535 " K_ED1 "\n", &e));
	CHECK(s.v[0].socket_port == 65535);
	signers_free(&s);
}

TEST(forwarder_socket_port_refuses_malformed_values)
{
	CHECK(refused("alpha 7001 socket=abc " K_ED1 "\n", "signers.txt:1: socket='abc' is not a port from 1024 to 65535"));
	CHECK(refused("alpha 7001 socket= " K_ED1 "\n", "socket='' is not a port"));
	CHECK(refused("alpha 7001 socket=1023 " K_ED1 "\n", "socket='1023' is not a port"));
	CHECK(refused("alpha 7001 socket=65536 " K_ED1 "\n", "socket='65536' is not a port"));
	CHECK(refused("alpha 7001 socket=-9001 " K_ED1 "\n", "socket='-9001' is not a port"));
	CHECK(refused("alpha 7001 socket=0009001 " K_ED1 "\n", "is not a port"));
	CHECK(refused("\nalpha 7001 socket=9001 socket=9002 " K_ED1 "\n", "signers.txt:2: socket= given twice"));
}

TEST(forwarder_socket_port_refuses_every_port_clash)
{
	/* with the box's own ports */
	CHECK(refused("alpha 7001 socket=7001 " K_ED1 "\n", "signers.txt:1: socket port 7001 is this box's own port"));
	CHECK(refused("alpha 7001 socket=8001 " K_ED1 "\n",
		      "socket port 8001 is this box's own sshd port (P + 1000)"));
	/* this box's Q on an earlier box's P, P + 1000 or Q */
	CHECK(refused("alpha 7001 " K_ED1 "\nbeta 7002 socket=7001 " K_ED2 "\n",
		      "signers.txt:2: socket port 7001 is box 'alpha''s port (line 1)"));
	CHECK(refused("alpha 7001 " K_ED1 "\nbeta 7002 socket=8001 " K_ED2 "\n",
		      "socket port 8001 is box 'alpha''s sshd port (P + 1000) (line 1)"));
	CHECK(refused("alpha 7001 socket=9000 " K_ED1 "\nbeta 7002 socket=9000 " K_ED2 "\n",
		      "signers.txt:2: socket port 9000 is box 'alpha''s socket port (line 1)"));
	/* an earlier box's Q on this box's P or P + 1000 */
	CHECK(refused("alpha 7001 socket=7002 " K_ED1 "\n\nbeta 7002 " K_ED2 "\n",
		      "signers.txt:3: this box's port 7002 is box 'alpha''s socket port (line 1)"));
	CHECK(refused("alpha 7001 socket=8002 " K_ED1 "\nbeta 7002 " K_ED2 "\n",
		      "this box's sshd port (P + 1000) 8002 is box 'alpha''s socket port"));
	/* distinct ports everywhere: fine */
	struct signers s;
	struct err e = { 0 };
	CHECK(parse(&s, "alpha 7001 socket=9001 " K_ED1 "\nbeta 7002 socket=9002 " K_ED2 "\n", &e));
	signers_free(&s);
	/* the endpoint's own ports */
	CHECK(parse(&s, boxes, &e));
	bool ssh = !fwd_check_ports(&s, 9001, 0, &e) &&
		   strstr(e.msg, "the SSH listen port 9001 is box 'alpha''s socket port (signers file line 1)");
	bool metrics = !fwd_check_ports(&s, 2222, 9001, &e) && strstr(e.msg, "metrics port 9001");
	bool other = fwd_check_ports(&s, 2222, 9732, &e);
	struct k8s_opts k;
	k8s_opts_defaults(&k);
	k.metrics_port = 9001;
	bool k8s = !k8s_opts_check(&k, &s, &e) &&
		   strstr(e.msg, "the metrics port 9001 is also box 'alpha''s socket port (line 1)");
	signers_free(&s);
	CHECK(ssh);
	CHECK(metrics);
	CHECK(other);
	CHECK(k8s);
}

TEST(forwarder_socket_port_is_rendered_for_its_box_only)
{
	struct fwd_rendered r;
	struct fwd_render_opts o;
	struct err e = { 0 };
	memset(&r, 0, sizeof(r));
	fwd_render_opts_defaults(&o);
	CHECK(parse(&r.signers, boxes, &e));
	CHECK(sshkey_parse_private_text(PRIV_ED1, strlen(PRIV_ED1), &r.host_key, &e));
	snprintf(r.user, sizeof(r.user), "tzsigner");
	char *ak = fwd_authorized_keys_text(&o, &r.signers);
	char *cfg = fwd_sshd_config_text(&o, &r);
	o.forward_bind = FWD_BIND_SIGNER;
	char *ak_k8s = fwd_authorized_keys_text(&o, &r.signers);
	char *cfg_k8s = fwd_sshd_config_text(&o, &r);
	fwd_rendered_free(&r);
	CHECK(ak && cfg && ak_k8s && cfg_k8s);
	bool a = strstr(ak, "\nrestrict,port-forwarding,permitlisten=\"7001\",permitlisten=\"8001\","
			    "permitlisten=\"9001\" " K_ED1 " tzsigner:alpha\n") != NULL;
	bool b = strstr(ak, "\nrestrict,port-forwarding,permitlisten=\"7002\",permitlisten=\"8002\" " K_ED2
			    " tzsigner:beta\n") != NULL;
	bool pl = strstr(cfg, "\nPermitListen 7001 8001 9001 7002 8002\n") != NULL;
	/* Kubernetes: Q, like P, on the pod's every address (a Service reaches it) */
	bool a8 = strstr(ak_k8s, "\nrestrict,port-forwarding,permitlisten=\"0.0.0.0:7001\","
				 "permitlisten=\"localhost:8001\",permitlisten=\"0.0.0.0:9001\" " K_ED1) != NULL;
	bool pl8 = strstr(cfg_k8s, "\nPermitListen 0.0.0.0:7001 localhost:8001 0.0.0.0:9001 0.0.0.0:7002 "
				   "localhost:8002\n") != NULL;
	free(ak);
	free(cfg);
	free(ak_k8s);
	free(cfg_k8s);
	CHECK(a);
	CHECK(b);
	CHECK(pl);
	CHECK(a8);
	CHECK(pl8);
}

TEST(forwarder_socket_port_gets_a_service_port_and_a_policy_rule)
{
	struct signers s;
	struct err e = { 0 };
	CHECK(parse(&s, boxes, &e));
	struct k8s_opts k;
	k8s_opts_defaults(&k);
	struct k8s_output out;
	bool rendered = k8s_render(&k, &s, &out, &e);
	signers_free(&s);
	CHECK(rendered);
	const char *svc = "", *np = "";
	for (size_t i = 0; i < out.n; i++) {
		if (strcmp(out.files[i].name, "services.yaml") == 0)
			svc = out.files[i].text;
		else if (strcmp(out.files[i].name, "networkpolicy.yaml") == 0)
			np = out.files[i].text;
	}
	/* alpha's Service: "signer" P then "socket" Q; beta's: "signer" only */
	const char *alpha = strstr(svc, "name: \"tzsigner-alpha\"");
	const char *beta = strstr(svc, "name: \"tzsigner-beta\"");
	bool svc_ok = alpha && beta && alpha < beta &&
		      strstr(alpha, "    - name: \"signer\"\n      port: 7001\n      targetPort: 7001\n"
				    "      protocol: \"TCP\"\n    - name: \"socket\"\n      port: 9001\n"
				    "      targetPort: 9001\n") != NULL &&
		      strstr(beta, "name: \"socket\"") == NULL &&
		      strstr(svc, "# or tcp://tzsigner-alpha:9001/PKH (octez's socket protocol)\n") != NULL;
	/* alpha's policy admits its bakers to P and Q, in one rule */
	const char *pa = strstr(np, "name: \"tzsigner-alpha\"");
	const char *pb = strstr(np, "name: \"tzsigner-beta\"");
	bool np_ok = pa && pb && pa < pb &&
		     strstr(pa, "      ports:\n        - port: 7001\n          protocol: \"TCP\"\n"
				"        - port: 9001\n          protocol: \"TCP\"\n---\n") != NULL &&
		     strstr(pb, "9001") == NULL;
	k8s_output_free(&out);
	CHECK(svc_ok);
	CHECK(np_ok);
}
