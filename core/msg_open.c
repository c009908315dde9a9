/* OPEN decode and encode (RFC 4271 4.2), capabilities (RFC 5492) and extended optional
 * parameters (RFC 9072).
 *
 * Every capability is kept raw, in order, with the index of the optional parameter that
 * carried it; the encoder regroups them by that index, so encode(decode(x)) == x whether a
 * speaker packs all its capabilities into one parameter (BIRD, GoBGP) or gives each its own
 * (FRR). Known capabilities are also parsed into o->parsed for negotiation.
 *
 * Inconsistent lengths inside the OPEN (optional parameters not filling the message exactly,
 * a parameter or capability running past its container) answer 2/0, OPEN error "unspecific":
 * RFC 4271 6.2 names 2/0 for a recognized but malformed optional parameter, while 1/2 is for
 * the header length, which msg_frame() has already checked. */
#include <stdint.h>
#include <string.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"

enum {
	OPEN_FIXED_LEN = 10,  /* version, my AS, hold time, BGP identifier, opt param length */
	OPEN_PARAM_MAX = 255, /* o->caps[].param is one octet */
	OPEN_NONEXT_MAX = 255,
};

/* Outcome of parsing one capability value. */
enum open_cap_res { CAP_RES_OK = 0, CAP_RES_MALFORMED = -1, CAP_RES_BAD_AS = -2 };

/* ---- capability values ---- */

static int open_parse_mp(struct bgp_caps *c, struct rbuf *v)
{
	uint16_t afi;
	uint8_t reserved, safi;

	if (rbuf_left(v) != 4 || rbuf_u16(v, &afi) < 0 || rbuf_u8(v, &reserved) < 0 ||
	    rbuf_u8(v, &safi) < 0)
		return CAP_RES_MALFORMED;
	if (c->n_mp < CAPS_MAX_AF)
		c->mp[c->n_mp++] = (struct afi_safi){ .afi = afi, .safi = safi };
	return CAP_RES_OK;
}

/* Route refresh, enhanced route refresh and extended message: presence is the whole value. */
static int open_parse_flag(bool *flag, struct rbuf *v)
{
	if (rbuf_left(v) != 0)
		return CAP_RES_MALFORMED;
	*flag = true;
	return CAP_RES_OK;
}

/* RFC 4724: 4 flag bits and a 12-bit restart time, then (AFI, SAFI, flags) tuples. A second
 * GR capability replaces the first rather than mixing with it. */
static int open_parse_gr(struct bgp_caps *c, struct rbuf *v)
{
	uint16_t hdr, afi;
	uint8_t safi, flags;

	if (rbuf_u16(v, &hdr) < 0 || rbuf_left(v) % 4 != 0)
		return CAP_RES_MALFORMED;
	c->gr.present = true;
	c->gr.flags = (uint8_t)(hdr >> 12);
	c->gr.restart_time = hdr & 0x0fff;
	c->gr.n = 0;
	while (rbuf_left(v) > 0) {
		if (rbuf_u16(v, &afi) < 0 || rbuf_u8(v, &safi) < 0 || rbuf_u8(v, &flags) < 0)
			return CAP_RES_MALFORMED;
		if (c->gr.n < CAPS_MAX_AF) {
			c->gr.af[c->gr.n].afi = afi;
			c->gr.af[c->gr.n].safi = safi;
			c->gr.af[c->gr.n++].flags = flags;
		}
	}
	return CAP_RES_OK;
}

/* RFC 7607: AS 0 is a bad peer AS wherever it appears, the AS4 capability included. */
static int open_parse_as4(struct bgp_caps *c, struct rbuf *v)
{
	uint32_t as;

	if (rbuf_left(v) != 4 || rbuf_u32(v, &as) < 0)
		return CAP_RES_MALFORMED;
	if (as == 0)
		return CAP_RES_BAD_AS;
	c->has_as4 = true;
	c->as4 = as;
	return CAP_RES_OK;
}

