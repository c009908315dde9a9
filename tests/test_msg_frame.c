/* Framing (RFC 4271 6.1 header errors), KEEPALIVE, and ROUTE-REFRESH (RFC 7313). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/bgp.h"
#include "core/msg.h"

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex with any whitespace between octets; returns the octet count. */
static size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*hex) {
		if (isspace((unsigned char)*hex)) {
			hex++;
			continue;
		}
		int hi = hex_nibble(hex[0]), lo = hex[1] ? hex_nibble(hex[1]) : -1;
		cr_assert(hi >= 0 && lo >= 0, "bad hex near \"%.8s\"", hex);
		cr_assert(n < cap, "hex longer than buffer");
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}

#define MARKER "ffffffffffffffffffffffffffffffff "

struct frame_case {
	const char *name;
	const char *hex; /* the bytes available */
	size_t max_len;
	int rc;
	uint8_t code, subcode;
	uint32_t offset;
	const char *data; /* expected NOTIFICATION data in hex, for rc == -1 */
};

static const struct frame_case frame_cases[] = {
	{ "nothing", "", 4096, 0, 0, 0, 0, NULL },
	{ "18 octets", MARKER "00", 4096, 0, 0, 0, 0, NULL },
	{ "keepalive", MARKER "0013 04", 4096, 1, 0, 0, 0, NULL },
	{ "keepalive and more", MARKER "0013 04 ffff", 4096, 1, 0, 0, 0, NULL },
	{ "body still to come", MARKER "0017 05 0001", 4096, 0, 0, 0, 0, NULL },
	{ "bad marker", "ffffffffffffffffffffffffffff7fff 0013 04", 4096, -1, 1, 1, 0, "" },
	{ "zero marker", "00000000000000000000000000000000 0013 04", 4096, -1, 1, 1, 0, "" },
	{ "length 18", MARKER "0012 04", 4096, -1, 1, 2, 16, "0012" },
	{ "length 0", MARKER "0000 04", 4096, -1, 1, 2, 16, "0000" },
	{ "length 4097", MARKER "1001 02", 4096, -1, 1, 2, 16, "1001" },
	{ "length 4097 extended", MARKER "1001 02", 65535, 0, 0, 0, 0, NULL },
	{ "OPEN 28", MARKER "001c 01", 4096, -1, 1, 2, 16, "001c" },
	{ "OPEN over 4096 extended", MARKER "1001 01", 65535, -1, 1, 2, 16, "1001" },
	{ "UPDATE 22", MARKER "0016 02", 4096, -1, 1, 2, 16, "0016" },
	{ "NOTIFICATION 20", MARKER "0014 03", 4096, -1, 1, 2, 16, "0014" },
	{ "KEEPALIVE 20", MARKER "0014 04 00", 4096, -1, 1, 2, 16, "0014" },
	{ "ROUTE-REFRESH 24 left to decode", MARKER "0018 05 00010001 00", 4096, 1, 0, 0, 0, NULL },
	{ "type 0", MARKER "0013 00", 4096, -1, 1, 3, 18, "00" },
	{ "type 6", MARKER "0013 06", 4096, -1, 1, 3, 18, "06" },
	{ "type 255", MARKER "0013 ff", 4096, -1, 1, 3, 18, "ff" },
	/* the header is judged as soon as it is whole, before the body arrives */
	{ "bad type, body missing", MARKER "0040 09", 4096, -1, 1, 3, 18, "09" },
};

Test(msg_frame, table)
{
	uint8_t buf[64], want[8];

	for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
		const struct frame_case *c = &frame_cases[i];
		size_t n = hex_decode(c->hex, buf, sizeof(buf));
		struct msg_hdr h = { 0 };
		struct msg_err e = { 0 };
		int rc = msg_frame(buf, n, c->max_len, &h, &e);

		cr_assert_eq(rc, c->rc, "%s: rc %d", c->name, rc);
		if (rc == 1)
			cr_assert_eq(h.len, get_u16(buf + 16), "%s", c->name);
		if (rc != -1)
			continue;
		cr_assert_eq(e.action, MSG_SESSION_RESET, "%s", c->name);
		cr_assert_eq(e.code, c->code, "%s: code %d", c->name, e.code);
		cr_assert_eq(e.subcode, c->subcode, "%s: subcode %d", c->name, e.subcode);
		cr_assert_eq(e.offset, c->offset, "%s: offset %u", c->name, e.offset);
		size_t wn = hex_decode(c->data, want, sizeof(want));
		cr_assert_eq(e.data_len, wn, "%s: data_len %u", c->name, e.data_len);
		if (wn) {
			cr_assert_eq(e.data, buf + e.offset, "%s: data must point into buf",
			             c->name);
			cr_assert_arr_eq(e.data, want, wn, "%s: data", c->name);
		}
	}
}

Test(msg_frame, header_filled_while_waiting)
{
	uint8_t buf[64];
	size_t n = hex_decode(MARKER "0030 02 0000", buf, sizeof(buf));
	struct msg_hdr h = { 0 };
	struct msg_err e = { 0 };

	cr_assert_eq(msg_frame(buf, n, 4096, &h, &e), 0);
	cr_assert_eq(h.len, 0x30);
	cr_assert_eq(h.type, BGP_UPDATE);
}

