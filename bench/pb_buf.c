/* Growable byte buffers, and packing routes into as few UPDATEs as their attributes allow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/pb.h"
#include "core/bgp.h"
#include "core/buf.h"

void pb_buf_reserve(struct pb_buf *b, size_t more)
{
	if (b->cap - b->len >= more)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more)
		cap *= 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d) {
		fprintf(stderr, "prism-bench: out of memory for %zu bytes\n", cap);
		abort();
	}
	b->data = d;
	b->cap = cap;
}

void pb_buf_append(struct pb_buf *b, const void *p, size_t n)
{
	pb_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void pb_buf_free(struct pb_buf *b)
{
	free(b->data);
	*b = (struct pb_buf){ 0 };
}

/* Encodes u into out; the caller sized the prefixes to fit. */
static void pb_encode(const struct msg_update *u, const struct msg_ctx *ctx, struct pb_buf *out)
{
	size_t max = msg_max_len(ctx);
	pb_buf_reserve(out, max);
	size_t n = msg_update_encode(u, ctx, out->data + out->len, max);
	if (n == 0) {
		fprintf(stderr, "prism-bench: an UPDATE did not fit its message size\n");
		abort();
	}
	out->len += n;
}

/* How many of pfx[0..n) fit in budget octets. */
static uint32_t pb_fit(const struct prefix *pfx, uint32_t n, size_t budget, bool addpath)
{
	size_t used = 0;
	uint32_t i = 0;
	while (i < n) {
		size_t w = prefix_wire_len(&pfx[i], addpath);
		if (used + w > budget)
			break;
		used += w;
		i++;
	}
	return i;
}

/* Packs pfx[] into as many copies of u as needed, each as full as the message allows. The
 * prefixes go into *slot (the NLRI, MP_REACH, withdrawn or MP_UNREACH list of u). One octet
 * of the budget is held back for an attribute length that grows past 255. */
static unsigned pb_pack(struct msg_update *u, struct prefix_list *slot, const struct msg_ctx *ctx,
                        struct prefix *pfx, uint32_t n, bool addpath, struct pb_buf *out)
{
	uint8_t probe[BGP_EXT_MAX_LEN];
	size_t max = msg_max_len(ctx);
	unsigned msgs = 0;

	slot->v = pfx;
	slot->n = 0;
	size_t base = msg_update_encode(u, ctx, probe, sizeof(probe));
	if (base == 0 || base + 1 >= max)
		abort();
	while (n > 0) {
		uint32_t k = pb_fit(pfx, n, max - base - 1, addpath);
		slot->v = pfx;
		slot->n = k;
		pb_encode(u, ctx, out);
		pfx += k;
		n -= k;
		msgs++;
	}
	return msgs;
}

static struct prefix *pb_prefixes(const struct pb_plan *p, const uint32_t *routes, uint32_t n)
{
	struct prefix *v = malloc(sizeof(*v) * (n ? n : 1));
	if (!v)
		abort();
	for (uint32_t i = 0; i < n; i++)
		pb_route_prefix(p, routes[i], &v[i]);
	return v;
}

unsigned pb_pack_announce(const struct pb_plan *p, const struct msg_ctx *ctx,
                          const uint32_t *routes, uint32_t n, uint32_t epoch, bool reflected,
                          struct pb_buf *out)
{
	_Alignas(struct attr) uint8_t set[512];
	struct msg_update u;
	unsigned msgs;

	if (n == 0)
		return 0;
	uint32_t f = pb_route_owner(p, routes[0]);
	bool v6 = pb_route_v6(p, routes[0]);
	memset(&u, 0, sizeof(u));
	u.attrs = pb_attrs_build(p, f, pb_route_set(p, routes[0]), epoch, v6, reflected, set,
	                         sizeof(set));
	if (!u.attrs)
		abort();
	struct prefix *pfx = pb_prefixes(p, routes, n);
	if (v6) {
		u.mp_reach.present = true;
		u.mp_reach.afi = AFI_IPV6;
		u.mp_reach.safi = SAFI_UNICAST;
		u.mp_reach.nh_len = 16;
		pb_feeder_nh6(f, u.mp_reach.nh);
		msgs = pb_pack(&u, &u.mp_reach.nlri, ctx, pfx, n, ctx->addpath[AF_IDX_IPV6], out);
	} else {
		msgs = pb_pack(&u, &u.nlri, ctx, pfx, n, ctx->addpath[AF_IDX_IPV4], out);
	}
	free(pfx);
	return msgs;
}

