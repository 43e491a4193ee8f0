/* hid.h - Ledger's HID framing (design §2.4).
 *
 * A message travels in 64-byte reports: channel 01 01 ‖ tag 05 ‖ sequence
 * u16 ‖ (first report only: message length u16) ‖ data, zero-padded.
 * Requests carry an APDU; replies data ‖ SW, their length counting the
 * status word. Pure functions, no I/O: usb.c moves the reports. */
#ifndef TZS_LEDGER_HID_H
#define TZS_LEDGER_HID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define LEDGER_HID_REPORT 64
#define LEDGER_HID_CHANNEL 0x0101
#define LEDGER_HID_TAG 0x05
/* The largest message reassembled: a reply is at most 258 bytes. */
#define LEDGER_HID_MSG_MAX 512

/* Reports needed for a message of len bytes (at least 1). */
size_t ledger_hid_report_count(size_t len);

/* Report number seq of the framing of msg into out. False when seq is
 * past the last report or len is over LEDGER_HID_MSG_MAX. */
bool ledger_hid_frame(const uint8_t *msg, size_t len, uint16_t seq,
		      uint8_t out[static LEDGER_HID_REPORT]);

/* Reassembles one message from reports, in order. */
struct ledger_hid_rx {
	uint8_t msg[LEDGER_HID_MSG_MAX];
	size_t expected; /* total length, from the first report */
	size_t got;
	uint16_t next_seq;
};

void ledger_hid_rx_init(struct ledger_hid_rx *rx);

/* Feeds one report of n bytes. Sets *done once the message is complete
 * (rx->msg, rx->expected bytes). Refuses a wrong channel, tag or sequence
 * number, a declared length over LEDGER_HID_MSG_MAX, or a report too short
 * for its header (ERR_MALFORMED, naming which). */
bool ledger_hid_rx_feed(struct ledger_hid_rx *rx, const uint8_t *report, size_t n, bool *done,
			struct err *e);

#endif
