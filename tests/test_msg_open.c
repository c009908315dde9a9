/* OPEN decode and encode: real speakers' OPENs round trip byte for byte, RFC 9072 extended
 * optional parameters, and every OPEN error with its NOTIFICATION code and subcode. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bgp.h"
#include "core/msg.h"

enum { TEST_BUF = 8192 };

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

/* An OPEN from the octets after the header, with the header put in front. */
static size_t open_from_body(const char *body_hex, uint8_t *out, size_t cap)
{
	size_t n = hex_decode(body_hex, out + BGP_HDR_LEN, cap - BGP_HDR_LEN) + BGP_HDR_LEN;

	msg_put_header(out, BGP_OPEN, (uint16_t)n);
	return n;
}

/* Decodes msg, re-encodes it, and asserts the bytes are identical. */
static void assert_round_trip(const uint8_t *msg, size_t len, struct msg_open *o)
{
	static uint8_t out[TEST_BUF];
	struct msg_err e = { 0 };

	cr_assert_eq(msg_open_decode(msg, len, o, &e), 0, "decode failed: %d/%d %s", e.code,
	             e.subcode, e.reason ? e.reason : "");
	size_t n = msg_open_encode(o, out, sizeof(out));
	cr_assert_eq(n, len, "encoded %zu octets, expected %zu", n, len);
	cr_assert_arr_eq(out, msg, len, "re-encoded OPEN differs");
}

/* ---- real speakers ---- */

/* BIRD 2 packs every capability into one optional parameter: MP, route refresh, extended
 * message, role (code 9, unknown here), GR (aware, 120 s), AS4, enhanced RR, LLGR (aware). */
static const char bird_open[] = "ffffffffffffffffffffffffffffffff 0040 01"
                                "04 5ba0 00f0 0a000001 23"
                                "02 21"
                                "  01 04 0001 0001"
                                "  01 04 0002 0001"
                                "  02 00"
                                "  06 00"
                                "  09 01 04"
                                "  40 02 0078"
                                "  41 04 fa56ea01"
                                "  46 00"
                                "  47 00";

Test(msg_open, bird_one_param)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = hex_decode(bird_open, msg, sizeof(msg));

	assert_round_trip(msg, len, &o);
	cr_assert_eq(o.version, 4);
	cr_assert_eq(o.my_as, BGP_AS_TRANS);
	cr_assert_eq(o.hold_time, 240);
	cr_assert_eq(o.bgp_id, 0x0a000001);
	cr_assert_eq(o.n_params, 1);
	cr_assert_eq(o.n_caps, 9);
	cr_assert_not(o.ext_params);
	for (int i = 0; i < o.n_caps; i++)
		cr_assert_eq(o.caps[i].param, 0);
	cr_assert_eq(o.caps[4].code, 9);
	cr_assert_eq(o.caps[4].len, 1);
	cr_assert_eq(o.caps[4].val[0], 4);
	cr_assert_eq(o.parsed.n_mp, 2);
	cr_assert_eq(o.parsed.mp[0].afi, AFI_IPV4);
	cr_assert_eq(o.parsed.mp[1].afi, AFI_IPV6);
	cr_assert_eq(o.parsed.mp[1].safi, SAFI_UNICAST);
	cr_assert(o.parsed.route_refresh);
	cr_assert(o.parsed.ext_msg);
	cr_assert(o.parsed.enhanced_rr);
	cr_assert(o.parsed.gr.present);
	cr_assert_eq(o.parsed.gr.restart_time, 120);
	cr_assert_eq(o.parsed.gr.flags, 0);
	cr_assert_eq(o.parsed.gr.n, 0);
	cr_assert(o.parsed.llgr.present);
	cr_assert_eq(o.parsed.llgr.n, 0);
	cr_assert(o.parsed.has_as4);
	cr_assert_eq(o.parsed.as4, 4200000001u);
	cr_assert_eq(msg_open_peer_as(&o), 4200000001u);
	cr_assert_not(o.parsed.fqdn.present);
	cr_assert_eq(o.parsed.addpath.n, 0);
}

/* FRR gives each capability its own optional parameter, old and new route refresh codes,
 * ADD-PATH, the hostname capability, GR with R and N set and F per family, LLGR. */
