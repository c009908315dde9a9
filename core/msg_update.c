/* UPDATE messages: withdrawn routes, path attributes and NLRI, with RFC 7606 error
 * classification. The per-attribute rules live in attr_desc.c; this file walks the message
 * and decides what the errors add up to. */
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/attr_parse.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"

struct msg_scratch *msg_scratch_new(void) { return calloc(1, sizeof(struct msg_scratch)); }

void msg_scratch_free(struct msg_scratch *s) { free(s); }

uint8_t *attr_parse_store(struct attr_parse *ps, size_t n)
{
	struct msg_scratch *s = ps->s;
	if (SCRATCH_STORE - s->store_used < n)
		return NULL;
	uint8_t *p = s->store + s->store_used;
	s->store_used += n;
	return p;
}

static const uint8_t nlri_last_mask[8] = { 0xff, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe };

/* The hot loop: a /24 costs a length check, three byte copies and a store. */
int nlri_decode(struct attr_parse *ps, const uint8_t *p, size_t len, uint8_t afi, bool addpath,
                struct prefix_list *out, size_t *bad_off)
{
	struct msg_scratch *s = ps->s;
	const uint8_t *end = p + len;
	unsigned max_bits = afi == AFI_IPV6 ? 128 : 32;

	out->v = s->pfx + s->pfx_used;
	out->n = 0;
	while (p < end) {
		const uint8_t *start = p;
		uint32_t path_id = 0;
		if (addpath) {
			if (end - p < 4)
				goto bad;
			path_id = get_u32(p);
			p += 4;
		}
		if (p >= end || *p > max_bits || s->pfx_used >= SCRATCH_PREFIXES)
			goto bad;
		uint8_t bits = *p++;
		unsigned nbytes = (bits + 7u) >> 3;
		if ((size_t)(end - p) < nbytes)
			goto bad;
		struct prefix *x = &s->pfx[s->pfx_used++];
		x->path_id = path_id;
		x->afi = afi;
		x->len = bits;
		memset(x->addr, 0, sizeof(x->addr));
		for (unsigned i = 0; i < nbytes; i++)
			x->addr[i] = p[i];
		if (bits & 7)
			x->addr[nbytes - 1] &= nlri_last_mask[bits & 7];
		p += nbytes;
		out->n++;
		continue;
bad:
		*bad_off = (size_t)(start - ps->msg);
		return -1;
	}
	return 0;
}

/* ---- error bookkeeping ---- */

static void update_err(struct msg_update *u, enum msg_action action, uint8_t subcode,
                       uint8_t attr_code, size_t offset, const char *reason, const uint8_t *data,
                       size_t data_len)
{
	bool worse = action > u->action;
	if (worse)
		u->action = action;
	/* When the list is full, a new worst error takes the last slot: msg_update_worst()
	 * must always find the error that decided the action. */
	if (u->n_errs >= UPDATE_MAX_ERRS && !worse)
		return;
	struct msg_err *e =
	        &u->errs[u->n_errs < UPDATE_MAX_ERRS ? u->n_errs++ : UPDATE_MAX_ERRS - 1];
	msg_err_set(e, ERR_UPDATE, subcode, offset, reason, data, data_len);
	e->action = action;
	e->attr_code = attr_code;
}

const struct msg_err *msg_update_worst(const struct msg_update *u)
{
	for (unsigned i = 0; i < u->n_errs; i++)
		if (u->errs[i].action == u->action)
			return &u->errs[i];
	return NULL;
}

bool msg_update_is_eor(const struct msg_update *u)
{
	return u->action == MSG_OK && !u->withdrawn.n && !u->nlri.n && !u->mp_reach.present &&
	       !u->attrs && (!u->mp_unreach.present || !u->mp_unreach.nlri.n);
}

/* ---- attributes ---- */

struct attr_hdr {
	uint8_t flags, code;
	uint16_t len;
	const uint8_t *tlv, *val;
	uint16_t tlv_len;
};

/* Reads one attribute header; -1 when it, or its value, overruns the attribute field. */
static int update_read_attr_hdr(struct rbuf *r, struct attr_hdr *h)
{
	h->tlv = r->p;
	if (rbuf_u8(r, &h->flags) < 0 || rbuf_u8(r, &h->code) < 0)
		return -1;
	if (h->flags & ATTR_FLAG_EXTLEN) {
		if (rbuf_u16(r, &h->len) < 0)
			return -1;
	} else {
		uint8_t l8;
		if (rbuf_u8(r, &l8) < 0)
			return -1;
		h->len = l8;
	}
	if (rbuf_bytes(r, h->len, &h->val) < 0)
		return -1;
	h->tlv_len = (uint16_t)(r->p - h->tlv);
	return 0;
}

