/* What a group sends: which routes each kind of group may have (RFC 4456 8, RFC 8212), the
 * set it sends them with, the pending changes, and encoding them once into stream blocks:
 * withdrawals first, then one bucket per outbound set, each packed into as few UPDATEs as
 * the group's message size allows. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/reflect.h"
#include "core/updgrp_int.h"

enum { UPDGRP_PENDING_KEEP = 32768 };

/* ---- blocks ---- */

/* Octets held in stream blocks, over every group: what slow members cost. */
static uint64_t updgrp_block_bytes;

uint64_t updgrp_blocks_bytes(void)
{
	return __atomic_load_n(&updgrp_block_bytes, __ATOMIC_RELAXED);
}

struct updgrp_block *updgrp_block_new(size_t cap, uint64_t pos, bool dump)
{
	struct updgrp_block *b = malloc(sizeof(*b) + cap);
	if (!b)
		log_die("no memory for a %zu-octet stream block", cap);
	__atomic_add_fetch(&updgrp_block_bytes, sizeof(*b) + cap, __ATOMIC_RELAXED);
	b->refcnt = 1;
	b->cap = (uint32_t)cap;
	b->len = 0;
	b->next = NULL;
	b->next_off = 0;
	b->pos = pos;
	b->dump = dump;
	return b;
}

void updgrp_block_ref(struct updgrp_block *b)
{
	__atomic_add_fetch(&b->refcnt, 1, __ATOMIC_RELAXED);
}

/* Freeing a block drops its link to the next, which may free that one too: iterate. */
void updgrp_block_unref(struct updgrp_block *b)
{
	while (b && __atomic_sub_fetch(&b->refcnt, 1, __ATOMIC_ACQ_REL) == 0) {
		struct updgrp_block *next = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE);
		__atomic_sub_fetch(&updgrp_block_bytes, sizeof(*b) + b->cap, __ATOMIC_RELAXED);
		free(b);
		b = next;
	}
}

/* ---- pending changes ---- */

void updgrp_pending_init(struct updgrp_pending *p) { memset(p, 0, sizeof(*p)); }

void updgrp_pending_free(struct updgrp_pending *p, struct attr_table *t)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i].attrs)
			attr_unref(t, p->v[i].attrs);
	free(p->v);
	free(p->slot);
	memset(p, 0, sizeof(*p));
}

static uint64_t updgrp_pfx_hash(const struct prefix *pfx)
{
	return XXH3_64bits(&pfx->afi, 2 + (pfx->afi == AFI_IPV6 ? 16 : 4));
}

static_assert(offsetof(struct prefix, len) == offsetof(struct prefix, afi) + 1,
              "the hash reads afi, len, addr as one run");
static_assert(offsetof(struct prefix, addr) == offsetof(struct prefix, afi) + 2,
              "the hash reads afi, len, addr as one run");

static void updgrp_pending_rehash(struct updgrp_pending *p, uint32_t n_slots)
{
	free(p->slot);
	p->slot = calloc(n_slots, sizeof(*p->slot));
	if (!p->slot)
		log_die("no memory for %u pending slots", n_slots);
	p->n_slots = n_slots;
	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t h = (uint32_t)updgrp_pfx_hash(&p->v[i].pfx) & (n_slots - 1);
		while (p->slot[h])
			h = (h + 1) & (n_slots - 1);
		p->slot[h] = i + 1;
	}
}

static bool updgrp_pfx_eq(const struct prefix *a, const struct prefix *b)
{
	return a->afi == b->afi && a->len == b->len &&
	       memcmp(a->addr, b->addr, a->afi == AFI_IPV6 ? 16 : 4) == 0;
}

static void updgrp_pending_push(struct updgrp_pending *p, const struct prefix *pfx,
                                const struct attr *attrs)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 1024;
		struct updgrp_pend *v = realloc(p->v, sizeof(*v) * cap);
		if (!v)
			log_die("no memory for %u pending changes", cap);
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].pfx = *pfx;
	p->v[p->n].pfx.path_id = 0;
	p->v[p->n].attrs = attrs;
	p->n++;
}

