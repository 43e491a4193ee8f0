/* hid.c - split messages into HID reports and put them together. */
#include "hid.h"

#include <string.h>

#include "../base/be.h"

#define HEADER 5       /* channel(2) tag(1) seq(2) */
#define FIRST_DATA (LEDGER_HID_REPORT - HEADER - 2)
#define NEXT_DATA (LEDGER_HID_REPORT - HEADER)

size_t ledger_hid_report_count(size_t len)
{
	if (len <= FIRST_DATA)
		return 1;
	return 1 + (len - FIRST_DATA + NEXT_DATA - 1) / NEXT_DATA;
}

bool ledger_hid_frame(const uint8_t *msg, size_t len, uint16_t seq,
		      uint8_t out[static LEDGER_HID_REPORT])
{
	if (len > LEDGER_HID_MSG_MAX || seq >= ledger_hid_report_count(len))
		return false;
	memset(out, 0, LEDGER_HID_REPORT);
	be16_put(out, LEDGER_HID_CHANNEL);
	out[2] = LEDGER_HID_TAG;
	be16_put(out + 3, seq);
	size_t off, room, pos;
	if (seq == 0) {
		be16_put(out + 5, (uint16_t)len);
		off = 0;
		room = FIRST_DATA;
		pos = HEADER + 2;
	} else {
		off = FIRST_DATA + (size_t)(seq - 1) * NEXT_DATA;
		room = NEXT_DATA;
		pos = HEADER;
	}
	size_t take = len - off < room ? len - off : room;
	if (take)
		memcpy(out + pos, msg + off, take);
	return true;
}

void ledger_hid_rx_init(struct ledger_hid_rx *rx)
{
	rx->expected = 0;
	rx->got = 0;
	rx->next_seq = 0;
}

bool ledger_hid_rx_feed(struct ledger_hid_rx *rx, const uint8_t *report, size_t n, bool *done,
			struct err *e)
{
	*done = false;
	if (n > LEDGER_HID_REPORT)
		n = LEDGER_HID_REPORT;
	if (n < HEADER)
		return err_set(e, ERR_MALFORMED, "Ledger HID report of %zu bytes is shorter than its header", n);
	unsigned channel = be16_get(report);
	if (channel != LEDGER_HID_CHANNEL)
		return err_set(e, ERR_MALFORMED, "Ledger HID report on channel 0x%04x, expected 0x%04x",
			       channel, LEDGER_HID_CHANNEL);
	if (report[2] != LEDGER_HID_TAG)
		return err_set(e, ERR_MALFORMED, "Ledger HID report with tag 0x%02x, expected 0x%02x",
			       report[2], LEDGER_HID_TAG);
	unsigned seq = be16_get(report + 3);
	if (seq != rx->next_seq)
		return err_set(e, ERR_MALFORMED, "Ledger HID report with sequence %u, expected %u", seq,
			       (unsigned)rx->next_seq);
	size_t pos = HEADER;
	if (seq == 0) {
		if (n < HEADER + 2)
			return err_set(e, ERR_MALFORMED, "first Ledger HID report of %zu bytes has no length", n);
		rx->expected = be16_get(report + 5);
		rx->got = 0;
		if (rx->expected > LEDGER_HID_MSG_MAX)
			return err_set(e, ERR_MALFORMED, "Ledger HID message of %zu bytes is over %d",
				       rx->expected, LEDGER_HID_MSG_MAX);
		pos += 2;
	}
	size_t want = rx->expected - rx->got;
	size_t take = n - pos < want ? n - pos : want;
	memcpy(rx->msg + rx->got, report + pos, take);
	rx->got += take;
	if (rx->next_seq == UINT16_MAX && rx->got < rx->expected)
		return err_set(e, ERR_MALFORMED, "Ledger HID message runs past sequence 65535");
	rx->next_seq++;
	*done = rx->got == rx->expected;
	return true;
}
