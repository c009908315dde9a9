/* One RIB shard: its prefixes in a cds_lfht, written by its owner thread only. Entries are
 * copy-on-write: every change builds a new entry, swaps it in, and queues the old one to be
 * freed after a grace period, so readers never see a half-made entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/bgp.h"
#include "rib/rib.h"

enum { RIB_HT_MIN = 1024, RIB_GARBAGE_MIN = 256 };

struct rib_shard {
	unsigned index;
	uint32_t local_as;
	struct attr_table *attrs;
	struct cds_lfht *ht;
	void **garbage; /* entries to free after a grace period */
	uint32_t n_garbage, cap_garbage;
	/* relaxed atomics, read by the API */
	uint64_t prefixes, paths, applied, best_changes;
};

/* A batch of garbage freed by one call_rcu. */
struct rib_garbage {
	struct rcu_head rcu;
	uint32_t n;
	void *ptr[];
};

#define RIB_STAT_ADD(x, v) __atomic_store_n(&(x), (x) + (v), __ATOMIC_RELAXED)

/* ---- sources ---- */

struct rib_source *rib_source_new(unsigned n_shards)
{
	struct rib_source *s = calloc(1, sizeof(*s) + sizeof(uint32_t) * n_shards);
	if (!s)
		return NULL;
	s->n_shards = n_shards;
	s->shards_left = n_shards;
	return s;
}

void rib_source_free_rcu(struct rcu_head *head)
{
	prism_rcu_free_begin();
	free(caa_container_of(head, struct rib_source, rcu));
}

/* ---- keys ---- */

static size_t rib_addr_len(uint8_t afi) { return afi == AFI_IPV6 ? 16 : 4; }

static uint64_t rib_hash(const struct prefix *p)
{
	uint8_t key[18];
	size_t n = rib_addr_len(p->afi);
	key[0] = p->afi;
	key[1] = p->len;
	memcpy(key + 2, p->addr, n);
	return XXH3_64bits(key, 2 + n);
}

unsigned rib_shard_of(const struct prefix *pfx, unsigned n_shards)
{
	/* The top bits: cds_lfht buckets use the low ones. */
	return (unsigned)(rib_hash(pfx) >> 40) & (n_shards - 1);
}

static const uint8_t *rib_prefix_addr(const struct rib_prefix *p)
{
	return p->afi == AFI_IPV6 ? (const uint8_t *)&p->paths[p->n_paths] : p->addr4;
}

void rib_prefix_get(const struct rib_prefix *p, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->afi = p->afi;
	out->len = p->len;
	memcpy(out->addr, rib_prefix_addr(p), rib_addr_len(p->afi));
}

static int rib_match(struct cds_lfht_node *node, const void *key)
{
	const struct rib_prefix *p = caa_container_of(node, struct rib_prefix, node);
	const struct prefix *k = key;
	return p->afi == k->afi && p->len == k->len &&
	       memcmp(rib_prefix_addr(p), k->addr, rib_addr_len(k->afi)) == 0;
}

/* ---- entries ---- */

static struct rib_prefix *rib_entry_alloc(const struct prefix *pfx, unsigned n_paths)
{
	size_t extra = pfx->afi == AFI_IPV6 ? 16 : 0;
	struct rib_prefix *p = malloc(sizeof(*p) + sizeof(struct rib_path) * n_paths + extra);
	if (!p) {
		fprintf(stderr, "rib: out of memory\n");
		abort();
	}
	cds_lfht_node_init(&p->node);
	p->n_paths = (uint16_t)n_paths;
	p->afi = pfx->afi;
	p->len = pfx->len;
	memset(p->addr4, 0, sizeof(p->addr4));
	if (pfx->afi == AFI_IPV6)
		memcpy(&p->paths[n_paths], pfx->addr, 16);
	else
		memcpy(p->addr4, pfx->addr, 4);
	return p;
}

static void rib_garbage_add(struct rib_shard *s, void *ptr)
{
	if (s->n_garbage == s->cap_garbage) {
		uint32_t cap = s->cap_garbage ? s->cap_garbage * 2 : RIB_GARBAGE_MIN;
		void **v = realloc(s->garbage, sizeof(*v) * cap);
		if (!v)
			abort();
		s->garbage = v;
		s->cap_garbage = cap;
	}
	s->garbage[s->n_garbage++] = ptr;
}

static void rib_garbage_free_rcu(struct rcu_head *head)
{
	prism_rcu_free_begin();
	struct rib_garbage *g = caa_container_of(head, struct rib_garbage, rcu);
	for (uint32_t i = 0; i < g->n; i++)
		free(g->ptr[i]);
	free(g);
}

void rib_shard_flush(struct rib_shard *s)
{
	if (!s->n_garbage)
		return;
	struct rib_garbage *g = malloc(sizeof(*g) + sizeof(void *) * s->n_garbage);
	if (!g)
		abort();
	g->n = s->n_garbage;
	memcpy(g->ptr, s->garbage, sizeof(void *) * s->n_garbage);
	s->n_garbage = 0;
	call_rcu(&g->rcu, rib_garbage_free_rcu);
}