static int open_parse_addpath(struct bgp_caps *c, struct rbuf *v)
{
	uint16_t afi;
	uint8_t safi, mode;

	if (rbuf_left(v) == 0 || rbuf_left(v) % 4 != 0)
		return CAP_RES_MALFORMED;
	while (rbuf_left(v) > 0) {
		if (rbuf_u16(v, &afi) < 0 || rbuf_u8(v, &safi) < 0 || rbuf_u8(v, &mode) < 0)
			return CAP_RES_MALFORMED;
		if (mode < ADDPATH_RECV || mode > ADDPATH_BOTH)
			return CAP_RES_MALFORMED;
		if (c->addpath.n < CAPS_MAX_AF) {
			c->addpath.af[c->addpath.n].afi = afi;
			c->addpath.af[c->addpath.n].safi = safi;
			c->addpath.af[c->addpath.n++].mode = mode;
		}
	}
	return CAP_RES_OK;
}

/* RFC 9494: (AFI, SAFI, flags, 24-bit stale time) tuples; an empty value is legal. */
static int open_parse_llgr(struct bgp_caps *c, struct rbuf *v)
{
	uint16_t afi, stale_lo;
	uint8_t safi, flags, stale_hi;

	if (rbuf_left(v) % 7 != 0)
		return CAP_RES_MALFORMED;
	c->llgr.present = true;
	c->llgr.n = 0;
	while (rbuf_left(v) > 0) {
		if (rbuf_u16(v, &afi) < 0 || rbuf_u8(v, &safi) < 0 || rbuf_u8(v, &flags) < 0 ||
		    rbuf_u8(v, &stale_hi) < 0 || rbuf_u16(v, &stale_lo) < 0)
			return CAP_RES_MALFORMED;
		if (c->llgr.n < CAPS_MAX_AF) {
			c->llgr.af[c->llgr.n].afi = afi;
			c->llgr.af[c->llgr.n].safi = safi;
			c->llgr.af[c->llgr.n].flags = flags;
			c->llgr.af[c->llgr.n++].stale_time = (uint32_t)stale_hi << 16 | stale_lo;
		}
	}
	return CAP_RES_OK;
}