static void update_keep(struct attr_parse *ps, uint8_t flags, uint8_t code, const uint8_t *val,
                        uint16_t len)
{
	attr_builder_set(&ps->s->builder, flags, code, val, len);
}

static void update_unknown_attr(struct attr_parse *ps, const struct attr_hdr *h)
{
	size_t off = (size_t)(h->tlv - ps->msg);
	if (!(h->flags & ATTR_FLAG_OPTIONAL)) {
		update_err(ps->u, MSG_SESSION_RESET, ERR_UPD_UNKNOWN_WELLKNOWN, h->code, off,
		           "unrecognized well-known attribute", h->tlv, h->tlv_len);
		return;
	}
	/* RFC 4271 5: pass unknown optional transitive attributes on with Partial set; drop
	 * unknown optional non-transitive ones quietly. */
	if (h->flags & ATTR_FLAG_TRANSITIVE)
		update_keep(ps, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE | ATTR_FLAG_PARTIAL,
		            h->code, h->val, h->len);
}

static void update_known_attr(struct attr_parse *ps, const struct attr_desc *d,
                              const struct attr_hdr *h)
{
	size_t off = (size_t)(h->tlv - ps->msg);
	uint8_t kind = h->flags & (ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE);
	bool bad_flags = kind != d->flags;
	struct msg_err e = { 0 };

	/* An attribute its spec discards when malformed is dropped before its hook can stash
	 * anything (AS4_PATH would otherwise still be merged). */
	if (bad_flags && d->malformed == MSG_ATTR_DISCARD) {
		update_err(ps->u, MSG_ATTR_DISCARD, ERR_UPD_ATTR_FLAGS, h->code, off,
		           "attribute flags conflict with its type", h->tlv, h->tlv_len);
		return;
	}
	ps->tlv = h->tlv;
	ps->tlv_len = h->tlv_len;
	ps->store_val = h->val;
	ps->store_len = h->len;
	/* The hook runs even with bad flags, so that MP_REACH_NLRI's prefixes are located and
	 * can be withdrawn. */
	enum msg_action a = d->check(ps, h->val, h->len, &e);
	if (a != MSG_OK) {
		uint8_t sub = e.subcode ? e.subcode : d->subcode;
		update_err(ps->u, a, sub, h->code, off, e.reason, h->tlv, h->tlv_len);
		return; /* a malformed value is never stored */
	}
	if (bad_flags) {
		update_err(ps->u, d->malformed, ERR_UPD_ATTR_FLAGS, h->code, off,
		           "attribute flags conflict with its type", h->tlv, h->tlv_len);
		return;
	}
	if (!ps->store_val)
		return;
	uint8_t flags = d->flags;
	if (flags == (ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE))
		flags |= h->flags & ATTR_FLAG_PARTIAL;
	update_keep(ps, flags, h->code, ps->store_val, ps->store_len);
}

static void update_parse_attrs(struct attr_parse *ps, struct rbuf *r)
{
	uint8_t seen[32] = { 0 };
	while (rbuf_left(r) > 0 && ps->u->action != MSG_SESSION_RESET) {
		struct attr_hdr h;
		size_t off = rbuf_offset(r);
		if (update_read_attr_hdr(r, &h) < 0) {
			/* RFC 7606 4: the Total Attribute Length still locates the NLRI. */
			update_err(ps->u, MSG_TREAT_AS_WITHDRAW, ERR_UPD_ATTR_LENGTH, 0, off,
			           "attribute overruns the path attribute field", NULL, 0);
			return;
		}
		if (seen[h.code / 8] >> (h.code % 8) & 1) {
			bool mp = h.code == ATTR_MP_REACH_NLRI || h.code == ATTR_MP_UNREACH_NLRI;
			/* RFC 7606 3(g) */
			update_err(ps->u, mp ? MSG_SESSION_RESET : MSG_ATTR_DISCARD,
			           ERR_UPD_ATTR_LIST, h.code, off,
			           "attribute appears more than once", NULL, 0);
			continue;
		}
		seen[h.code / 8] |= (uint8_t)(1u << (h.code % 8));
		const struct attr_desc *d = attr_desc_get(h.code);
		if (d)
			update_known_attr(ps, d, &h);
		else
			update_unknown_attr(ps, &h);
	}
}

