/* Message framing, the common header, KEEPALIVE and ROUTE-REFRESH (RFC 4271 4.1, RFC 7313). */
#include <stdint.h>
#include <string.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"

enum {
	MSG_LEN_OFF = 16, /* length field, after the marker */
	MSG_TYPE_OFF = 18,
	MSG_OPEN_MIN = 29,
	MSG_UPDATE_MIN = 23,
	MSG_NOTIFICATION_MIN = 21,
	MSG_KEEPALIVE_LEN = 19,
	MSG_REFRESH_LEN = 23,
};

static bool msg_marker_ok(const uint8_t *buf)
{
	for (size_t i = 0; i < BGP_MARKER_LEN; i++)
		if (buf[i] != 0xff)
			return false;
	return true;
}

/* ROUTE-REFRESH has no rule here: RFC 7313 answers its bad length with 7/1, not 1/2, and
 * msg_refresh_decode() does that. OPEN is held to 4096 even on an extended-message session,
 * since RFC 8654 section 4 leaves OPEN and KEEPALIVE out of the extension. */
static bool msg_type_len_ok(uint8_t type, uint16_t len)
{
	switch (type) {
	case BGP_OPEN:
		return len >= MSG_OPEN_MIN && len <= BGP_MAX_LEN;
	case BGP_UPDATE:
		return len >= MSG_UPDATE_MIN;
	case BGP_NOTIFICATION:
		return len >= MSG_NOTIFICATION_MIN;
	case BGP_KEEPALIVE:
		return len == MSG_KEEPALIVE_LEN;
	default:
		return true;
	}
}

static int msg_header_check(const uint8_t *buf, size_t max_len, struct msg_err *e)
{
	uint16_t len = get_u16(buf + MSG_LEN_OFF);
	uint8_t type = buf[MSG_TYPE_OFF];

	if (!msg_marker_ok(buf)) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_NOT_SYNC, 0, "marker is not all ones", NULL, 0);
		return -1;
	}
	if (len < BGP_HDR_LEN || len > max_len) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_BAD_LENGTH, MSG_LEN_OFF,
		            "length outside 19 and the session maximum", buf + MSG_LEN_OFF, 2);
		return -1;
	}
	if (!bgp_msg_type_name(type)) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_BAD_TYPE, MSG_TYPE_OFF, "unknown message type",
		            buf + MSG_TYPE_OFF, 1);
		return -1;
	}
	if (!msg_type_len_ok(type, len)) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_BAD_LENGTH, MSG_LEN_OFF,
		            "length wrong for the message type", buf + MSG_LEN_OFF, 2);
		return -1;
	}
	return 0;
}

/* h is filled as soon as the header is valid, even when 0 says the body is still to come,
 * so a reader knows how many bytes to wait for. */
int msg_frame(const uint8_t *buf, size_t avail, size_t max_len, struct msg_hdr *h,
              struct msg_err *e)
{
	if (avail < BGP_HDR_LEN)
		return 0;
	if (msg_header_check(buf, max_len, e) < 0)
		return -1;
	h->len = get_u16(buf + MSG_LEN_OFF);
	h->type = buf[MSG_TYPE_OFF];
	return avail < h->len ? 0 : 1;
}

void msg_put_header(uint8_t *out, uint8_t type, uint16_t len)
{
	memset(out, 0xff, BGP_MARKER_LEN);
	put_u16(out + MSG_LEN_OFF, len);
	out[MSG_TYPE_OFF] = type;
}

size_t msg_keepalive_encode(uint8_t *out, size_t cap)
{
	if (cap < MSG_KEEPALIVE_LEN)
		return 0;
	msg_put_header(out, BGP_KEEPALIVE, MSG_KEEPALIVE_LEN);
	return MSG_KEEPALIVE_LEN;
}

/* Every subtype is returned, known or not: RFC 7313 says to ignore an unknown one, and that
 * is the session's decision, not the codec's. */
int msg_refresh_decode(const uint8_t *msg, size_t len, struct msg_refresh *r, struct msg_err *e)
{
	struct rbuf rb;

	if (len != MSG_REFRESH_LEN) {
		msg_err_set(e, ERR_ROUTE_REFRESH, ERR_RR_BAD_LENGTH, 0,
		            "ROUTE-REFRESH length is not 23", msg, len);
		return -1;
	}
	rb = rbuf_make(msg, msg + BGP_HDR_LEN, len - BGP_HDR_LEN);
	if (rbuf_u16(&rb, &r->afi) < 0 || rbuf_u8(&rb, &r->subtype) < 0 ||
	    rbuf_u8(&rb, &r->safi) < 0) {
		msg_err_set(e, ERR_ROUTE_REFRESH, ERR_RR_BAD_LENGTH, 0, "ROUTE-REFRESH truncated",
		            msg, len);
		return -1;
	}
	return 0;
}

size_t msg_refresh_encode(const struct msg_refresh *r, uint8_t *out, size_t cap)
{
	struct wbuf w;

	if (cap < MSG_REFRESH_LEN)
		return 0;
	msg_put_header(out, BGP_ROUTE_REFRESH, MSG_REFRESH_LEN);
	w = wbuf_make(out + BGP_HDR_LEN, cap - BGP_HDR_LEN);
	wbuf_u16(&w, r->afi);
	wbuf_u8(&w, r->subtype);
	wbuf_u8(&w, r->safi);
	return w.overflow ? 0 : MSG_REFRESH_LEN;
}
