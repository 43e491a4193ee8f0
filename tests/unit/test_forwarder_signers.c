/* Unit tests of src/forwarder/signers.c and sshkey.c: the signers file,
 * its must-fail cases (each with its line number), key blobs, fingerprints
 * (checked against ssh-keygen -lf) and host key files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/forwarder/signers.h"
#include "../../src/base/sshkey.h"
#include "harness.h"
#include "test_forwarder_keys.h"

static struct signers sg;

static bool parse(const char *text, struct err *e)
{
	return signers_parse(&sg, text, strlen(text), "signers.txt", e);
}

/* The text must fail with a message containing every one of the needles. */
static bool fails_with(const char *text, const char *n1, const char *n2)
{
	struct err e = { 0 };
	if (parse(text, &e)) {
		printf("  accepted: %s\n", text);
		signers_free(&sg);
		return false;
	}
	if (sg.v || sg.n) {
		printf("  not emptied on failure\n");
		return false;
	}
	if (!strstr(e.msg, n1) || (n2 && !strstr(e.msg, n2))) {
		printf("  message: %s\n  wanted: %s%s%s\n", e.msg, n1, n2 ? " and " : "", n2 ? n2 : "");
		return false;
	}
	return true;
}

TEST(forwarder_signers_parses_boxes_comments_options_and_comments_of_keys)
{
	struct err e = { 0 };
	const char *text = "# the boxes\n"
			   "\n"
			   "  alpha 7001 " K_ED1 " alpha@kitchen box\r\n"
			   "beta\t7002\tstatusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA " K_ED2 "\n"
			   "   # indented comment\n"
			   "gamma 7003 " K_RSA3072 "\n"
			   "delta-4 7004 " K_EC256 "\n"
			   "e5 7005 " K_EC521;
	CHECK(parse(text, &e));
	CHECK(sg.n == 5);
	CHECK_STR(sg.v[0].name, "alpha");
	CHECK(sg.v[0].port == 7001);
	CHECK(sg.v[0].line == 3);
	CHECK_STR(sg.v[0].comment, "alpha@kitchen box");
	CHECK_STR(sg.v[0].key.fingerprint, FP_ED1);
	CHECK(sg.v[0].statusz[0] == '\0');
	CHECK_STR(sg.v[1].name, "beta");
	CHECK(sg.v[1].line == 4);
	CHECK_STR(sg.v[1].statusz, "tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA");
	CHECK_STR(sg.v[1].key.fingerprint, FP_ED2);
	CHECK(sg.v[2].key.type == SSHKEY_RSA && sg.v[2].key.bits == 3072);
	CHECK_STR(sg.v[2].key.fingerprint, FP_RSA3072);
	CHECK(sg.v[3].key.type == SSHKEY_ECDSA_P256);
	CHECK_STR(sg.v[3].key.fingerprint, FP_EC256);
	CHECK(sg.v[4].key.type == SSHKEY_ECDSA_P521 && sg.v[4].key.bits == 521);
	CHECK_STR(sg.v[4].key.fingerprint, FP_EC521);
	CHECK(signers_find_fingerprint(&sg, FP_ED2) == 1);
	CHECK(signers_find_fingerprint(&sg, "SHA256:nope") == -1);
	CHECK(signers_find_name(&sg, "gamma") == 2);
	char path[64];
	CHECK_STR(signer_check_path(&sg.v[0], path, sizeof(path)), "/authorized_keys");
	CHECK_STR(signer_check_path(&sg.v[1], path, sizeof(path)),
		  "/statusz/tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA");
	signers_free(&sg);
}

TEST(forwarder_signers_canonical_form_parses_back_to_the_same_boxes)
{
	struct err e = { 0 };
	CHECK(parse("alpha 7001 " K_ED1 " c1\nbeta 7002 statusz=tz4HVR6aty9KwsQFHh81C1G7gBdhxT8kuytm " K_ED2
		    "\n",
		    &e));
	char *text = signers_canonical(&sg);
	CHECK(text != NULL);
	struct signers first = sg;
	bool ok = signers_parse(&sg, text, strlen(text), "canonical", &e);
	free(text);
	CHECK(ok);
	CHECK(sg.n == first.n);
	for (size_t i = 0; i < sg.n; i++) {
		CHECK_STR(sg.v[i].name, first.v[i].name);
		CHECK(sg.v[i].port == first.v[i].port);
		CHECK_STR(sg.v[i].statusz, first.v[i].statusz);
		CHECK_STR(sg.v[i].comment, first.v[i].comment);
		CHECK_STR(sg.v[i].key.fingerprint, first.v[i].key.fingerprint);
	}
	signers_free(&first);
	signers_free(&sg);
}

