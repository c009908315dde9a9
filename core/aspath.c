/* AS_PATH and AS4_PATH values. Inside prism every path is 4-octet; the 2-octet form exists
 * only on the wire to OLD speakers (RFC 6793). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"

static bool aspath_seg_is_confed(uint8_t type)
{
	return type == ASPATH_CONFED_SEQUENCE || type == ASPATH_CONFED_SET;
}

int aspath_validate(const uint8_t *val, size_t len, int as_size, bool allow_confed,
                    const char **reason)
{
	size_t off = 0;
	while (off < len) {
		if (len - off < 2) {
			*reason = "AS_PATH segment header overruns the attribute";
			return -1;
		}
		uint8_t type = val[off], count = val[off + 1];
		if (type < ASPATH_SET || type > ASPATH_CONFED_SET) {
			*reason = "AS_PATH segment type is not 1 to 4";
			return -1;
		}
		if (aspath_seg_is_confed(type) && !allow_confed) {
			*reason = "confederation segment where none is allowed";
			return -1;
		}
		if (count == 0) {
			*reason = "AS_PATH segment of length zero";
			return -1;
		}
		off += 2;
		if (len - off < (size_t)count * (size_t)as_size) {
			*reason = "AS_PATH segment overruns the attribute";
			return -1;
		}
		off += (size_t)count * (size_t)as_size;
	}
	return 0;
}

size_t aspath_widen(const uint8_t *val, size_t len, uint8_t *out)
{
	size_t in = 0, o = 0;
	while (in + 2 <= len) {
		uint8_t count = val[in + 1];
		out[o++] = val[in];
		out[o++] = count;
		in += 2;
		for (unsigned i = 0; i < count; i++, in += 2, o += 4)
			put_u32(out + o, get_u16(val + in));
	}
	return o;
}

unsigned aspath_hops(const uint8_t *val4, size_t len)
{
	unsigned hops = 0;
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)val4[off + 1] * 4) {
		uint8_t type = val4[off];
		if (type == ASPATH_SEQUENCE)
			hops += val4[off + 1];
		else if (type == ASPATH_SET)
			hops += 1;
	}
	return hops;
}

/* Confederation segments come first and are skipped; a path that then begins with an
 * AS_SET has no single neighbour AS (RFC 4271 9.1.2.2 c). */
uint32_t aspath_first_as(const uint8_t *val4, size_t len)
{
	for (size_t off = 0; off + 6 <= len; off += 2 + (size_t)val4[off + 1] * 4) {
		if (val4[off] == ASPATH_SEQUENCE)
			return get_u32(val4 + off + 2);
		if (val4[off] == ASPATH_SET)
			return 0;
	}
	return 0;
}

/* Copies segment [off] of path into out, keeping only its first keep ASNs. */
static size_t aspath_copy_seg(const uint8_t *seg, unsigned keep, uint8_t *out)
{
	out[0] = seg[0];
	out[1] = (uint8_t)keep;
	memcpy(out + 2, seg + 2, (size_t)keep * 4);
	return 2 + (size_t)keep * 4;
}

size_t aspath_merge_as4(const uint8_t *path, size_t path_len, const uint8_t *as4, size_t as4_len,
                        uint8_t *out, size_t out_size)
{
	unsigned n_path = aspath_hops(path, path_len), n_as4 = aspath_hops(as4, as4_len);
	size_t o = 0;

	if (n_path < n_as4 || path_len + as4_len > out_size) {
		/* RFC 6793 4.2.3: AS4_PATH longer than AS_PATH is ignored. */
		if (path_len > out_size)
			return 0;
		memcpy(out, path, path_len);
		return path_len;
	}
	/* Keep the leading (n_path - n_as4) ASNs of AS_PATH and every confederation segment
	 * (AS4_PATH never carries those), then append the whole AS4_PATH. */
	unsigned budget = n_path - n_as4;
	for (size_t off = 0; off + 2 <= path_len;) {
		uint8_t type = path[off], count = path[off + 1];
		if (aspath_seg_is_confed(type)) {
			o += aspath_copy_seg(path + off, count, out + o);
		} else if (type == ASPATH_SEQUENCE && budget > 0) {
			unsigned keep = count < budget ? count : budget;
			o += aspath_copy_seg(path + off, keep, out + o);
			budget -= keep;
		} else if (type == ASPATH_SET && budget > 0) {
			o += aspath_copy_seg(path + off, count, out + o);
			budget -= 1;
		}
		off += 2 + (size_t)count * 4;
	}
	memcpy(out + o, as4, as4_len);
	return o + as4_len;
}

bool aspath_write_narrow(struct wbuf *w, const uint8_t *val4, size_t len)
{
	bool needs_as4 = false;
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)val4[off + 1] * 4) {
		uint8_t count = val4[off + 1];
		wbuf_u8(w, val4[off]);
		wbuf_u8(w, count);
		for (unsigned i = 0; i < count; i++) {
			uint32_t asn = get_u32(val4 + off + 2 + (size_t)i * 4);
			if (asn > 0xffff) {
				needs_as4 = true;
				asn = BGP_AS_TRANS;
			}
			wbuf_u16(w, (uint16_t)asn);
		}
	}
	return needs_as4;
}

void aspath_write_as4(struct wbuf *w, const uint8_t *val4, size_t len)
{
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)val4[off + 1] * 4) {
		size_t seg_len = 2 + (size_t)val4[off + 1] * 4;
		if (!aspath_seg_is_confed(val4[off]))
			wbuf_bytes(w, val4 + off, seg_len);
	}
}
