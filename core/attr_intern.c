/* The attribute intern table: one shared copy of every distinct attribute set.
 *
 * A set lives in a cds_lfht keyed by XXH3 of its canonical key, with a refcount. The last
 * attr_unref() unlinks it and frees it after a grace period. A lookup may meet a set whose
 * count has just reached zero but which is not unlinked yet: the match function skips such
 * dying sets, and a reference is only ever taken by incrementing a nonzero count, so a set
 * is never revived once its count hit zero.
 *
 * Refcounts use GCC __atomic builtins rather than liburcu's uatomic: they state their memory
 * order, and ThreadSanitizer sees them. The release store of refcnt = 1 publishes a new set;
 * attr_match() reads refcnt with acquire before it reads the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rcu.h" /* before rculfhash.h: it selects the flavour */

#include <urcu/rculfhash.h>
#include <xxhash.h>

#include "core/attr.h"

struct attr_table {
	struct cds_lfht *ht;
	unsigned long live;
	unsigned long bytes; /* malloc'd for live sets */
};

enum { ATTR_INTERN_MAX_TRIES = 1000 };

struct attr_table *attr_table_new(void)
{
	struct attr_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ht = cds_lfht_new(PRISM_LFHT_MIN(1024), PRISM_LFHT_MIN(1024), 0,
	                     PRISM_LFHT_FLAGS | CDS_LFHT_ACCOUNTING, NULL);
	if (!t->ht) {
		free(t);
		return NULL;
	}
	return t;
}

void attr_table_free(struct attr_table *t)
{
	if (!t)
		return;
	if (cds_lfht_destroy(t->ht, NULL) != 0) {
		fprintf(stderr, "attr_table_free: table not empty (%lu sets)\n", t->live);
		abort();
	}
	free(t);
}

static int attr_match(struct cds_lfht_node *node, const void *key)
{
	const struct attr *a = caa_container_of(node, struct attr, node);
	const struct attr *k = key;
	return __atomic_load_n(&a->refcnt, __ATOMIC_ACQUIRE) != 0 && a->key_len == k->key_len &&
	       memcmp(a->key, k->key, k->key_len) == 0;
}

/* Takes a reference unless the count already reached zero. */
static bool attr_ref_if_live(struct attr *a)
{
	uint32_t c = __atomic_load_n(&a->refcnt, __ATOMIC_ACQUIRE);
	while (c != 0)
		if (__atomic_compare_exchange_n(&a->refcnt, &c, c + 1, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			return true;
	return false;
}

static struct attr *attr_lookup_ref(struct attr_table *t, const struct attr *cand, uint64_t h)
{
	struct cds_lfht_iter it;
	struct attr *found = NULL;

	prism_rcu_read_lock();
	cds_lfht_lookup(t->ht, h, attr_match, cand, &it);
	struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
	if (n) {
		struct attr *a = caa_container_of(n, struct attr, node);
		if (attr_ref_if_live(a))
			found = a;
	}
	prism_rcu_read_unlock();
	return found;
}

static struct attr *attr_copy(const struct attr *cand, uint64_t h)
{
	size_t size = attr_size(cand->key_len);
	struct attr *a = malloc(size);
	if (!a) {
		fprintf(stderr, "attr_intern: out of memory\n");
		abort();
	}
	memcpy(a, cand, size);
	a->hash = h;
	cds_lfht_node_init(&a->node);
	__atomic_store_n(&a->refcnt, 1, __ATOMIC_RELEASE);
	return a;
}

/* Inserts fresh unless a live equal set got there first; returns the set to use. */
static struct attr *attr_insert(struct attr_table *t, struct attr *fresh)
{
	struct attr *winner = fresh;

	prism_rcu_read_lock();
	struct cds_lfht_node *n =
	        cds_lfht_add_unique(t->ht, fresh->hash, attr_match, fresh, &fresh->node);
	if (n != &fresh->node) {
		struct attr *a = caa_container_of(n, struct attr, node);
		winner = attr_ref_if_live(a) ? a : NULL;
	}
	prism_rcu_read_unlock();
	if (winner == fresh) {
		__atomic_add_fetch(&t->live, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->bytes, attr_size(fresh->key_len), __ATOMIC_RELAXED);
	} else {
		free(fresh);
	}
	return winner;
}

const struct attr *attr_intern(struct attr_table *t, const struct attr *cand)
{
	uint64_t h = XXH3_64bits(cand->key, cand->key_len);

	for (int tries = 0; tries < ATTR_INTERN_MAX_TRIES; tries++) {
		struct attr *a = attr_lookup_ref(t, cand, h);
		if (a)
			return a;
		a = attr_insert(t, attr_copy(cand, h));
		if (a)
			return a;
		/* An equal set died between lookup and insert; it is being unlinked. */
	}
	fprintf(stderr, "attr_intern: no progress after %d tries\n", ATTR_INTERN_MAX_TRIES);
	abort();
}

const struct attr *attr_ref(const struct attr *a)
{
	__atomic_add_fetch(&((struct attr *)a)->refcnt, 1, __ATOMIC_RELAXED);
	return a;
}

void attr_ref_n(const struct attr *a, uint32_t n)
{
	if (n)
		__atomic_add_fetch(&((struct attr *)a)->refcnt, n, __ATOMIC_RELAXED);
}

const struct attr *attr_ref_live(const struct attr *a)
{
	return attr_ref_if_live((struct attr *)a) ? a : NULL;
}

static void attr_free_rcu(struct rcu_head *head)
{
	prism_rcu_free_begin();
	free(caa_container_of(head, struct attr, rcu));
}

void attr_unref(struct attr_table *t, const struct attr *ca)
{
	struct attr *a = (struct attr *)ca;
	if (__atomic_sub_fetch(&a->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	prism_rcu_read_lock();
	int r = cds_lfht_del(t->ht, &a->node);
	prism_rcu_read_unlock();
	if (r != 0) {
		fprintf(stderr, "attr_unref: set %p was not in the table\n", (void *)a);
		abort();
	}
	__atomic_sub_fetch(&t->live, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&t->bytes, attr_size(a->key_len), __ATOMIC_RELAXED);
	prism_call_rcu(&a->rcu, attr_free_rcu);
}

unsigned long attr_table_bytes(struct attr_table *t)
{
	return __atomic_load_n(&t->bytes, __ATOMIC_RELAXED);
}

unsigned long attr_table_count(struct attr_table *t)
{
	return __atomic_load_n(&t->live, __ATOMIC_RELAXED);
}
