/* encrypted.h - octez's encrypted secret keys (edesk/spesk/p2esk/BLesk).
 *
 * payload (56 bytes) = salt (8) ‖ secretbox(secret (32), key, nonce = 0)
 * key = PBKDF2-HMAC-SHA512(passphrase, salt, 32768 iterations, 32 bytes)
 * The zero nonce is safe because every encryption draws a fresh salt and
 * so a fresh key. */
#ifndef TZS_VAULT_ENCRYPTED_H
#define TZS_VAULT_ENCRYPTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define ENCRYPTED_PAYLOAD_BYTES 56
#define ENCRYPTED_SECRET_BYTES 32

/* ERR_AUTH when the passphrase does not open the box. */
bool encrypted_open(uint8_t secret[static ENCRYPTED_SECRET_BYTES],
		    const uint8_t payload[static ENCRYPTED_PAYLOAD_BYTES], const char *passphrase,
		    size_t passphrase_len, struct err *e);

bool encrypted_seal(uint8_t payload[static ENCRYPTED_PAYLOAD_BYTES],
		    const uint8_t secret[static ENCRYPTED_SECRET_BYTES], const char *passphrase,
		    size_t passphrase_len, struct err *e);

#endif
