/* The decision process: RFC 4271 9.1.1 and 9.1.2.2, with RFC 4456 section 9 for reflected
 * routes.
 *
 * The RFC narrows a set of candidates step by step, and the MED step (c) only compares routes
 * from the same neighbouring AS, so it is not a pairwise order. This file follows the RFC
 * literally: each step keeps the candidates that survive it. IGP cost (step e) is equal for
 * every path here, since prism resolves no next hops. RFC 4456 9 puts the shorter
 * CLUSTER_LIST between the lowest BGP Identifier (f, where ORIGINATOR_ID stands in for it)
 * and the lowest peer address (g). */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/bgp.h"
#include "rib/rib.h"

enum { RIB_DECIDE_STACK = 32, RIB_DEFAULT_LOCAL_PREF = 100 };

int rib_source_addr_cmp(const struct rib_source *a, const struct rib_source *b)
{
	const struct sockaddr_storage *x = &a->addr, *y = &b->addr;
	if (x->ss_family != y->ss_family)
		return x->ss_family == AF_INET ? -1 : 1;
	if (x->ss_family == AF_INET) {
		uint32_t p = ntohl(((const struct sockaddr_in *)x)->sin_addr.s_addr);
		uint32_t q = ntohl(((const struct sockaddr_in *)y)->sin_addr.s_addr);
		return p < q ? -1 : p > q;
	}
	if (x->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
		              &((const struct sockaddr_in6 *)y)->sin6_addr, 16);
	return 0;
}

void rib_rank_of(const struct rib_path *p, uint32_t local_as, struct rib_rank *r)
{
	const struct attr *a = p->attrs;
	uint16_t len;
	const uint8_t *path = attr_get(a, ATTR_AS_PATH, &len);
	uint32_t first = path ? aspath_first_as(path, len) : 0;

	r->ebgp = p->src->kind == RIB_SRC_EBGP;
	/* 9.1.1: an external route's degree of preference comes from policy; ours is the
	 * default LOCAL_PREF. An internal route carries its own. */
	r->local_pref =
	        !r->ebgp && attr_has(a, ATTR_LOCAL_PREF) ? a->local_pref : RIB_DEFAULT_LOCAL_PREF;
	r->aspath_hops = a->aspath_hops;
	r->origin = a->origin;
	r->neighbor_as = first ? first : local_as;
	r->med = attr_has(a, ATTR_MED) ? a->med : 0; /* a missing MED is the lowest */
	r->cluster_len = a->cluster_len;
	r->router_id = attr_has(a, ATTR_ORIGINATOR_ID) ? a->originator_id : p->src->router_id;
	r->src = p->src;
	r->path_id = p->path_id;
}

/* Keeps the candidates whose key equals the best key; want_max picks the direction. */
static unsigned rib_keep(struct rib_rank **c, unsigned n, size_t off, bool want_max)
{
	uint32_t best = *(const uint32_t *)((const char *)c[0] + off);
	for (unsigned i = 1; i < n; i++) {
		uint32_t v = *(const uint32_t *)((const char *)c[i] + off);
		if (want_max ? v > best : v < best)
			best = v;
	}
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (*(const uint32_t *)((const char *)c[i] + off) == best)
			c[k++] = c[i];
	return k;
}

/* Step c: drop a route when another from the same neighbouring AS has a lower MED. */
static unsigned rib_keep_med(struct rib_rank **c, unsigned n)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		bool beaten = false;
		for (unsigned j = 0; j < n && !beaten; j++)
			beaten = c[j]->neighbor_as == c[i]->neighbor_as && c[j]->med < c[i]->med;
		if (!beaten)
			c[k++] = c[i];
	}
	for (unsigned i = k; i < n; i++)
		c[i] = NULL;
	return k;
}

/* Step d: external routes beat internal ones. */
static unsigned rib_keep_ebgp(struct rib_rank **c, unsigned n)
{
	bool any = false;
	for (unsigned i = 0; i < n; i++)
		any |= c[i]->ebgp;
	if (!any)
		return n;
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (c[i]->ebgp)
			c[k++] = c[i];
	return k;
}

/* The last tie-breaks are a total order: peer address, then path identifier. */
static unsigned rib_pick_lowest_peer(struct rib_rank **c, unsigned n)
{
	unsigned best = 0;
	for (unsigned i = 1; i < n; i++) {
		int cmp = rib_source_addr_cmp(c[i]->src, c[best]->src);
		if (cmp < 0 || (cmp == 0 && c[i]->path_id < c[best]->path_id))
			best = i;
	}
	return best;
}

static unsigned rib_decide_ranks(struct rib_rank *ranks, struct rib_rank **c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		c[i] = &ranks[i];
	n = rib_keep(c, n, offsetof(struct rib_rank, local_pref), true);   /* 9.1.1 */
	n = rib_keep(c, n, offsetof(struct rib_rank, aspath_hops), false); /* a */
	n = rib_keep(c, n, offsetof(struct rib_rank, origin), false);      /* b */
	n = rib_keep_med(c, n);                                            /* c */
	n = rib_keep_ebgp(c, n); /* d; e (IGP cost) is equal for all */
	n = rib_keep(c, n, offsetof(struct rib_rank, router_id), false);   /* f */
	n = rib_keep(c, n, offsetof(struct rib_rank, cluster_len), false); /* RFC 4456 9 */
	return (unsigned)(c[rib_pick_lowest_peer(c, n)] - ranks);          /* g */
}

unsigned rib_decide(const struct rib_path *paths, unsigned n, uint32_t local_as)
{
	struct rib_rank stack_ranks[RIB_DECIDE_STACK], *stack_c[RIB_DECIDE_STACK];
	if (n <= 1)
		return 0;
	struct rib_rank *ranks = stack_ranks;
	struct rib_rank **c = stack_c;
	if (n > RIB_DECIDE_STACK) {
		ranks = malloc(sizeof(*ranks) * n);
		c = malloc(sizeof(struct rib_rank *) * n);
		if (!ranks || !c)
			abort();
	}
	for (unsigned i = 0; i < n; i++)
		rib_rank_of(&paths[i], local_as, &ranks[i]);
	unsigned best = rib_decide_ranks(ranks, c, n);
	if (ranks != stack_ranks) {
		free(ranks);
		free(c);
	}
	return best;
}
