/* The RIB: prefixes split into shards by a hash of the prefix, each shard written by exactly
 * one worker thread and read by others under RCU.
 *
 * A shard is a table of struct rib_prefix (rib/rib_table.h). A prefix holds its paths inline,
 * best first; every change builds a new entry and swaps it in, and the old one is freed
 * after a grace period. A reader under rcu_read_lock() therefore always sees a whole entry,
 * and every pointer in it stays valid until it unlocks. Freed entries are batched into one
 * call_rcu per flush, so no entry carries an rcu_head.
 *
 * rib_decide.c holds the decision process: RFC 4271 9.1.2.2 with RFC 4456 section 9. */
#ifndef PRISM_RIB_RIB_H
#define PRISM_RIB_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/rcu.h"

#include "core/attr.h"
#include "core/prefix.h"

/* Where a path came from: the peer's side of one Established session. Created when the
 * session comes up and never changed; freed after a grace period once every shard has
 * dropped its paths. */
enum rib_src_kind { RIB_SRC_EBGP, RIB_SRC_CLIENT, RIB_SRC_NONCLIENT, RIB_SRC_LOCAL };

struct rib_source {
	uint32_t id;        /* unique over the daemon's life, for logs and the API */
	uint32_t router_id; /* the peer's BGP Identifier */
	uint32_t asn;
	uint32_t cluster_id; /* the cluster the peer belongs to (ours, or its override) */
	enum rib_src_kind kind;
	bool client_to_client; /* for clients: reflect to other clients of the cluster */
	struct sockaddr_storage addr;
	char name[128];
	/* shards that still have to drop this source's paths; the last one frees it */
	unsigned shards_left;
	struct rcu_head rcu;
	/* paths per shard, each counter written only by its shard's owner: a shard with none
	 * skips the walk when the source goes */
	uint32_t n_shards;
	uint32_t paths_in[];
};

/* A new source with room for n_shards counters; the caller fills in the rest. */
struct rib_source *rib_source_new(unsigned n_shards);
/* call_rcu callback that frees a source. */
void rib_source_free_rcu(struct rcu_head *head);

/* The peer address as an ordered key for the decision's last tie-break. */
int rib_source_addr_cmp(const struct rib_source *a, const struct rib_source *b);

/* A path holds its attributes in the form they are sent to internal peers: with
 * ORIGINATOR_ID and CLUSTER_LIST for a route from an internal peer, with LOCAL_PREF for one
 * from an external peer (core/reflect.c). The decision reads the same values from that form
 * as from the set received: ORIGINATOR_ID stands in for the BGP Identifier (RFC 4456 9), and
 * every internal path's CLUSTER_LIST is one longer. External peers are sent a set derived
 * from it. So the received set itself need not be kept. 24 octets. */
struct rib_path {
	const struct attr *attrs; /* interned */
	struct rib_source *src;
	uint32_t path_id; /* ADD-PATH identifier from the source, 0 without ADD-PATH */
	uint32_t flags;   /* RIB_PATH_STALE; only the shard owner reads or writes it */
};

/* Set by a BoRR (RFC 7313): the path goes at the EoRR unless the peer sends it again. */
enum { RIB_PATH_STALE = 1 };

/* 40 octets for an IPv4 prefix with one path (a 48-octet jemalloc class). An IPv6 address
 * does not fit the header and follows the paths. */
struct rib_prefix {
	uint32_t hash; /* low bits of rib_prefix_hash(): rehashing and probing skip XXH3 */
	uint16_t n_paths;
	uint8_t afi, len;
	uint8_t addr4[4];        /* IPv4 only */
	struct rib_path paths[]; /* paths[0] is the best; then the IPv6 address */
};

/* The entry's prefix, with path_id 0. */
void rib_prefix_get(const struct rib_prefix *p, struct prefix *out);

/* ---- decision (rib_decide.c) ---- */

/* The values the decision process compares, derived from a path once. */
struct rib_rank {
	uint32_t local_pref;
	uint32_t aspath_hops;
	uint32_t origin;
	uint32_t neighbor_as; /* leftmost AS of the path, or our AS for an empty one */
	uint32_t med;
	bool ebgp;
	uint32_t cluster_len;
	uint32_t router_id; /* ORIGINATOR_ID when present, else the peer's BGP Identifier */
	const struct rib_source *src;
	uint32_t path_id;
};

