/* Unit tests of src/tunnel/classify.c, fed with OpenSSH 9.2's own lines
 * (captured from real runs against a loopback sshd). */
#include <stdio.h>
#include <string.h>

#include "../../src/tunnel/classify.h"
#include "harness.h"

static enum tunnel_error run(const char *const *lines, char *msg, size_t cap, struct attempt *a)
{
	attempt_reset(a);
	for (size_t i = 0; lines[i]; i++)
		attempt_feed(a, lines[i]);
	return attempt_classify(a, "cloud:22", 7000, msg, cap);
}

static const char *const up_lines[] = {
	"ts=2026-11-25T20:01:24.586Z level=info fn=cmd_tunnel_proxy event=proxy_connected "
	"local=10.1.0.2:40312 peer=10.9.0.1:22 ms=3",
	"sshconnect2.c:ssh_userauth2():580 (pid=25637): Authenticated to 127.0.0.1 (via proxy) "
	"using \"publickey\".",
	"debug1: packet.c:ssh_packet_read_poll_seqnr():1782 (pid=25637): Remote: "
	"/tmp/exp/authorized_keys:1: key options: permitopen permitlisten port-forwarding",
	"debug1: ssh.c:ssh_confirm_remote_forward():1827 (pid=25637): remote forward success for: "
	"listen 7000, connect 127.0.0.1:6799",
	"debug1: ssh.c:ssh_confirm_remote_forward():1827 (pid=25637): remote forward success for: "
	"listen 8000, connect 127.0.0.1:22",
	NULL,
};

TEST(tunnel_classify_line_events)
{
	struct attempt a;
	attempt_reset(&a);
	CHECK(attempt_feed(&a, up_lines[0]) == LINE_PROXY_CONNECTED);
	CHECK_STR(a.local, "10.1.0.2:40312");
	CHECK_STR(a.peer, "10.9.0.1:22");
	CHECK(attempt_feed(&a, up_lines[1]) == LINE_AUTHENTICATED);
	CHECK(a.authenticated);
	CHECK(attempt_feed(&a, up_lines[2]) == LINE_CHATTER);
	CHECK(attempt_feed(&a, up_lines[3]) == LINE_FORWARD_OK);
	CHECK(attempt_feed(&a, up_lines[4]) == LINE_FORWARD_OK);
	CHECK(a.forwards_ok == 2);
	CHECK(attempt_feed(&a, "channel 2: open failed: administratively prohibited: open failed") ==
	      LINE_PROBE_REFUSED);
	CHECK(a.probe_prohibited);
	CHECK(attempt_feed(&a, "ts=x level=info fn=y event=other") == LINE_OURS);
	CHECK(attempt_feed(&a, "something unexpected") == LINE_OTHER);
}

TEST(tunnel_classify_disconnects)
{
	char msg[400];
	struct attempt a;
	const char *const killed[] = { up_lines[0], up_lines[1], up_lines[3], up_lines[4],
				       "Connection to 127.0.0.1 closed by remote host.", NULL };
	CHECK(run(killed, msg, sizeof(msg), &a) == TERR_DISCONNECTED);
	CHECK(strstr(msg, "closed by remote host"));
	const char *const timeout[] = { up_lines[1], "Timeout, server 127.0.0.1 not responding.", NULL };
	CHECK(run(timeout, msg, sizeof(msg), &a) == TERR_DISCONNECTED);
	CHECK(strstr(msg, "not responding"));
	const char *const reset[] = { "Read from remote host x: Connection reset by peer", NULL };
	CHECK(run(reset, msg, sizeof(msg), &a) == TERR_DISCONNECTED);
	const char *const nothing[] = { NULL };
	CHECK(run(nothing, msg, sizeof(msg), &a) == TERR_SSH_FAILED);
	CHECK(strstr(msg, "no message"));
	const char *const odd[] = { "weird line", NULL };
	CHECK(run(odd, msg, sizeof(msg), &a) == TERR_SSH_FAILED);
	CHECK(strstr(msg, "weird line"));
}

TEST(tunnel_classify_host_key_mismatch)
{
	char msg[400];
	struct attempt a;
	const char *const lines[] = {
		up_lines[0],
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
		"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
		"IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
		"Someone could be eavesdropping on you right now (man-in-the-middle attack)!",
		"It is also possible that a host key has just been changed.",
		"The fingerprint for the ED25519 key sent by the remote host is",
		"SHA256:2RZjv0fpDEG+fPZr3KGDMroCokBBroru9Sm4G6auLCs.",
		"Please contact your system administrator.",
		"Add correct host key in /tmp/exp/kh2 to get rid of this message.",
		"Offending ED25519 key in /tmp/exp/kh2:1",
		"  remove with:",
		"  ssh-keygen -f \"/tmp/exp/kh2\" -R \"tzs-endpoint\"",
		"Host key for tzs-endpoint has changed and you have requested strict checking.",
		"Host key verification failed.",
		NULL,
	};
	CHECK(run(lines, msg, sizeof(msg), &a) == TERR_HOST_KEY_MISMATCH);
	CHECK(strstr(msg, "host key mismatch"));
	CHECK(strstr(msg, "SHA256:2RZjv0fpDEG+fPZr3KGDMroCokBBroru9Sm4G6auLCs)"));
	/* The banner is chatter (debug): only ssh's last word and ours show. */
	attempt_reset(&a);
	for (size_t i = 1; lines[i + 1]; i++)
		CHECK(attempt_feed(&a, lines[i]) == LINE_CHATTER);
	CHECK(attempt_feed(&a, "Host key verification failed.") == LINE_ERROR);
	CHECK(tunnel_error_is_refusal(TERR_HOST_KEY_MISMATCH));
	CHECK_STR(tunnel_error_name(TERR_HOST_KEY_MISMATCH), "host_key_mismatch");
	const char *const unknown[] = {
		"No ED25519 host key is known for tzs-endpoint and you have requested strict checking.",
		"Host key verification failed.", NULL,
	};
	CHECK(run(unknown, msg, sizeof(msg), &a) == TERR_HOST_KEY_MISMATCH);
	CHECK(strstr(msg, "no host key of the pinned type"));
	const char *const nego[] = {
		"Unable to negotiate with 127.0.0.1 port 22022: no matching host key type found. "
		"Their offer: rsa-sha2-512,rsa-sha2-256", NULL,
	};
	CHECK(run(nego, msg, sizeof(msg), &a) == TERR_HOST_KEY_MISMATCH);
}