static const char frr_open[] = "ffffffffffffffffffffffffffffffff 0074 01"
                               "04 fde9 00b4 c0000201 57"
                               "02 06 01 04 0001 0001"
                               "02 06 01 04 0002 0001"
                               "02 02 80 00"
                               "02 02 02 00"
                               "02 02 46 00"
                               "02 06 41 04 0000fde9"
                               "02 06 45 04 0001 01 03"
                               "02 0c 49 0a 04 66727231 04 6c616273"
                               "02 0c 40 0a c0 78 0001 01 80 0002 01 80"
                               "02 09 47 07 0001 01 80 000e10"
                               "02 02 06 00";

Test(msg_open, frr_param_per_cap)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = hex_decode(frr_open, msg, sizeof(msg));

	assert_round_trip(msg, len, &o);
	cr_assert_eq(o.my_as, 65001);
	cr_assert_eq(o.hold_time, 180);
	cr_assert_eq(o.n_params, 11);
	cr_assert_eq(o.n_caps, 11);
	for (int i = 0; i < o.n_caps; i++)
		cr_assert_eq(o.caps[i].param, i);
	cr_assert_eq(msg_open_peer_as(&o), 65001);
	cr_assert(o.parsed.route_refresh);
	cr_assert(o.parsed.enhanced_rr);
	cr_assert(o.parsed.ext_msg);
	cr_assert_eq(o.parsed.addpath.n, 1);
	cr_assert_eq(o.parsed.addpath.af[0].afi, AFI_IPV4);
	cr_assert_eq(o.parsed.addpath.af[0].safi, SAFI_UNICAST);
	cr_assert_eq(o.parsed.addpath.af[0].mode, ADDPATH_BOTH);
	cr_assert(o.parsed.fqdn.present);
	cr_assert_str_eq(o.parsed.fqdn.host, "frr1");
	cr_assert_str_eq(o.parsed.fqdn.domain, "labs");
	cr_assert(o.parsed.gr.present);
	cr_assert_eq(o.parsed.gr.flags, 0xc);
	cr_assert_eq(o.parsed.gr.restart_time, 120);
	cr_assert_eq(o.parsed.gr.n, 2);
	cr_assert_eq(o.parsed.gr.af[1].afi, AFI_IPV6);
	cr_assert_eq(o.parsed.gr.af[1].flags, 0x80);
	cr_assert(o.parsed.llgr.present);
	cr_assert_eq(o.parsed.llgr.n, 1);
	cr_assert_eq(o.parsed.llgr.af[0].flags, 0x80);
	cr_assert_eq(o.parsed.llgr.af[0].stale_time, 3600);
}

/* GoBGP: route refresh, MP, AS4 in one parameter, with a 4-octet AS behind AS_TRANS. */
static const char gobgp_open[] = "ffffffffffffffffffffffffffffffff 0033 01"
                                 "04 5ba0 005a 0a000002 16"
                                 "02 14 02 00 01 04 0001 0001 01 04 0002 0001 41 04 fa56ea02";

Test(msg_open, gobgp_as_trans)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = hex_decode(gobgp_open, msg, sizeof(msg));

	assert_round_trip(msg, len, &o);
	cr_assert_eq(o.my_as, BGP_AS_TRANS);
	cr_assert_eq(msg_open_peer_as(&o), 4200000002u);
	cr_assert_eq(o.n_params, 1);
	cr_assert_eq(o.parsed.n_mp, 2);
}

/* Mixed grouping and empty parameters: both must survive a round trip. */
Test(msg_open, mixed_and_empty_params)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = open_from_body("04 fde8 00b4 0a000001 18"
	                            "02 00"
	                            "02 08 01 04 0001 0001 02 00"
	                            "02 00"
	                            "02 06 41 04 0000fde8"
	                            "02 00",
	                            msg, sizeof(msg));

	assert_round_trip(msg, len, &o);
	cr_assert_eq(o.n_params, 5);
	cr_assert_eq(o.n_caps, 3);
	cr_assert_eq(o.caps[0].param, 1);
	cr_assert_eq(o.caps[1].param, 1);
	cr_assert_eq(o.caps[2].param, 3);
}

