/* prism-bench: synthetic BGP peers that load-test a route reflector and verify what it sends.
 *
 * The pieces, by file:
 *   pb_plan.c    the address plan and route universe: who each peer is, which prefixes each
 *                feeder owns, the attributes it sends, and what a reflector must send back
 *   pb_buf.c     growable byte buffers and UPDATE packing
 *   pb_table.c   a listener's view of the routes it received, checked route by route
 *   pb_hist.c    latency histograms
 *   pb_peer.c    BGP sessions on per-thread libev loops
 *   pb_run.c     scenarios: phases, churn, flaps, convergence, the result
 *   pb_replay.c  the replay server: a null reflector that streams a pre-encoded table
 *   pb_report.c  /proc sampling, the JSON result and the human summary
 *   pb_cli.c     the command line: options, the scenario word, the usage checks
 *   prism-bench.c  main()
 * Everything here is prism-bench's own; the codec in core/ does the wire work. */
#ifndef PRISM_BENCH_PB_H
#define PRISM_BENCH_PB_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/attr.h"
#include "core/msg.h"
#include "core/prefix.h"

/* Relaxed atomics for state one thread writes and others read (counters, want[]). */
#define PB_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define PB_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define PB_ADD(x, v)   __atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

enum {
	PB_MAX_CLUSTER = 8,
	PB_MAX_EXAMPLES = 5,
	/* have[] values of a listener table besides epoch + 1 */
	PB_HAVE_NONE = 0,
	PB_HAVE_WRONG = 0xffff,
	PB_EPOCH_MAX = 0xfffd, /* want[] and have[] store epoch + 1 in 16 bits */
	PB_WANT_ABSENT = 0,
};

/* ---- pb_buf.c ---- */

struct pb_buf {
	uint8_t *data;
	size_t len, cap;
};

void pb_buf_reserve(struct pb_buf *b, size_t more);
void pb_buf_append(struct pb_buf *b, const void *p, size_t n);
void pb_buf_free(struct pb_buf *b);

/* ---- pb_plan.c: the address plan and the route universe ---- */

/* Peers are numbered 0..n_peers-1. With n_feeders == 0 every peer both feeds and listens
 * (calico); otherwise peers 0..n_feeders-1 only feed and the rest only listen (fanout).
 * Feeder f owns routes f*per_feeder .. (f+1)*per_feeder-1. */
struct pb_plan {
	uint32_t n_peers;
	uint32_t n_feeders; /* 0: every peer is both */
	uint32_t per_feeder;
	uint32_t n_routes;
	uint8_t len4_min, len4_max; /* IPv4 prefix lengths, spread evenly over the routes */
	uint8_t len6_min, len6_max;
	uint8_t v6_pct;     /* share of each feeder's routes that are IPv6 */
	uint32_t attr_sets; /* distinct attribute sets per feeder */
	uint32_t asn;       /* every synthetic peer's AS */
	uint32_t src_base;  /* first source address, host order; also the first router ID */
	bool v6_transport;  /* connect from IPv6 sources */
	struct in6_addr src6_base;
	bool large_communities;
	uint32_t n_cluster; /* the CLUSTER_LIST a reflected route must carry */
	uint32_t cluster[PB_MAX_CLUSTER];
	/* derived */
	uint32_t base4; /* first IPv4 prefix */
	uint8_t shift4; /* 32 - len4_min: bits per IPv4 slot */
	uint8_t shift6; /* 128 - len6_min */
	uint32_t n_feeders_eff;
};

/* Validates the plan and fills the derived fields; on error returns -1 with the reason in
 * why (size bytes), which names the command-line options and values at fault. */
int pb_plan_init(struct pb_plan *p, char *why, size_t size);

bool pb_peer_feeds(const struct pb_plan *p, uint32_t peer);
bool pb_peer_listens(const struct pb_plan *p, uint32_t peer);
/* The feeder index of a peer, or -1 when it does not feed. Feeder f is peer f. */
int64_t pb_peer_feeder(const struct pb_plan *p, uint32_t peer);
uint32_t pb_n_feeders(const struct pb_plan *p);
uint32_t pb_n_listeners(const struct pb_plan *p);

/* The peer's IPv4 source address and router ID (host order): 254 per /24, skipping .0 and
 * .255. */
uint32_t pb_peer_addr4(const struct pb_plan *p, uint32_t peer);
void pb_peer_addr6(const struct pb_plan *p, uint32_t peer, struct in6_addr *out);
/* A feeder's next hops: 198.18.0.0/15 (RFC 2544) and fd00:198:18::/48, data only. */
uint32_t pb_feeder_nh4(uint32_t feeder);
void pb_feeder_nh6(uint32_t feeder, uint8_t out[16]);