void updgrp_pending_put(struct updgrp *g, const struct prefix *pfx, const struct attr *attrs)
{
	struct updgrp_pending *p = &g->pend;
	if (attrs)
		attr_ref(attrs);
	if ((p->n + 1) * 2 > p->n_slots)
		updgrp_pending_rehash(p, p->n_slots ? p->n_slots * 2 : 2048);
	uint32_t h = (uint32_t)updgrp_pfx_hash(pfx) & (p->n_slots - 1);
	while (p->slot[h]) {
		struct updgrp_pend *e = &p->v[p->slot[h] - 1];
		if (updgrp_pfx_eq(&e->pfx, pfx)) {
			if (e->attrs)
				attr_unref(g->d->attrs, e->attrs);
			e->attrs = attrs;
			return;
		}
		h = (h + 1) & (p->n_slots - 1);
	}
	updgrp_pending_push(p, pfx, attrs);
	p->slot[h] = p->n;
}

/* After a big burst the arrays go: most of the time only a few changes are pending. */
static void updgrp_pending_clear(struct updgrp_pending *p, struct attr_table *t)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (p->v[i].attrs)
			attr_unref(t, p->v[i].attrs);
	p->n = 0;
	if (p->cap > UPDGRP_PENDING_KEEP) {
		updgrp_pending_free(p, t);
		return;
	}
	if (p->slot)
		memset(p->slot, 0, sizeof(*p->slot) * p->n_slots);
}

/* ---- export: which routes a group has, and with what ---- */

static bool updgrp_eligible(const struct updgrp *g, const struct rib_change *ch)
{
	static const enum reflect_to to[] = { [UPDGRP_CLIENT] = REFLECT_TO_CLIENT,
		                              [UPDGRP_NONCLIENT] = REFLECT_TO_NONCLIENT,
		                              [UPDGRP_EBGP] = REFLECT_TO_EBGP };
	struct reflect_dest dest = { .kind = to[g->key.kind],
		                     .cluster_id = g->key.cluster_id,
		                     .client_to_client = g->key.c2c,
		                     .export_all = g->key.export_all };
	return reflect_eligible(&dest, (enum rib_src_kind)ch->src_kind, ch->src_cluster,
	                        ch->src_c2c);
}

static const struct attr *updgrp_ebgp_set(struct updgrp *g, const struct attr *in)
{
	size_t size = reflect_set_room(in);
	void *buf = malloc(size);
	struct attr *a =
	        buf ? reflect_external_set(g->d->asn, g->key.nh4, g->key.nh6, in, buf, size) : NULL;
	const struct attr *out = a ? attr_intern(g->d->attrs, a) : NULL;
	free(buf);
	return out;
}

static const struct attr *updgrp_memo_get(struct updgrp *g, const struct attr *in)
{
	if (!g->memo) {
		g->memo = calloc(UPDGRP_MEMO, sizeof(*g->memo));
		if (!g->memo)
			log_die("no memory for a group's memo");
	}
	struct updgrp_memo_entry *e = &g->memo[(in->hash >> 7) & (UPDGRP_MEMO - 1)];
	if (e->in == in)
		return e->out;
	const struct attr *out = updgrp_ebgp_set(g, in);
	if (!out)
		return NULL;
	if (e->in) {
		attr_unref(g->d->attrs, e->in);
		attr_unref(g->d->attrs, e->out);
	}
	e->in = attr_ref(in);
	e->out = out;
	return out;
}

void updgrp_memo_free(struct updgrp *g)
{
	if (!g->memo)
		return;
	for (unsigned i = 0; i < UPDGRP_MEMO; i++) {
		if (g->memo[i].in) {
			attr_unref(g->d->attrs, g->memo[i].in);
			attr_unref(g->d->attrs, g->memo[i].out);
		}
	}
	free(g->memo);
	g->memo = NULL;
}