/* ---- changes ---- */

void rib_change_from(struct rib_change *ch, const struct prefix *pfx, const struct rib_path *best)
{
	memset(ch, 0, sizeof(*ch));
	ch->pfx = *pfx;
	ch->pfx.path_id = 0;
	if (!best)
		return;
	ch->attrs = attr_ref(best->attrs);
	ch->out = attr_ref(best->out);
	ch->src_id = best->src->id;
	ch->src_cluster = best->src->cluster_id;
	ch->src_kind = (uint8_t)best->src->kind;
	ch->src_c2c = best->src->client_to_client;
}

void rib_changes_push(struct rib_changes *c, const struct rib_change *ch)
{
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 256;
		struct rib_change *v = realloc(c->v, sizeof(*v) * cap);
		if (!v)
			abort();
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *ch;
}

void rib_changes_release(struct rib_changes *c, struct attr_table *t)
{
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->v[i].attrs)
			attr_unref(t, c->v[i].attrs);
		if (c->v[i].out)
			attr_unref(t, c->v[i].out);
	}
	c->n = 0;
}

void rib_changes_free(struct rib_changes *c, struct attr_table *t)
{
	rib_changes_release(c, t);
	free(c->v);
	*c = (struct rib_changes){ 0 };
}

static bool rib_same_best(const struct rib_path *a, const struct rib_path *b)
{
	return a->src == b->src && a->path_id == b->path_id && a->attrs == b->attrs &&
	       a->out == b->out;
}

/* ---- the shard ---- */

struct rib_shard *rib_shard_new(unsigned index, uint32_t local_as, struct attr_table *attrs)
{
	struct rib_shard *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->index = index;
	s->local_as = local_as;
	s->attrs = attrs;
	s->ht = cds_lfht_new(PRISM_LFHT_MIN(RIB_HT_MIN), PRISM_LFHT_MIN(RIB_HT_MIN), 0,
	                     PRISM_LFHT_FLAGS | CDS_LFHT_ACCOUNTING, NULL);
	if (!s->ht) {
		free(s);
		return NULL;
	}
	return s;
}

static void rib_path_release(struct rib_shard *s, const struct rib_path *p)
{
	attr_unref(s->attrs, p->attrs);
	attr_unref(s->attrs, p->out);
	p->src->paths_in[s->index]--;
}

void rib_shard_free(struct rib_shard *s)
{
	struct cds_lfht_iter it;
	struct rib_prefix *p;

	prism_rcu_read_lock();
	cds_lfht_for_each_entry (s->ht, &it, p, node) {
		cds_lfht_del(s->ht, &p->node);
		for (unsigned i = 0; i < p->n_paths; i++) {
			attr_unref(s->attrs, p->paths[i].attrs);
			attr_unref(s->attrs, p->paths[i].out);
		}
		rib_garbage_add(s, p);
	}
	prism_rcu_read_unlock();
	rib_shard_flush(s);
	cds_lfht_destroy(s->ht, NULL);
	free(s->garbage);
	free(s);
}

static struct rib_prefix *rib_find(struct rib_shard *s, const struct prefix *pfx, uint64_t h)
{
	struct cds_lfht_iter it;
	cds_lfht_lookup(s->ht, h, rib_match, pfx, &it);
	struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
	if (!n)
		return NULL;
	prism_rcu_subscribe(n);
	return caa_container_of(n, struct rib_prefix, node);
}

static int rib_find_path(const struct rib_prefix *p, const struct rib_source *src, uint32_t id)
{
	for (unsigned i = 0; i < p->n_paths; i++)
		if (p->paths[i].src == src && p->paths[i].path_id == id)
			return (int)i;
	return -1;
}

/* Puts the decision's choice first. */
static void rib_order(struct rib_shard *s, struct rib_prefix *p)
{
	unsigned best = rib_decide(p->paths, p->n_paths, s->local_as);
	if (best) {
		struct rib_path t = p->paths[0];
		p->paths[0] = p->paths[best];
		p->paths[best] = t;
	}
}

static void rib_emit(struct rib_shard *s, const struct prefix *pfx, const struct rib_path *best,
                     struct rib_changes *out)
{
	struct rib_change ch;
	rib_change_from(&ch, pfx, best);
	rib_changes_push(out, &ch);
	RIB_STAT_ADD(s->best_changes, 1);
}

/* Swaps entry old (or nothing) for new (or nothing), and reports a best-path change. */
static void rib_commit(struct rib_shard *s, const struct prefix *pfx, uint64_t h,
                       struct rib_prefix *old, struct rib_prefix *new, struct rib_changes *out)
{
	if (new)
		prism_rcu_publish(new);
	if (old && new)
		cds_lfht_replace(s->ht, &(struct cds_lfht_iter){ .node = &old->node }, h, rib_match,
		                 pfx, &new->node);
	else if (new)
		cds_lfht_add(s->ht, h, &new->node);
	else if (old)
		cds_lfht_del(s->ht, &old->node);
	if (old)
		rib_garbage_add(s, old);
	int delta = (new ? 1 : 0) - (old ? 1 : 0);
	RIB_STAT_ADD(s->prefixes, (uint64_t)(int64_t)delta);
	const struct rib_path *was = old ? &old->paths[0] : NULL,
	                      *now = new ? &new->paths[0] : NULL;
	if (!was && !now)
		return;
	if (was && now && rib_same_best(was, now))
		return;
	rib_emit(s, pfx, now, out);
}