/* RFC 6793 4.2.3: fold AS4_PATH and AS4_AGGREGATOR from a 2-octet peer into the set. */
static void update_merge_as4(struct attr_parse *ps)
{
	struct attr_builder *b = &ps->s->builder;
	const uint8_t *aggr = NULL, *path = NULL;
	uint16_t path_len = 0;
	uint8_t aggr_flags = 0;

	for (unsigned i = 0; i < b->n; i++) {
		if (b->tlv[i].code == ATTR_AGGREGATOR) {
			aggr = b->tlv[i].val;
			aggr_flags = b->tlv[i].flags;
		}
		if (b->tlv[i].code == ATTR_AS_PATH) {
			path = b->tlv[i].val;
			path_len = b->tlv[i].len;
		}
	}
	/* An AGGREGATOR from a NEW speaker (not AS_TRANS) means AS4_* came from before an
	 * aggregation by an OLD speaker and must be ignored. */
	if (aggr && get_u32(aggr) != BGP_AS_TRANS)
		return;
	/* The AGGREGATOR keeps its own flags: a Partial bit an old speaker set on it stays
	 * (and a round trip through a 2-octet peer gives the same set back). */
	if (aggr && ps->as4_aggr)
		update_keep(ps, aggr_flags, ATTR_AGGREGATOR, ps->as4_aggr, 8);
	if (path && ps->as4_path) {
		uint8_t *out = attr_parse_store(ps, (size_t)path_len + ps->as4_path_len);
		if (!out)
			return;
		size_t n = aspath_merge_as4(path, path_len, ps->as4_path, ps->as4_path_len, out,
		                            (size_t)path_len + ps->as4_path_len);
		update_keep(ps, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, out, (uint16_t)n);
	}
}

static bool update_has_attr(const struct attr_builder *b, uint8_t code)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->tlv[i].code == code)
			return true;
	return false;
}

/* RFC 7606 3(d): missing well-known mandatory attributes mean treat-as-withdraw, but only
 * when there is something to withdraw. */
static void update_check_mandatory(struct attr_parse *ps)
{
	struct msg_update *u = ps->u;
	const struct attr_builder *b = &ps->s->builder;
	bool reach = u->nlri.n || (u->mp_reach.present && u->mp_reach.nlri.n);
	static const uint8_t mandatory[] = { ATTR_ORIGIN, ATTR_AS_PATH, ATTR_NEXT_HOP };

	if (!reach)
		return;
	for (unsigned i = 0; i < sizeof(mandatory); i++) {
		uint8_t code = mandatory[i];
		if (code == ATTR_NEXT_HOP && !u->nlri.n)
			continue; /* RFC 4760: MP_REACH carries its own next hop */
		if (update_has_attr(b, code))
			continue;
		/* An attribute already reported malformed is not also missing. */
		bool reported = false;
		for (unsigned j = 0; j < u->n_errs; j++)
			reported |= u->errs[j].attr_code == code;
		if (!reported)
			update_err(u, MSG_TREAT_AS_WITHDRAW, ERR_UPD_MISSING_WELLKNOWN, code, 0,
			           "missing well-known mandatory attribute", &mandatory[i], 1);
	}
}

static void update_build_set(struct attr_parse *ps)
{
	struct msg_scratch *s = ps->s;
	struct attr_builder *b = &s->builder;
	const struct mp_reach *m = &ps->u->mp_reach;
	if (m->present && m->afi == AFI_IPV4) {
		/* IPv4 routes in MP_REACH_NLRI: they are stored, and sent on, as plain NLRI, whose
		 * next hop is NEXT_HOP. The MP next hop is theirs (RFC 4760 3); a NEXT_HOP that
		 * came too belongs to plain NLRI, and stays when there are some. */
		if (!ps->u->nlri.n || !update_has_attr(b, ATTR_NEXT_HOP))
			attr_builder_set(b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, m->nh, 4);
	} else if (m->present) {
		b->nh_len = m->nh_len;
		memcpy(b->nh, m->nh, b->nh_len);
	}
	if (!b->n && !b->nh_len) {
		ps->u->attrs = NULL;
		return;
	}
	ps->u->attrs = attr_builder_finish(b, s->set, sizeof(s->set));
}

/* ---- the message ---- */