const struct attr *updgrp_export(struct updgrp *g, const struct rib_change *ch)
{
	if (!ch->attrs || !updgrp_eligible(g, ch))
		return NULL;
	if (g->key.kind == UPDGRP_EBGP)
		return updgrp_memo_get(g, ch->attrs);
	return ch->attrs;
}

/* ---- encoding ---- */

/* Where encoded messages go: the stream's tail, or a dump chain being built. */
struct updgrp_sink {
	struct updgrp *g;
	struct updgrp_block *first, *cur;
	uint32_t cur_len; /* octets written into cur, not yet published */
	uint64_t pos;     /* dump blocks: the stream position they join */
	bool dump;
	uint64_t bytes, updates, prefixes;
};

static uint8_t *updgrp_sink_room(struct updgrp_sink *k)
{
	size_t max = msg_max_len(&k->g->ctx);
	if (k->cur && k->cur->cap - k->cur_len >= max)
		return k->cur->data + k->cur_len;
	struct updgrp_block *b = updgrp_block_new(
	        k->g->block_size, k->dump ? k->pos : k->g->appended + k->bytes, k->dump);
	if (k->cur) {
		/* The old block is final: publish its length, then link. */
		__atomic_store_n(&k->cur->len, k->cur_len, __ATOMIC_RELEASE);
		updgrp_block_ref(b); /* the link's reference */
		__atomic_store_n(&k->cur->next, b, __ATOMIC_RELEASE);
		/* The tail's reference moves on; of a dump, only the first block stays held. */
		if (!k->dump || k->cur != k->first)
			updgrp_block_unref(k->cur);
	}
	if (!k->first)
		k->first = b;
	k->cur = b;
	k->cur_len = 0;
	if (!k->dump)
		k->g->tail = b;
	return b->data;
}

static void updgrp_sink_put(struct updgrp_sink *k, const struct msg_update *u, uint32_t n_pfx)
{
	uint8_t *out = updgrp_sink_room(k);
	size_t n = msg_update_encode(u, &k->g->ctx, out, k->cur->cap - k->cur_len);
	if (n == 0)
		log_die("an UPDATE for group %u did not fit its message size", k->g->id);
	k->cur_len += (uint32_t)n;
	k->bytes += n;
	k->updates++;
	k->prefixes += n_pfx;
}

static void updgrp_sink_raw(struct updgrp_sink *k, const uint8_t *msg, size_t n)
{
	uint8_t *out = updgrp_sink_room(k);
	memcpy(out, msg, n);
	k->cur_len += (uint32_t)n;
	k->bytes += n;
}

/* How many of pfx fit into budget octets. */
static uint32_t updgrp_fit(const struct prefix *pfx, uint32_t n, size_t budget)
{
	size_t used = 0;
	uint32_t i = 0;
	for (; i < n; i++) {
		size_t w = prefix_wire_len(&pfx[i], false);
		if (used + w > budget)
			break;
		used += w;
	}
	return i;
}

/* Packs pfx into copies of u, through the prefix list *slot of u. One octet of the budget is
 * kept for an attribute length that grows past 255. */
static void updgrp_pack(struct updgrp_sink *k, struct msg_update *u, struct prefix_list *slot,
                        struct prefix *pfx, uint32_t n)
{
	uint8_t probe[BGP_EXT_MAX_LEN];
	size_t max = msg_max_len(&k->g->ctx);
	slot->v = pfx;
	slot->n = 0;
	size_t base = msg_update_encode(u, &k->g->ctx, probe, sizeof(probe));
	if (base == 0 || base + 1 >= max) {
		log_warn(
		        "group %u: an attribute set too large for one UPDATE; %u prefixes not sent",
		        k->g->id, n);
		return;
	}
	while (n) {
		uint32_t take = updgrp_fit(pfx, n, max - base - 1);
		slot->v = pfx;
		slot->n = take;
		updgrp_sink_put(k, u, take);
		pfx += take;
		n -= take;
	}
}

