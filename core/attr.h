/* Path attribute sets: the canonical form, the per-code descriptor table, and interning.
 *
 * A decoded attribute set is stored in one canonical byte string, its key:
 *   key[0]          length of the MP_REACH_NLRI next hop (0, 4, 16 or 32)
 *   key[1..]        that next hop
 *   then            every other attribute as a wire TLV, in ascending type code order, with
 *                   the extended-length flag set exactly when the value exceeds 255 octets,
 *                   AS_PATH and AGGREGATOR always in their 4-octet forms, AS4_PATH and
 *                   AS4_AGGREGATOR merged away (RFC 6793), MP_REACH/MP_UNREACH left out.
 * Two sets are equal exactly when their keys are equal, so interned sets compare by pointer.
 * The parsed fields beside the key are derived from it and are never compared. */
#ifndef PRISM_CORE_ATTR_H
#define PRISM_CORE_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "core/buf.h"
#include "core/msg.h"

/* ---- the attribute set (attr.c) ---- */

struct attr {
	/* interning bookkeeping */
	struct cds_lfht_node node;
	struct rcu_head rcu;
	uint64_t hash;
	uint32_t refcnt; /* atomic; 0 in a set that is not interned */
	/* derived from key, for fast reads */
	uint64_t present; /* bit c set when attribute code c (< 64) is present */
	uint8_t origin;
	uint32_t med;
	uint32_t local_pref;
	uint32_t originator_id;
	uint32_t nexthop;     /* IPv4 NEXT_HOP, host byte order */
	uint16_t aspath_hops; /* AS_PATH length for the decision process (RFC 4271 9.1.2.2) */
	uint16_t cluster_len; /* number of CLUSTER_LIST entries */
	uint32_t key_len;
	uint8_t key[];
};

/* Bytes a struct attr needs for a key of key_len bytes. */
static inline size_t attr_size(size_t key_len) { return sizeof(struct attr) + key_len; }

static inline bool attr_has(const struct attr *a, uint8_t code)
{
	return code < 64 && (a->present >> code & 1);
}

/* The MP_REACH next hop stored in the key. */
static inline const uint8_t *attr_mp_nexthop(const struct attr *a, uint8_t *len)
{
	*len = a->key[0];
	return a->key + 1;
}

/* Iterates the canonical TLVs. Usage:
 *   struct attr_iter it = attr_iter_start(a);
 *   while (attr_iter_next(&it)) use it.flags, it.code, it.val, it.len; */
struct attr_iter {
	const uint8_t *p, *end;
	uint8_t flags, code;
	uint16_t len;
	const uint8_t *val;
	const uint8_t *tlv; /* start of the whole TLV */
	uint16_t tlv_len;
};
struct attr_iter attr_iter_start(const struct attr *a);
bool attr_iter_next(struct attr_iter *it);

/* Finds attribute code; returns its value and length, or NULL when absent. */
const uint8_t *attr_get(const struct attr *a, uint8_t code, uint16_t *len);

/* Builds a set from parts: an MP next hop and a TLV list. Used to derive new sets (for
 * example adding ORIGINATOR_ID and CLUSTER_LIST when reflecting). */
struct attr_builder {
	uint8_t nh_len;
	uint8_t nh[32];
	uint16_t n;
	struct {
		uint8_t flags, code;
		uint16_t len;
		const uint8_t *val;
	} tlv[256];
};
void attr_builder_from(struct attr_builder *b, const struct attr *a);
/* Sets (replacing any existing) attribute code with flags and value; val is not copied and
 * must outlive attr_builder_finish(). */
void attr_builder_set(struct attr_builder *b, uint8_t flags, uint8_t code, const uint8_t *val,
                      uint16_t len);
void attr_builder_remove(struct attr_builder *b, uint8_t code);
/* Writes the canonical set into out (capacity out_size bytes, including the struct header).
 * Returns out as a struct attr, or NULL when it does not fit. */
struct attr *attr_builder_finish(const struct attr_builder *b, void *out, size_t out_size);
/* Fills the derived fields from the key. Returns 0, or -1 when the key is not canonical. */
int attr_derive(struct attr *a);

/* ---- the descriptor table: one row per attribute code (attr_desc.c) ---- */

struct attr_parse; /* decoder state, private to msg_update.c and attr_desc.c */

/* Hooks may assume val holds len bytes. check() validates (and may rewrite, as for AS_PATH in
 * 2-octet form) and returns MSG_OK or the RFC 7606 action for a malformation, filling
 * e->reason. to_json() formats a canonical value. */