/* One length-prefixed string of the FQDN capability, as a C string in out (256 bytes). */
static int open_read_lstring(struct rbuf *v, char *out)
{
	const uint8_t *s;
	uint8_t len;

	if (rbuf_u8(v, &len) < 0 || rbuf_bytes(v, len, &s) < 0)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* draft-walton-bgp-hostname-capability: hostname, then domain name, each length-prefixed. */
static int open_parse_fqdn(struct bgp_caps *c, struct rbuf *v)
{
	if (open_read_lstring(v, c->fqdn.host) < 0 || open_read_lstring(v, c->fqdn.domain) < 0 ||
	    rbuf_left(v) != 0)
		return CAP_RES_MALFORMED;
	c->fqdn.present = true;
	return CAP_RES_OK;
}

/* Parses one capability into c. c may be left half-updated on failure; callers that must
 * stay consistent parse into a copy. Unknown codes are fine: they live on only as raw. */
static int open_cap_parse(struct bgp_caps *c, uint8_t code, const uint8_t *val, uint8_t len)
{
	struct rbuf v = rbuf_make(val, val, len);

	switch (code) {
	case CAP_MP:
		return open_parse_mp(c, &v);
	case CAP_ROUTE_REFRESH:
	case CAP_ROUTE_REFRESH_OLD:
		return open_parse_flag(&c->route_refresh, &v);
	case CAP_EXT_MESSAGE:
		return open_parse_flag(&c->ext_msg, &v);
	case CAP_GRACEFUL_RESTART:
		return open_parse_gr(c, &v);
	case CAP_AS4:
		return open_parse_as4(c, &v);
	case CAP_ADD_PATH:
		return open_parse_addpath(c, &v);
	case CAP_ENHANCED_RR:
		return open_parse_flag(&c->enhanced_rr, &v);
	case CAP_LLGR:
		return open_parse_llgr(c, &v);
	case CAP_FQDN:
		return open_parse_fqdn(c, &v);
	default:
		return CAP_RES_OK;
	}
}

/* ---- decode ---- */

/* Reads one capability (code, length, value) from the parameter p into o. */
static int open_read_cap(struct rbuf *p, uint8_t param, struct msg_open *o, struct msg_err *e)
{
	size_t at = rbuf_offset(p);
	struct open_cap *c;
	const uint8_t *val;
	uint8_t code, len;
	int res;

	if (rbuf_u8(p, &code) < 0 || rbuf_u8(p, &len) < 0 || rbuf_bytes(p, len, &val) < 0) {
		msg_err_set(e, ERR_OPEN, 0, at, "capability overruns its parameter", NULL, 0);
		return -1;
	}
	if (o->n_caps >= OPEN_MAX_CAPS) {
		msg_err_set(e, ERR_OPEN, 0, at, "too many capabilities", NULL, 0);
		return -1;
	}
	c = &o->caps[o->n_caps++];
	c->code = code;
	c->len = len;
	c->param = param;
	memcpy(c->val, val, len);
	res = open_cap_parse(&o->parsed, code, val, len);
	if (res == CAP_RES_BAD_AS)
		msg_err_set(e, ERR_OPEN, ERR_OPEN_BAD_AS, at, "4-octet AS is 0", NULL, 0);
	else if (res != CAP_RES_OK)
		msg_err_set(e, ERR_OPEN, 0, at, "malformed capability", NULL, 0);
	return res == CAP_RES_OK ? 0 : -1;
}

static int open_read_param_len(struct rbuf *r, bool ext, uint16_t *len)
{
	uint8_t len8;

	if (ext)
		return rbuf_u16(r, len);
	if (rbuf_u8(r, &len8) < 0)
		return -1;
	*len = len8;
	return 0;
}

/* Reads one optional parameter; ext says its length field is 2 octets (RFC 9072). */
static int open_read_param(struct rbuf *r, bool ext, struct msg_open *o, struct msg_err *e)
{
	size_t at = rbuf_offset(r);
	struct rbuf p;
	uint16_t len;
	uint8_t type;

	if (rbuf_u8(r, &type) < 0 || open_read_param_len(r, ext, &len) < 0 ||
	    rbuf_sub(r, len, &p) < 0) {
		msg_err_set(e, ERR_OPEN, 0, at, "optional parameter overruns the message", NULL, 0);
		return -1;
	}
	if (type != OPEN_PARAM_CAPABILITIES) {
		msg_err_set(e, ERR_OPEN, ERR_OPEN_OPT_PARAM, at, "unsupported optional parameter",
		            NULL, 0);
		return -1;
	}
	if (o->n_params >= OPEN_PARAM_MAX) {
		msg_err_set(e, ERR_OPEN, 0, at, "too many optional parameters", NULL, 0);
		return -1;
	}
	o->n_params++;
	while (rbuf_left(&p) > 0)
		if (open_read_cap(&p, (uint8_t)(o->n_params - 1), o, e) < 0)
			return -1;
	return 0;
}

/* RFC 9072: a length octet of 255 followed by a type octet of 255 announces a 2-octet
 * length for the whole area and for every parameter in it. */
static int open_read_params_len(struct rbuf *r, struct msg_open *o, uint16_t *len)
{
	struct rbuf peek;
	uint8_t len8, type;

	if (rbuf_u8(r, &len8) < 0)
		return -1;
	*len = len8;
	peek = *r;
	if (len8 != OPEN_NONEXT_MAX || rbuf_u8(&peek, &type) < 0 || type != OPEN_PARAM_EXTENDED)
		return 0;
	*r = peek;
	o->ext_params = true;
	return rbuf_u16(r, len);
}

static int open_read_params(struct rbuf *r, struct msg_open *o, struct msg_err *e)
{
	size_t at = rbuf_offset(r);
	struct rbuf params;
	uint16_t len;

	if (open_read_params_len(r, o, &len) < 0 || rbuf_left(r) != len ||
	    rbuf_sub(r, len, &params) < 0) {
		msg_err_set(e, ERR_OPEN, 0, at, "optional parameters length disagrees with message",
		            NULL, 0);
		return -1;
	}
	while (rbuf_left(&params) > 0)
		if (open_read_param(&params, o->ext_params, o, e) < 0)
			return -1;
	return 0;
}

static int open_read_fixed(struct rbuf *r, struct msg_open *o, struct msg_err *e)
{
	if (rbuf_u8(r, &o->version) < 0 || rbuf_u16(r, &o->my_as) < 0 ||
	    rbuf_u16(r, &o->hold_time) < 0 || rbuf_u32(r, &o->bgp_id) < 0) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_BAD_LENGTH, 0, "OPEN shorter than 29 octets",
		            NULL, 0);
		return -1;
	}
	return 0;
}

