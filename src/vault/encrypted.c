/* encrypted.c - PBKDF2-HMAC-SHA512 + NaCl secretbox, as octez encrypts keys. */
#include "encrypted.h"

#include <openssl/evp.h>
#include <sodium.h>

#define SALT_BYTES 8
#define PBKDF2_ROUNDS 32768

static bool derive_key(uint8_t key[static crypto_secretbox_KEYBYTES], const uint8_t *salt,
		       const char *passphrase, size_t passphrase_len, struct err *e)
{
	if (passphrase_len > 1024)
		return err_set(e, ERR_MALFORMED, "passphrase of %zu bytes is over 1024", passphrase_len);
	if (PKCS5_PBKDF2_HMAC(passphrase, (int)passphrase_len, salt, SALT_BYTES, PBKDF2_ROUNDS,
			      EVP_sha512(), crypto_secretbox_KEYBYTES, key) != 1)
		return err_set(e, ERR_INTERNAL, "PBKDF2-HMAC-SHA512 failed");
	return true;
}

bool encrypted_open(uint8_t secret[static ENCRYPTED_SECRET_BYTES],
		    const uint8_t payload[static ENCRYPTED_PAYLOAD_BYTES], const char *passphrase,
		    size_t passphrase_len, struct err *e)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	uint8_t nonce[crypto_secretbox_NONCEBYTES] = { 0 };
	if (!derive_key(key, payload, passphrase, passphrase_len, e))
		return false;
	int rc = crypto_secretbox_open_easy(secret, payload + SALT_BYTES,
					    ENCRYPTED_PAYLOAD_BYTES - SALT_BYTES, nonce, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0) {
		sodium_memzero(secret, ENCRYPTED_SECRET_BYTES);
		return err_set(e, ERR_AUTH, "wrong passphrase (the encrypted key does not open)");
	}
	return true;
}

bool encrypted_seal(uint8_t payload[static ENCRYPTED_PAYLOAD_BYTES],
		    const uint8_t secret[static ENCRYPTED_SECRET_BYTES], const char *passphrase,
		    size_t passphrase_len, struct err *e)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	uint8_t nonce[crypto_secretbox_NONCEBYTES] = { 0 };
	randombytes_buf(payload, SALT_BYTES);
	if (!derive_key(key, payload, passphrase, passphrase_len, e))
		return false;
	crypto_secretbox_easy(payload + SALT_BYTES, secret, ENCRYPTED_SECRET_BYTES, nonce, key);
	sodium_memzero(key, sizeof(key));
	return true;
}
