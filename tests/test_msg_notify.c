/* NOTIFICATION decode and encode, the RFC 8203/9003 shutdown communication, and the names
 * of error codes for logs. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "core/bgp.h"
#include "core/msg.h"

enum { NOTE_BUF = 512 };

/* A NOTIFICATION with the given code, subcode and data. */
static size_t note_make(uint8_t code, uint8_t subcode, const void *data, size_t len, uint8_t *out)
{
	size_t n = msg_notification_encode(code, subcode, data, len, out, NOTE_BUF);

	cr_assert_eq(n, 21 + len);
	return n;
}

/* A Cease data field: length octet, then text (which may hold any octets). */
static size_t note_shutdown_data(const char *text, size_t len, uint8_t *out)
{
	out[0] = (uint8_t)len;
	memcpy(out + 1, text, len);
	return len + 1;
}

Test(msg_notification, plain)
{
	uint8_t msg[NOTE_BUF];
	size_t n = note_make(ERR_HOLD_TIMER, 0, NULL, 0, msg);
	struct msg_notification nt;
	struct msg_err e = { 0 };

	cr_assert_eq(msg_notification_decode(msg, n, &nt, &e), 0);
	cr_assert_eq(nt.code, ERR_HOLD_TIMER);
	cr_assert_eq(nt.subcode, 0);
	cr_assert_eq(nt.data_len, 0);
	cr_assert_not(nt.has_shutdown_msg);
	cr_assert_eq(get_u16(msg + 16), 21);
	cr_assert_eq(msg[18], BGP_NOTIFICATION);
}

Test(msg_notification, data_points_into_message)
{
	uint8_t msg[NOTE_BUF];
	const uint8_t attr[] = { 0x40, 0x01, 0x01, 0x07 };
	size_t n = note_make(ERR_UPDATE, ERR_UPD_ORIGIN, attr, sizeof(attr), msg);
	struct msg_notification nt;
	struct msg_err e = { 0 };

	cr_assert_eq(msg_notification_decode(msg, n, &nt, &e), 0);
	cr_assert_eq(nt.data, msg + 21);
	cr_assert_eq(nt.data_len, 4);
	cr_assert_arr_eq(nt.data, attr, 4);
	cr_assert_not(nt.has_shutdown_msg);
}

Test(msg_notification, shutdown_valid)
{
	/* an em dash (3 octets) and a 4-octet emoji, as operators do write them */
	const char text[] = "maintenance \xe2\x80\x94 back in 5 min \xf0\x9f\x9b\xa0";
	uint8_t data[300], msg[NOTE_BUF];
	size_t dl = note_shutdown_data(text, strlen(text), data);
	uint8_t subcodes[] = { ERR_CEASE_ADMIN_SHUTDOWN, ERR_CEASE_ADMIN_RESET };

	for (size_t i = 0; i < sizeof(subcodes); i++) {
		size_t n = note_make(ERR_CEASE, subcodes[i], data, dl, msg);
		struct msg_notification nt;
		struct msg_err e = { 0 };

		cr_assert_eq(msg_notification_decode(msg, n, &nt, &e), 0);
		cr_assert(nt.has_shutdown_msg);
		cr_assert_str_eq(nt.shutdown_msg, text);
		cr_assert_eq(nt.data_len, dl);
	}
}

/* RFC 9003 allows 255 octets and trailing octets after the communication are not an error. */
Test(msg_notification, shutdown_full_length_and_trailing)
{
	char text[256];
	uint8_t data[300], msg[NOTE_BUF];

	memset(text, 'x', 255);
	text[255] = '\0';
	size_t dl = note_shutdown_data(text, 255, data);
	data[dl++] = 0xff;
	size_t n = note_make(ERR_CEASE, ERR_CEASE_ADMIN_SHUTDOWN, data, dl, msg);
	struct msg_notification nt;
	struct msg_err e = { 0 };

	cr_assert_eq(msg_notification_decode(msg, n, &nt, &e), 0);
	cr_assert(nt.has_shutdown_msg);
	cr_assert_eq(strlen(nt.shutdown_msg), 255);
}