Test(msg_open, no_params)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = open_from_body("04 fde8 0000 0a000001 00", msg, sizeof(msg));

	assert_round_trip(msg, len, &o);
	cr_assert_eq(len, 29);
	cr_assert_eq(o.n_caps, 0);
	cr_assert_eq(o.hold_time, 0, "hold time 0 is legal: no keepalives");
}

/* More tuples than CAPS_MAX_AF: the extra ones are parsed no further but kept raw. */
Test(msg_open, many_addpath_tuples_kept_raw)
{
	static struct msg_open o;
	char body[1024];
	uint8_t msg[TEST_BUF];
	int n = snprintf(body, sizeof(body), "04 fde8 00b4 0a000001 4c 02 4a 45 48");

	for (int i = 0; i < 18; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, " %04x 01 01", i + 1);
	size_t len = open_from_body(body, msg, sizeof(msg));
	assert_round_trip(msg, len, &o);
	cr_assert_eq(o.parsed.addpath.n, CAPS_MAX_AF);
	cr_assert_eq(o.caps[0].len, 72);
	cr_assert_eq(o.parsed.addpath.af[15].afi, 16);
}

/* ---- RFC 9072 ---- */

Test(msg_open, ext_params_round_trip)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = hex_decode("ffffffffffffffffffffffffffffffff 0032 01"
	                        "04 fde8 00b4 0a000001 ff ff 0012"
	                        "02 0006 01 04 0001 0001"
	                        "02 0006 41 04 0000fde8",
	                        msg, sizeof(msg));

	assert_round_trip(msg, len, &o);
	cr_assert(o.ext_params);
	cr_assert_eq(o.n_params, 2);
	cr_assert_eq(o.n_caps, 2);
	cr_assert_eq(o.caps[1].param, 1);
	cr_assert_eq(msg_open_peer_as(&o), 65000);
}

/* Past 255 octets of parameters the encoder must switch to RFC 9072 by itself. */
Test(msg_open, ext_params_chosen_when_large)
{
	static struct msg_open o, d;
	static uint8_t out[TEST_BUF], again[TEST_BUF];
	uint8_t big[200] = { 0 };
	struct msg_err e = { 0 };

	msg_open_init(&o, 4200000001u, 90, 0x0a000001);
	for (int i = 0; i < 20; i++) {
		uint8_t mp[4] = { 0, (uint8_t)(i + 1), 0, 1 };
		cr_assert_eq(msg_open_add_cap(&o, CAP_MP, mp, 4), 0);
	}
	cr_assert_eq(msg_open_add_cap(&o, 200, big, sizeof(big)), 0);
	cr_assert_not(o.ext_params);
	size_t n = msg_open_encode(&o, out, sizeof(out));
	cr_assert_eq(n, 29 + 3 + 3 + 20 * 6 + 2 + 200);
	cr_assert_eq(out[28], 0xff);
	cr_assert_eq(out[29], 0xff);
	cr_assert_eq(get_u16(out + 30), 3 + 20 * 6 + 2 + 200);
	cr_assert_eq(msg_open_decode(out, n, &d, &e), 0);
	cr_assert(d.ext_params);
	cr_assert_eq(d.n_caps, 21);
	cr_assert_eq(d.parsed.n_mp, CAPS_MAX_AF);
	cr_assert_eq(msg_open_encode(&d, again, sizeof(again)), n);
	cr_assert_arr_eq(again, out, n);
}

/* ---- building ---- */

