/* Writing a canonical attribute set to one peer's wire format. MP_REACH_NLRI and
 * MP_UNREACH_NLRI go first; the rest follow in ascending type code order, with AS4_PATH and
 * AS4_AGGREGATOR merged in at their code positions for a 2-octet peer. */
#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"

static void attr_put_hdr(struct wbuf *w, uint8_t flags, uint8_t code, size_t len)
{
	bool ext = len > 255;
	wbuf_u8(w, (uint8_t)((flags & ~ATTR_FLAG_EXTLEN) | (ext ? ATTR_FLAG_EXTLEN : 0)));
	wbuf_u8(w, code);
	if (ext)
		wbuf_u16(w, (uint16_t)len);
	else
		wbuf_u8(w, (uint8_t)len);
}

static size_t attr_prefixes_len(const struct prefix_list *l, bool addpath)
{
	size_t n = 0;
	for (uint32_t i = 0; i < l->n; i++)
		n += prefix_wire_len(&l->v[i], addpath);
	return n;
}

static void attr_put_prefixes(struct wbuf *w, const struct prefix_list *l, bool addpath)
{
	for (uint32_t i = 0; i < l->n; i++)
		prefix_write(w, &l->v[i], addpath);
}

static bool attr_ctx_addpath(const struct msg_ctx *ctx, uint16_t afi)
{
	return ctx->addpath[afi == AFI_IPV6 ? AF_IDX_IPV6 : AF_IDX_IPV4];
}

static void attr_put_mp_reach(struct wbuf *w, const struct mp_reach *m, const struct msg_ctx *ctx)
{
	bool ap = attr_ctx_addpath(ctx, m->afi);
	attr_put_hdr(w, ATTR_FLAG_OPTIONAL, ATTR_MP_REACH_NLRI,
	             5 + (size_t)m->nh_len + attr_prefixes_len(&m->nlri, ap));
	wbuf_u16(w, m->afi);
	wbuf_u8(w, m->safi);
	wbuf_u8(w, m->nh_len);
	wbuf_bytes(w, m->nh, m->nh_len);
	wbuf_u8(w, 0); /* reserved */
	attr_put_prefixes(w, &m->nlri, ap);
}

static void attr_put_mp_unreach(struct wbuf *w, const struct mp_unreach *m,
                                const struct msg_ctx *ctx)
{
	bool ap = attr_ctx_addpath(ctx, m->afi);
	attr_put_hdr(w, ATTR_FLAG_OPTIONAL, ATTR_MP_UNREACH_NLRI,
	             3 + attr_prefixes_len(&m->nlri, ap));
	wbuf_u16(w, m->afi);
	wbuf_u8(w, m->safi);
	attr_put_prefixes(w, &m->nlri, ap);
}

/* Octets of val4 once written with 2-octet ASNs. */
static size_t attr_narrow_len(const uint8_t *val4, size_t len)
{
	size_t n = 0;
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)val4[off + 1] * 4)
		n += 2 + (size_t)val4[off + 1] * 2;
	return n;
}

static size_t attr_as4_path_len(const uint8_t *val4, size_t len)
{
	size_t n = 0;
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)val4[off + 1] * 4)
		if (val4[off] == ASPATH_SET || val4[off] == ASPATH_SEQUENCE)
			n += 2 + (size_t)val4[off + 1] * 4;
	return n;
}

/* What a 2-octet peer needs beyond the set itself. */
struct attr_as4_extra {
	const uint8_t *path;
	uint16_t path_len;
	const uint8_t *aggr;
};

static void attr_put_narrow_path(struct wbuf *w, const struct attr_iter *it,
                                 struct attr_as4_extra *x)
{
	attr_put_hdr(w, it->flags, ATTR_AS_PATH, attr_narrow_len(it->val, it->len));
	if (aspath_write_narrow(w, it->val, it->len)) {
		x->path = it->val;
		x->path_len = it->len;
	}
}

/* RFC 6793 4.2.3 has a receiver ignore AS4_PATH whenever AGGREGATOR holds a real ASN. So
 * when AS4_PATH goes out (AS_PATH is written first, so that is known here), AGGREGATOR
 * carries AS_TRANS and the real ASN travels in AS4_AGGREGATOR, even when it would fit in
 * two octets; otherwise the path would be lost on the way back. */
static void attr_put_narrow_aggregator(struct wbuf *w, const struct attr_iter *it,
                                       struct attr_as4_extra *x)
{
	uint32_t asn = get_u32(it->val);
	bool trans = asn > 0xffff || x->path;
	attr_put_hdr(w, it->flags, ATTR_AGGREGATOR, 6);
	wbuf_u16(w, trans ? BGP_AS_TRANS : (uint16_t)asn);
	wbuf_bytes(w, it->val + 4, 4);
	if (trans)
		x->aggr = it->val;
}

struct attr_pending {
	const struct msg_ctx *ctx;
	struct attr_as4_extra as4;
	bool done_as4_path, done_as4_aggr;
};

/* Writes every synthesized AS4 attribute whose code is below code. */
static void attr_flush_pending(struct wbuf *w, struct attr_pending *pd, unsigned code)
{
	if (code > ATTR_AS4_PATH && !pd->done_as4_path) {
		pd->done_as4_path = true;
		if (pd->as4.path) {
			attr_put_hdr(w, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_AS4_PATH,
			             attr_as4_path_len(pd->as4.path, pd->as4.path_len));
			aspath_write_as4(w, pd->as4.path, pd->as4.path_len);
		}
	}
	if (code > ATTR_AS4_AGGREGATOR && !pd->done_as4_aggr) {
		pd->done_as4_aggr = true;
		if (pd->as4.aggr) {
			attr_put_hdr(w, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
			             ATTR_AS4_AGGREGATOR, 8);
			wbuf_bytes(w, pd->as4.aggr, 8);
		}
	}
}

void attr_write(struct wbuf *w, const struct attr *a, const struct msg_ctx *ctx,
                const struct mp_reach *reach, const struct mp_unreach *unreach)
{
	struct attr_pending pd = { .ctx = ctx };

	/* RFC 7606 5.1: MP_REACH_NLRI / MP_UNREACH_NLRI go first, so that a receiver finds the
	 * NLRI even when a later attribute is malformed. */
	if (reach && reach->present)
		attr_put_mp_reach(w, reach, ctx);
	if (unreach && unreach->present)
		attr_put_mp_unreach(w, unreach, ctx);
	if (a) {
		struct attr_iter it = attr_iter_start(a);
		while (attr_iter_next(&it)) {
			attr_flush_pending(w, &pd, it.code);
			if (!ctx->as4 && it.code == ATTR_AS_PATH)
				attr_put_narrow_path(w, &it, &pd.as4);
			else if (!ctx->as4 && it.code == ATTR_AGGREGATOR && it.len == 8)
				attr_put_narrow_aggregator(w, &it, &pd.as4);
			else
				wbuf_bytes(w, it.tlv, it.tlv_len);
		}
	}
	attr_flush_pending(w, &pd, 256);
}
