/* Unit tests of src/base/sshkey: the two policies of the one parser. The
 * forwarder's (a box's login key) refuses RSA under 3072 bits; the
 * tunnel's (a pinned host key, only compared) accepts it, as ssh does. */
#include <string.h>

#include "../../src/base/sshkey.h"
#include "harness.h"

/* A 1024-bit RSA key (ssh-keygen -t rsa -b 1024), the type and base64. */
#define RSA1024_B64                                                                              \
	"AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+3Y3LZLgrfcjWgAgCygSdGEFYbelzQXPYujs2eipeiZ4qwNs7h2qp"      \
	"8xImGDCugIeGrmCJPhpOVBpFyRwgVURDOs5KprV/MdUd+0PaTA7BS02CAHhnstn0bBv9A1ygw5/Jr0am4KdYBL73a2H" \
	"AMwGhpxNtqwpp0pyP+COU+yTeyQ=="

TEST(base_sshkey_weak_rsa_pinned_but_not_admitted)
{
	static struct sshkey k;
	struct err e = { 0 };
	CHECK(sshkey_parse_pinned("ssh-rsa", 7, RSA1024_B64, strlen(RSA1024_B64), &k, &e));
	CHECK(k.type == SSHKEY_RSA && k.bits == 1024);
	CHECK(strncmp(k.fingerprint, "SHA256:", 7) == 0);
	CHECK(!sshkey_parse_public("ssh-rsa", 7, RSA1024_B64, strlen(RSA1024_B64), &k, &e));
	CHECK(e.kind == ERR_FORBIDDEN && strstr(e.msg, "1024 bits is too weak"));
}

TEST(base_sshkey_pinned_must_fail)
{
	static struct sshkey k;
	struct err e = { 0 };
	/* the type written before the blob is not the one inside it */
	CHECK(!sshkey_parse_pinned("ssh-ed25519", 11, RSA1024_B64, strlen(RSA1024_B64), &k, &e));
	CHECK(strstr(e.msg, "not a ssh-ed25519 key"));
	/* the base64 one character short */
	CHECK(!sshkey_parse_pinned("ssh-rsa", 7, RSA1024_B64, strlen(RSA1024_B64) - 1, &k, &e));
	CHECK(strstr(e.msg, "base64"));
	CHECK(!sshkey_parse_pinned("ssh-dss", 7, "AAAAB3NzaC1kc3M=", 16, &k, &e));
	CHECK(e.kind == ERR_FORBIDDEN);
}