void rib_rank_of(const struct rib_path *p, uint32_t local_as, struct rib_rank *r);
/* The index of the best of n paths (n >= 1), by RFC 4271 9.1.2.2 and RFC 4456 9. Every
 * remaining tie is broken by peer address, then path identifier, so the choice never
 * depends on arrival order. */
unsigned rib_decide(const struct rib_path *paths, unsigned n, uint32_t local_as);

/* ---- shards (rib_shard.c) ---- */

/* One change to a shard: a path from src for pfx, or its withdrawal (attrs NULL). The
 * shard takes over the reference on attrs. */
struct rib_in {
	struct prefix pfx;
	uint64_t hash; /* rib_prefix_hash(&pfx), computed once by ingress */
	const struct attr *attrs;
	struct rib_source *src;
};

/* A change of best path, for the update groups: the new best, or a withdrawal (attrs NULL)
 * when the last path went. It holds a reference on attrs, and copies what export needs of
 * the source, so it may outlive the source. */
struct rib_change {
	struct prefix pfx; /* path_id 0 */
	const struct attr *attrs;
	uint32_t src_id;
	uint32_t src_cluster;
	uint8_t src_kind; /* enum rib_src_kind */
	bool src_c2c;
};

/* Fills ch from the best path of p (or as a withdrawal of pfx when p is NULL), taking
 * references. Also used by dumps. */
void rib_change_from(struct rib_change *ch, const struct prefix *pfx, const struct rib_path *best);

struct rib_changes {
	struct rib_change *v;
	uint32_t n, cap;
};

void rib_changes_push(struct rib_changes *c, const struct rib_change *ch);
/* Drops the references the changes hold and empties the list. */
void rib_changes_release(struct rib_changes *c, struct attr_table *t);
void rib_changes_free(struct rib_changes *c, struct attr_table *t);

struct rib_shard;

struct rib_shard *rib_shard_new(unsigned index, uint32_t local_as, struct attr_table *attrs);
/* Frees the shard and every path in it; no reader may be left. */
void rib_shard_free(struct rib_shard *s);

/* Applies changes in order; best-path changes are appended to out. */
void rib_shard_apply(struct rib_shard *s, const struct rib_in *in, uint32_t n,
                     struct rib_changes *out);
/* Removes every path from the n sources (their sessions went down), in one walk. The
 * sources that no shard holds paths from any more are put in gone[] (room for n), and the
 * caller frees them with call_rcu. Returns how many. */
unsigned rib_shard_drop(struct rib_shard *s, struct rib_source **srcs, unsigned n,
                        struct rib_changes *out, struct rib_source **gone);
/* RFC 7313 enhanced route refresh, for one family of src: mark every path stale (BoRR), or
 * remove the paths still stale (EoRR). */
void rib_shard_mark_stale(struct rib_shard *s, struct rib_source *src, uint8_t afi);
void rib_shard_purge_stale(struct rib_shard *s, struct rib_source *src, uint8_t afi,
                           struct rib_changes *out);
/* Frees what replaced entries left behind, after a grace period. Call after each batch. */
void rib_shard_flush(struct rib_shard *s);

/* Calls fn for every prefix, under the caller's rcu_read_lock(). */
typedef void (*rib_walk_fn)(const struct rib_prefix *p, void *arg);
void rib_shard_walk(struct rib_shard *s, rib_walk_fn fn, void *arg);
/* The entry for pfx, under the caller's rcu_read_lock(); NULL when absent. */
const struct rib_prefix *rib_shard_lookup(struct rib_shard *s, const struct prefix *pfx);

struct rib_shard_stats {
	uint64_t prefixes, paths;
	uint64_t applied, best_changes;
};
void rib_shard_stats(const struct rib_shard *s, struct rib_shard_stats *out);

/* The hash of a prefix (path_id aside), and the shard it belongs to for a shard count that
 * is a power of two. */
uint64_t rib_prefix_hash(const struct prefix *pfx);
static inline unsigned rib_shard_of_hash(uint64_t h, unsigned n_shards)
{
	/* The top bits: the table uses the low ones. */
	return (unsigned)(h >> 40) & (n_shards - 1);
}
unsigned rib_shard_of(const struct prefix *pfx, unsigned n_shards);

#endif
