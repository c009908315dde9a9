/* One RIB shard: its prefixes in a rib_table, written by its owner thread only. Entries are
 * copy-on-write: every change builds a new entry, swaps it in, and queues the old one to be
 * freed after a grace period, so readers never see a half-made entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/bgp.h"
#include "rib/rib.h"
#include "rib/rib_table.h"

enum { RIB_GARBAGE_MIN = 256 };

struct rib_shard {
	unsigned index;
	uint32_t local_as;
	struct attr_table *attrs;
	struct rib_table t;
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

/* A source's per-shard path counter: written only here, by the shard's owner, and read by
 * the API's thread; relaxed atomics, a plain load and store on the one writer's side. */
static inline void src_count(uint32_t *c, int d) // NOLINT(readability-non-const-parameter)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + (uint32_t)d, __ATOMIC_RELAXED);
}

static size_t rib_addr_len(uint8_t afi) { return afi == AFI_IPV6 ? 16 : 4; }

static uint64_t rib_hash_key(uint8_t afi, uint8_t len, const uint8_t *addr)
{
	uint8_t key[18];
	size_t n = rib_addr_len(afi);
	key[0] = afi;
	key[1] = len;
	memcpy(key + 2, addr, n);
	return XXH3_64bits(key, 2 + n);
}

static uint64_t rib_hash(const struct prefix *p) { return rib_hash_key(p->afi, p->len, p->addr); }

uint64_t rib_prefix_hash(const struct prefix *pfx) { return rib_hash(pfx); }

