/* Attribute sets in canonical form: walking, building and deriving the fast-read fields. */
#include <string.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"

static size_t attr_key_tlv_start(const struct attr *a) { return 1u + a->key[0]; }

struct attr_iter attr_iter_start(const struct attr *a)
{
	return (struct attr_iter){ .p = a->key + attr_key_tlv_start(a),
		                   .end = a->key + a->key_len };
}

/* The key was written by attr_builder_finish(), so TLV headers are trusted to be whole;
 * the checks still refuse to step past the end. */
bool attr_iter_next(struct attr_iter *it)
{
	if (it->end - it->p < 3)
		return false;
	const uint8_t *p = it->p;
	size_t hdr = p[0] & ATTR_FLAG_EXTLEN ? 4 : 3;
	if ((size_t)(it->end - p) < hdr)
		return false;
	it->flags = p[0];
	it->code = p[1];
	it->len = hdr == 4 ? get_u16(p + 2) : p[2];
	if ((size_t)(it->end - p) - hdr < it->len)
		return false;
	it->tlv = p;
	it->val = p + hdr;
	it->tlv_len = (uint16_t)(hdr + it->len);
	it->p = p + hdr + it->len;
	return true;
}

const uint8_t *attr_get(const struct attr *a, uint8_t code, uint16_t *len)
{
	if (code < 64 && !attr_has(a, code))
		return NULL;
	struct attr_iter it = attr_iter_start(a);
	while (attr_iter_next(&it)) {
		if (it.code == code) {
			*len = it.len;
			return it.val;
		}
		if (it.code > code)
			break;
	}
	return NULL;
}

void attr_builder_from(struct attr_builder *b, const struct attr *a)
{
	b->nh_len = a->key[0];
	memcpy(b->nh, a->key + 1, b->nh_len);
	b->n = 0;
	struct attr_iter it = attr_iter_start(a);
	while (attr_iter_next(&it))
		attr_builder_set(b, it.flags, it.code, it.val, it.len);
}

void attr_builder_set(struct attr_builder *b, uint8_t flags, uint8_t code, const uint8_t *val,
                      uint16_t len)
{
	unsigned i = 0;
	while (i < b->n && b->tlv[i].code != code)
		i++;
	if (i == b->n) {
		if (b->n >= 256)
			return; /* cannot happen: codes are unique and there are 256 */
		b->n++;
	}
	b->tlv[i].flags = flags & (uint8_t)~ATTR_FLAG_EXTLEN;
	b->tlv[i].code = code;
	b->tlv[i].len = len;
	b->tlv[i].val = val;
}

void attr_builder_remove(struct attr_builder *b, uint8_t code)
{
	for (unsigned i = 0; i < b->n; i++) {
		if (b->tlv[i].code == code) {
			b->tlv[i] = b->tlv[--b->n];
			return;
		}
	}
}

/* Insertion sort: sets are small and usually arrive nearly in order. */
static void attr_builder_sort(unsigned n, unsigned order[])
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && order[j - 1] > order[j]; j--) {
			unsigned t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

struct attr *attr_builder_finish(const struct attr_builder *b, void *out, size_t out_size)
{
	if (out_size < sizeof(struct attr))
		return NULL;
	struct attr *a = out;
	struct wbuf w = wbuf_make(a->key, out_size - sizeof(struct attr));
	unsigned order[256];

	for (unsigned i = 0; i < b->n; i++)
		order[i] = (unsigned)b->tlv[i].code << 8 | i;
	attr_builder_sort(b->n, order);

	wbuf_u8(&w, b->nh_len);
	wbuf_bytes(&w, b->nh, b->nh_len);
	for (unsigned k = 0; k < b->n; k++) {
		unsigned i = order[k] & 0xff;
		uint16_t len = b->tlv[i].len;
		bool ext = len > 255;
		wbuf_u8(&w, b->tlv[i].flags | (ext ? ATTR_FLAG_EXTLEN : 0));
		wbuf_u8(&w, b->tlv[i].code);
		if (ext)
			wbuf_u16(&w, len);
		else
			wbuf_u8(&w, (uint8_t)len);
		wbuf_bytes(&w, b->tlv[i].val, len);
	}
	if (w.overflow)
		return NULL;
	a->key_len = (uint32_t)w.len;
	a->refcnt = 0;
	a->hash = 0;
	return attr_derive(a) == 0 ? a : NULL;
}

static void attr_derive_one(struct attr *a, const struct attr_iter *it)
{
	switch (it->code) {
	case ATTR_ORIGIN:
		a->origin = it->len ? it->val[0] : 0;
		break;
	case ATTR_AS_PATH:
		a->aspath_hops = (uint16_t)aspath_hops(it->val, it->len);
		break;
	case ATTR_NEXT_HOP:
		a->nexthop = it->len == 4 ? get_u32(it->val) : 0;
		break;
	case ATTR_MED:
		a->med = it->len == 4 ? get_u32(it->val) : 0;
		break;
	case ATTR_LOCAL_PREF:
		a->local_pref = it->len == 4 ? get_u32(it->val) : 0;
		break;
	case ATTR_ORIGINATOR_ID:
		a->originator_id = it->len == 4 ? get_u32(it->val) : 0;
		break;
	case ATTR_CLUSTER_LIST:
		a->cluster_len = (uint16_t)(it->len / 4);
		break;
	default:
		break;
	}
}

int attr_derive(struct attr *a)
{
	if (a->key_len < 1 || a->key_len < 1u + a->key[0])
		return -1;
	a->present = 0;
	a->origin = 0;
	a->med = a->local_pref = a->originator_id = a->nexthop = 0;
	a->aspath_hops = a->cluster_len = 0;

	struct attr_iter it = attr_iter_start(a);
	int last = -1;
	while (attr_iter_next(&it)) {
		if ((int)it.code <= last)
			return -1; /* not canonical: out of order or repeated */
		last = it.code;
		if (it.code < 64)
			a->present |= UINT64_C(1) << it.code;
		attr_derive_one(a, &it);
	}
	return it.p == it.end ? 0 : -1;
}