struct bad_shutdown {
	const char *name;
	const char *data; /* the whole data field, length octet included */
	size_t len;
};

/* The length octet is written in octal so that no following text joins the escape. */
/* clang-format off */
#define BAD(name, s) { name, s, sizeof(s) - 1 }
static const struct bad_shutdown bad_shutdowns[] = {
	BAD("length overrun", "\012short"),
	BAD("length octet only", "\005"),
	BAD("bad continuation", "\002\xc3\x28"),
	BAD("lone continuation", "\001\x80"),
	BAD("overlong slash", "\002\xc0\xaf"),
	BAD("overlong 3 octets", "\003\xe0\x80\xaf"),
	BAD("overlong 4 octets", "\004\xf0\x80\x80\xaf"),
	BAD("surrogate", "\003\xed\xa0\x80"),
	BAD("above U+10FFFF", "\004\xf4\x90\x80\x80"),
	BAD("lead F5", "\004\xf5\x80\x80\x80"),
	BAD("truncated sequence", "\004ab\xe2\x82"),
	BAD("sequence cut by length", "\002a\xe2\x82\xac"),
	BAD("NUL inside", "\003a\000b"),
	BAD("empty", "\000"),
};
/* clang-format on */

/* A malformed communication is no error: the NOTIFICATION decodes without it. */
Test(msg_notification, shutdown_malformed)
{
	for (size_t i = 0; i < sizeof(bad_shutdowns) / sizeof(bad_shutdowns[0]); i++) {
		const struct bad_shutdown *c = &bad_shutdowns[i];
		uint8_t msg[NOTE_BUF];
		size_t n = note_make(ERR_CEASE, ERR_CEASE_ADMIN_SHUTDOWN, c->data, c->len, msg);
		struct msg_notification nt;
		struct msg_err e = { 0 };

		cr_assert_eq(msg_notification_decode(msg, n, &nt, &e), 0, "%s", c->name);
		cr_assert_not(nt.has_shutdown_msg, "%s", c->name);
		cr_assert_eq(nt.data_len, c->len, "%s", c->name);
		cr_assert_eq(nt.code, ERR_CEASE, "%s", c->name);
	}
}

/* Only subcodes 2 and 4 carry a communication; other Cease data is left alone. */
Test(msg_notification, shutdown_other_subcode)
{
	uint8_t data[16], msg[NOTE_BUF];
	size_t dl = note_shutdown_data("bye", 3, data);
	size_t n = note_make(ERR_CEASE, ERR_CEASE_PEER_DECONFIGURED, data, dl, msg);
	struct msg_notification nt;
	struct msg_err e = { 0 };

	cr_assert_eq(msg_notification_decode(msg, n, &nt, &e), 0);
	cr_assert_not(nt.has_shutdown_msg);
}

Test(msg_notification, too_short)
{
	uint8_t msg[NOTE_BUF];
	size_t n = note_make(ERR_CEASE, 2, NULL, 0, msg);
	struct msg_notification nt;
	struct msg_err e = { 0 };

	cr_assert_eq(msg_notification_decode(msg, n - 1, &nt, &e), -1);
	cr_assert_eq(e.code, ERR_HEADER);
	cr_assert_eq(e.subcode, ERR_HDR_BAD_LENGTH);
}

/* Encodes text as a shutdown NOTIFICATION, decodes it, and returns the octets kept. */
static size_t shutdown_round_trip(const char *text, struct msg_notification *nt)
{
	uint8_t msg[NOTE_BUF];
	struct msg_err e = { 0 };
	size_t n =
	        msg_notification_encode_shutdown(ERR_CEASE_ADMIN_SHUTDOWN, text, msg, sizeof(msg));

	cr_assert_gt(n, 21);
	cr_assert_eq(msg_notification_decode(msg, n, nt, &e), 0);
	cr_assert_eq(nt->code, ERR_CEASE);
	cr_assert_eq(nt->subcode, ERR_CEASE_ADMIN_SHUTDOWN);
	cr_assert_eq(nt->data_len, n - 21);
	cr_assert_eq(nt->data[0], n - 22);
	return nt->data[0];
}