static inline uint32_t pb_route_owner(const struct pb_plan *p, uint32_t r)
{
	return p->n_feeders_eff == 1 ? 0 : r / p->per_feeder;
}
bool pb_route_v6(const struct pb_plan *p, uint32_t r);
/* Owner, set and family of r at once (the receive path's one division). */
void pb_route_info(const struct pb_plan *p, uint32_t r, uint32_t *f, uint32_t *s, bool *v6);
uint32_t pb_route_set(const struct pb_plan *p, uint32_t r);
void pb_route_prefix(const struct pb_plan *p, uint32_t r, struct prefix *out);
/* The route a prefix belongs to, or -1 when it is not in the universe. */
int64_t pb_route_of(const struct pb_plan *p, const struct prefix *pfx);

/* The attribute set feeder f sends for its routes of set s at epoch e (MED carries the
 * epoch), and the set a reflector must send on: the same plus ORIGINATOR_ID = the feeder's
 * router ID and CLUSTER_LIST = plan->cluster. Written into out (size bytes). */
struct attr *pb_attrs_build(const struct pb_plan *p, uint32_t f, uint32_t s, uint32_t epoch,
                            bool v6, bool reflected, void *out, size_t size);

/* ---- pb_buf.c: packing UPDATEs ---- */

/* Appends UPDATEs announcing routes[0..n) (all of feeder f, set s, family v6) at epoch e,
 * packed as tightly as ctx's message size allows. reflected: with ORIGINATOR_ID and
 * CLUSTER_LIST, as a reflector would send them. Returns the number of UPDATEs. */
unsigned pb_pack_announce(const struct pb_plan *p, const struct msg_ctx *ctx,
                          const uint32_t *routes, uint32_t n, uint32_t epoch, bool reflected,
                          struct pb_buf *out);
/* Appends UPDATEs withdrawing routes[0..n) of one family. */
unsigned pb_pack_withdraw(const struct pb_plan *p, const struct msg_ctx *ctx,
                          const uint32_t *routes, uint32_t n, bool v6, struct pb_buf *out);
void pb_pack_eor(bool v6, struct pb_buf *out);
void pb_pack_keepalive(struct pb_buf *out);

/* Appends feeder f's whole table as want[] says it should be (routes with want 0 are left
 * out), grouped by family, set and epoch. Returns the number of routes. */
uint32_t pb_pack_feeder_table(const struct pb_plan *p, const struct msg_ctx *ctx, uint32_t f,
                              const uint16_t *want, bool reflected, struct pb_buf *out);

/* ---- pb_hist.c ---- */

enum { PB_HIST_SUB = 16, PB_HIST_EXP = 40 };

/* Log-linear histogram of microseconds: 16 sub-buckets per power of two. */
struct pb_hist {
	uint64_t count, max_us, sum_us;
	uint64_t bucket[PB_HIST_EXP * PB_HIST_SUB];
};

void pb_hist_add(struct pb_hist *h, uint64_t us);
void pb_hist_merge(struct pb_hist *into, const struct pb_hist *from);
/* The q-quantile (0..1), in microseconds; 0 for an empty histogram. */
uint64_t pb_hist_quantile(const struct pb_hist *h, double q);

/* ---- pb_table.c: one listener's received routes ---- */

/* Where a listener stands. Written only by the listener's thread; the main thread reads the
 * counters with relaxed atomic loads for progress. */
struct pb_table {
	uint32_t n_routes;
	int64_t own_feeder;     /* the listener's own feeder index, or -1 */
	uint32_t own_lo, own_n; /* its routes: own_lo .. own_lo + own_n - 1 */
	uint16_t *have;         /* per route: PB_HAVE_NONE, epoch + 1, or PB_HAVE_WRONG */
	/* incremental counts against want[] (exact while want[] does not change) */
	uint32_t n_expect;     /* routes want[] says this listener must hold */
	uint32_t n_good;       /* ... and holds with the right epoch and attributes */
	uint32_t n_extra;      /* routes held that want[] says are absent */
	uint32_t n_wrong;      /* routes held with wrong attributes */
	uint32_t n_own;        /* the listener's own routes sent back to it (RFC 4456 8 allows) */
	uint32_t n_unknown;    /* prefixes outside the universe held now */
	uint64_t n_errors;     /* UPDATEs with RFC 7606 errors */
	uint64_t t_correct_ns; /* when n_good last reached n_expect with nothing extra */
	uint64_t t_change_ns;  /* the last receive that changed the table */
	/* The prefixes outside the universe, as a set: a reflector may send an old route in a
	 * dump and withdraw it right after, which is no fault. */
	struct prefix *unknown;
	uint8_t *unknown_used; /* 0 free, 1 used, 2 deleted */
	uint32_t unknown_cap;
	/* the last expected attribute set computed, reused across a packed UPDATE */
	uint32_t cache_f, cache_s, cache_epoch;
	bool cache_v6, cache_ok;
	_Alignas(struct attr) uint8_t cache[512];
};