static int update_parse_withdrawn(struct attr_parse *ps, struct rbuf *r)
{
	struct msg_update *u = ps->u;
	uint16_t len;
	const uint8_t *p;
	size_t bad;

	if (rbuf_u16(r, &len) < 0 || rbuf_bytes(r, len, &p) < 0) {
		update_err(u, MSG_SESSION_RESET, ERR_UPD_ATTR_LIST, 0, BGP_HDR_LEN,
		           "withdrawn routes length exceeds the message", NULL, 0);
		return -1;
	}
	if (nlri_decode(ps, p, len, AFI_IPV4, ps->ctx->addpath[AF_IDX_IPV4], &u->withdrawn, &bad) <
	    0) {
		update_err(u, MSG_SESSION_RESET, ERR_UPD_NETWORK, 0, bad,
		           "malformed withdrawn prefix", NULL, 0);
		return -1;
	}
	return 0;
}

int msg_update_decode(const uint8_t *msg, size_t len, const struct msg_ctx *ctx,
                      struct msg_scratch *s, struct msg_update *u)
{
	static const struct msg_ctx default_ctx = { .as4 = true };
	struct attr_parse ps = { .ctx = ctx ? ctx : &default_ctx, .s = s, .u = u, .msg = msg };
	struct rbuf r =
	        rbuf_make(msg, msg + BGP_HDR_LEN, len > BGP_HDR_LEN ? len - BGP_HDR_LEN : 0);
	struct rbuf attrs;
	uint16_t attr_len;
	size_t bad;

	memset(u, 0, sizeof(*u));
	s->pfx_used = 0;
	s->store_used = 0;
	s->builder.n = 0;
	s->builder.nh_len = 0;

	if (update_parse_withdrawn(&ps, &r) < 0)
		return -1;
	size_t attr_len_at = rbuf_offset(&r);
	if (rbuf_u16(&r, &attr_len) < 0 || rbuf_sub(&r, attr_len, &attrs) < 0) {
		update_err(u, MSG_SESSION_RESET, ERR_UPD_ATTR_LIST, 0, attr_len_at,
		           "total path attribute length exceeds the message", NULL, 0);
		return -1;
	}
	update_parse_attrs(&ps, &attrs);
	if (u->action == MSG_SESSION_RESET)
		return -1;
	if (nlri_decode(&ps, r.p, rbuf_left(&r), AFI_IPV4, ps.ctx->addpath[AF_IDX_IPV4], &u->nlri,
	                &bad) < 0) {
		update_err(u, MSG_SESSION_RESET, ERR_UPD_NETWORK, 0, bad, "malformed NLRI prefix",
		           NULL, 0);
		return -1;
	}
	if (!ps.ctx->as4)
		update_merge_as4(&ps);
	update_check_mandatory(&ps);
	update_build_set(&ps);
	return 0;
}

/* ---- encoding ---- */

size_t prefix_wire_len(const struct prefix *p, bool addpath)
{
	return (addpath ? 4u : 0u) + 1u + ((p->len + 7u) >> 3);
}

void prefix_write(struct wbuf *w, const struct prefix *p, bool addpath)
{
	if (addpath)
		wbuf_u32(w, p->path_id);
	wbuf_u8(w, p->len);
	wbuf_bytes(w, p->addr, (p->len + 7u) >> 3);
}

static void update_write_prefixes(struct wbuf *w, const struct prefix_list *l, bool addpath)
{
	for (uint32_t i = 0; i < l->n; i++)
		prefix_write(w, &l->v[i], addpath);
}

size_t msg_update_encode(const struct msg_update *u, const struct msg_ctx *ctx, uint8_t *out,
                         size_t cap)
{
	static const struct msg_ctx default_ctx = { .as4 = true };
	if (!ctx)
		ctx = &default_ctx;
	size_t max = msg_max_len(ctx);
	struct wbuf w = wbuf_make(out, cap < max ? cap : max);
	bool ap4 = ctx->addpath[AF_IDX_IPV4];

	wbuf_reserve(&w, BGP_HDR_LEN);
	size_t wlen_at = wbuf_reserve(&w, 2);
	update_write_prefixes(&w, &u->withdrawn, ap4);
	wbuf_put_u16_at(&w, wlen_at, (uint16_t)(w.len - wlen_at - 2));
	size_t alen_at = wbuf_reserve(&w, 2);
	if (u->attrs || u->mp_reach.present || u->mp_unreach.present)
		attr_write(&w, u->attrs, ctx, &u->mp_reach, &u->mp_unreach);
	wbuf_put_u16_at(&w, alen_at, (uint16_t)(w.len - alen_at - 2));
	update_write_prefixes(&w, &u->nlri, ap4);
	if (w.overflow)
		return 0;
	msg_put_header(out, BGP_UPDATE, (uint16_t)w.len);
	return w.len;
}
