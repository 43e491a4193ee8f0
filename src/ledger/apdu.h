/* apdu.h - APDUs of the Tezos baking app (design §2.4): building
 * requests, splitting replies into data and status word, and what each
 * status word means.
 *
 *   request: CLA=0x80 INS P1 P2 Lc data (Lc ≤ 255)
 *   reply:   data ‖ SW1 SW2 */
#ifndef TZS_LEDGER_APDU_H
#define TZS_LEDGER_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "uri.h"

#define LEDGER_CLA 0x80

enum ledger_ins {
	LEDGER_INS_VERSION = 0x00,
	LEDGER_INS_AUTHORIZE_BAKING = 0x01,
	LEDGER_INS_GET_PUBLIC_KEY = 0x02,
	LEDGER_INS_PROMPT_PUBLIC_KEY = 0x03,
	LEDGER_INS_SIGN = 0x04,
	LEDGER_INS_RESET = 0x06,
	LEDGER_INS_QUERY_AUTH_KEY = 0x07,
	LEDGER_INS_QUERY_MAIN_HWM = 0x08,
	LEDGER_INS_GIT = 0x09,
	LEDGER_INS_SETUP = 0x0A,
	LEDGER_INS_QUERY_ALL_HWM = 0x0B,
	LEDGER_INS_DEAUTHORIZE = 0x0C,
	LEDGER_INS_QUERY_AUTH_KEY_WITH_CURVE = 0x0D,
	LEDGER_INS_HMAC = 0x0E,
	LEDGER_INS_SIGN_WITH_HASH = 0x0F,
};

/* Sign: the first APDU (P1=00) carries the path, the second (P1=0x81,
 * "last") the whole message; the app signs one packet only. */
#define LEDGER_P1_FIRST 0x00
#define LEDGER_P1_LAST 0x81
#define LEDGER_SIGN_MAX 235 /* the app's MAX_APDU_SIZE */

enum ledger_sw {
	LEDGER_SW_OK = 0x9000,
	LEDGER_SW_REJECTED = 0x6985,     /* the person pressed reject */
	LEDGER_SW_SECURITY = 0x6982,     /* not the authorized key, or PIN not entered */
	LEDGER_SW_WRONG_VALUES = 0x6A80, /* the device's high watermark, or bad data */
	LEDGER_SW_PARSE_ERROR = 0x9405,  /* bytes or magic byte the app does not sign */
	LEDGER_SW_WRONG_PARAM = 0x6B00,
	LEDGER_SW_WRONG_LENGTH = 0x6C00,
	LEDGER_SW_INVALID_INS = 0x6D00,  /* unknown instruction: the app is not open */
	LEDGER_SW_CLASS = 0x6E00,        /* unknown class: another app is open */
	LEDGER_SW_NOT_FOUND = 0x6A88,    /* no authorized key */
	LEDGER_SW_TOO_LONG = 0x917E,
	LEDGER_SW_MEMORY = 0x9200,
	LEDGER_SW_LOCKED = 0x5515,       /* the firmware's "device locked" */
};

/* An APDU fits a 5-byte header and 255 bytes of data. */
#define LEDGER_APDU_MAX (5 + 255)
/* A reply is at most 255 bytes of data and the status word. */
#define LEDGER_REPLY_MAX (256 + 2)

/* Writes CLA INS P1 P2 Lc data into out (LEDGER_APDU_MAX bytes); returns
 * the length, or 0 when data is longer than 255 bytes. */
size_t ledger_apdu_build(uint8_t out[static LEDGER_APDU_MAX], uint8_t ins, uint8_t p1, uint8_t p2,
			 const uint8_t *data, size_t len);

/* The path as the app reads it: n ‖ n × u32 big-endian. Returns the
 * length (1 + 4n). out holds 1 + 4 × LEDGER_PATH_MAX bytes. */
size_t ledger_path_encode(const struct ledger_path *p, uint8_t out[static 1 + 4 * LEDGER_PATH_MAX]);

/* Splits a reply into data (pointing into reply) and status word.
 * ERR_MALFORMED for a reply shorter than 2 bytes. */
bool ledger_reply_split(const uint8_t *reply, size_t len, const uint8_t **data, size_t *data_len,
			uint16_t *sw, struct err *e);

/* A short phrase for a status word: "rejected on the device", … */
const char *ledger_sw_meaning(uint16_t sw);

#endif