Test(msg_notification, encode_shutdown_short)
{
	struct msg_notification nt;

	cr_assert_eq(shutdown_round_trip("planned maintenance, ticket 4711", &nt), 32);
	cr_assert(nt.has_shutdown_msg);
	cr_assert_str_eq(nt.shutdown_msg, "planned maintenance, ticket 4711");
}

struct cut_case {
	const char *name;
	size_t ascii;     /* ASCII octets first */
	const char *tail; /* then this character, repeated */
	size_t repeat;
	size_t want; /* octets kept */
};

static const struct cut_case cut_cases[] = {
	{ "300 ASCII", 300, "", 0, 255 },
	{ "exactly 255", 253, "\xc3\xa9", 1, 255 },
	{ "2-octet char across 255", 254, "\xc3\xa9", 1, 254 },
	{ "3-octet char across 255", 254, "\xe2\x82\xac", 1, 254 },
	{ "3-octet char ending at 256", 253, "\xe2\x82\xac", 1, 253 },
	{ "euros filling 255", 0, "\xe2\x82\xac", 86, 255 },
	{ "emoji across 255", 0, "\xf0\x9f\x98\x80", 64, 252 },
	{ "emoji after 254", 254, "\xf0\x9f\x98\x80", 2, 254 },
};

Test(msg_notification, encode_shutdown_truncates_at_boundary)
{
	for (size_t i = 0; i < sizeof(cut_cases) / sizeof(cut_cases[0]); i++) {
		const struct cut_case *c = &cut_cases[i];
		char text[1024];
		size_t n = c->ascii, tl = strlen(c->tail);
		struct msg_notification nt;

		memset(text, 'a', c->ascii);
		for (size_t r = 0; r < c->repeat; r++, n += tl)
			memcpy(text + n, c->tail, tl);
		text[n] = '\0';
		cr_assert_eq(shutdown_round_trip(text, &nt), c->want, "%s", c->name);
		cr_assert(nt.has_shutdown_msg, "%s: kept text must be valid UTF-8", c->name);
		cr_assert_eq(strncmp(nt.shutdown_msg, text, c->want), 0, "%s", c->name);
	}
}

Test(msg_notification, encode_shutdown_null_and_empty)
{
	uint8_t msg[NOTE_BUF];

	cr_assert_eq(
	        msg_notification_encode_shutdown(ERR_CEASE_ADMIN_RESET, NULL, msg, sizeof(msg)),
	        21);
	cr_assert_eq(msg_notification_encode_shutdown(ERR_CEASE_ADMIN_RESET, "", msg, sizeof(msg)),
	             22);
	cr_assert_eq(msg[21], 0);
}

Test(msg_notification, encode_too_small)
{
	uint8_t msg[NOTE_BUF];
	const uint8_t data[4] = { 1, 2, 3, 4 };

	cr_assert_eq(msg_notification_encode(ERR_CEASE, 1, data, 4, msg, 24), 0);
	cr_assert_eq(msg_notification_encode(ERR_CEASE, 1, data, 4, msg, 25), 25);
	cr_assert_eq(msg_notification_encode_shutdown(2, "hello", msg, 26), 0);
}