Test(msg_open, build_matches_bird)
{
	static struct msg_open o;
	static uint8_t out[TEST_BUF];
	uint8_t want[TEST_BUF];
	size_t len = hex_decode(bird_open, want, sizeof(want));
	const uint8_t mp4[] = { 0, 1, 0, 1 }, mp6[] = { 0, 2, 0, 1 }, role[] = { 4 };
	const uint8_t gr[] = { 0x00, 0x78 }, as4[] = { 0xfa, 0x56, 0xea, 0x01 };

	msg_open_init(&o, 4200000001u, 240, 0x0a000001);
	cr_assert_eq(o.my_as, BGP_AS_TRANS);
	cr_assert_eq(msg_open_add_cap(&o, CAP_MP, mp4, 4), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_MP, mp6, 4), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_ROUTE_REFRESH, NULL, 0), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_EXT_MESSAGE, NULL, 0), 0);
	cr_assert_eq(msg_open_add_cap(&o, 9, role, 1), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_GRACEFUL_RESTART, gr, 2), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_AS4, as4, 4), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_ENHANCED_RR, NULL, 0), 0);
	cr_assert_eq(msg_open_add_cap(&o, CAP_LLGR, NULL, 0), 0);
	cr_assert_eq(o.parsed.n_mp, 2);
	cr_assert(o.parsed.gr.present);
	cr_assert_eq(msg_open_peer_as(&o), 4200000001u);
	cr_assert_eq(msg_open_encode(&o, out, sizeof(out)), len);
	cr_assert_arr_eq(out, want, len);
}

Test(msg_open, add_cap_refuses_malformed_and_full)
{
	static struct msg_open o;
	const uint8_t bad_mp[] = { 0, 1, 0 }, as0[] = { 0, 0, 0, 0 }, bad_ap[] = { 0, 1, 1, 4 };
	const uint8_t one[] = { 1 };

	msg_open_init(&o, 65000, 90, 1);
	cr_assert_eq(msg_open_add_cap(&o, CAP_MP, bad_mp, 3), -1);
	cr_assert_eq(msg_open_add_cap(&o, CAP_AS4, as0, 4), -1);
	cr_assert_eq(msg_open_add_cap(&o, CAP_ADD_PATH, bad_ap, 4), -1);
	cr_assert_eq(msg_open_add_cap(&o, CAP_ROUTE_REFRESH, one, 1), -1);
	cr_assert_eq(o.n_caps, 0, "a refused capability must leave the OPEN unchanged");
	cr_assert_not(o.parsed.has_as4);
	for (int i = 0; i < OPEN_MAX_CAPS; i++)
		cr_assert_eq(msg_open_add_cap(&o, 200, one, 1), 0);
	cr_assert_eq(msg_open_add_cap(&o, 200, one, 1), -1);
	cr_assert_eq(o.n_caps, OPEN_MAX_CAPS);
}

Test(msg_open, encode_too_small)
{
	static struct msg_open o;
	uint8_t out[40];
	const uint8_t mp4[] = { 0, 1, 0, 1 };

	msg_open_init(&o, 65000, 90, 1);
	cr_assert_eq(msg_open_add_cap(&o, CAP_MP, mp4, 4), 0);
	cr_assert_eq(msg_open_encode(&o, out, 36), 0);
	cr_assert_eq(msg_open_encode(&o, out, 37), 37);
}

/* ---- errors ---- */

struct open_err_case {
	const char *name;
	const char *body; /* octets after the header */
	uint8_t code, subcode;
	int offset; /* expected e.offset, or -1 to leave unchecked */
};