/* RFC 4271 6.2. The version error carries the version we do speak, as the RFC asks. */
static int open_check_fixed(const struct msg_open *o, struct msg_err *e)
{
	if (o->version != BGP_VERSION) {
		e->data_buf[0] = 0;
		e->data_buf[1] = BGP_VERSION;
		msg_err_set(e, ERR_OPEN, ERR_OPEN_VERSION, BGP_HDR_LEN, "unsupported BGP version",
		            e->data_buf, 2);
		return -1;
	}
	if (o->my_as == 0) { /* RFC 7607 */
		msg_err_set(e, ERR_OPEN, ERR_OPEN_BAD_AS, BGP_HDR_LEN + 1, "peer AS is 0", NULL, 0);
		return -1;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		msg_err_set(e, ERR_OPEN, ERR_OPEN_HOLD_TIME, BGP_HDR_LEN + 3,
		            "hold time of 1 or 2 seconds", NULL, 0);
		return -1;
	}
	if (o->bgp_id == 0) {
		msg_err_set(e, ERR_OPEN, ERR_OPEN_BAD_ID, BGP_HDR_LEN + 5, "BGP identifier is 0",
		            NULL, 0);
		return -1;
	}
	return 0;
}

int msg_open_decode(const uint8_t *msg, size_t len, struct msg_open *o, struct msg_err *e)
{
	struct rbuf r;

	memset(o, 0, sizeof(*o));
	if (len < BGP_HDR_LEN + OPEN_FIXED_LEN) {
		msg_err_set(e, ERR_HEADER, ERR_HDR_BAD_LENGTH, 0, "OPEN shorter than 29 octets",
		            NULL, 0);
		return -1;
	}
	r = rbuf_make(msg, msg + BGP_HDR_LEN, len - BGP_HDR_LEN);
	if (open_read_fixed(&r, o, e) < 0 || open_check_fixed(o, e) < 0)
		return -1;
	return open_read_params(&r, o, e);
}

/* ---- encode ---- */

/* The encoder walks caps[] once, so each parameter's caps must be consecutive and the
 * parameters in rising order, as decode and msg_open_add_cap() leave them. */
static bool open_caps_grouped(const struct msg_open *o)
{
	for (uint8_t i = 1; i < o->n_caps; i++)
		if (o->caps[i].param < o->caps[i - 1].param)
			return false;
	return true;
}

/* Parameters to write: n_params, or more when a capability names a later one. */
static size_t open_param_count(const struct msg_open *o)
{
	size_t n = o->n_params;

	if (o->n_caps > 0 && (size_t)o->caps[o->n_caps - 1].param + 1 > n)
		n = (size_t)o->caps[o->n_caps - 1].param + 1;
	return n;
}

/* RFC 9072 is needed when any parameter, or all of them together, outgrow one octet. */
static bool open_need_ext(const struct msg_open *o, size_t n_params)
{
	size_t total = 0, i = 0;

	for (size_t p = 0; p < n_params; p++) {
		size_t plen = 0;
		for (; i < o->n_caps && o->caps[i].param == p; i++)
			plen += 2 + (size_t)o->caps[i].len;
		if (plen > OPEN_NONEXT_MAX)
			return true;
		total += 2 + plen;
	}
	return total > OPEN_NONEXT_MAX;
}