TEST(forwarder_signers_refuses_duplicates_with_both_line_numbers)
{
	CHECK(fails_with("alpha 7001 " K_ED1 "\n#\nalpha 7002 " K_ED2 "\n",
			 "signers.txt:3: duplicate box name 'alpha' (first at line 1)", NULL));
	CHECK(fails_with("alpha 7001 " K_ED1 "\nbeta 7001 " K_ED2 "\n",
			 "signers.txt:2: duplicate port 7001", "box 'alpha' (line 1)"));
	CHECK(fails_with("alpha 7001 " K_ED1 "\n\nbeta 7002 " K_ED1 " other comment\n",
			 "signers.txt:3: box 'beta' has the same SSH key as box 'alpha' (line 1)", NULL));
}

TEST(forwarder_signers_refuses_a_port_that_is_another_boxs_sshd_port)
{
	/* beta's P is alpha's P + 1000 */
	CHECK(fails_with("alpha 7001 " K_ED1 "\nbeta 8001 " K_ED2 "\n",
			 "signers.txt:2: port 8001 is box 'alpha''s sshd port", "line 1"));
	/* beta's P + 1000 is alpha's P */
	CHECK(fails_with("alpha 8001 " K_ED1 "\n\n\nbeta 7001 " K_ED2 "\n",
			 "signers.txt:4: port 7001 + 1000 = 8001", "box 'alpha''s port (line 1)"));
	/* 1000 apart in either order, but not equal to each other: fine */
	struct err e = { 0 };
	CHECK(parse("alpha 7001 " K_ED1 "\nbeta 9001 " K_ED2 "\n", &e));
	signers_free(&sg);
}

TEST(forwarder_signers_refuses_ports_out_of_range)
{
	CHECK(fails_with("alpha 1023 " K_ED1 "\n", "signers.txt:1: port 1023 is out of range", "1024 to 64535"));
	CHECK(fails_with("\nalpha 64536 " K_ED1 "\n", "signers.txt:2: port 64536 is out of range", NULL));
	CHECK(fails_with("alpha 0 " K_ED1 "\n", "signers.txt:1: port 0 is out of range", NULL));
	CHECK(fails_with("alpha 99999 " K_ED1 "\n", "signers.txt:1: port 99999 is out of range", NULL));
	CHECK(fails_with("alpha 70x1 " K_ED1 "\n", "signers.txt:1: port '70x1' is not a number", NULL));
	CHECK(fails_with("alpha -7001 " K_ED1 "\n", "signers.txt:1: port '-7001' is not a number", NULL));
	CHECK(fails_with("alpha 00000007001 " K_ED1 "\n", "not a number", NULL));
	struct err e = { 0 };
	CHECK(parse("low 1024 " K_ED1 "\nhigh 64535 " K_ED2 "\n", &e));
	signers_free(&sg);
}

TEST(forwarder_signers_refuses_bad_names)
{
	CHECK(fails_with("Alpha 7001 " K_ED1 "\n", "signers.txt:1: box name 'Alpha' must be lowercase", NULL));
	CHECK(fails_with("7alpha 7001 " K_ED1 "\n", "box name '7alpha'", NULL));
	CHECK(fails_with("alpha- 7001 " K_ED1 "\n", "box name 'alpha-'", NULL));
	CHECK(fails_with("al_pha 7001 " K_ED1 "\n", "box name 'al_pha'", NULL));
	CHECK(fails_with("a234567890123456789012345678901234567890123456789012345 7001 " K_ED1 "\n",
			 "at most 54 characters", NULL));
	CHECK(fails_with("forwarder-ssh 7001 " K_ED1 "\n", "signers.txt:1: box name 'forwarder-ssh' is reserved",
			 NULL));
	struct err e = { 0 };
	CHECK(parse("a23456789012345678901234567890123456789012345678901234 7001 " K_ED1 "\n", &e));
	signers_free(&sg);
}