static const struct open_err_case open_errs[] = {
	{ "version 3", "03 fde8 00b4 0a000001 00", 2, 1, 19 },
	{ "version 5", "05 fde8 00b4 0a000001 00", 2, 1, 19 },
	{ "my AS 0", "04 0000 00b4 0a000001 00", 2, 2, 20 },
	{ "hold time 1", "04 fde8 0001 0a000001 00", 2, 6, 22 },
	{ "hold time 2", "04 fde8 0002 0a000001 00", 2, 6, 22 },
	{ "BGP identifier 0", "04 fde8 00b4 00000000 00", 2, 3, 24 },
	{ "opt len overruns", "04 fde8 00b4 0a000001 09 02 02 02 00", 2, 0, 28 },
	{ "opt len short", "04 fde8 00b4 0a000001 03 02 02 02 00", 2, 0, 28 },
	{ "param overruns", "04 fde8 00b4 0a000001 04 02 05 02 00", 2, 0, 29 },
	{ "param header cut", "04 fde8 00b4 0a000001 01 02", 2, 0, 29 },
	{ "auth param", "04 fde8 00b4 0a000001 04 01 02 00 00", 2, 4, 29 },
	{ "unknown param", "04 fde8 00b4 0a000001 02 03 00", 2, 4, 29 },
	{ "cap overruns param", "04 fde8 00b4 0a000001 05 02 03 01 04 00", 2, 0, 31 },
	{ "cap header cut", "04 fde8 00b4 0a000001 03 02 01 01", 2, 0, 31 },
	{ "MP length 3", "04 fde8 00b4 0a000001 07 02 05 01 03 000100", 2, 0, 31 },
	{ "MP length 5", "04 fde8 00b4 0a000001 09 02 07 01 05 0001000100", 2, 0, 31 },
	{ "route refresh with value", "04 fde8 00b4 0a000001 05 02 03 02 01 00", 2, 0, 31 },
	{ "old route refresh with value", "04 fde8 00b4 0a000001 05 02 03 80 01 00", 2, 0, 31 },
	{ "ext message with value", "04 fde8 00b4 0a000001 05 02 03 06 01 00", 2, 0, 31 },
	{ "enhanced RR with value", "04 fde8 00b4 0a000001 05 02 03 46 01 00", 2, 0, 31 },
	{ "GR length 1", "04 fde8 00b4 0a000001 05 02 03 40 01 00", 2, 0, 31 },
	{ "GR partial tuple", "04 fde8 00b4 0a000001 09 02 07 40 05 0078 000101", 2, 0, 31 },
	{ "AS4 length 2", "04 fde8 00b4 0a000001 06 02 04 41 02 fde8", 2, 0, 31 },
	{ "AS4 is 0", "04 fde8 00b4 0a000001 08 02 06 41 04 00000000", 2, 2, 31 },
	{ "ADD-PATH empty", "04 fde8 00b4 0a000001 04 02 02 45 00", 2, 0, 31 },
	{ "ADD-PATH length 3", "04 fde8 00b4 0a000001 07 02 05 45 03 000101", 2, 0, 31 },
	{ "ADD-PATH mode 0", "04 fde8 00b4 0a000001 08 02 06 45 04 00010100", 2, 0, 31 },
	{ "ADD-PATH mode 4", "04 fde8 00b4 0a000001 08 02 06 45 04 00010104", 2, 0, 31 },
	{ "LLGR length 6", "04 fde8 00b4 0a000001 0a 02 08 47 06 000101800000", 2, 0, 31 },
	{ "FQDN empty", "04 fde8 00b4 0a000001 04 02 02 49 00", 2, 0, 31 },
	{ "FQDN host overruns", "04 fde8 00b4 0a000001 08 02 06 49 04 05 616263", 2, 0, 31 },
	{ "FQDN no domain", "04 fde8 00b4 0a000001 08 02 06 49 04 03 616263", 2, 0, 31 },
	{ "FQDN trailing", "04 fde8 00b4 0a000001 0a 02 08 49 06 01 61 01 62 0000", 2, 0, 31 },
	{ "second cap malformed", "04 fde8 00b4 0a000001 07 02 05 02 00 01 01 00", 2, 0, 33 },
	{ "ext len overruns", "04 fde8 00b4 0a000001 ff ff 0010 02 0002 0200", 2, 0, 28 },
	{ "ext len cut", "04 fde8 00b4 0a000001 ff ff 00", 2, 0, 28 },
	{ "ext param overruns", "04 fde8 00b4 0a000001 ff ff 0005 02 0003 0200", 2, 0, 32 },
};

Test(msg_open, errors)
{
	uint8_t msg[TEST_BUF];
	static struct msg_open o;

	for (size_t i = 0; i < sizeof(open_errs) / sizeof(open_errs[0]); i++) {
		const struct open_err_case *c = &open_errs[i];
		struct msg_err e = { 0 };
		size_t len = open_from_body(c->body, msg, sizeof(msg));

		cr_assert_eq(msg_open_decode(msg, len, &o, &e), -1, "%s: decoded", c->name);
		cr_assert_eq(e.action, MSG_SESSION_RESET, "%s", c->name);
		cr_assert_eq(e.code, c->code, "%s: code %d", c->name, e.code);
		cr_assert_eq(e.subcode, c->subcode, "%s: subcode %d", c->name, e.subcode);
		if (c->offset >= 0)
			cr_assert_eq(e.offset, (uint32_t)c->offset, "%s: offset %u", c->name,
			             e.offset);
		cr_assert_not_null(e.reason, "%s", c->name);
	}
}