static void rib_withdraw(struct rib_shard *s, const struct rib_in *in, uint64_t h,
                         struct rib_changes *out)
{
	struct rib_prefix *old = rib_find(s, &in->pfx, h), *new = NULL;
	int i = old ? rib_find_path(old, in->src, in->pfx.path_id) : -1;
	if (i < 0)
		return;
	if (old->n_paths > 1) {
		new = rib_entry_alloc(&in->pfx, old->n_paths - 1u);
		unsigned k = 0;
		for (unsigned j = 0; j < old->n_paths; j++)
			if (j != (unsigned)i)
				new->paths[k++] = old->paths[j];
		rib_order(s, new);
	}
	rib_path_release(s, &old->paths[i]);
	RIB_STAT_ADD(s->paths, (uint64_t)-1);
	rib_commit(s, &in->pfx, h, old, new, out);
}

static void rib_announce(struct rib_shard *s, const struct rib_in *in, uint64_t h,
                         struct rib_changes *out)
{
	struct rib_prefix *old = rib_find(s, &in->pfx, h);
	int i = old ? rib_find_path(old, in->src, in->pfx.path_id) : -1;
	struct rib_path path = {
		.attrs = in->attrs, .out = in->out, .src = in->src, .path_id = in->pfx.path_id
	};

	if (i >= 0 && old->paths[i].attrs == in->attrs && old->paths[i].out == in->out) {
		/* the same route again: nothing changes */
		attr_unref(s->attrs, in->attrs);
		attr_unref(s->attrs, in->out);
		return;
	}
	unsigned n = old ? old->n_paths : 0;
	struct rib_prefix *new = rib_entry_alloc(&in->pfx, i >= 0 ? n : n + 1);
	for (unsigned j = 0; j < n; j++)
		new->paths[j] = old->paths[j];
	if (i >= 0) {
		rib_path_release(s, &old->paths[i]);
		new->paths[i] = path;
	} else {
		new->paths[n] = path;
		RIB_STAT_ADD(s->paths, 1);
	}
	in->src->paths_in[s->index]++;
	rib_order(s, new);
	rib_commit(s, &in->pfx, h, old, new, out);
}

void rib_shard_apply(struct rib_shard *s, const struct rib_in *in, uint32_t n,
                     struct rib_changes *out)
{
	prism_rcu_read_lock();
	for (uint32_t k = 0; k < n; k++) {
		uint64_t h = rib_hash(&in[k].pfx);
		if (in[k].attrs)
			rib_announce(s, &in[k], h, out);
		else
			rib_withdraw(s, &in[k], h, out);
	}
	prism_rcu_read_unlock();
	RIB_STAT_ADD(s->applied, n);
}

bool rib_shard_drop_source(struct rib_shard *s, struct rib_source *src, struct rib_changes *out)
{
	if (src->paths_in[s->index]) {
		struct cds_lfht_iter it;
		struct rib_prefix *p;
		prism_rcu_read_lock();
		cds_lfht_for_each_entry (s->ht, &it, p, node) {
			for (unsigned i = 0; i < p->n_paths; i++) {
				if (p->paths[i].src != src)
					continue;
				struct rib_in in = { .src = src,
					             .pfx.path_id = p->paths[i].path_id };
				rib_prefix_get(p, &in.pfx);
				in.pfx.path_id = p->paths[i].path_id;
				rib_withdraw(s, &in, rib_hash(&in.pfx), out);
				break; /* p may be gone; a source has one path per id, and ids are rare */
			}
		}
		prism_rcu_read_unlock();
	}
	/* ADD-PATH sources may have had several paths on one prefix: walk again if any are
	 * left. */
	if (src->paths_in[s->index])
		return rib_shard_drop_source(s, src, out);
	return __atomic_sub_fetch(&src->shards_left, 1, __ATOMIC_ACQ_REL) == 0;
}

void rib_shard_walk(struct rib_shard *s, rib_walk_fn fn, void *arg)
{
	struct cds_lfht_iter it;
	struct rib_prefix *p;
	cds_lfht_for_each_entry (s->ht, &it, p, node) {
		prism_rcu_subscribe(p);
		fn(p, arg);
	}
}

const struct rib_prefix *rib_shard_lookup(struct rib_shard *s, const struct prefix *pfx)
{
	return rib_find(s, pfx, rib_hash(pfx));
}

void rib_shard_stats(const struct rib_shard *s, struct rib_shard_stats *out)
{
	out->prefixes = __atomic_load_n(&s->prefixes, __ATOMIC_RELAXED);
	out->paths = __atomic_load_n(&s->paths, __ATOMIC_RELAXED);
	out->applied = __atomic_load_n(&s->applied, __ATOMIC_RELAXED);
	out->best_changes = __atomic_load_n(&s->best_changes, __ATOMIC_RELAXED);
}