TEST(forwarder_signers_refuses_malformed_keys)
{
	/* not base64 */
	CHECK(fails_with("alpha 7001 ssh-ed25519 AAAA$$$$\n", "signers.txt:1: box 'alpha'",
			 "not valid base64"));
	/* base64 of an ed25519 blob, labelled as RSA */
	CHECK(fails_with("alpha 7001 ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAINXafGu2k9JJFT1nSaolPvo8cu2PTCF7Yz7txxemaAQb\n",
			 "signers.txt:1:", "not a ssh-rsa key"));
	/* ed25519 with a 31-byte key */
	CHECK(fails_with("alpha 7001 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH9XafGu2k9JJFT1nSaolPvo8cu2PTCF7Yz7txxemaAQ=\n",
			 "signers.txt:1:", "malformed ssh-ed25519 key"));
	/* ed25519 with a trailing byte */
	CHECK(fails_with("alpha 7001 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINXafGu2k9JJFT1nSaolPvo8cu2PTCF7Yz7txxemaAQbAA==\n",
			 "signers.txt:1:", "trail"));
	/* the key text is cut */
	CHECK(fails_with("\n\nalpha 7001 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINXafGu2k9JJFT1nSaolPvo8cu2PTCF7\n",
			 "signers.txt:3:", NULL));
	/* no base64 at all */
	CHECK(fails_with("alpha 7001 ssh-ed25519\n", "signers.txt:1:", "missing"));
	/* an unknown type */
	CHECK(fails_with("alpha 7001 ssh-foo AAAA\n", "signers.txt:1:", "unknown key type 'ssh-foo'"));
	/* no key at all, and options only */
	CHECK(fails_with("alpha 7001\n", "signers.txt:1: expected 'NAME PORT SSH_PUBLIC_KEY'", NULL));
	CHECK(fails_with("alpha 7001 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA\n",
			 "signers.txt:1: the SSH public key is missing", NULL));
	/* an ECDSA point that is not on the curve: flip a byte of a real one */
	char bad[sizeof(K_EC256) + 32];
	snprintf(bad, sizeof(bad), "alpha 7001 %s\n", K_EC256);
	char *last = strrchr(bad, '=');
	CHECK(last && last - bad > 10);
	last[-4] = last[-4] == 'A' ? 'B' : 'A';
	CHECK(fails_with(bad, "signers.txt:1:", "the point is not on the curve"));
}

TEST(forwarder_signers_refuses_weak_and_unattended_unsafe_key_types)
{
	CHECK(fails_with("alpha 7001 " K_RSA2048 "\n", "signers.txt:1: box 'alpha': ssh-rsa key of 2048 bits is too weak",
			 "at least 3072"));
	CHECK(fails_with("alpha 7001 " K_DSA "\n", "signers.txt:1: box 'alpha': ssh-dss (DSA) keys are refused",
			 NULL));
	CHECK(fails_with("alpha 7001 sk-ssh-ed25519@openssh.com AAAA\n", "signers.txt:1:",
			 "security-key"));
	CHECK(fails_with("alpha 7001 ssh-ed25519-cert-v01@openssh.com AAAA\n", "signers.txt:1:",
			 "certificates are refused"));
}

TEST(forwarder_signers_refuses_bad_options_bytes_and_empty_files)
{
	CHECK(fails_with("alpha 7001 from=1.2.3.4 " K_ED1 "\n", "signers.txt:1: unknown option 'from'", NULL));
	CHECK(fails_with("alpha 7001 statusz=tz5RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA " K_ED1 "\n",
			 "signers.txt:1: statusz=", "is not a key hash"));
	CHECK(fails_with("alpha 7001 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WS0 " K_ED1 "\n",
			 "is not a key hash", NULL));
	CHECK(fails_with("alpha 7001 statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA "
			 "statusz=tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA " K_ED1 "\n",
			 "statusz= given twice", NULL));
	CHECK(fails_with("alpha 7001 " K_ED1 " caf\xc3\xa9\n", "signers.txt:1: column", "0xc3"));
	CHECK(fails_with("\nalpha 7001 " K_ED1 "\x01\n", "signers.txt:2: column", "0x01"));
	struct err e = { 0 };
	static const char with_nul[] = "alpha 7001 x\0y\n";
	CHECK(!signers_parse(&sg, with_nul, sizeof(with_nul) - 1, "signers.txt", &e));
	CHECK(strstr(e.msg, "signers.txt:1: column 13: byte 0x00") != NULL);
	CHECK(fails_with("", "signers.txt: no box", NULL));
	CHECK(fails_with("# only comments\n\n   \n", "signers.txt: no box", NULL));
	char *long_line = malloc(SIGNERS_LINE_MAX + 64);
	CHECK(long_line != NULL);
	memset(long_line, 'a', SIGNERS_LINE_MAX + 10);
	strcpy(long_line + SIGNERS_LINE_MAX + 10, "\n");
	bool ok = fails_with(long_line, "signers.txt:1: line longer than", NULL);
	free(long_line);
	CHECK(ok);
}