Test(msg_open, version_error_data)
{
	uint8_t msg[64], note[64];
	static struct msg_open o;
	struct msg_err e = { 0 };
	size_t len = open_from_body("03 fde8 00b4 0a000001 00", msg, sizeof(msg));

	cr_assert_eq(msg_open_decode(msg, len, &o, &e), -1);
	cr_assert_eq(e.data_len, 2);
	cr_assert_eq(e.data[0], 0);
	cr_assert_eq(e.data[1], 4);
	size_t n = msg_notification_encode_err(&e, note, sizeof(note));
	cr_assert_eq(n, 23);
	uint8_t want[] = { 2, 1, 0, 4 };
	cr_assert_arr_eq(note + 19, want, 4);
}

Test(msg_open, too_many_caps)
{
	char body[2048];
	uint8_t msg[TEST_BUF];
	static struct msg_open o;
	struct msg_err e = { 0 };
	int n = snprintf(body, sizeof(body), "04 fde8 00b4 0a000001 84 02 82");

	for (int i = 0; i <= OPEN_MAX_CAPS; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, " c8 00");
	size_t len = open_from_body(body, msg, sizeof(msg));
	cr_assert_eq(msg_open_decode(msg, len, &o, &e), -1);
	cr_assert_eq(e.code, ERR_OPEN);
	cr_assert_eq(e.subcode, 0);
	cr_assert_eq(e.offset, 31 + 2 * OPEN_MAX_CAPS);
}

Test(msg_open, too_short)
{
	uint8_t msg[64];
	static struct msg_open o;
	struct msg_err e = { 0 };
	size_t len = open_from_body("04 fde8 00b4 0a0000", msg, sizeof(msg));

	cr_assert_eq(msg_open_decode(msg, len, &o, &e), -1);
	cr_assert_eq(e.code, ERR_HEADER);
	cr_assert_eq(e.subcode, ERR_HDR_BAD_LENGTH);
}

/* Every truncation of a valid OPEN is refused, never read past (ASan watches this). */
Test(msg_open, every_truncation_refused)
{
	static struct msg_open o;
	uint8_t msg[TEST_BUF];
	size_t len = hex_decode(frr_open, msg, sizeof(msg));

	for (size_t cut = 0; cut < len; cut++) {
		struct msg_err e = { 0 };
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, msg, cut);
		cr_assert_eq(msg_open_decode(copy, cut, &o, &e), -1, "cut %zu", cut);
		free(copy);
	}
}

/* Single-octet mutations of real OPENs: each one either fails cleanly or, when it decodes,
 * re-encodes to exactly the mutated bytes. */
Test(msg_open, mutations_round_trip_or_fail)
{
	static struct msg_open o;
	static uint8_t out[TEST_BUF];
	const char *opens[] = { bird_open, frr_open, gobgp_open };
	uint32_t seed = 12345;

	for (size_t k = 0; k < sizeof(opens) / sizeof(opens[0]); k++) {
		uint8_t orig[TEST_BUF], msg[TEST_BUF];
		size_t len = hex_decode(opens[k], orig, sizeof(orig));
		for (int round = 0; round < 4000; round++) {
			struct msg_err e = { 0 };
			memcpy(msg, orig, len);
			seed = seed * 1103515245u + 12345u;
			size_t at = BGP_HDR_LEN + (seed >> 8) % (len - BGP_HDR_LEN);
			msg[at] = (uint8_t)(seed >> 24);
			if (msg_open_decode(msg, len, &o, &e) < 0) {
				cr_assert_eq(e.action, MSG_SESSION_RESET);
				cr_assert(e.code == ERR_OPEN || e.code == ERR_HEADER);
				continue;
			}
			size_t n = msg_open_encode(&o, out, sizeof(out));
			cr_assert_eq(n, len, "open %zu octet %zu", k, at);
			cr_assert_arr_eq(out, msg, len, "open %zu octet %zu", k, at);
		}
	}
}