unsigned rib_shard_of(const struct prefix *pfx, unsigned n_shards)
{
	return rib_shard_of_hash(rib_hash(pfx), n_shards);
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

static bool rib_match(const struct rib_prefix *p, const struct prefix *k)
{
	if (p->afi != k->afi || p->len != k->len)
		return false;
	if (k->afi == AFI_IPV4)
		return memcmp(p->addr4, k->addr, 4) == 0;
	return memcmp(rib_prefix_addr(p), k->addr, 16) == 0;
}

/* ---- entries ---- */

static struct rib_prefix *rib_entry_alloc(const struct prefix *pfx, uint64_t h, unsigned n_paths)
{
	size_t extra = pfx->afi == AFI_IPV6 ? 16 : 0;
	struct rib_prefix *p = malloc(sizeof(*p) + sizeof(struct rib_path) * n_paths + extra);
	if (!p) {
		fprintf(stderr, "rib: out of memory\n");
		abort();
	}
	p->hash = (uint32_t)h;
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
	prism_call_rcu(&g->rcu, rib_garbage_free_rcu);
	/* after a burst, let the array go */
	if (s->cap_garbage > 4 * RIB_GARBAGE_MIN) {
		free(s->garbage);
		s->garbage = NULL;
		s->cap_garbage = 0;
	}
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
	return a->src == b->src && a->path_id == b->path_id && a->attrs == b->attrs;
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
	rib_table_init(&s->t);
	return s;
}

static void rib_path_release(struct rib_shard *s, const struct rib_path *p)
{
	attr_unref(s->attrs, p->attrs);
	src_count(&p->src->paths_in[s->index], -1);
}

static void rib_free_entry_cb(struct rib_prefix *p, void *arg)
{
	struct rib_shard *s = arg;
	for (unsigned i = 0; i < p->n_paths; i++)
		attr_unref(s->attrs, p->paths[i].attrs);
	rib_garbage_add(s, p);
}

void rib_shard_free(struct rib_shard *s)
{
	rib_table_walk(&s->t, rib_free_entry_cb, s);
	rib_shard_flush(s);
	rib_table_destroy(&s->t);
	free(s->garbage);
	free(s);
}

static struct rib_prefix *rib_find(struct rib_shard *s, const struct prefix *pfx, uint64_t h)
{
	return rib_table_lookup(&s->t, pfx, h, rib_match);
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
	if (old && new)
		rib_table_replace(&s->t, old, new, h, rib_match, pfx);
	else if (new)
		rib_table_insert(&s->t, new, h);
	else if (old)
		rib_table_delete(&s->t, old, h, rib_match, pfx);
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

/* Removes path i of old; old stays valid (it goes to the garbage). */
static void rib_remove_path(struct rib_shard *s, struct rib_prefix *old, unsigned i,
                            const struct prefix *pfx, uint64_t h, struct rib_changes *out)
{
	struct rib_prefix *new = NULL;
	if (old->n_paths > 1) {
		new = rib_entry_alloc(pfx, h, old->n_paths - 1u);
		unsigned k = 0;
		for (unsigned j = 0; j < old->n_paths; j++)
			if (j != i)
				new->paths[k++] = old->paths[j];
		rib_order(s, new);
	}
	rib_path_release(s, &old->paths[i]);
	RIB_STAT_ADD(s->paths, (uint64_t)-1);
	rib_commit(s, pfx, h, old, new, out);
}

static void rib_withdraw(struct rib_shard *s, const struct rib_in *in, uint64_t h,
                         struct rib_changes *out)
{
	struct rib_prefix *old = rib_find(s, &in->pfx, h);
	int i = old ? rib_find_path(old, in->src, in->pfx.path_id) : -1;
	if (i >= 0)
		rib_remove_path(s, old, (unsigned)i, &in->pfx, h, out);
}

static void rib_announce(struct rib_shard *s, const struct rib_in *in, uint64_t h,
                         struct rib_changes *out)
{
	struct rib_prefix *old = rib_find(s, &in->pfx, h);
	int i = old ? rib_find_path(old, in->src, in->pfx.path_id) : -1;
	struct rib_path path = { .attrs = in->attrs, .src = in->src, .path_id = in->pfx.path_id };

	if (i >= 0 && old->paths[i].attrs == in->attrs) {
		/* the same route again: nothing changes, but a stale mark goes */
		old->paths[i].flags = 0;
		attr_unref(s->attrs, in->attrs);
		return;
	}
	unsigned n = old ? old->n_paths : 0;
	struct rib_prefix *new = rib_entry_alloc(&in->pfx, h, i >= 0 ? n : n + 1);
	for (unsigned j = 0; j < n; j++)
		new->paths[j] = old->paths[j];
	if (i >= 0) {
		rib_path_release(s, &old->paths[i]);
		new->paths[i] = path;
	} else {
		new->paths[n] = path;
		RIB_STAT_ADD(s->paths, 1);
	}
	src_count(&in->src->paths_in[s->index], 1);
	rib_order(s, new);
	rib_commit(s, &in->pfx, h, old, new, out);
}

void rib_shard_apply(struct rib_shard *s, const struct rib_in *in, uint32_t n,
                     struct rib_changes *out)
{
	for (uint32_t k = 0; k < n; k++) {
		uint64_t h = in[k].hash;
		if (in[k].attrs)
			rib_announce(s, &in[k], h, out);
		else
			rib_withdraw(s, &in[k], h, out);
	}
	RIB_STAT_ADD(s->applied, n);
}

/* ---- dropping every path of some sources at once ---- */

static int rib_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

struct rib_drop {
	struct rib_shard *s;
	struct rib_source **srcs; /* sorted */
	unsigned n;
	struct rib_changes *out;
};

static bool rib_drop_has(const struct rib_drop *d, const struct rib_source *src)
{
	return bsearch(&src, d->srcs, d->n, sizeof(struct rib_source *), rib_ptr_cmp) != NULL;
}

/* One entry: every path from a dropped source goes, in one replacement. */
static void rib_drop_entry(struct rib_prefix *p, void *arg)
{
	struct rib_drop *d = arg;
	struct rib_shard *s = d->s;
	unsigned keep = 0;
	for (unsigned i = 0; i < p->n_paths; i++)
		keep += !rib_drop_has(d, p->paths[i].src);
	if (keep == p->n_paths)
		return;
	struct prefix pfx;
	rib_prefix_get(p, &pfx);
	uint64_t h = rib_hash(&pfx);
	struct rib_prefix *new = keep ? rib_entry_alloc(&pfx, h, keep) : NULL;
	unsigned k = 0;
	for (unsigned i = 0; i < p->n_paths; i++) {
		if (!rib_drop_has(d, p->paths[i].src)) {
			if (new)
				new->paths[k++] = p->paths[i];
			continue;
		}
		rib_path_release(s, &p->paths[i]);
		RIB_STAT_ADD(s->paths, (uint64_t)-1);
	}
	if (new)
		rib_order(s, new);
	rib_commit(s, &pfx, h, p, new, d->out);
}

unsigned rib_shard_drop(struct rib_shard *s, struct rib_source **srcs, unsigned n,
                        struct rib_changes *out, struct rib_source **gone)
{
	struct rib_source *stack[64],
	        **with = n <= 64 ? stack : malloc(sizeof(struct rib_source *) * n);
	unsigned n_with = 0, n_gone = 0;
	if (!with)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (srcs[i]->paths_in[s->index])
			with[n_with++] = srcs[i];
	if (n_with) {
		qsort(with, n_with, sizeof(struct rib_source *), rib_ptr_cmp);
		struct rib_drop d = { .s = s, .srcs = with, .n = n_with, .out = out };
		/* The walk reads the slot array it started on, which a shrink may retire: held
		 * under RCU like any reader. */
		prism_rcu_read_lock();
		rib_table_walk(&s->t, rib_drop_entry, &d);
		prism_rcu_read_unlock();
	}
	for (unsigned i = 0; i < n; i++)
		if (__atomic_sub_fetch(&srcs[i]->shards_left, 1, __ATOMIC_ACQ_REL) == 0)
			gone[n_gone++] = srcs[i];
	if (with != stack)
		free(with);
	return n_gone;
}

/* ---- enhanced route refresh ---- */

struct rib_stale {
	struct rib_shard *s;
	struct rib_source *src;
	uint8_t afi;
	struct rib_changes *out;
};

/* flags is the shard owner's own: readers never look at it, so it changes in place. */
static void rib_mark_entry(struct rib_prefix *p, void *arg)
{
	const struct rib_stale *st = arg;
	if (p->afi != st->afi)
		return;
	for (unsigned i = 0; i < p->n_paths; i++)
		if (p->paths[i].src == st->src)
			p->paths[i].flags |= RIB_PATH_STALE;
}

void rib_shard_mark_stale(struct rib_shard *s, struct rib_source *src, uint8_t afi)
{
	struct rib_stale st = { .s = s, .src = src, .afi = afi };
	if (src->paths_in[s->index])
		rib_table_walk(&s->t, rib_mark_entry, &st);
}

static void rib_purge_entry(struct rib_prefix *p, void *arg)
{
	const struct rib_stale *st = arg;
	if (p->afi != st->afi)
		return;
	for (unsigned i = 0; i < p->n_paths; i++) {
		if (p->paths[i].src == st->src && (p->paths[i].flags & RIB_PATH_STALE)) {
			struct prefix pfx;
			rib_prefix_get(p, &pfx);
			/* one stale path per entry: a source has one path per path id, and the
			 * withdrawal replaces the entry */
			rib_remove_path(st->s, p, i, &pfx, rib_hash(&pfx), st->out);
			return;
		}
	}
}

void rib_shard_purge_stale(struct rib_shard *s, struct rib_source *src, uint8_t afi,
                           struct rib_changes *out)
{
	struct rib_stale st = { .s = s, .src = src, .afi = afi, .out = out };
	if (!src->paths_in[s->index])
		return;
	/* An ADD-PATH source may have several stale paths on one entry: walk until none. */
	for (unsigned round = 0; round < 64; round++) {
		uint64_t before = s->paths;
		prism_rcu_read_lock();
		rib_table_walk(&s->t, rib_purge_entry, &st);
		prism_rcu_read_unlock();
		if (s->paths == before)
			break;
	}
}

struct rib_walk_arg {
	rib_walk_fn fn;
	void *arg;
};

static void rib_walk_one(struct rib_prefix *p, void *arg)
{
	struct rib_walk_arg *w = arg;
	w->fn(p, w->arg);
}

void rib_shard_walk(struct rib_shard *s, rib_walk_fn fn, void *arg)
{
	struct rib_walk_arg w = { .fn = fn, .arg = arg };
	rib_table_walk(&s->t, rib_walk_one, &w);
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