TEST(forwarder_signers_file_load_follows_symlinks_and_names_the_file)
{
	char dir[] = "/tmp/tzs-fwd-signers.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char real[256], lnk[256];
	snprintf(real, sizeof(real), "%s/real", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);
	FILE *f = fopen(real, "w");
	CHECK(f != NULL);
	fputs("alpha 7001 " K_ED1 "\nbeta 1 " K_ED2 "\n", f);
	fclose(f);
	CHECK(symlink("real", lnk) == 0);
	struct err e = { 0 };
	bool ok = signers_load(&sg, lnk, &e);
	char want[300];
	snprintf(want, sizeof(want), "%s:2: port 1 is out of range", lnk);
	bool named = strstr(e.msg, want) != NULL;
	if (!named)
		printf("  message: %s\n", e.msg);
	struct err e2 = { 0 };
	snprintf(want, sizeof(want), "%s/missing", dir);
	bool missing = !signers_load(&sg, want, &e2) && e2.kind == ERR_NOT_FOUND;
	unlink(lnk);
	unlink(real);
	rmdir(dir);
	CHECK(!ok);
	CHECK(named);
	CHECK(missing);
}

TEST(forwarder_sshkey_private_host_key_file)
{
	struct sshkey k;
	struct err e = { 0 };
	CHECK(sshkey_parse_private_text(PRIV_ED1, strlen(PRIV_ED1), &k, &e));
	CHECK(k.type == SSHKEY_ED25519);
	CHECK_STR(k.fingerprint, FP_ED1);
	CHECK_STR(sshkey_host_algorithms(k.type), "ssh-ed25519");
	CHECK_STR(sshkey_file_tag(k.type), "ed25519");
	CHECK(!sshkey_parse_private_text(PRIV_ENC, strlen(PRIV_ENC), &k, &e));
	CHECK(strstr(e.msg, "encrypted") != NULL);
	CHECK(!sshkey_parse_private_text(PRIV_PEM, strlen(PRIV_PEM), &k, &e));
	CHECK(strstr(e.msg, "PEM") != NULL);
	CHECK(!sshkey_parse_private_text(K_ED1, strlen(K_ED1), &k, &e));
	CHECK(strstr(e.msg, "not an OpenSSH private key") != NULL);
	/* cut in the middle of the body */
	size_t half = strlen(PRIV_ED1) / 2;
	char *cut = malloc(strlen(PRIV_ED1) + 64);
	CHECK(cut != NULL);
	memcpy(cut, PRIV_ED1, half);
	strcpy(cut + half, "\n-----END OPENSSH PRIVATE KEY-----\n");
	bool ok = sshkey_parse_private_text(cut, strlen(cut), &k, &e);
	free(cut);
	CHECK(!ok);
}

TEST(forwarder_signers_bakers_option_parses_and_refuses_what_kubernetes_would)
{
	struct err e = { 0 };
	CHECK(parse("alpha 7001 bakers=tezos:app.kubernetes.io/name=octez-baker,baker=a bakers=b2:x=y " K_ED1 "\n",
		    &e));
	CHECK(sg.v[0].n_bakers == 2);
	CHECK_STR(sg.v[0].bakers[0].ns, "tezos");
	CHECK_STR(sg.v[0].bakers[0].labels, "app.kubernetes.io/name=octez-baker,baker=a");
	CHECK_STR(sg.v[0].bakers[1].ns, "b2");
	char *text = signers_canonical(&sg);
	CHECK(text && strstr(text, "alpha 7001 bakers=tezos:app.kubernetes.io/name=octez-baker,baker=a bakers=b2:x=y "));
	free(text);
	signers_free(&sg);
	const char *bad[] = {
		"bakers=tezos", "bakers=tezos:", "bakers=:app=x", "bakers=Tezos:app=x", "bakers=-tz:app=x",
		"bakers=tezos:app", "bakers=tezos:app=", "bakers=tezos:=x", "bakers=tezos:app=x,",
		"bakers=tezos:app=x,,b=c", "bakers=tezos:a b=c", "bakers=tezos:app=-x", "bakers=tezos:UP_per/x=y",
		"bakers=tezos:app=x bakers=a:b=c bakers=a:b=d bakers=a:b=e bakers=a:b=f",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[512];
		snprintf(line, sizeof(line), "alpha 7001 %s %s\n", bad[i], K_ED1);
		bool refused = !parse(line, &e);
		if (!refused) {
			printf("  accepted: %s\n", bad[i]);
			signers_free(&sg);
		}
		CHECK(refused);
		CHECK(e.kind == ERR_MALFORMED);
	}
}
