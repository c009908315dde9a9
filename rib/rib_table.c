/* A shard's prefix table: open addressing over entry pointers, for one writer and any number
 * of RCU readers.
 *
 * Why not cds_lfht: a shard has exactly one writer, so the table needs none of cds_lfht's
 * lock-free insertion. What it needs is fast lookups and little memory per prefix, and
 * cds_lfht costs both: a 16-octet node in every entry, and during a burst of inserts its
 * resize (done later, on liburcu's worker) leaves long chains behind. Measured on a 1M-route
 * load, cds_lfht_lookup was a third of the daemon's time.
 *
 * Readers load the slot array with rcu_dereference and each slot with an acquire load; the
 * writer stores whole entry pointers with release stores, so a reader sees an entry fully
 * built or not at all. Deleted slots hold a tombstone, so entries never move within an array;
 * growing or cleaning copies the live entries into a new array, published with
 * rcu_assign_pointer, and the old one is freed after a grace period. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "rib/rib.h"
#include "rib/rib_table.h"

#define RIB_TOMB ((struct rib_prefix *)1)

enum { RIB_TABLE_MIN = 256 };

struct rib_slots {
	struct rcu_head rcu;
	uint32_t mask;
	struct rib_prefix *slot[];
};

static struct rib_slots *rib_slots_new(uint32_t size)
{
	struct rib_slots *s = calloc(1, sizeof(*s) + sizeof(struct rib_prefix *) * size);
	if (!s)
		log_die("no memory for %u RIB slots", size);
	s->mask = size - 1;
	return s;
}

static void rib_slots_free_rcu(struct rcu_head *head)
{
	prism_rcu_free_begin();
	free(caa_container_of(head, struct rib_slots, rcu));
}

void rib_table_init(struct rib_table *t)
{
	t->cur = rib_slots_new(RIB_TABLE_MIN);
	t->live = t->used = 0;
}

void rib_table_destroy(struct rib_table *t)
{
	free(t->cur);
	t->cur = NULL;
}

static struct rib_prefix *rib_slot_get(struct rib_prefix *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static void rib_slot_set(struct rib_prefix **slot, struct rib_prefix *p)
{
	__atomic_store_n(slot, p, __ATOMIC_RELEASE);
}

struct rib_prefix *rib_table_lookup(const struct rib_table *t, const struct prefix *pfx, uint64_t h,
                                    rib_table_match_fn match)
{
	const struct rib_slots *s = rcu_dereference(t->cur);
	for (uint32_t i = (uint32_t)h & s->mask, n = 0; n <= s->mask; i = (i + 1) & s->mask, n++) {
		struct rib_prefix *p = rib_slot_get(&s->slot[i]);
		if (!p)
			return NULL;
		if (p != RIB_TOMB && p->hash == (uint32_t)h && match(p, pfx))
			return p;
	}
	return NULL;
}

/* Writer: the slot holding the entry for pfx, or -1. */
static int64_t rib_table_find_slot(const struct rib_table *t, const struct prefix *pfx, uint64_t h,
                                   rib_table_match_fn match)
{
	const struct rib_slots *s = t->cur;
	for (uint32_t i = (uint32_t)h & s->mask, n = 0; n <= s->mask; i = (i + 1) & s->mask, n++) {
		struct rib_prefix *p = s->slot[i];
		if (!p)
			return -1;
		if (p != RIB_TOMB && p->hash == (uint32_t)h && match(p, pfx))
			return i;
	}
	return -1;
}

/* Copies the live entries into an array sized for them, and swaps it in. */
static void rib_table_rehash(struct rib_table *t)
{
	uint32_t size = RIB_TABLE_MIN;
	while (size < (t->live + 1) * 4)
		size *= 2;
	struct rib_slots *old = t->cur, *s = rib_slots_new(size);
	for (uint32_t i = 0; i <= old->mask; i++) {
		struct rib_prefix *p = old->slot[i];
		if (!p || p == RIB_TOMB)
			continue;
		uint32_t k = p->hash & s->mask;
		while (s->slot[k])
			k = (k + 1) & s->mask;
		s->slot[k] = p;
	}
	t->used = t->live;
	rcu_assign_pointer(t->cur, s);
	prism_call_rcu(&old->rcu, rib_slots_free_rcu);
}

/* At most half full: linear probing's misses (most lookups during a load are misses) stay
 * at two or three slots. */
void rib_table_insert(struct rib_table *t, struct rib_prefix *p, uint64_t h)
{
	if ((t->used + 1) * 2 > t->cur->mask + 1)
		rib_table_rehash(t);
	struct rib_slots *s = t->cur;
	uint32_t i = (uint32_t)h & s->mask;
	/* The key is not in the table (the caller looked): the first free or dead slot will do. */
	while (s->slot[i] && s->slot[i] != RIB_TOMB)
		i = (i + 1) & s->mask;
	if (!s->slot[i])
		t->used++;
	t->live++;
	rib_slot_set(&s->slot[i], p);
}

void rib_table_replace(struct rib_table *t, struct rib_prefix *old, struct rib_prefix *p,
                       uint64_t h, rib_table_match_fn match, const struct prefix *pfx)
{
	int64_t i = rib_table_find_slot(t, pfx, h, match);
	if (i < 0 || t->cur->slot[i] != old)
		log_die("replacing an entry that is not in the table");
	rib_slot_set(&t->cur->slot[i], p);
}

void rib_table_delete(struct rib_table *t, struct rib_prefix *old, uint64_t h,
                      rib_table_match_fn match, const struct prefix *pfx)
{
	int64_t i = rib_table_find_slot(t, pfx, h, match);
	if (i < 0 || t->cur->slot[i] != old)
		log_die("deleting an entry that is not in the table");
	rib_slot_set(&t->cur->slot[i], RIB_TOMB);
	t->live--;
	/* Mostly dead: shrink, which also clears the tombstones. */
	if (t->cur->mask + 1 > RIB_TABLE_MIN && t->live * 8 < t->cur->mask + 1)
		rib_table_rehash(t);
}

void rib_table_walk(const struct rib_table *t, void (*fn)(struct rib_prefix *p, void *arg),
                    void *arg)
{
	const struct rib_slots *s = rcu_dereference(t->cur);
	for (uint32_t i = 0; i <= s->mask; i++) {
		struct rib_prefix *p = rib_slot_get(&s->slot[i]);
		if (p && p != RIB_TOMB)
			fn(p, arg);
	}
}

uint32_t rib_table_size(const struct rib_table *t) { return t->cur->mask + 1; }