unsigned pb_pack_withdraw(const struct pb_plan *p, const struct msg_ctx *ctx,
                          const uint32_t *routes, uint32_t n, bool v6, struct pb_buf *out)
{
	struct msg_update u;
	unsigned msgs;

	if (n == 0)
		return 0;
	memset(&u, 0, sizeof(u));
	struct prefix *pfx = pb_prefixes(p, routes, n);
	if (v6) {
		u.mp_unreach.present = true;
		u.mp_unreach.afi = AFI_IPV6;
		u.mp_unreach.safi = SAFI_UNICAST;
		msgs = pb_pack(&u, &u.mp_unreach.nlri, ctx, pfx, n, ctx->addpath[AF_IDX_IPV6], out);
	} else {
		msgs = pb_pack(&u, &u.withdrawn, ctx, pfx, n, ctx->addpath[AF_IDX_IPV4], out);
	}
	free(pfx);
	return msgs;
}

void pb_pack_eor(bool v6, struct pb_buf *out)
{
	static const struct msg_ctx ctx = { .as4 = true };
	struct msg_update u;

	memset(&u, 0, sizeof(u));
	if (v6) {
		u.mp_unreach.present = true;
		u.mp_unreach.afi = AFI_IPV6;
		u.mp_unreach.safi = SAFI_UNICAST;
	}
	pb_encode(&u, &ctx, out);
}

void pb_pack_keepalive(struct pb_buf *out)
{
	pb_buf_reserve(out, BGP_HDR_LEN);
	out->len += msg_keepalive_encode(out->data + out->len, BGP_HDR_LEN);
}

/* Sorting a group's routes by epoch, so that each run of one epoch packs together. */
struct pb_er {
	uint32_t epoch, route;
};

static int pb_er_cmp(const void *a, const void *b)
{
	const struct pb_er *x = a, *y = b;
	if (x->epoch != y->epoch)
		return x->epoch < y->epoch ? -1 : 1;
	return x->route < y->route ? -1 : x->route > y->route;
}

static uint32_t pb_pack_group(const struct pb_plan *p, const struct msg_ctx *ctx, struct pb_er *er,
                              uint32_t n, bool reflected, uint32_t *routes, struct pb_buf *out)
{
	qsort(er, n, sizeof(*er), pb_er_cmp);
	for (uint32_t i = 0; i < n;) {
		uint32_t k = 0;
		uint32_t epoch = er[i].epoch;
		while (i + k < n && er[i + k].epoch == epoch) {
			routes[k] = er[i + k].route;
			k++;
		}
		pb_pack_announce(p, ctx, routes, k, epoch, reflected, out);
		i += k;
	}
	return n;
}

uint32_t pb_pack_feeder_table(const struct pb_plan *p, const struct msg_ctx *ctx, uint32_t f,
                              const uint16_t *want, bool reflected, struct pb_buf *out)
{
	uint32_t m = p->per_feeder, first = f * m, total = 0;
	uint32_t group_max = (m + p->attr_sets - 1) / p->attr_sets;
	struct pb_er *er = malloc(sizeof(*er) * group_max);
	uint32_t *routes = malloc(sizeof(*routes) * group_max);

	if (!er || !routes)
		abort();
	for (int v6 = 0; v6 <= 1; v6++) {
		for (uint32_t s = 0; s < p->attr_sets && s < m; s++) {
			uint32_t n = 0;
			for (uint32_t j = s; j < m; j += p->attr_sets) {
				uint32_t r = first + j;
				uint16_t w = PB_LOAD(want[r]);
				if (w == PB_WANT_ABSENT || pb_route_v6(p, r) != (bool)v6)
					continue;
				er[n++] = (struct pb_er){ .epoch = (uint32_t)w - 1, .route = r };
			}
			total += pb_pack_group(p, ctx, er, n, reflected, routes, out);
		}
	}
	free(er);
	free(routes);
	return total;
}
