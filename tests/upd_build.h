/* Test-only helpers that build UPDATE messages from their three parts, so that a test case
 * names only the bytes it is about and the lengths come out right.
 *
 *   static const struct upd_part attrs = UPD_BYTES(A_ORIGIN(0), A_AS_PATH_SEQ1(65001), ...);
 *   size_t len = upd_build(buf, sizeof(buf), UPD_NONE, attrs, UPD_BYTES(24, 10, 1, 2));
 *
 * The attribute macros expand to comma-separated octets, so they nest inside UPD_BYTES and
 * inside array initializers. Each comes with a _LEN constant for computing error offsets. */
#ifndef PRISM_TESTS_UPD_BUILD_H
#define PRISM_TESTS_UPD_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/bgp.h"

struct upd_part {
	const uint8_t *p;
	size_t n;
};

#define UPD_BYTES(...)                                                                     \
	{                                                                                  \
		(const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }) \
	}
#define UPD_NONE        \
	{               \
		NULL, 0 \
	}

/* Octets of a number, most significant first. */
#define U16(x) (uint8_t)((x) >> 8), (uint8_t)(x)
#define U32(x) (uint8_t)((uint32_t)(x) >> 24), (uint8_t)((uint32_t)(x) >> 16), U16(x)

/* Well-formed attributes, as a 4-octet speaker sends them. */
#define A_ORIGIN(v)            0x40, ATTR_ORIGIN, 1, (v)
#define A_AS_PATH_EMPTY        0x40, ATTR_AS_PATH, 0
#define A_AS_PATH_SEQ1(as)     0x40, ATTR_AS_PATH, 6, ASPATH_SEQUENCE, 1, U32(as)
#define A_AS_PATH2_SEQ1(as)    0x40, ATTR_AS_PATH, 4, ASPATH_SEQUENCE, 1, U16(as)
#define A_NEXT_HOP(a, b, c, d) 0x40, ATTR_NEXT_HOP, 4, (a), (b), (c), (d)
#define A_MED(v)               0x80, ATTR_MED, 4, U32(v)
#define A_LOCAL_PREF(v)        0x40, ATTR_LOCAL_PREF, 4, U32(v)
#define A_COMMUNITY1(hi, lo)   0xc0, ATTR_COMMUNITIES, 4, U16(hi), U16(lo)

enum {
	A_ORIGIN_LEN = 4,
	A_AS_PATH_EMPTY_LEN = 3,
	A_AS_PATH_SEQ1_LEN = 9,
	A_AS_PATH2_SEQ1_LEN = 7,
	A_NEXT_HOP_LEN = 7,
	A_MED_LEN = 7,
	A_LOCAL_PREF_LEN = 7,
	A_COMMUNITY1_LEN = 7,
};

/* ORIGIN IGP, AS_PATH 65001, NEXT_HOP 192.0.2.1: the minimum for IPv4 NLRI. */
#define A_BASE A_ORIGIN(ORIGIN_IGP), A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1)
enum { A_BASE_LEN = A_ORIGIN_LEN + A_AS_PATH_SEQ1_LEN + A_NEXT_HOP_LEN };

/* Byte offsets of the parts of a message built by upd_build(). */
static inline size_t upd_withdrawn_off(void) { return BGP_HDR_LEN + 2; }
static inline size_t upd_attrs_off(size_t withdrawn_len)
{
	return BGP_HDR_LEN + 2 + withdrawn_len + 2;
}
static inline size_t upd_nlri_off(size_t withdrawn_len, size_t attrs_len)
{
	return upd_attrs_off(withdrawn_len) + attrs_len;
}

static inline void upd_put_header(uint8_t *out, size_t len)
{
	memset(out, 0xff, BGP_MARKER_LEN);
	out[16] = (uint8_t)(len >> 8);
	out[17] = (uint8_t)len;
	out[18] = BGP_UPDATE;
}

/* Writes header, withdrawn routes, path attributes and NLRI with their lengths. Returns the
 * message length, or 0 when it does not fit in cap. */
static inline size_t upd_build(uint8_t *out, size_t cap, struct upd_part withdrawn,
                               struct upd_part attrs, struct upd_part nlri)
{
	size_t len = BGP_HDR_LEN + 2 + withdrawn.n + 2 + attrs.n + nlri.n;
	if (len > cap || len > 65535 || withdrawn.n > 65535 || attrs.n > 65535)
		return 0;
	uint8_t *p = out + BGP_HDR_LEN;
	*p++ = (uint8_t)(withdrawn.n >> 8);
	*p++ = (uint8_t)withdrawn.n;
	if (withdrawn.n)
		memcpy(p, withdrawn.p, withdrawn.n);
	p += withdrawn.n;
	*p++ = (uint8_t)(attrs.n >> 8);
	*p++ = (uint8_t)attrs.n;
	if (attrs.n)
		memcpy(p, attrs.p, attrs.n);
	p += attrs.n;
	if (nlri.n)
		memcpy(p, nlri.p, nlri.n);
	upd_put_header(out, len);
	return len;
}

/* A message whose body (everything after the 19-octet header) is given verbatim, for the
 * cases where the length fields themselves are wrong. */
static inline size_t upd_build_raw(uint8_t *out, size_t cap, struct upd_part body)
{
	size_t len = BGP_HDR_LEN + body.n;
	if (len > cap || len > 65535)
		return 0;
	if (body.n)
		memcpy(out + BGP_HDR_LEN, body.p, body.n);
	upd_put_header(out, len);
	return len;
}

/* Appends one attribute TLV at out[*at], with the extended-length flag when the value needs
 * it or when flags already ask for it. Returns the TLV length, or 0 when it does not fit. */
static inline size_t upd_put_attr(uint8_t *out, size_t cap, size_t *at, uint8_t flags, uint8_t code,
                                  const void *val, size_t len)
{
	if (len > 255)
		flags |= ATTR_FLAG_EXTLEN;
	size_t hdr = flags & ATTR_FLAG_EXTLEN ? 4 : 3;
	if (*at + hdr + len > cap || len > 65535)
		return 0;
	uint8_t *p = out + *at;
	*p++ = flags;
	*p++ = code;
	if (hdr == 4)
		*p++ = (uint8_t)(len >> 8);
	*p++ = (uint8_t)len;
	if (len)
		memcpy(p, val, len);
	*at += hdr + len;
	return hdr + len;
}

/* A path attribute field assembled at run time, for values too long or too many to write
 * out by hand. */
struct upd_attrs {
	size_t n;
	int overflow;
	uint8_t b[65536];
};

static inline void upd_attrs_add(struct upd_attrs *l, uint8_t flags, uint8_t code, const void *val,
                                 size_t len)
{
	if (!upd_put_attr(l->b, sizeof(l->b), &l->n, flags, code, val, len))
		l->overflow = 1;
}

#define UPD_ATTR(l, flags, code, ...)                                         \
	upd_attrs_add((l), (flags), (code), (const uint8_t[]){ __VA_ARGS__ }, \
	              sizeof((const uint8_t[]){ __VA_ARGS__ }))

static inline struct upd_part upd_attrs_part(const struct upd_attrs *l)
{
	return (struct upd_part){ l->b, l->n };
}

/* A part over a whole array. */
#define UPD_PART(arr) ((struct upd_part){ (arr), sizeof(arr) })

#endif
