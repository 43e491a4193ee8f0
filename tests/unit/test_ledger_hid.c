/* Unit tests of Ledger's HID framing: split and reassembly, and the
 * reports a reassembler must refuse. */
#include <string.h>

#include "../../src/ledger/hid.h"
#include "harness.h"

/* Frames msg and feeds every report back; true when it comes out equal. */
static bool roundtrip(const uint8_t *msg, size_t len)
{
	struct ledger_hid_rx rx;
	struct err e = { 0 };
	ledger_hid_rx_init(&rx);
	size_t n = ledger_hid_report_count(len);
	bool done = false;
	for (size_t seq = 0; seq < n; seq++) {
		uint8_t r[LEDGER_HID_REPORT];
		if (!ledger_hid_frame(msg, len, (uint16_t)seq, r) || done)
			return false;
		if (!ledger_hid_rx_feed(&rx, r, sizeof(r), &done, &e))
			return false;
	}
	return done && rx.expected == len && memcmp(rx.msg, msg, len) == 0;
}

TEST(ledger_hid_roundtrip_every_length)
{
	uint8_t msg[LEDGER_HID_MSG_MAX];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 1; len <= 300; len++)
		CHECK(roundtrip(msg, len));
	CHECK(ledger_hid_report_count(57) == 1);
	CHECK(ledger_hid_report_count(58) == 2);
	CHECK(ledger_hid_report_count(57 + 59) == 2);
	CHECK(ledger_hid_report_count(57 + 59 + 1) == 3);
}

TEST(ledger_hid_frame_layout)
{
	uint8_t apdu[70], r[LEDGER_HID_REPORT];
	for (size_t i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)(0xa0 + i);
	CHECK(ledger_hid_frame(apdu, sizeof(apdu), 0, r));
	const uint8_t head0[] = { 0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 70 };
	CHECK_MEM(r, head0, sizeof(head0));
	CHECK_MEM(r + 7, apdu, 57);
	CHECK(ledger_hid_frame(apdu, sizeof(apdu), 1, r));
	const uint8_t head1[] = { 0x01, 0x01, 0x05, 0x00, 0x01 };
	CHECK_MEM(r, head1, sizeof(head1));
	CHECK_MEM(r + 5, apdu + 57, 13);
	for (size_t i = 5 + 13; i < sizeof(r); i++)
		CHECK(r[i] == 0); /* zero padding */
	CHECK(!ledger_hid_frame(apdu, sizeof(apdu), 2, r));
}

/* A reply longer than one report (a DER signature with its hash and SW),
 * arriving as the device sends it. */
TEST(ledger_hid_reply_over_several_reports)
{
	uint8_t reply[32 + 72 + 2];
	for (size_t i = 0; i < sizeof(reply); i++)
		reply[i] = (uint8_t)(255 - i);
	reply[sizeof(reply) - 2] = 0x90;
	reply[sizeof(reply) - 1] = 0x00;
	uint8_t reports[2][LEDGER_HID_REPORT];
	CHECK(ledger_hid_report_count(sizeof(reply)) == 2);
	CHECK(ledger_hid_frame(reply, sizeof(reply), 0, reports[0]));
	CHECK(ledger_hid_frame(reply, sizeof(reply), 1, reports[1]));
	struct ledger_hid_rx rx;
	struct err e = { 0 };
	bool done = true;
	ledger_hid_rx_init(&rx);
	CHECK(ledger_hid_rx_feed(&rx, reports[0], LEDGER_HID_REPORT, &done, &e));
	CHECK(!done);
	CHECK(ledger_hid_rx_feed(&rx, reports[1], LEDGER_HID_REPORT, &done, &e));
	CHECK(done && rx.expected == sizeof(reply));
	CHECK_MEM(rx.msg, reply, sizeof(reply));
}

static bool feed_one(const uint8_t *r, size_t n, struct err *e)
{
	struct ledger_hid_rx rx;
	bool done;
	ledger_hid_rx_init(&rx);
	return ledger_hid_rx_feed(&rx, r, n, &done, e);
}

TEST(ledger_hid_refuses_wrong_channel_tag_sequence_length)
{
	uint8_t msg[100] = { 1, 2, 3 }, r[LEDGER_HID_REPORT], r1[LEDGER_HID_REPORT];
	struct err e = { 0 };
	CHECK(ledger_hid_frame(msg, sizeof(msg), 0, r));
	CHECK(feed_one(r, sizeof(r), &e));

	uint8_t bad[LEDGER_HID_REPORT];
	memcpy(bad, r, sizeof(bad));
	bad[1] = 0x02;
	CHECK(!feed_one(bad, sizeof(bad), &e) && strstr(e.msg, "channel 0x0102"));
	memcpy(bad, r, sizeof(bad));
	bad[2] = 0x02;
	CHECK(!feed_one(bad, sizeof(bad), &e) && strstr(e.msg, "tag 0x02"));
	memcpy(bad, r, sizeof(bad));
	bad[4] = 0x01; /* starts at sequence 1 */
	CHECK(!feed_one(bad, sizeof(bad), &e) && strstr(e.msg, "sequence 1, expected 0"));
	memcpy(bad, r, sizeof(bad));
	bad[5] = 0x02; /* 512 + 100 bytes announced */
	CHECK(!feed_one(bad, sizeof(bad), &e) && strstr(e.msg, "over"));
	CHECK(!feed_one(r, 4, &e) && e.kind == ERR_MALFORMED);
	CHECK(!feed_one(r, 6, &e) && strstr(e.msg, "no length"));

	/* the second report repeated, out of order */
	struct ledger_hid_rx rx;
	bool done;
	ledger_hid_rx_init(&rx);
	CHECK(ledger_hid_frame(msg, sizeof(msg), 1, r1));
	CHECK(ledger_hid_rx_feed(&rx, r, sizeof(r), &done, &e) && !done);
	CHECK(!ledger_hid_rx_feed(&rx, r, sizeof(r), &done, &e) && strstr(e.msg, "sequence 0, expected 1"));
}