static void updgrp_put_withdraw(struct updgrp_sink *k, struct prefix *pfx, uint32_t n, bool v6)
{
	struct msg_update u;
	memset(&u, 0, sizeof(u));
	if (!n)
		return;
	if (v6) {
		u.mp_unreach.present = true;
		u.mp_unreach.afi = AFI_IPV6;
		u.mp_unreach.safi = SAFI_UNICAST;
		updgrp_pack(k, &u, &u.mp_unreach.nlri, pfx, n);
	} else {
		updgrp_pack(k, &u, &u.withdrawn, pfx, n);
	}
}

static void updgrp_put_announce(struct updgrp_sink *k, const struct attr *a, struct prefix *pfx,
                                uint32_t n, bool v6)
{
	struct msg_update u;
	memset(&u, 0, sizeof(u));
	if (!n)
		return;
	u.attrs = (struct attr *)a;
	if (v6) {
		uint8_t nh_len;
		const uint8_t *nh = attr_mp_nexthop(a, &nh_len);
		if (nh_len != 16 && nh_len != 32) {
			log_warn("group %u: %u IPv6 prefixes with no IPv6 next hop not sent",
			         k->g->id, n);
			return;
		}
		u.mp_reach.present = true;
		u.mp_reach.afi = AFI_IPV6;
		u.mp_reach.safi = SAFI_UNICAST;
		u.mp_reach.nh_len = nh_len;
		memcpy(u.mp_reach.nh, nh, nh_len);
		updgrp_pack(k, &u, &u.mp_reach.nlri, pfx, n);
	} else {
		updgrp_pack(k, &u, &u.nlri, pfx, n);
	}
}

/* Buckets: pending entries grouped by (family, outbound set). */
struct updgrp_bucket {
	const struct attr *attrs;
	bool v6;
	uint32_t n, cap;
	struct prefix *pfx;
};

struct updgrp_buckets {
	struct updgrp_bucket *v;
	uint32_t n, cap;
	uint32_t *slot; /* index + 1 */
	uint32_t n_slots;
};

static struct updgrp_bucket *updgrp_bucket_find(struct updgrp_buckets *bs, const struct attr *a,
                                                bool v6)
{
	if ((bs->n + 1) * 2 > bs->n_slots) {
		uint32_t n_slots = bs->n_slots ? bs->n_slots * 2 : 64;
		uint32_t *slot = calloc(n_slots, sizeof(*slot));
		if (!slot)
			log_die("no memory for buckets");
		for (uint32_t i = 0; i < bs->n; i++) {
			uint32_t h = (uint32_t)((uintptr_t)bs->v[i].attrs >> 4 ^ bs->v[i].v6) &
			             (n_slots - 1);
			while (slot[h])
				h = (h + 1) & (n_slots - 1);
			slot[h] = i + 1;
		}
		free(bs->slot);
		bs->slot = slot;
		bs->n_slots = n_slots;
	}
	uint32_t h = (uint32_t)((uintptr_t)a >> 4 ^ v6) & (bs->n_slots - 1);
	while (bs->slot[h]) {
		struct updgrp_bucket *b = &bs->v[bs->slot[h] - 1];
		if (b->attrs == a && b->v6 == v6)
			return b;
		h = (h + 1) & (bs->n_slots - 1);
	}
	if (bs->n == bs->cap) {
		uint32_t cap = bs->cap ? bs->cap * 2 : 16;
		struct updgrp_bucket *v = realloc(bs->v, sizeof(*v) * cap);
		if (!v)
			log_die("no memory for buckets");
		bs->v = v;
		bs->cap = cap;
	}
	struct updgrp_bucket *b = &bs->v[bs->n++];
	*b = (struct updgrp_bucket){ .attrs = a, .v6 = v6 };
	bs->slot[h] = bs->n;
	return b;
}

static void updgrp_bucket_add(struct updgrp_bucket *b, const struct prefix *pfx)
{
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 64;
		struct prefix *v = realloc(b->pfx, sizeof(*v) * cap);
		if (!v)
			log_die("no memory for a bucket");
		b->pfx = v;
		b->cap = cap;
	}
	b->pfx[b->n++] = *pfx;
}