TEST(tunnel_classify_auth_and_identity)
{
	char msg[400];
	struct attempt a;
	const char *const denied[] = { up_lines[0], "root@127.0.0.1: Permission denied (publickey).", NULL };
	CHECK(run(denied, msg, sizeof(msg), &a) == TERR_AUTH_REFUSED);
	CHECK(strstr(msg, "authentication refused by cloud:22 for the account root:"));
	CHECK(strstr(msg, "no account root"));
	const char *const stranger[] = { up_lines[0], "tzsigner@10.0.0.7: Permission denied (publickey).", NULL };
	CHECK(run(stranger, msg, sizeof(msg), &a) == TERR_AUTH_REFUSED);
	CHECK(strstr(msg, "for the account tzsigner:"));
	const char *const noid[] = { "no such identity: /tmp/exp/nonexist: No such file or directory",
				     "root@127.0.0.1: Permission denied (publickey).", NULL };
	CHECK(run(noid, msg, sizeof(msg), &a) == TERR_IDENTITY);
	CHECK(strstr(msg, "/tmp/exp/nonexist"));
	const char *const open[] = {
		"@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @",
		"Permissions 0644 for '/k' are too open.",
		"Load key \"/k\": bad permissions",
		"root@127.0.0.1: Permission denied (publickey).", NULL,
	};
	CHECK(run(open, msg, sizeof(msg), &a) == TERR_IDENTITY);
	CHECK(strstr(msg, "Load key"));
}

TEST(tunnel_classify_forward_refused_vs_port_in_use)
{
	char msg[400];
	struct attempt a;
	const char *const policy[] = {
		up_lines[1],
		"debug1: packet.c:ssh_packet_read_poll_seqnr():1782 (pid=25642): Remote: port forwarding refused",
		"debug1: ssh.c:ssh_confirm_remote_forward():1827 (pid=25642): remote forward failure for: "
		"listen 7001, connect 127.0.0.1:6799",
		"ssh.c:ssh_confirm_remote_forward():1867 (pid=25642): Error: remote port forwarding failed "
		"for listen port 7001",
		NULL,
	};
	CHECK(run(policy, msg, sizeof(msg), &a) == TERR_FORWARD_REFUSED);
	CHECK(strstr(msg, "forward refused by policy"));
	CHECK(strstr(msg, "port 7001"));
	CHECK(tunnel_error_is_refusal(TERR_FORWARD_REFUSED));
	const char *const stale[] = {
		up_lines[1],
		"debug1: ssh.c:ssh_confirm_remote_forward():1827 (pid=25651): remote forward failure for: "
		"listen 7000, connect 127.0.0.1:6799",
		"ssh.c:ssh_confirm_remote_forward():1867 (pid=25651): Error: remote port forwarding failed "
		"for listen port 7000",
		NULL,
	};
	CHECK(run(stale, msg, sizeof(msg), &a) == TERR_PORT_IN_USE);
	CHECK(strstr(msg, "remote port 7000 (the signer port) is still held"));
	CHECK(!tunnel_error_is_refusal(TERR_PORT_IN_USE));
	const char *const stale_ssh[] = {
		"ssh.c:ssh_confirm_remote_forward():1867 (pid=1): Error: remote port forwarding failed "
		"for listen port 8000", NULL,
	};
	CHECK(run(stale_ssh, msg, sizeof(msg), &a) == TERR_PORT_IN_USE);
	CHECK(strstr(msg, "box ssh port"));
}

TEST(tunnel_classify_unreachable)
{
	char msg[400];
	struct attempt a;
	const char *const refused[] = {
		"ts=2026-11-25T20:01:24.586Z level=warn fn=cmd_tunnel_proxy event=proxy_failed kind=refused "
		"error=\"connect 127.0.0.1:22099: Connection refused\"",
		"proxy dialer did not pass back a connection",
		NULL,
	};
	CHECK(run(refused, msg, sizeof(msg), &a) == TERR_UNREACHABLE);
	CHECK_STR(msg, "endpoint unreachable: connect 127.0.0.1:22099: Connection refused (refused)");
	const char *const bare[] = { "proxy dialer did not pass back a connection", NULL };
	CHECK(run(bare, msg, sizeof(msg), &a) == TERR_UNREACHABLE);
}

TEST(tunnel_classify_log_values)
{
	char v[32];
	CHECK(tunnel_log_line_value("a=1 bb=two c=\"x \\\"y\\\"\" local=9", "bb", v, sizeof(v)));
	CHECK_STR(v, "two");
	CHECK(tunnel_log_line_value("a=1 bb=two c=\"x \\\"y\\\"\" local=9", "c", v, sizeof(v)));
	CHECK_STR(v, "x \"y\"");
	CHECK(tunnel_log_line_value("nolocal=1 local=9", "local", v, sizeof(v)));
	CHECK_STR(v, "9");
	CHECK(!tunnel_log_line_value("a=1", "b", v, sizeof(v)));
	CHECK(tunnel_log_line_value("k=0123456789", "k", v, 4));
	CHECK_STR(v, "012");
}
