/* NOTIFICATION decode and encode (RFC 4271 4.5), with the shutdown communication of
 * RFC 8203 as lengthened to 255 octets by RFC 9003. */
#include <stdint.h>
#include <string.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"

enum {
	NOTIFY_MIN_LEN = BGP_HDR_LEN + 2,
	SHUTDOWN_MAX = 255, /* RFC 9003 */
};

/* Octets in the UTF-8 sequence led by b, or 0 when b cannot lead one (RFC 3629). */
static size_t notify_utf8_seq_len(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

/* The range of the second octet depends on the lead: it is what rules out overlong forms,
 * UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF. */
static bool notify_utf8_second_ok(uint8_t lead, uint8_t b)
{
	uint8_t lo = 0x80, hi = 0xbf;

	if (lead == 0xe0)
		lo = 0xa0;
	else if (lead == 0xed)
		hi = 0x9f;
	else if (lead == 0xf0)
		lo = 0x90;
	else if (lead == 0xf4)
		hi = 0x8f;
	return b >= lo && b <= hi;
}

static bool notify_utf8_seq_ok(const uint8_t *s, size_t n)
{
	if (n < 2)
		return true;
	if (!notify_utf8_second_ok(s[0], s[1]))
		return false;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return false;
	return true;
}

/* NUL is refused although it is valid UTF-8: shutdown_msg is a C string, and a NUL would
 * silently hide what follows it. */
static bool notify_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = notify_utf8_seq_len(s[i]);
		if (n == 0 || s[i] == 0 || n > len - i || !notify_utf8_seq_ok(s + i, n))
			return false;
		i += n;
	}
	return true;
}

static bool notify_has_shutdown(uint8_t code, uint8_t subcode)
{
	return code == ERR_CEASE &&
	       (subcode == ERR_CEASE_ADMIN_SHUTDOWN || subcode == ERR_CEASE_ADMIN_RESET);
}

/* A malformed communication is only logged by the receiver (RFC 9003 section 4), so this
 * never fails: it just leaves has_shutdown_msg false. A length of 0 means "no message". */
static void notify_parse_shutdown(struct msg_notification *n)
{
	struct rbuf r;
	const uint8_t *text;
	uint8_t len;

	n->has_shutdown_msg = false;
	n->shutdown_msg[0] = '\0';
	if (!n->data_len)
		return;
	r = rbuf_make(n->data, n->data, n->data_len);
	if (rbuf_u8(&r, &len) < 0 || len == 0 || rbuf_bytes(&r, len, &text) < 0)
		return;
	if (!notify_utf8_valid(text, len))
		return;
	memcpy(n->shutdown_msg, text, len);
	n->shutdown_msg[len] = '\0';
	n->has_shutdown_msg = true;
}

int msg_notification_decode(const uint8_t *msg, size_t len, struct msg_notification *n,
                            struct msg_err *e)
{
	struct rbuf r;
	const uint8_t *data;

	memset(n, 0, sizeof(*n));
	if (len < NOTIFY_MIN_LEN || len > BGP_EXT_MAX_LEN) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_BAD_LENGTH, 0, "NOTIFICATION length", NULL, 0);
		return -1;
	}
	r = rbuf_make(msg, msg + BGP_HDR_LEN, len - BGP_HDR_LEN);
	if (rbuf_u8(&r, &n->code) < 0 || rbuf_u8(&r, &n->subcode) < 0)
		return -1; /* cannot happen after the length check; the getters are the rule */
	n->data_len = (uint16_t)rbuf_left(&r);
	if (rbuf_bytes(&r, n->data_len, &data) < 0)
		return -1;
	n->data = n->data_len ? data : NULL;
	if (notify_has_shutdown(n->code, n->subcode))
		notify_parse_shutdown(n);
	return 0;
}

size_t msg_notification_encode(uint8_t code, uint8_t subcode, const uint8_t *data, size_t data_len,
                               uint8_t *out, size_t cap)
{
	size_t len = NOTIFY_MIN_LEN + data_len;
	struct wbuf w;

	if (data_len > BGP_EXT_MAX_LEN - NOTIFY_MIN_LEN || len > cap)
		return 0;
	msg_put_header(out, BGP_NOTIFICATION, (uint16_t)len);
	w = wbuf_make(out + BGP_HDR_LEN, cap - BGP_HDR_LEN);
	wbuf_u8(&w, code);
	wbuf_u8(&w, subcode);
	wbuf_bytes(&w, data, data_len);
	return w.overflow ? 0 : len;
}

/* The longest prefix of text, up to SHUTDOWN_MAX octets, that ends on a character boundary:
 * a cut never lands before a continuation octet (10xxxxxx). */
static size_t notify_shutdown_cut(const char *text)
{
	size_t len = strnlen(text, SHUTDOWN_MAX + 1);

	if (len <= SHUTDOWN_MAX)
		return len;
	len = SHUTDOWN_MAX;
	while (len > 0 && ((uint8_t)text[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* NULL text sends a plain Cease with no data; "" sends the explicit empty communication. */
size_t msg_notification_encode_shutdown(uint8_t subcode, const char *text, uint8_t *out, size_t cap)
{
	uint8_t data[1 + SHUTDOWN_MAX];
	size_t len;

	if (!text)
		return msg_notification_encode(ERR_CEASE, subcode, NULL, 0, out, cap);
	len = notify_shutdown_cut(text);
	data[0] = (uint8_t)len;
	memcpy(data + 1, text, len);
	return msg_notification_encode(ERR_CEASE, subcode, data, 1 + len, out, cap);
}

/* The data is cut to fit cap rather than failing: a NOTIFICATION with part of the offending
 * bytes still tells the peer why the session went down, and none at all tells it nothing. */
size_t msg_notification_encode_err(const struct msg_err *e, uint8_t *out, size_t cap)
{
	size_t data_len = e->data ? e->data_len : 0;

	if (cap < NOTIFY_MIN_LEN)
		return 0;
	if (data_len > cap - NOTIFY_MIN_LEN)
		data_len = cap - NOTIFY_MIN_LEN;
	return msg_notification_encode(e->code, e->subcode, e->data, data_len, out, cap);
}