static void open_put_u8_at(struct wbuf *w, size_t at, uint8_t v)
{
	if (!w->overflow && at < w->len)
		w->base[at] = v;
}

/* Writes a length reserved at at: everything written after its own field. */
static void open_fill_len(struct wbuf *w, size_t at, bool ext)
{
	size_t field = ext ? 2 : 1;
	size_t len = w->len - at - field;

	if (ext)
		wbuf_put_u16_at(w, at, (uint16_t)len);
	else
		open_put_u8_at(w, at, (uint8_t)len);
}

/* Writes parameter p with its capabilities, caps[i] onward; returns the next cap index. */
static uint8_t open_write_param(struct wbuf *w, const struct msg_open *o, size_t p, uint8_t i,
                                bool ext)
{
	size_t at;

	wbuf_u8(w, OPEN_PARAM_CAPABILITIES);
	at = wbuf_reserve(w, ext ? 2 : 1);
	for (; i < o->n_caps && o->caps[i].param == p; i++) {
		wbuf_u8(w, o->caps[i].code);
		wbuf_u8(w, o->caps[i].len);
		wbuf_bytes(w, o->caps[i].val, o->caps[i].len);
	}
	open_fill_len(w, at, ext);
	return i;
}

static void open_write_params(struct wbuf *w, const struct msg_open *o, size_t n_params, bool ext)
{
	size_t at;
	uint8_t i = 0;

	if (ext) {
		wbuf_u8(w, OPEN_NONEXT_MAX);
		wbuf_u8(w, OPEN_PARAM_EXTENDED);
	}
	at = wbuf_reserve(w, ext ? 2 : 1);
	for (size_t p = 0; p < n_params; p++)
		i = open_write_param(w, o, p, i, ext);
	open_fill_len(w, at, ext);
}

/* An OPEN never exceeds 4096 octets, extended messages or not (RFC 8654 section 4). */
size_t msg_open_encode(const struct msg_open *o, uint8_t *out, size_t cap)
{
	size_t n_params = open_param_count(o);
	bool ext;
	struct wbuf w;

	if (!open_caps_grouped(o))
		return 0;
	ext = o->ext_params || open_need_ext(o, n_params);
	w = wbuf_make(out, cap);
	wbuf_reserve(&w, BGP_HDR_LEN);
	wbuf_u8(&w, o->version);
	wbuf_u16(&w, o->my_as);
	wbuf_u16(&w, o->hold_time);
	wbuf_u32(&w, o->bgp_id);
	open_write_params(&w, o, n_params, ext);
	if (w.overflow || w.len > BGP_MAX_LEN)
		return 0;
	msg_put_header(out, BGP_OPEN, (uint16_t)w.len);
	return w.len;
}

/* ---- building ---- */

void msg_open_init(struct msg_open *o, uint32_t asn, uint16_t hold_time, uint32_t bgp_id)
{
	memset(o, 0, sizeof(*o));
	o->version = BGP_VERSION;
	o->my_as = asn > UINT16_MAX ? BGP_AS_TRANS : (uint16_t)asn;
	o->hold_time = hold_time;
	o->bgp_id = bgp_id;
}

/* Parses into a copy first, so a refused capability leaves o exactly as it was. */
int msg_open_add_cap(struct msg_open *o, uint8_t code, const void *val, uint8_t len)
{
	static const uint8_t none[1];
	struct bgp_caps parsed = o->parsed;
	struct open_cap *c;

	if (o->n_caps >= OPEN_MAX_CAPS || (len > 0 && !val))
		return -1;
	if (open_cap_parse(&parsed, code, len > 0 ? val : none, len) != CAP_RES_OK)
		return -1;
	if (o->n_params == 0)
		o->n_params = 1;
	c = &o->caps[o->n_caps++];
	c->code = code;
	c->len = len;
	c->param = (uint8_t)(o->n_params - 1);
	memcpy(c->val, len > 0 ? val : none, len);
	o->parsed = parsed;
	return 0;
}

uint32_t msg_open_peer_as(const struct msg_open *o)
{
	return o->parsed.has_as4 ? o->parsed.as4 : o->my_as;
}