/* The shared expectation: what every listener must end up with, route by route, and when
 * each route last changed (for latency). Written by feeder threads with atomic stores. */
struct pb_expect {
	uint16_t *want;   /* PB_WANT_ABSENT or epoch + 1 */
	uint64_t *t_sent; /* CLOCK_MONOTONIC ns of the last change sent */
};

int pb_table_init(struct pb_table *t, const struct pb_plan *p, int64_t own_feeder,
                  const struct pb_expect *x);
void pb_table_free(struct pb_table *t);
/* Forgets every route (the session went down) and recounts against x. */
void pb_table_reset(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x);
/* Applies one decoded UPDATE. Latencies of routes that became what want[] says are added
 * to h. Returns the number of routes whose state changed. */
uint32_t pb_table_apply(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                        const struct msg_update *u, uint64_t now_ns, struct pb_hist *h);
/* True when the listener holds exactly what want[] says (by the incremental counts). */
bool pb_table_correct(const struct pb_table *t);

/* The fast path for received UPDATEs. A reflector sends the same attribute bytes to every
 * listener, so each distinct attribute block is fully decoded and verified once per thread;
 * after that an UPDATE with those bytes is applied straight from the wire. The verdict of a
 * block is the (feeder, set, epoch) it is exactly right for; every prefix is still checked
 * to belong to that feeder and set. */
enum { PB_VCACHE_N = 4096, PB_VCACHE_WAYS = 4, PB_VCACHE_BYTES = 128 };

struct pb_vcache_entry {
	uint64_t hash;
	uint32_t f;
	uint16_t s, len; /* len 0: empty slot */
	uint32_t epoch;
	uint8_t bytes[PB_VCACHE_BYTES];
};

/* Whole UPDATEs, once their every prefix has been checked: the routes they withdraw and
 * announce, so that the next listener to get the same bytes only replays them. */
enum { PB_MCACHE_N = 4096 }; /* also PB_VCACHE_WAYS ways */

struct pb_mcache_entry {
	uint64_t hash;
	uint32_t len; /* 0: empty */
	uint32_t n_wd, n_ann;
	uint16_t v;   /* have[] value of every announced route */
	uint8_t *msg; /* a copy of the message, then the routes (uint32) */
};

struct pb_vcache {
	struct pb_vcache_entry e[PB_VCACHE_N];
	struct pb_mcache_entry m[PB_MCACHE_N];
	uint32_t next_way; /* round-robin replacement */
	uint64_t hits, misses, replays;
};

void pb_vcache_free(struct pb_vcache *c);

/* Applies an UPDATE of IPv4 NLRI and withdrawals whose attribute block is cached. Returns
 * the number of prefixes applied, or -1 when it needs the full decoder (nothing has been
 * applied then). */
int64_t pb_table_apply_fast(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                            struct pb_vcache *c, const uint8_t *msg, size_t len, uint64_t now_ns,
                            struct pb_hist *h);
/* After the full decoder applied u (from msg): remember its attribute block when it
 * verified. */
void pb_vcache_learn(struct pb_vcache *c, struct pb_table *t, const struct pb_plan *p,
                     const uint8_t *msg, size_t len, const struct msg_update *u);

/* The outcome of a full check of one table against want[]. */
struct pb_verdict {
	uint64_t ok, missing, extra, stale, wrong, own, unknown;
	struct prefix ex_missing[PB_MAX_EXAMPLES], ex_extra[PB_MAX_EXAMPLES],
	        ex_stale[PB_MAX_EXAMPLES], ex_wrong[PB_MAX_EXAMPLES], ex_unknown[PB_MAX_EXAMPLES];
	/* examples: the listener peer index of each */
	uint32_t exl_missing[PB_MAX_EXAMPLES], exl_extra[PB_MAX_EXAMPLES],
	        exl_stale[PB_MAX_EXAMPLES], exl_wrong[PB_MAX_EXAMPLES],
	        exl_unknown[PB_MAX_EXAMPLES];
};

/* Compares the whole table with want[], adding counts and the first examples to v. Also
 * recounts the incremental counters, so they are exact again. */
void pb_table_check(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                    uint32_t listener, struct pb_verdict *v);
bool pb_verdict_ok(const struct pb_verdict *v);
void pb_verdict_merge(struct pb_verdict *into, const struct pb_verdict *from);

/* ---- time ---- */
uint64_t pb_now_ns(void);

#endif
