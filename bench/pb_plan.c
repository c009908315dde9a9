/* The address plan and the route universe. Everything is computed from a peer or route
 * number, so the harness, the verifier and the replay server agree without sharing state. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench/pb.h"
#include "core/bgp.h"
#include "core/buf.h"

static const uint32_t PB_NH4_BASE = 0xc6120000u; /* 198.18.0.0/15 */
static const uint32_t PB_NH4_MAX = 131070;
static const uint32_t PB_BASE4_SMALL = 0x0a000000u; /* 10.0.0.0/8 */
static const uint32_t PB_BASE4_LARGE = 0x01000000u; /* 1.0.0.0: up to 126.255.255.255 */
static const uint32_t PB_MAX_ROUTES = 1u << 26;

static const uint8_t pb_nh6_base[16] = { 0xfd, 0x00, 0x01, 0x98, 0x00, 0x18 };

/* The reasons name the command-line options (and their values) that set each field, since
 * the plan is only ever made from them. */
__attribute__((format(printf, 3, 4))) static int pb_plan_fail(char *why, size_t size,
                                                              const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static void pb_addr_text(uint32_t a, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static int pb_plan_check_peers(const struct pb_plan *p, char *why, size_t size)
{
	uint8_t last = p->src_base & 0xff;
	char src[16];
	pb_addr_text(p->src_base, src, sizeof(src));
	if (p->n_peers == 0)
		return pb_plan_fail(why, size, "--peers 0: there must be at least one peer");
	if (p->n_feeders && p->n_feeders >= p->n_peers)
		return pb_plan_fail(why, size,
		                    "--feeders %u with --peers %u: the feeders must leave at least "
		                    "one listener",
		                    p->n_feeders, p->n_peers);
	if (pb_n_feeders(p) > PB_NH4_MAX) {
		if (p->n_feeders)
			return pb_plan_fail(why, size,
			                    "--feeders %u: more feeders than the %u next hops of "
			                    "198.18.0.0/15",
			                    p->n_feeders, PB_NH4_MAX);
		return pb_plan_fail(
		        why, size,
		        "--peers %u with every peer feeding (--feeders 0): more feeders "
		        "than the %u next hops of 198.18.0.0/15",
		        p->n_peers, PB_NH4_MAX);
	}
	if (last == 0 || last == 255)
		return pb_plan_fail(why, size,
		                    "--source %s: the first source address must not end in .0 or "
		                    ".255",
		                    src);
	uint32_t lastpeer = pb_peer_addr4(p, p->n_peers - 1);
	if (lastpeer < p->src_base)
		return pb_plan_fail(why, size,
		                    "--source %s with --peers %u: the source addresses run past "
		                    "255.255.255.255",
		                    src, p->n_peers);
	return 0;
}

static int pb_plan_check_routes(struct pb_plan *p, char *why, size_t size)
{
	uint64_t routes = (uint64_t)pb_n_feeders(p) * p->per_feeder;
	if (p->per_feeder == 0)
		return pb_plan_fail(why, size,
		                    "--prefixes 0: each feeder needs at least one prefix");
	if (routes > PB_MAX_ROUTES)
		return pb_plan_fail(
		        why, size, "--prefixes %u for %u feeders: %llu routes, more than %u in all",
		        p->per_feeder, pb_n_feeders(p), (unsigned long long)routes, PB_MAX_ROUTES);
	if (p->len4_min < 8 || p->len4_max > 32 || p->len4_min > p->len4_max)
		return pb_plan_fail(why, size,
		                    "--prefix-len %u-%u: IPv4 prefix lengths must be within 8..32, "
		                    "min <= max",
		                    p->len4_min, p->len4_max);
	if (p->len6_min < 48 || p->len6_max > 128 || p->len6_min > p->len6_max)
		return pb_plan_fail(why, size,
		                    "--prefix-len6 %u-%u: IPv6 prefix lengths must be within "
		                    "48..128, min <= max",
		                    p->len6_min, p->len6_max);
	if (p->v6_pct > 100)
		return pb_plan_fail(why, size, "--ipv6 %u: the IPv6 share is a percentage, 0..100",
		                    p->v6_pct);
	if (p->attr_sets == 0 || p->attr_sets > 65535)
		return pb_plan_fail(why, size,
		                    "--attr-sets %u: attribute sets per feeder must be "
		                    "1..65535",
		                    p->attr_sets);
	if (p->n_cluster == 0 || p->n_cluster > PB_MAX_CLUSTER)
		return pb_plan_fail(
		        why, size,
		        "--cluster-id with %u IDs: the expected CLUSTER_LIST needs 1 to "
		        "%u",
		        p->n_cluster, PB_MAX_CLUSTER);
	p->n_routes = (uint32_t)routes;
	p->n_feeders_eff = pb_n_feeders(p);
	p->shift4 = (uint8_t)(32 - p->len4_min);
	p->shift6 = (uint8_t)(128 - p->len6_min);
	uint64_t span = routes << p->shift4;
	if (span <= (1u << 24))
		p->base4 = PB_BASE4_SMALL;
	else if (span <= 126ull << 24)
		p->base4 = PB_BASE4_LARGE;
	else
		return pb_plan_fail(why, size,
		                    "--prefixes %u for %u feeders with --prefix-len %u: too many "
		                    "IPv4 prefixes of that length to number below 127.0.0.0 (raise "
		                    "the minimum --prefix-len, or use --ipv6)",
		                    p->per_feeder, pb_n_feeders(p), p->len4_min);
	return 0;
}

int pb_plan_init(struct pb_plan *p, char *why, size_t size)
{
	if (pb_plan_check_peers(p, why, size) < 0)
		return -1;
	return pb_plan_check_routes(p, why, size);
}

bool pb_peer_feeds(const struct pb_plan *p, uint32_t peer)
{
	return p->n_feeders == 0 || peer < p->n_feeders;
}

bool pb_peer_listens(const struct pb_plan *p, uint32_t peer)
{
	return p->n_feeders == 0 || peer >= p->n_feeders;
}

int64_t pb_peer_feeder(const struct pb_plan *p, uint32_t peer)
{
	return pb_peer_feeds(p, peer) ? (int64_t)peer : -1;
}

uint32_t pb_n_feeders(const struct pb_plan *p) { return p->n_feeders ? p->n_feeders : p->n_peers; }

uint32_t pb_n_listeners(const struct pb_plan *p)
{
	return p->n_feeders ? p->n_peers - p->n_feeders : p->n_peers;
}

uint32_t pb_peer_addr4(const struct pb_plan *p, uint32_t peer)
{
	uint32_t offset = (p->src_base & 0xff) - 1 + peer;
	return (p->src_base & ~0xffu) + (offset / 254) * 256 + 1 + offset % 254;
}

/* The IPv6 plan is dense: base + peer. */
void pb_peer_addr6(const struct pb_plan *p, uint32_t peer, struct in6_addr *out)
{
	*out = p->src6_base;
	uint32_t low = get_u32(out->s6_addr + 12);
	uint64_t sum = (uint64_t)low + peer;
	put_u32(out->s6_addr + 12, (uint32_t)sum);
	if (sum >> 32)
		put_u32(out->s6_addr + 8, get_u32(out->s6_addr + 8) + 1);
}

uint32_t pb_feeder_nh4(uint32_t feeder) { return PB_NH4_BASE + 1 + feeder; }

void pb_feeder_nh6(uint32_t feeder, uint8_t out[16])
{
	memcpy(out, pb_nh6_base, 16);
	put_u32(out + 12, feeder + 1);
}

/* Routes of a feeder are IPv6 at an even spread: route j is IPv6 when the running count of
 * v6_pct per 100 steps up at j. */
/* The index of route r within its feeder. Divisions are the cost of these helpers on the
 * receive path, so each one skips those its plan does not need. */
static uint32_t pb_route_j(const struct pb_plan *p, uint32_t r)
{
	return p->n_feeders_eff == 1 ? r : r % p->per_feeder;
}

/* Routes of a feeder are IPv6 at an even spread: route j is IPv6 when the running count of
 * v6_pct per 100 steps up at j. */
static bool pb_j_v6(const struct pb_plan *p, uint64_t j)
{
	if (p->v6_pct == 0 || p->v6_pct == 100)
		return p->v6_pct == 100;
	return (j + 1) * p->v6_pct / 100 > j * p->v6_pct / 100;
}

bool pb_route_v6(const struct pb_plan *p, uint32_t r) { return pb_j_v6(p, pb_route_j(p, r)); }

void pb_route_info(const struct pb_plan *p, uint32_t r, uint32_t *f, uint32_t *s, bool *v6)
{
	uint32_t owner = pb_route_owner(p, r), j = r - owner * p->per_feeder;
	*f = owner;
	*s = p->attr_sets == 1 ? 0 : j % p->attr_sets;
	*v6 = pb_j_v6(p, j);
}

uint32_t pb_route_set(const struct pb_plan *p, uint32_t r)
{
	return p->attr_sets == 1 ? 0 : pb_route_j(p, r) % p->attr_sets;
}

static uint8_t pb_j_len(const struct pb_plan *p, uint32_t j, bool v6)
{
	uint32_t min = v6 ? p->len6_min : p->len4_min, max = v6 ? p->len6_max : p->len4_max;
	return (uint8_t)(min == max ? min : min + j % (max - min + 1));
}

static uint8_t pb_route_len(const struct pb_plan *p, uint32_t r, bool v6)
{
	return pb_j_len(p, pb_route_j(p, r), v6);
}

typedef unsigned __int128 pb_u128;

static pb_u128 pb_u128_get(const uint8_t a[16])
{
	pb_u128 v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

static void pb_u128_put(uint8_t a[16], pb_u128 v)
{
	for (int i = 15; i >= 0; i--) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* IPv6 routes live in fd00::/8, one slot of 2^shift6 addresses per route number. */
void pb_route_prefix(const struct pb_plan *p, uint32_t r, struct prefix *out)
{
	bool v6 = pb_route_v6(p, r);
	memset(out, 0, sizeof(*out));
	out->len = pb_route_len(p, r, v6);
	if (v6) {
		out->afi = AFI_IPV6;
		pb_u128_put(out->addr, (pb_u128)0xfd << 120 | (pb_u128)r << p->shift6);
		return;
	}
	out->afi = AFI_IPV4;
	put_u32(out->addr, p->base4 + (uint32_t)((uint64_t)r << p->shift4));
}

static int64_t pb_route_check(const struct pb_plan *p, uint64_t r, const struct prefix *pfx,
                              bool v6)
{
	if (r >= p->n_routes)
		return -1;
	uint32_t j = pb_route_j(p, (uint32_t)r);
	if (pb_j_v6(p, j) != v6 || pb_j_len(p, j, v6) != pfx->len)
		return -1;
	return (int64_t)r;
}

int64_t pb_route_of(const struct pb_plan *p, const struct prefix *pfx)
{
	if (pfx->afi == AFI_IPV4) {
		uint32_t a = get_u32(pfx->addr);
		uint32_t off = a - p->base4;
		if (a < p->base4 || (off & ((1ull << p->shift4) - 1)))
			return -1;
		return pb_route_check(p, (uint64_t)off >> p->shift4, pfx, false);
	}
	pb_u128 v = pb_u128_get(pfx->addr);
	if (v >> 120 != 0xfd)
		return -1;
	v &= ((pb_u128)1 << 120) - 1;
	if (v & (((pb_u128)1 << p->shift6) - 1))
		return -1;
	v >>= p->shift6;
	if (v >> 32)
		return -1;
	return pb_route_check(p, (uint64_t)v, pfx, true);
}

struct attr *pb_attrs_build(const struct pb_plan *p, uint32_t f, uint32_t s, uint32_t epoch,
                            bool v6, bool reflected, void *out, size_t size)
{
	static const uint8_t origin_igp = ORIGIN_IGP;
	struct attr_builder b;
	uint8_t nh[4], med[4], lp[4], comm[8], orig[4], large[12];
	uint8_t clist[4 * PB_MAX_CLUSTER];

	b.n = 0;
	b.nh_len = 0;
	if (v6) {
		b.nh_len = 16;
		pb_feeder_nh6(f, b.nh);
	}
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, &origin_igp, 1);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, NULL, 0);
	if (!v6) {
		put_u32(nh, pb_feeder_nh4(f));
		attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh, 4);
	}
	put_u32(med, epoch);
	attr_builder_set(&b, ATTR_FLAG_OPTIONAL, ATTR_MED, med, 4);
	put_u32(lp, 100);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, lp, 4);
	put_u16(comm, 65000);
	put_u16(comm + 2, (uint16_t)s);
	put_u16(comm + 4, 65001);
	put_u16(comm + 6, (uint16_t)f);
	attr_builder_set(&b, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_COMMUNITIES, comm, 8);
	if (p->large_communities) {
		put_u32(large, p->asn);
		put_u32(large + 4, f);
		put_u32(large + 8, s);
		attr_builder_set(&b, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
		                 ATTR_LARGE_COMMUNITIES, large, 12);
	}
	if (reflected) {
		put_u32(orig, pb_peer_addr4(p, f));
		attr_builder_set(&b, ATTR_FLAG_OPTIONAL, ATTR_ORIGINATOR_ID, orig, 4);
		for (uint32_t i = 0; i < p->n_cluster; i++)
			put_u32(clist + 4 * i, p->cluster[i]);
		attr_builder_set(&b, ATTR_FLAG_OPTIONAL, ATTR_CLUSTER_LIST, clist,
		                 (uint16_t)(4 * p->n_cluster));
	}
	return attr_builder_finish(&b, out, size);
}