static void updgrp_buckets_free(struct updgrp_buckets *bs)
{
	for (uint32_t i = 0; i < bs->n; i++)
		free(bs->v[i].pfx);
	free(bs->v);
	free(bs->slot);
}

/* Withdrawals first, then every bucket. */
static void updgrp_encode_set(struct updgrp_sink *k, const struct updgrp_pending *p)
{
	struct updgrp_buckets bs = { 0 };
	/* buckets 0 and 1 are the IPv4 and IPv6 withdrawals */
	updgrp_bucket_find(&bs, NULL, false);
	updgrp_bucket_find(&bs, NULL, true);
	for (uint32_t i = 0; i < p->n; i++) {
		const struct updgrp_pend *e = &p->v[i];
		bool v6 = e->pfx.afi == AFI_IPV6;
		if (!k->g->key.af[v6 ? AF_IDX_IPV6 : AF_IDX_IPV4])
			continue;
		struct updgrp_bucket *b = e->attrs ? updgrp_bucket_find(&bs, e->attrs, v6) : NULL;
		updgrp_bucket_add(b ? b : &bs.v[v6 ? 1 : 0], &e->pfx);
	}
	updgrp_put_withdraw(k, bs.v[0].pfx, bs.v[0].n, false);
	updgrp_put_withdraw(k, bs.v[1].pfx, bs.v[1].n, true);
	for (uint32_t i = 2; i < bs.n; i++)
		updgrp_put_announce(k, bs.v[i].attrs, bs.v[i].pfx, bs.v[i].n, bs.v[i].v6);
	updgrp_buckets_free(&bs);
}

bool updgrp_encode_pending(struct updgrp *g)
{
	if (!g->pend.n)
		return false;
	struct updgrp_sink k = { .g = g, .cur = g->tail, .cur_len = g->tail_len, .first = g->tail };
	updgrp_encode_set(&k, &g->pend);
	updgrp_pending_clear(&g->pend, g->d->attrs);
	g->tail_len = k.cur_len;
	__atomic_store_n(&g->tail->len, g->tail_len, __ATOMIC_RELEASE);
	__atomic_store_n(&g->appended, g->appended + k.bytes, __ATOMIC_RELEASE);
	__atomic_store_n(&g->st_updates, g->st_updates + k.updates, __ATOMIC_RELAXED);
	__atomic_store_n(&g->st_prefixes, g->st_prefixes + k.prefixes, __ATOMIC_RELAXED);
	return k.bytes > 0;
}

static void updgrp_put_eors(struct updgrp_sink *k)
{
	static const uint8_t eor4[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                        0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t eor6[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1d, 0x02, 0x00,
		                        0x00, 0x00, 0x06, 0x80, 0x0f, 0x03, 0x00, 0x02, 0x01 };
	if (k->g->key.af[AF_IDX_IPV4])
		updgrp_sink_raw(k, eor4, sizeof(eor4));
	if (k->g->key.af[AF_IDX_IPV6])
		updgrp_sink_raw(k, eor6, sizeof(eor6));
}

struct updgrp_block *updgrp_encode_dump(struct updgrp *g, struct updgrp_pending *p, uint64_t *bytes)
{
	struct updgrp_sink k = { .g = g, .dump = true, .pos = g->appended };
	updgrp_encode_set(&k, p);
	updgrp_put_eors(&k);
	if (!k.cur)
		updgrp_sink_room(
		        &k); /* a group with no family has nothing to say: one empty block */
	__atomic_store_n(&k.cur->len, k.cur_len, __ATOMIC_RELEASE);
	/* The dump goes on where the stream is now. */
	updgrp_block_ref(g->tail);
	k.cur->next_off = g->tail_len;
	__atomic_store_n(&k.cur->next, g->tail, __ATOMIC_RELEASE);
	if (k.cur != k.first)
		updgrp_block_unref(k.cur);
	*bytes = k.bytes;
	__atomic_store_n(&g->st_updates, g->st_updates + k.updates, __ATOMIC_RELAXED);
	__atomic_store_n(&g->st_prefixes, g->st_prefixes + k.prefixes, __ATOMIC_RELAXED);
	return k.first;
}