/* A stream of messages is cut correctly at each length. */
Test(msg_frame, stream)
{
	uint8_t buf[128];
	size_t n = 0, at = 0, count = 0;
	struct msg_refresh rr = { .afi = AFI_IPV6, .subtype = RR_BORR, .safi = SAFI_UNICAST };

	n += msg_keepalive_encode(buf + n, sizeof(buf) - n);
	n += msg_refresh_encode(&rr, buf + n, sizeof(buf) - n);
	n += msg_keepalive_encode(buf + n, sizeof(buf) - n);
	cr_assert_eq(n, 19 + 23 + 19);
	for (;;) {
		struct msg_hdr h;
		struct msg_err e;
		int rc = msg_frame(buf + at, n - at, BGP_MAX_LEN, &h, &e);
		if (rc == 0)
			break;
		cr_assert_eq(rc, 1);
		at += h.len;
		count++;
	}
	cr_assert_eq(count, 3);
	cr_assert_eq(at, n);
}

Test(msg_frame, put_header)
{
	uint8_t out[19];
	uint8_t want[19];

	hex_decode(MARKER "1234 02", want, sizeof(want));
	msg_put_header(out, BGP_UPDATE, 0x1234);
	cr_assert_arr_eq(out, want, 19);
}

Test(msg_keepalive, encode)
{
	uint8_t out[19], want[19];
	struct msg_hdr h;
	struct msg_err e;

	hex_decode(MARKER "0013 04", want, sizeof(want));
	cr_assert_eq(msg_keepalive_encode(out, 18), 0);
	cr_assert_eq(msg_keepalive_encode(out, sizeof(out)), 19);
	cr_assert_arr_eq(out, want, 19);
	cr_assert_eq(msg_frame(out, 19, BGP_MAX_LEN, &h, &e), 1);
	cr_assert_eq(h.type, BGP_KEEPALIVE);
}

struct refresh_case {
	const char *name;
	const char *hex;
	uint16_t afi;
	uint8_t subtype, safi;
};

static const struct refresh_case refresh_cases[] = {
	{ "normal IPv4 unicast", MARKER "0017 05 0001 00 01", AFI_IPV4, RR_NORMAL, SAFI_UNICAST },
	{ "BoRR IPv6 unicast", MARKER "0017 05 0002 01 01", AFI_IPV6, RR_BORR, SAFI_UNICAST },
	{ "EoRR IPv6 unicast", MARKER "0017 05 0002 02 01", AFI_IPV6, RR_EORR, SAFI_UNICAST },
	/* RFC 7313: an unknown subtype is decoded and left to the session to ignore */
	{ "unknown subtype", MARKER "0017 05 0001 07 01", AFI_IPV4, 7, SAFI_UNICAST },
};

Test(msg_refresh, round_trip)
{
	for (size_t i = 0; i < sizeof(refresh_cases) / sizeof(refresh_cases[0]); i++) {
		const struct refresh_case *c = &refresh_cases[i];
		uint8_t msg[32], out[32];
		size_t n = hex_decode(c->hex, msg, sizeof(msg));
		struct msg_refresh r = { 0 };
		struct msg_err e = { 0 };
		struct msg_hdr h;

		cr_assert_eq(msg_frame(msg, n, BGP_MAX_LEN, &h, &e), 1, "%s", c->name);
		cr_assert_eq(msg_refresh_decode(msg, n, &r, &e), 0, "%s", c->name);
		cr_assert_eq(r.afi, c->afi, "%s", c->name);
		cr_assert_eq(r.subtype, c->subtype, "%s", c->name);
		cr_assert_eq(r.safi, c->safi, "%s", c->name);
		cr_assert_eq(msg_refresh_encode(&r, out, sizeof(out)), n, "%s", c->name);
		cr_assert_arr_eq(out, msg, n, "%s", c->name);
	}
}

/* RFC 7313 section 5: a bad length is 7/1, with the whole message as data. */
Test(msg_refresh, bad_length)
{
	const char *cases[] = { MARKER "0018 05 0002 01 01 00", MARKER "0016 05 0002 01",
		                MARKER "0013 05" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t msg[32], note[64];
		size_t n = hex_decode(cases[i], msg, sizeof(msg));
		struct msg_refresh r;
		struct msg_err e = { 0 };

		cr_assert_eq(msg_refresh_decode(msg, n, &r, &e), -1);
		cr_assert_eq(e.code, ERR_ROUTE_REFRESH);
		cr_assert_eq(e.subcode, ERR_RR_BAD_LENGTH);
		cr_assert_eq(e.data, msg);
		cr_assert_eq(e.data_len, n);
		size_t nn = msg_notification_encode_err(&e, note, sizeof(note));
		cr_assert_eq(nn, 21 + n);
		cr_assert_eq(note[19], 7);
		cr_assert_eq(note[20], 1);
		cr_assert_arr_eq(note + 21, msg, n);
	}
}

Test(msg_refresh, encode_too_small)
{
	uint8_t out[23];
	struct msg_refresh r = { .afi = 1, .subtype = 0, .safi = 1 };

	cr_assert_eq(msg_refresh_encode(&r, out, 22), 0);
	cr_assert_eq(msg_refresh_encode(&r, out, 23), 23);
}
