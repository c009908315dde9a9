/* A shard's prefix table: one writer, RCU readers (rib/rib_table.c says why it is not a
 * cds_lfht). Lookups and walks by readers need rcu_read_lock(); the writer may call
 * anything without it. */
#ifndef PRISM_RIB_RIB_TABLE_H
#define PRISM_RIB_RIB_TABLE_H

#include <stdint.h>

#include "core/prefix.h"
#include "core/rcu.h"

struct rib_prefix;
struct rib_slots;

struct rib_table {
	struct rib_slots *cur; /* RCU-published */
	uint32_t live;         /* entries */
	uint32_t used;         /* entries and tombstones */
};

typedef bool (*rib_table_match_fn)(const struct rib_prefix *p, const struct prefix *pfx);

void rib_table_init(struct rib_table *t);
/* Frees the slot array (not the entries); no reader may be left. */
void rib_table_destroy(struct rib_table *t);

struct rib_prefix *rib_table_lookup(const struct rib_table *t, const struct prefix *pfx, uint64_t h,
                                    rib_table_match_fn match);
/* Writer only. insert: pfx must not be in the table yet. */
void rib_table_insert(struct rib_table *t, struct rib_prefix *p, uint64_t h);
void rib_table_replace(struct rib_table *t, struct rib_prefix *old, struct rib_prefix *p,
                       uint64_t h, rib_table_match_fn match, const struct prefix *pfx);
void rib_table_delete(struct rib_table *t, struct rib_prefix *old, uint64_t h,
                      rib_table_match_fn match, const struct prefix *pfx);
void rib_table_walk(const struct rib_table *t, void (*fn)(struct rib_prefix *p, void *arg),
                    void *arg);
uint32_t rib_table_size(const struct rib_table *t);

#endif