struct attr_desc {
	const char *name; /* readable key, as in prism-decode's JSON */
	uint8_t flags;    /* expected OPTIONAL and TRANSITIVE bits */
	uint8_t subcode;  /* UPDATE error subcode for a malformation */
	/* RFC 7606 3(c): wrong flags make the attribute malformed, handled as the attribute's
	 * own spec says: treat-as-withdraw for most, attribute-discard for a few. */
	enum msg_action malformed;
	enum msg_action (*check)(struct attr_parse *ps, const uint8_t *val, uint16_t len,
	                         struct msg_err *e);
	struct json_t *(*to_json)(const uint8_t *val, uint16_t len);
};

/* The row for code, or NULL when prism does not know the code. */
const struct attr_desc *attr_desc_get(uint8_t code);

/* ---- AS paths (aspath.c) ---- */

/* Validates an AS_PATH value of as_size-octet ASNs (2 or 4). Returns 0 or -1 with *reason. */
int aspath_validate(const uint8_t *val, size_t len, int as_size, bool allow_confed,
                    const char **reason);
/* Rewrites a valid 2-octet AS_PATH as 4-octet into out (capacity 2*len). Returns bytes. */
size_t aspath_widen(const uint8_t *val, size_t len, uint8_t *out);
/* Path length per RFC 4271 9.1.2.2: an AS_SET counts 1, confederation segments 0. */
unsigned aspath_hops(const uint8_t *val4, size_t len);
/* RFC 6793 4.2.3: merges a 4-octet AS_PATH with AS4_PATH into out. Returns bytes written. */
size_t aspath_merge_as4(const uint8_t *path, size_t path_len, const uint8_t *as4, size_t as4_len,
                        uint8_t *out, size_t out_size);
/* Writes a 4-octet path in 2-octet form (AS_TRANS for large ASNs) into w; returns true when
 * some ASN did not fit, so that AS4_PATH is needed. */
bool aspath_write_narrow(struct wbuf *w, const uint8_t *val4, size_t len);
/* Writes the AS4_PATH value for val4: the path without confederation segments. */
void aspath_write_as4(struct wbuf *w, const uint8_t *val4, size_t len);
/* The leftmost AS of a 4-octet path (the neighbour AS) after any confederation segments, or
 * 0 when the path is empty or begins with an AS_SET. */
uint32_t aspath_first_as(const uint8_t *val4, size_t len);

/* ---- writing a set to the wire (attr_encode.c) ---- */

/* Writes the path attributes of a into w for a peer with context ctx: MP_REACH / MP_UNREACH
 * first (either may be NULL or not present), then a's attributes, with AS4_PATH /
 * AS4_AGGREGATOR for a 2-octet peer. a may be NULL for an MP_UNREACH-only UPDATE. */
void attr_write(struct wbuf *w, const struct attr *a, const struct msg_ctx *ctx,
                const struct mp_reach *reach, const struct mp_unreach *unreach);

/* ---- interning (attr_intern.c) ---- */

/* The intern table. All calls must be made by RCU-registered threads, outside any RCU read
 * section (they take their own). */
struct attr_table;
struct attr_table *attr_table_new(void);
/* Frees the table; every set must have been released, and call_rcu callbacks flushed with
 * rcu_barrier(). */
void attr_table_free(struct attr_table *t);

/* Returns the shared copy of a with one reference for the caller; a itself is not kept. */
const struct attr *attr_intern(struct attr_table *t, const struct attr *a);
/* Adds a reference to an interned set. */
const struct attr *attr_ref(const struct attr *a);
/* Adds n references at once (one per prefix of an UPDATE). */
void attr_ref_n(const struct attr *a, uint32_t n);
/* For a set seen under RCU whose holder may be letting go: a reference, or NULL when the
 * last one is already gone (the set is on its way to being freed). */
const struct attr *attr_ref_live(const struct attr *a);
/* Drops a reference; the last one unlinks the set and frees it after a grace period. */
void attr_unref(struct attr_table *t, const struct attr *a);
/* Number of distinct interned sets (approximate under concurrent changes), and the memory
 * they take. */
unsigned long attr_table_count(struct attr_table *t);
unsigned long attr_table_bytes(struct attr_table *t);

/* ---- JSON (attr_json.c) ---- */

/* The set as a JSON object with readable keys: origin, as_path, next_hop, med, local_pref,
 * atomic_aggregate, aggregator, communities, originator_id, cluster_list,
 * ext_communities, large_communities, and "attr_N" for unknown codes. */
struct json_t *attr_to_json(const struct attr *a);

#endif