/* The error's data is cut to fit rather than dropping the NOTIFICATION. */
Test(msg_notification, encode_err)
{
	uint8_t bad[40], msg[NOTE_BUF];
	struct msg_err e = { 0 };

	memset(bad, 0xab, sizeof(bad));
	msg_err_set(&e, ERR_UPDATE, ERR_UPD_ATTR_LENGTH, 23, "test", bad, sizeof(bad));
	cr_assert_eq(e.action, MSG_SESSION_RESET);
	cr_assert_eq(e.offset, 23);
	cr_assert_eq(msg_notification_encode_err(&e, msg, sizeof(msg)), 61);
	cr_assert_eq(msg[19], ERR_UPDATE);
	cr_assert_eq(msg[20], ERR_UPD_ATTR_LENGTH);
	cr_assert_arr_eq(msg + 21, bad, sizeof(bad));
	cr_assert_eq(msg_notification_encode_err(&e, msg, 30), 30);
	cr_assert_eq(get_u16(msg + 16), 30);
	cr_assert_eq(msg_notification_encode_err(&e, msg, 20), 0);

	msg_err_set(&e, ERR_CEASE, ERR_CEASE_OUT_OF_RESOURCES, 0, "test", NULL, 0);
	cr_assert_eq(msg_notification_encode_err(&e, msg, sizeof(msg)), 21);
}

/* ---- names ---- */

Test(msg_names, message_types)
{
	cr_assert_str_eq(bgp_msg_type_name(BGP_OPEN), "OPEN");
	cr_assert_str_eq(bgp_msg_type_name(BGP_UPDATE), "UPDATE");
	cr_assert_str_eq(bgp_msg_type_name(BGP_NOTIFICATION), "NOTIFICATION");
	cr_assert_str_eq(bgp_msg_type_name(BGP_KEEPALIVE), "KEEPALIVE");
	cr_assert_str_eq(bgp_msg_type_name(BGP_ROUTE_REFRESH), "ROUTE-REFRESH");
	cr_assert_null(bgp_msg_type_name(0));
	cr_assert_null(bgp_msg_type_name(6));
}

Test(msg_names, actions)
{
	cr_assert_str_eq(msg_action_name(MSG_OK), "ok");
	cr_assert_str_eq(msg_action_name(MSG_ATTR_DISCARD), "attribute-discard");
	cr_assert_str_eq(msg_action_name(MSG_TREAT_AS_WITHDRAW), "treat-as-withdraw");
	cr_assert_str_eq(msg_action_name(MSG_SESSION_RESET), "session-reset");
}

/* Every code and subcode that core/bgp.h names has a name, and nothing else does. */
Test(msg_names, every_code_and_subcode)
{
	static const struct {
		uint8_t code, max_sub;
	} defined[] = { { 1, 3 }, { 2, 11 }, { 3, 11 }, { 4, 0 }, { 5, 3 }, { 6, 10 }, { 7, 1 } };

	cr_assert_null(bgp_err_code_name(0));
	cr_assert_null(bgp_err_code_name(8));
	cr_assert_null(bgp_err_subcode_name(8, 0));
	for (size_t i = 0; i < sizeof(defined) / sizeof(defined[0]); i++) {
		uint8_t code = defined[i].code;
		cr_assert_not_null(bgp_err_code_name(code), "code %d", code);
		for (unsigned sub = 0; sub <= defined[i].max_sub; sub++) {
			if (code == ERR_OPEN && sub >= 8 && sub <= 10)
				continue; /* deprecated, unassigned to anything readable */
			cr_assert_not_null(bgp_err_subcode_name(code, (uint8_t)sub), "%d/%u", code,
			                   sub);
		}
		cr_assert_null(bgp_err_subcode_name(code, (uint8_t)(defined[i].max_sub + 1)),
		               "code %d", code);
	}
	cr_assert_str_eq(bgp_err_subcode_name(ERR_CEASE, ERR_CEASE_HARD_RESET), "hard reset");
	cr_assert_str_eq(bgp_err_subcode_name(ERR_CEASE, ERR_CEASE_BFD_DOWN), "BFD down");
	cr_assert_str_eq(bgp_err_subcode_name(ERR_OPEN, ERR_OPEN_ROLE), "role mismatch");
	cr_assert_str_eq(bgp_err_subcode_name(ERR_OPEN, 0), "unspecific");
}
