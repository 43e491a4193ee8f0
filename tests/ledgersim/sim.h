/* sim.h - ledgersim: a simulator of the Tezos baking app (Ledger) for tests
 * and the demo. It serves the speculos APDU socket and answers as the real
 * app 2.5.0 does (LedgerHQ/app-tezos-baking): keys derived from a BIP39
 * seed, setup / authorize / reset / query, its own high watermark and
 * chain rules, one-packet signing, DER-with-parity ECDSA, the status words.
 * With --app-version 2.5.1 or later, the BLS12-381 derivation (P2=04) of
 * trilitech/ledger-app-tezos-baking main; before, P2=04 answers 6B00.
 * Not simulated: bip32-ed25519 derivation (P2=03 answers 6B00) and manager
 * operations (magic 0x03 answers 9405). */
#ifndef LEDGERSIM_SIM_H
#define LEDGERSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_PATH_MAX 10
#define SIM_REPLY_MAX 258

enum sim_curve { SIM_ED25519 = 0, SIM_SECP256K1 = 1, SIM_P256 = 2, SIM_BLS12_381 = 4 };

struct sim_path {
	uint8_t len;
	uint32_t c[SIM_PATH_MAX];
};

struct sim_hwm {
	uint32_t level, round;
	bool had_attestation, had_preattestation;
};

/* Faults the tests flip through the control channel. */
struct sim_faults {
	bool unplugged;
	bool app_closed;   /* 6D00 to everything: the dashboard is showing */
	bool other_app;    /* 6E00 to everything: another app is open */
	bool locked;       /* 5515 to everything: PIN not entered */
	bool reject;       /* the person presses reject on prompts: 6985 */
	bool no_sign_with_hash; /* an app older than INS 0F: 6D00 to it */
	int slow_ms;       /* every reply this much later */
	int prompt_ms;     /* the person takes this long to confirm */
};

struct sim {
	uint8_t seed[64]; /* BIP39 seed; zeroed at exit */
	uint8_t version[4];
	/* NVRAM */
	bool authorized;
	uint8_t auth_curve;
	struct sim_path auth_path;
	uint8_t main_chain[4];
	struct sim_hwm main, test;
	/* the signing in progress */
	bool sign_selected;
	uint8_t sign_curve;
	struct sim_path sign_path;
	unsigned packet_index;
	struct sim_faults faults;
	unsigned long signs;
	int64_t sign_first_rx_ns, sign_last_tx_ns; /* for benchmarks */
	bool verbose;
};

/* sim_keys.c */
bool sim_seed_from_mnemonic(const char *mnemonic, const char *passphrase, uint8_t seed[static 64]);
/* Derives the 32-byte secret of path: SLIP-10 for ed25519 (hardened
 * components only), BIP32 (with SLIP-10's retry rule) for secp256k1 and
 * P-256. False when the path cannot be derived. */
bool sim_derive(const uint8_t seed[static 64], enum sim_curve curve, const struct sim_path *path,
		uint8_t sk[static 32]);
/* As the app returns it: ed25519 02 ‖ 32 bytes; ECDSA 04 ‖ X ‖ Y. */
bool sim_public_key(enum sim_curve curve, const uint8_t sk[static 32], uint8_t out[static 65],
		    size_t *len);
/* Signs the 32-byte hash: ed25519 (64 bytes) or ECDSA with RFC 6979
 * (HMAC-SHA-256) nonces, DER with bit 0 of the first byte set when R.y is
 * odd, s as computed (not normalised). */
bool sim_sign(enum sim_curve curve, const uint8_t sk[static 32], const uint8_t hash[static 32],
	      uint8_t out[static 80], size_t *len);

/* sim_bls.c: tz4 keys of app 2.5.1 (P2 = 04). The public key as the app
 * answers it, 04 ‖ X ‖ Y (X with the compression flags); signatures with
 * the augmented scheme over compressed key ‖ msg (len ≤ 256). */
bool sim_bls_self_test(void);
bool sim_bls_public_key(const uint8_t seed[static 64], const struct sim_path *path,
			uint8_t out[static 97]);
bool sim_bls_sign(const uint8_t seed[static 64], const struct sim_path *path, const uint8_t *msg,
		  size_t len, uint8_t out[static 96]);

/* sim_ecdsa.c */
bool sim_ecdsa_public_key(enum sim_curve curve, const uint8_t sk[static 32], uint8_t out[static 65]);
bool sim_ecdsa_tweak_add(enum sim_curve curve, const uint8_t parent[static 32],
			 const uint8_t tweak[static 32], uint8_t child[static 32], bool *ok);
bool sim_ecdsa_below_order(enum sim_curve curve, const uint8_t v[static 32]);
bool sim_ecdsa_sign(enum sim_curve curve, const uint8_t sk[static 32], const uint8_t hash[static 32],
		    uint8_t out[static 80], size_t *len);

/* sim_app.c: one APDU in, data ‖ SW out. *prompt tells that the real app
 * would wait for the person to press a button before this reply. */
size_t sim_handle_apdu(struct sim *s, const uint8_t *apdu, size_t len,
		       uint8_t reply[static SIM_REPLY_MAX], bool *prompt, bool *is_sign_end);

/* sim_ops.c: what the app reads from a block or consensus operation. */
struct sim_baking {
	uint8_t chain[4];
	uint32_t level, round;
	enum { SIM_BLOCK, SIM_PREATTESTATION, SIM_ATTESTATION } type;
};
bool sim_parse_baking(const uint8_t *msg, size_t len, struct sim_baking *out);

/* sim_control.c: one command line → one reply line (no newline). */
void sim_control(struct sim *s, const char *line, char *out, size_t cap, bool *quit);

#endif
