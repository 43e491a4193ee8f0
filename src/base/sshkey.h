/* sshkey.h - OpenSSH public keys as the forwarder meets them: one per box
 * in the signers file ("ssh-ed25519 AAAA… comment") and the endpoint's
 * host key (an unencrypted "openssh-key-v1" private key file); and as the
 * tunnel meets them: the endpoint's host key it pins.
 *
 * A key is checked down to its wire blob: the base64 decodes, the type
 * inside the blob is the type written before it, every field has the
 * length its type requires and nothing trails; ECDSA points are on their
 * curve. The policy refuses what an unattended box must not use: DSA,
 * RSA under 3072 bits, security-key (sk-) keys (a touch per login) and
 * certificates. The fingerprint is the one sshd logs ("SHA256:" and the
 * unpadded base64 of SHA-256 of the blob), which is how the forwarder
 * tells which box a session belongs to. */
#ifndef TZS_BASE_SSHKEY_H
#define TZS_BASE_SSHKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SSHKEY_BLOB_MAX 2304    /* an RSA 16384-bit key is ~2070 bytes */
#define SSHKEY_B64_MAX 3080     /* base64 of the blob, NUL included */
#define SSHKEY_FP_MAX 52        /* "SHA256:" + 43 characters, NUL included */
#define SSHKEY_RSA_MIN_BITS 3072
#define SSHKEY_RSA_MAX_BITS 16384

enum sshkey_type {
	SSHKEY_ED25519,
	SSHKEY_ECDSA_P256,
	SSHKEY_ECDSA_P384,
	SSHKEY_ECDSA_P521,
	SSHKEY_RSA,
};

struct sshkey {
	enum sshkey_type type;
	unsigned bits;
	uint8_t blob[SSHKEY_BLOB_MAX];
	size_t blob_len;
	char b64[SSHKEY_B64_MAX];
	char fingerprint[SSHKEY_FP_MAX];
};

/* The key's type as OpenSSH writes it ("ssh-ed25519", "ssh-rsa", …). */
const char *sshkey_type_name(enum sshkey_type t);

/* HostKeyAlgorithms for a host key of this type ("ssh-ed25519",
 * "rsa-sha2-512,rsa-sha2-256", …). */
const char *sshkey_host_algorithms(enum sshkey_type t);

/* The short name OpenSSH uses in host key file names ("ed25519", "rsa",
 * "ecdsa"). */
const char *sshkey_file_tag(enum sshkey_type t);

/* Parses a public key given as its type name and base64 text (lengths,
 * not NUL-terminated), applying the policy above. Errors name the type
 * and say what is wrong; the caller adds where the key came from. */
bool sshkey_parse_public(const char *type, size_t type_len, const char *b64, size_t b64_len,
			 struct sshkey *out, struct err *e);

/* The same checks for a key that is only compared, never trusted to log
 * in (a host key the tunnel pins): RSA keys of any size are accepted, as
 * ssh itself does for a host key. */
bool sshkey_parse_pinned(const char *type, size_t type_len, const char *b64, size_t b64_len,
			 struct sshkey *out, struct err *e);

/* Reads an OpenSSH private key file's text ("-----BEGIN OPENSSH PRIVATE
 * KEY-----"): it must be unencrypted (sshd cannot ask for a passphrase)
 * and hold one key whose private half matches its public half's type. The
 * public key is returned (policy applied); nothing secret is kept. */
bool sshkey_parse_private_text(const char *text, size_t len, struct sshkey *pub, struct err *e);

#endif
