/* prism-bench's route generation, packing and verifier. The verifier is what tells a correct
 * reflector from a wrong one, so every way of being wrong has a test here: a missing, an
 * extra, a stale and a wrong-attribute route, and a prefix that was never announced. The
 * command line (pb_cli.c), the handshake split, flap's random numbers, the epoch limit and
 * the reports are tested at the end. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pb.h"
#include "bench/pb_report.h"
#include "bench/pb_run.h"
#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"

static struct msg_scratch *S;
static const struct msg_ctx CTX = { .as4 = true };

static void setup(void)
{
	S = msg_scratch_new();
	cr_assert(S);
}

static void teardown(void) { msg_scratch_free(S); }

TestSuite(bench, .init = setup, .fini = teardown);

/* calico-like: every peer feeds and listens */
static struct pb_plan plan_both(uint32_t peers, uint32_t per)
{
	struct pb_plan p = {
		.n_peers = peers,
		.per_feeder = per,
		.len4_min = 26,
		.len4_max = 26,
		.len6_min = 64,
		.len6_max = 64,
		.attr_sets = 1,
		.asn = 64512,
		.src_base = 0x7f000101u,
		.n_cluster = 1,
		.cluster = { 0x7f000001u },
	};
	char why[256] = "";
	cr_assert_eq(pb_plan_init(&p, why, sizeof(why)), 0, "%s", why);
	return p;
}

/* fanout-like: a few feeders, many listeners, mixed families and lengths */
static struct pb_plan plan_mixed(void)
{
	struct pb_plan p = {
		.n_peers = 5,
		.n_feeders = 2,
		.per_feeder = 500,
		.len4_min = 20,
		.len4_max = 28,
		.len6_min = 48,
		.len6_max = 64,
		.v6_pct = 30,
		.attr_sets = 7,
		.asn = 64512,
		.src_base = 0x7f000101u,
		.large_communities = true,
		.n_cluster = 2,
		.cluster = { 0x7f000001u, 0x0a000001u },
	};
	char why[256] = "";
	cr_assert_eq(pb_plan_init(&p, why, sizeof(why)), 0, "%s", why);
	return p;
}

static struct pb_expect expect_new(const struct pb_plan *p)
{
	struct pb_expect x = { .want = malloc(sizeof(uint16_t) * p->n_routes),
		               .t_sent = calloc(p->n_routes, sizeof(uint64_t)) };
	cr_assert(x.want && x.t_sent);
	for (uint32_t r = 0; r < p->n_routes; r++)
		x.want[r] = 1;
	return x;
}

static void expect_free(struct pb_expect *x)
{
	free(x->want);
	free(x->t_sent);
}

/* Decodes every UPDATE in buf and applies it to t; returns the number of UPDATEs. */
static unsigned apply_all(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                          const struct pb_buf *buf, uint64_t now, struct pb_hist *h)
{
	size_t off = 0;
	unsigned n = 0;
	while (off < buf->len) {
		struct msg_hdr hdr;
		struct msg_err e = { 0 };
		cr_assert_eq(msg_frame(buf->data + off, buf->len - off, BGP_MAX_LEN, &hdr, &e), 1);
		cr_assert_eq(hdr.type, BGP_UPDATE);
		struct msg_update u;
		cr_assert_eq(msg_update_decode(buf->data + off, hdr.len, &CTX, S, &u), 0);
		pb_table_apply(t, p, x, &u, now, h);
		off += hdr.len;
		n++;
	}
	return n;
}

/* A correct reflector: every feeder's table, reflected. */
static void reflect_all(const struct pb_plan *p, const struct pb_expect *x, struct pb_buf *out)
{
	for (uint32_t f = 0; f < pb_n_feeders(p); f++)
		pb_pack_feeder_table(p, &CTX, f, x->want, true, out);
}

static struct pb_verdict check(struct pb_table *t, const struct pb_plan *p,
                               const struct pb_expect *x)
{
	struct pb_verdict v;
	memset(&v, 0, sizeof(v));
	pb_table_check(t, p, x, 7, &v);
	return v;
}

static void assert_example(const struct prefix *got, const struct pb_plan *p, uint32_t r)
{
	struct prefix want;
	char a[64], b[64];
	pb_route_prefix(p, r, &want);
	prefix_format(got, a, sizeof(a));
	prefix_format(&want, b, sizeof(b));
	cr_assert_str_eq(a, b);
}

/* ---------------------------------------------------------------- the plan */

Test(bench, peer_addresses_skip_0_and_255)
{
	struct pb_plan p = plan_both(600, 1);
	cr_assert_eq(pb_peer_addr4(&p, 0), 0x7f000101u);   /* 127.0.1.1 */
	cr_assert_eq(pb_peer_addr4(&p, 253), 0x7f0001feu); /* 127.0.1.254 */
	cr_assert_eq(pb_peer_addr4(&p, 254), 0x7f000201u); /* 127.0.2.1 */
	cr_assert_eq(pb_peer_addr4(&p, 508), 0x7f000301u);
	p.src_base = 0x7f0001f0u; /* starting at .240 */
	cr_assert_eq(pb_peer_addr4(&p, 14), 0x7f0001feu);
	cr_assert_eq(pb_peer_addr4(&p, 15), 0x7f000201u);
}

/* Each reason names the option at fault and its value, and has no stray empty quotes. */
static void plan_fails(struct pb_plan p, const char *needle)
{
	char why[256] = "";
	cr_assert_eq(pb_plan_init(&p, why, sizeof(why)), -1, "%s", needle);
	cr_assert(strstr(why, needle), "'%s' does not name '%s'", why, needle);
	cr_assert_null(strstr(why, "''"), "%s", why);
}

Test(bench, plan_rejects_what_cannot_be_numbered)
{
	struct pb_plan p = plan_both(10, 4);
	p.n_feeders = 10;
	plan_fails(p, "--feeders 10 with --peers 10");
	p = plan_both(10, 4);
	p.src_base = 0x7f000100u;
	plan_fails(p, "--source 127.0.1.0");
	p = plan_both(20, 4);
	p.src_base = 0xfffffff0u;
	plan_fails(p, "--source 255.255.255.240 with --peers 20");
	p = plan_both(10, 4);
	p.len6_min = 32;
	plan_fails(p, "--prefix-len6 32-64");
	p = plan_both(10, 4);
	p.len4_min = 28;
	p.len4_max = 24;
	plan_fails(p, "--prefix-len 28-24");
	p = plan_both(10, 4);
	p.n_cluster = 0;
	plan_fails(p, "--cluster-id");
	p = plan_both(10, 4);
	p.n_peers = 200000;
	plan_fails(p, "--peers 200000 with every peer feeding");
	p = plan_both(10, 4);
	p.per_feeder = 8000000;
	plan_fails(p, "--prefixes 8000000 for 10 feeders");
	p = plan_both(10, 4);
	p.per_feeder = 1000000;
	p.len4_min = p.len4_max = 24;
	plan_fails(p, "--prefix-len 24");
}

Test(bench, big_tables_leave_10_slash_8)
{
	struct pb_plan p = plan_both(2, 200000);
	struct prefix pfx;
	pb_route_prefix(&p, 0, &pfx);
	cr_assert_eq(get_u32(pfx.addr), 0x01000000u);
	pb_route_prefix(&p, p.n_routes - 1, &pfx);
	cr_assert_lt(get_u32(pfx.addr), 0x7f000000u, "must stay below 127/8");
}

Test(bench, every_route_maps_back_to_itself)
{
	struct pb_plan p = plan_mixed();
	uint32_t v6 = 0;
	for (uint32_t r = 0; r < p.n_routes; r++) {
		struct prefix pfx;
		pb_route_prefix(&p, r, &pfx);
		cr_assert_eq(pb_route_of(&p, &pfx), (int64_t)r, "route %u", r);
		v6 += pfx.afi == AFI_IPV6;
		unsigned max = pfx.afi == AFI_IPV6 ? 64 : 28, min = pfx.afi == AFI_IPV6 ? 48 : 20;
		cr_assert(pfx.len >= min && pfx.len <= max);
	}
	cr_assert_eq(v6, p.n_routes * 30 / 100, "IPv6 share: %u of %u", v6, p.n_routes);
}

Test(bench, prefixes_outside_the_universe_are_not_routes)
{
	struct pb_plan p = plan_mixed();
	struct prefix pfx;
	pb_route_prefix(&p, 3, &pfx);
	pfx.len++; /* a length the route does not have */
	cr_assert_eq(pb_route_of(&p, &pfx), -1);
	cr_assert_eq(prefix_parse("192.0.2.0/24", &pfx), 0);
	cr_assert_eq(pb_route_of(&p, &pfx), -1);
	cr_assert_eq(prefix_parse("2001:db8::/48", &pfx), 0);
	cr_assert_eq(pb_route_of(&p, &pfx), -1);
	pb_route_prefix(&p, p.n_routes - 1, &pfx);
	put_u32(pfx.addr, get_u32(pfx.addr) + (1u << (32 - p.len4_min))); /* one past the end */
	cr_assert_eq(pb_route_of(&p, &pfx), -1);
}

/* ---------------------------------------------------------------- packing */

Test(bench, feeder_table_packs_full_updates)
{
	struct pb_plan p = plan_both(2, 2000);
	p.len4_min = p.len4_max = 24;
	char why[256];
	cr_assert_eq(pb_plan_init(&p, why, sizeof(why)), 0, "%s", why);
	struct pb_expect x = expect_new(&p);
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_pack_feeder_table(&p, &CTX, 0, x.want, false, &b), 2000);
	/* 2000 /24s at 4 octets each fit in two 4096-octet UPDATEs (about 1000 each). */
	size_t off = 0, prefixes = 0;
	unsigned msgs = 0;
	while (off < b.len) {
		uint16_t len = get_u16(b.data + off + 16);
		cr_assert_leq(len, BGP_MAX_LEN);
		struct msg_update u;
		cr_assert_eq(msg_update_decode(b.data + off, len, &CTX, S, &u), 0);
		cr_assert_eq(u.action, MSG_OK);
		cr_assert(!attr_has(u.attrs, ATTR_ORIGINATOR_ID),
		          "a feeder sends no RR attributes");
		prefixes += u.nlri.n;
		off += len;
		msgs++;
	}
	cr_assert_eq(prefixes, 2000);
	cr_assert_eq(msgs, 2);
	pb_buf_free(&b);
	expect_free(&x);
}

Test(bench, withdrawals_pack_and_decode)
{
	struct pb_plan p = plan_mixed();
	uint32_t routes[] = { 0, 3, 4, 5 };
	struct pb_buf b = { 0 };
	bool v6[4];
	for (int i = 0; i < 4; i++)
		v6[i] = pb_route_v6(&p, routes[i]);
	uint32_t v4r[4], v6r[4], n4 = 0, n6 = 0;
	for (int i = 0; i < 4; i++) {
		if (v6[i])
			v6r[n6++] = routes[i];
		else
			v4r[n4++] = routes[i];
	}
	cr_assert_gt(n4, 0);
	cr_assert_gt(n6, 0);
	pb_pack_withdraw(&p, &CTX, v4r, n4, false, &b);
	size_t first = b.len;
	pb_pack_withdraw(&p, &CTX, v6r, n6, true, &b);
	struct msg_update u;
	cr_assert_eq(msg_update_decode(b.data, first, &CTX, S, &u), 0);
	cr_assert_eq(u.withdrawn.n, n4);
	cr_assert_eq(msg_update_decode(b.data + first, b.len - first, &CTX, S, &u), 0);
	cr_assert(u.mp_unreach.present);
	cr_assert_eq(u.mp_unreach.nlri.n, n6);
	pb_buf_free(&b);
}

/* ---------------------------------------------------------------- the verifier */

Test(bench, correct_reflector_passes)
{
	struct pb_plan p = plan_mixed();
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, -1, &x), 0);
	cr_assert_not(pb_table_correct(&t));
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	cr_assert(pb_table_correct(&t));
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert(pb_verdict_ok(&v));
	cr_assert_eq(v.ok, p.n_routes);
	pb_buf_free(&b);
	pb_table_free(&t);
	expect_free(&x);
}

Test(bench, catches_a_missing_route)
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, 0, &x), 0);
	/* feeder 2's route 9 never arrives */
	uint32_t r1[] = { 4, 5, 6, 7 }, r2[] = { 8, 10, 11 };
	pb_pack_announce(&p, &CTX, r1, 4, 0, true, &b);
	pb_pack_announce(&p, &CTX, r2, 3, 0, true, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	cr_assert_not(pb_table_correct(&t));
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert_eq(v.missing, 1);
	cr_assert_eq(v.ok, 7);
	cr_assert_eq(v.exl_missing[0], 7);
	assert_example(&v.ex_missing[0], &p, 9);
	cr_assert_not(pb_verdict_ok(&v));
	pb_buf_free(&b);
	pb_table_free(&t);
	expect_free(&x);
}

Test(bench, catches_an_extra_route)
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	x.want[5] = PB_WANT_ABSENT; /* the feeder withdrew it */
	cr_assert_eq(pb_table_init(&t, &p, 0, &x), 0);
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	cr_assert(pb_table_correct(&t));
	/* ... but the reflector still sends it */
	uint32_t r[] = { 5 };
	struct pb_buf more = { 0 };
	pb_pack_announce(&p, &CTX, r, 1, 0, true, &more);
	apply_all(&t, &p, &x, &more, 2, NULL);
	cr_assert_not(pb_table_correct(&t));
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert_eq(v.extra, 1);
	assert_example(&v.ex_extra[0], &p, 5);
	pb_buf_free(&b);
	pb_buf_free(&more);
	pb_table_free(&t);
	expect_free(&x);
}

Test(bench, catches_a_stale_route)
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, 0, &x), 0);
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	/* feeder 1 re-announced route 6 at epoch 3; the reflector never passed it on */
	x.want[6] = 4;
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert_eq(v.stale, 1);
	assert_example(&v.ex_stale[0], &p, 6);
	/* when it does, the table is right again */
	uint32_t r[] = { 6 };
	struct pb_buf more = { 0 };
	pb_pack_announce(&p, &CTX, r, 1, 3, true, &more);
	apply_all(&t, &p, &x, &more, 2, NULL);
	v = check(&t, &p, &x);
	cr_assert(pb_verdict_ok(&v));
	cr_assert(pb_table_correct(&t));
	pb_buf_free(&b);
	pb_buf_free(&more);
	pb_table_free(&t);
	expect_free(&x);
}

/* A reflector that passes a route on without ORIGINATOR_ID / CLUSTER_LIST, or with the
 * wrong ones, or with any attribute changed, is wrong. */
static void wrong_case(struct attr *(*mutate)(const struct pb_plan *, uint32_t, void *, size_t))
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	cr_assert_eq(pb_table_init(&t, &p, 0, &x), 0);

	uint32_t r = 6;
	_Alignas(struct attr) uint8_t set[512];
	struct msg_update u;
	struct prefix pfx;
	memset(&u, 0, sizeof(u));
	pb_route_prefix(&p, r, &pfx);
	u.attrs = mutate(&p, r, set, sizeof(set));
	cr_assert_not_null(u.attrs);
	u.nlri = (struct prefix_list){ .v = &pfx, .n = 1 };
	uint8_t msg[4096];
	size_t n = msg_update_encode(&u, &CTX, msg, sizeof(msg));
	cr_assert_gt(n, 0);
	struct pb_buf b = { .data = msg, .len = n, .cap = n };
	apply_all(&t, &p, &x, &b, 1, NULL);
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert_eq(v.wrong, 1);
	assert_example(&v.ex_wrong[0], &p, r);
	cr_assert_eq(t.n_wrong, 1);
	pb_table_free(&t);
	expect_free(&x);
}

static struct attr *no_rr_attrs(const struct pb_plan *p, uint32_t r, void *out, size_t size)
{
	return pb_attrs_build(p, pb_route_owner(p, r), 0, 0, false, false, out, size);
}

static struct attr *originator_of_another(const struct pb_plan *p, uint32_t r, void *out,
                                          size_t size)
{
	(void)r;
	return pb_attrs_build(p, 2, 0, 0, false, true, out, size); /* route 6 is feeder 1's */
}

static struct attr *replace_attr(const struct pb_plan *p, uint32_t r, void *out, size_t size,
                                 uint8_t flags, uint8_t code, const uint8_t *val, uint16_t len)
{
	_Alignas(struct attr) uint8_t orig[512];
	struct attr_builder b;
	struct attr *a =
	        pb_attrs_build(p, pb_route_owner(p, r), 0, 0, false, true, orig, sizeof(orig));
	attr_builder_from(&b, a);
	if (val)
		attr_builder_set(&b, flags, code, val, len);
	else
		attr_builder_remove(&b, code);
	return attr_builder_finish(&b, out, size);
}

static struct attr *wrong_cluster(const struct pb_plan *p, uint32_t r, void *out, size_t size)
{
	static const uint8_t other[] = { 10, 9, 9, 9 };
	return replace_attr(p, r, out, size, ATTR_FLAG_OPTIONAL, ATTR_CLUSTER_LIST, other, 4);
}

static struct attr *next_hop_changed(const struct pb_plan *p, uint32_t r, void *out, size_t size)
{
	static const uint8_t nh[] = { 127, 0, 0, 1 };
	return replace_attr(p, r, out, size, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh, 4);
}

static struct attr *community_lost(const struct pb_plan *p, uint32_t r, void *out, size_t size)
{
	return replace_attr(p, r, out, size, 0, ATTR_COMMUNITIES, NULL, 0);
}

static struct attr *local_pref_changed(const struct pb_plan *p, uint32_t r, void *out, size_t size)
{
	static const uint8_t lp[] = { 0, 0, 0, 200 };
	return replace_attr(p, r, out, size, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, lp, 4);
}

Test(bench, catches_missing_reflection_attributes) { wrong_case(no_rr_attrs); }

Test(bench, catches_the_wrong_originator) { wrong_case(originator_of_another); }

Test(bench, catches_the_wrong_cluster_list) { wrong_case(wrong_cluster); }

Test(bench, catches_a_changed_next_hop) { wrong_case(next_hop_changed); }

Test(bench, catches_a_lost_community) { wrong_case(community_lost); }

Test(bench, catches_a_changed_local_pref) { wrong_case(local_pref_changed); }

Test(bench, catches_an_unknown_prefix)
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, 0, &x), 0);
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	_Alignas(struct attr) uint8_t set[512];
	struct msg_update u;
	struct prefix pfx;
	memset(&u, 0, sizeof(u));
	cr_assert_eq(prefix_parse("192.0.2.0/24", &pfx), 0);
	u.attrs = pb_attrs_build(&p, 1, 0, 0, false, true, set, sizeof(set));
	u.nlri = (struct prefix_list){ .v = &pfx, .n = 1 };
	pb_table_apply(&t, &p, &x, &u, 2, NULL);
	cr_assert_not(pb_table_correct(&t));
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert_eq(v.unknown, 1);
	cr_assert_not(pb_verdict_ok(&v));
	pb_buf_free(&b);
	pb_table_free(&t);
	expect_free(&x);
}

/* RFC 4456 8: a client may be sent its own routes back; they are counted, not failed. */
Test(bench, own_routes_are_counted_not_failed)
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, 1, &x), 0);
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	cr_assert(pb_table_correct(&t));
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert(pb_verdict_ok(&v));
	cr_assert_eq(v.own, 4);
	cr_assert_eq(v.ok, 8);
	pb_buf_free(&b);
	pb_table_free(&t);
	expect_free(&x);
}

Test(bench, withdrawal_and_session_reset)
{
	struct pb_plan p = plan_mixed();
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, -1, &x), 0);
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	cr_assert(pb_table_correct(&t));

	/* the feeder withdraws a route of each family; the reflector passes both on */
	uint32_t r4 = 0, r6 = 0;
	while (pb_route_v6(&p, r4))
		r4++;
	while (!pb_route_v6(&p, r6))
		r6++;
	x.want[r4] = x.want[r6] = PB_WANT_ABSENT;
	x.t_sent[r4] = x.t_sent[r6] = 1000000;
	struct pb_buf w = { 0 };
	pb_pack_withdraw(&p, &CTX, &r4, 1, false, &w);
	pb_pack_withdraw(&p, &CTX, &r6, 1, true, &w);
	struct pb_hist h;
	memset(&h, 0, sizeof(h));
	apply_all(&t, &p, &x, &w, 3000000, &h);
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert(pb_verdict_ok(&v));
	cr_assert_eq(h.count, 2, "both withdrawals timed");
	cr_assert_eq(h.max_us, 2000);

	/* a session reset forgets everything */
	pb_table_reset(&t, &p, &x);
	v = check(&t, &p, &x);
	cr_assert_eq(v.missing, p.n_routes - 2);
	pb_buf_free(&b);
	pb_buf_free(&w);
	pb_table_free(&t);
	expect_free(&x);
}

/* RFC 7606 treat-as-withdraw: the prefixes of a malformed UPDATE are withdrawn. */
Test(bench, treat_as_withdraw_removes_routes)
{
	struct pb_plan p = plan_both(3, 4);
	struct pb_expect x = expect_new(&p);
	struct pb_table t;
	struct pb_buf b = { 0 };
	cr_assert_eq(pb_table_init(&t, &p, 0, &x), 0);
	reflect_all(&p, &x, &b);
	apply_all(&t, &p, &x, &b, 1, NULL);
	struct msg_update u;
	struct prefix pfx;
	memset(&u, 0, sizeof(u));
	pb_route_prefix(&p, 4, &pfx);
	u.action = MSG_TREAT_AS_WITHDRAW;
	u.nlri = (struct prefix_list){ .v = &pfx, .n = 1 };
	pb_table_apply(&t, &p, &x, &u, 2, NULL);
	struct pb_verdict v = check(&t, &p, &x);
	cr_assert_eq(v.missing, 1);
	cr_assert_eq(t.n_errors, 1);
	pb_buf_free(&b);
	pb_table_free(&t);
	expect_free(&x);
}

/* ---------------------------------------------------------------- histograms */

Test(bench, histogram_quantiles)
{
	struct pb_hist h;
	memset(&h, 0, sizeof(h));
	for (uint64_t i = 1; i <= 1000; i++)
		pb_hist_add(&h, i);
	uint64_t p50 = pb_hist_quantile(&h, 0.5), p99 = pb_hist_quantile(&h, 0.99);
	cr_assert(p50 >= 470 && p50 <= 530, "p50 %llu", (unsigned long long)p50);
	cr_assert(p99 >= 940 && p99 <= 1000, "p99 %llu", (unsigned long long)p99);
	cr_assert_eq(pb_hist_quantile(&h, 1.0), 1000);
	cr_assert_eq(h.max_us, 1000);
	struct pb_hist g;
	memset(&g, 0, sizeof(g));
	pb_hist_add(&g, 5000000);
	pb_hist_merge(&h, &g);
	cr_assert_eq(h.count, 1001);
	cr_assert_eq(pb_hist_quantile(&h, 1.0), 5000000);
}

/* ---------------------------------------------------------------- the command line */

enum { MAX_ARGS = 32 };

/* Parses "prism-bench ARGS..." (NULL-terminated) into c; err gets the reason. */
static int parse_v(struct pb_cfg *c, char *err, size_t size, const char *const *args)
{
	char *argv[MAX_ARGS];
	int argc = 0;
	argv[argc++] = (char *)"prism-bench";
	for (; *args; args++) {
		cr_assert_lt(argc, MAX_ARGS - 1);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	return pb_cli_parse(argc, argv, c, err, size);
}

#define PARSE(c, err, ...) parse_v(c, err, sizeof(err), (const char *const[]){ __VA_ARGS__, NULL })

/* Parses and checks a command line that must be good. */
#define GOOD(c, ...)                                                              \
	do {                                                                      \
		char why_[512];                                                   \
		cr_assert_eq(PARSE(c, why_, __VA_ARGS__), 0, "%s", why_);         \
		cr_assert_eq(pb_cli_check(c, why_, sizeof(why_)), 0, "%s", why_); \
	} while (0)

Test(bench_cli, option_values_never_name_the_scenario)
{
	struct pb_cfg c;
	GOOD(&c, "--label", "fanout", "--no-progress");
	cr_assert_eq(c.scenario, PB_CALICO);
	cr_assert_str_eq(c.label, "fanout");
	cr_assert_eq(c.plan.n_peers, 1000);
	GOOD(&c, "--json", "churn", "-n", "5");
	cr_assert_eq(c.scenario, PB_CALICO);
	cr_assert_str_eq(c.json_path, "churn");
	GOOD(&c, "--label", "calico", "fanout", "-n", "5");
	cr_assert_eq(c.scenario, PB_FANOUT);
	cr_assert_eq(c.plan.n_peers, 5);
	cr_assert_eq(c.plan.n_feeders, 2); /* fanout's default, under -n */
	GOOD(&c, "-n", "8", "restart");
	cr_assert_eq(c.scenario, PB_RESTART);
	GOOD(&c, "-s", "flap");
	cr_assert_eq(c.scenario, PB_FLAP);
	GOOD(&c, "--scenario=churn");
	cr_assert_eq(c.scenario, PB_CHURN);
}

Test(bench_cli, the_scenario_is_named_once)
{
	struct pb_cfg c;
	char err[512];
	cr_assert_eq(PARSE(&c, err, "fanout", "churn"), -1);
	cr_assert(strstr(err, "more than one scenario: 'fanout' and 'churn'"), "%s", err);
	cr_assert_eq(PARSE(&c, err, "-s", "fanout", "calico"), -1);
	cr_assert(strstr(err, "more than one scenario"), "%s", err);
	cr_assert_eq(PARSE(&c, err, "--scenario", "flap", "-s", "flap"), -1);
	cr_assert(strstr(err, "more than one scenario"), "%s", err);
	cr_assert_eq(PARSE(&c, err, "fanot"), -1);
	cr_assert(strstr(err, "unknown scenario: 'fanot'"), "%s", err);
	cr_assert_eq(PARSE(&c, err, "--help"), 1);
}

Test(bench_cli, remote_as_follows_asn_in_any_order)
{
	struct pb_cfg c;
	GOOD(&c, "--remote-as", "65000", "--asn", "65001");
	cr_assert_eq(c.remote_as, 65000);
	cr_assert_eq(c.plan.asn, 65001);
	GOOD(&c, "--asn", "65001", "--remote-as", "65000");
	cr_assert_eq(c.remote_as, 65000);
	cr_assert_eq(c.plan.asn, 65001);
	GOOD(&c, "--asn", "65001");
	cr_assert_eq(c.remote_as, 65001);
	GOOD(&c, "-n", "4");
	cr_assert_eq(c.remote_as, 64512);
}

/* Usage errors name the option and the value, and never end in empty quotes. */
static void usage_fails(const char *needle, const char *const *args)
{
	struct pb_cfg c;
	char err[512] = "";
	int rc = parse_v(&c, err, sizeof(err), args);
	if (rc == 0)
		rc = pb_cli_check(&c, err, sizeof(err));
	cr_assert_eq(rc, -1, "no error for '%s'", needle);
	cr_assert(strstr(err, needle), "'%s' does not say '%s'", err, needle);
	cr_assert_null(strstr(err, "''"), "%s", err);
}

#define USAGE_FAILS(needle, ...) usage_fails(needle, (const char *const[]){ __VA_ARGS__, NULL })

Test(bench_cli, usage_errors_name_the_option_and_value)
{
	USAGE_FAILS("bad --peers: 'abc'", "-n", "abc");
	USAGE_FAILS("bad --hold-time (0, or at least 3): '2'", "--hold-time", "2");
	USAGE_FAILS("--feeders 5 with --peers 5", "-n", "5", "-f", "5");
	USAGE_FAILS("--source 127.0.1.255", "--source", "127.0.1.255");
	USAGE_FAILS("--prefix-len 30-20", "--prefix-len", "30-20");
	USAGE_FAILS("--stuck 3 must leave at least one listener", "-n", "4", "-f", "1", "--stuck",
	            "3");
	USAGE_FAILS("--stuck 1 needs listen-only peers", "-n", "4", "--stuck", "1");
	USAGE_FAILS("--source fd00::1 is IPv6, so --target must be IPv6 too (it is "
	            "127.0.0.1:1179)",
	            "--source", "fd00::1");
	USAGE_FAILS("--target [::1]:1179 is IPv6, so --source must be IPv6 too (it is 127.0.1.1)",
	            "-t", "[::1]");
	USAGE_FAILS("--replay needs --listen", "--replay");
}

/* ---------------------------------------------------------------- handshakes in flight */

Test(bench_cli, max_connecting_is_split_exactly)
{
	cr_assert_eq(pb_share(7, 2, 0), 4);
	cr_assert_eq(pb_share(7, 2, 1), 3);
	for (unsigned total = 1; total <= 100; total++) {
		for (unsigned parts = 1; parts <= 17; parts++) {
			unsigned sum = 0, lo = ~0u, hi = 0;
			for (unsigned i = 0; i < parts; i++) {
				unsigned s = pb_share(total, parts, i);
				sum += s;
				lo = s < lo ? s : lo;
				hi = s > hi ? s : hi;
			}
			cr_assert_eq(sum, total, "%u over %u", total, parts);
			cr_assert_leq(hi - lo, 1);
		}
	}
	/* Fewer handshakes than threads: the threads are capped, each gets one. */
	struct pb_cfg c;
	GOOD(&c, "-n", "10", "-j", "4", "--max-connecting", "3");
	cr_assert_eq(c.threads, 3);
	cr_assert_eq(c.max_connecting, 3);
	GOOD(&c, "-n", "10", "-j", "2", "--max-connecting", "7");
	cr_assert_eq(c.threads, 2);
	cr_assert_eq(pb_share(c.max_connecting, c.threads, 0) +
	                     pb_share(c.max_connecting, c.threads, 1),
	             7);
	GOOD(&c, "-n", "3", "-j", "8");
	cr_assert_eq(c.threads, 3);
}

/* ---------------------------------------------------------------- flap's random numbers */

Test(bench_cli, seed_0_is_a_seed_of_its_own)
{
	struct pb_cfg c;
	GOOD(&c, "flap", "--seed", "0");
	cr_assert_eq(c.seed, 0);
	uint64_t s0 = 0, s1 = 1;
	uint32_t a[8], b[8];
	bool varied = false, differ = false;
	for (int i = 0; i < 8; i++) {
		a[i] = pb_rand(&s0);
		b[i] = pb_rand(&s1);
		varied |= i > 0 && a[i] != a[0];
		differ |= a[i] != b[i];
	}
	cr_assert(varied, "seed 0 gives a constant sequence");
	cr_assert(differ, "seeds 0 and 1 give the same sequence");
	uint64_t again = 0;
	cr_assert_eq(pb_rand(&again), a[0]);
}

/* ---------------------------------------------------------------- the epoch limit */

/* Runs f with stderr going to a file; returns what it wrote (free it). */
static char *capture_stderr(void (*f)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	cr_assert_not_null(tmp);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	cr_assert_geq(saved, 0);
	dup2(fileno(tmp), STDERR_FILENO);
	f(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	long n = ftell(tmp);
	cr_assert_geq(n, 0);
	char *text = calloc(1, (size_t)n + 1);
	cr_assert_not_null(text);
	rewind(tmp);
	cr_assert_eq(fread(text, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return text;
}

struct epoch_case {
	struct pb_run run;
	struct pb_peer a, b;
	bool ok[4];
};

static void epochs_run_out(void *arg)
{
	struct epoch_case *e = arg;
	e->a.epoch = PB_EPOCH_MAX - 2;
	e->b.epoch = PB_EPOCH_MAX - 1;
	e->b.idx = 1;
	e->ok[0] = pb_churn_next_epoch(&e->run, &e->a); /* the last batch */
	e->ok[1] = pb_churn_next_epoch(&e->run, &e->a); /* none left: warns */
	e->ok[2] = pb_churn_next_epoch(&e->run, &e->a); /* quiet from now on */
	e->ok[3] = pb_churn_next_epoch(&e->run, &e->b); /* another feeder: still quiet */
}

Test(bench_cli, a_feeder_out_of_epochs_warns_once)
{
	struct epoch_case *e = calloc(1, sizeof(*e));
	cr_assert_not_null(e);
	char *text = capture_stderr(epochs_run_out, e);
	cr_assert(e->ok[0]);
	cr_assert_eq(e->a.epoch, PB_EPOCH_MAX - 1);
	cr_assert_eq(e->a.epoch, 65532, "65,532 batches, as docs/prism-bench.md says");
	cr_assert(!e->ok[1] && !e->ok[2] && !e->ok[3]);
	cr_assert_eq(e->a.epoch, PB_EPOCH_MAX - 1);
	const char *w = strstr(text, "warning: feeder 0 used up its 65532 churn batches");
	cr_assert_not_null(w, "%s", text);
	cr_assert_null(strstr(w + 1, "warning"), "warned twice: %s", text);
	free(text);
	free(e);
}

/* ---------------------------------------------------------------- the reports */

static json_t *json_result(const struct pb_result *r)
{
	char path[] = "/tmp/test_bench.XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(pb_result_write_json(r, path), 0);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	fseek(f, -1, SEEK_END);
	cr_assert_eq(fgetc(f), '\n', "the JSON ends in a newline");
	fclose(f);
	json_error_t jerr;
	json_t *o = json_load_file(path, 0, &jerr);
	unlink(path);
	cr_assert_not_null(o, "%s", jerr.text);
	return o;
}

static json_int_t param_int(json_t *params, const char *key)
{
	json_t *v = json_object_get(params, key);
	cr_assert(json_is_integer(v), "params.%s", key);
	return json_integer_value(v);
}

static double param_real(json_t *params, const char *key)
{
	json_t *v = json_object_get(params, key);
	cr_assert(json_is_real(v), "params.%s", key);
	return json_real_value(v);
}

Test(bench_cli, json_params_record_the_whole_command_line)
{
	static struct pb_result r; /* big: histograms */
	struct pb_cfg c;
	GOOD(&c, "fanout", "-n", "6", "-f", "2", "-m", "10", "--stuck", "1", "--cluster-id",
	     "127.0.18.1,10.0.0.1", "--source", "127.0.19.2", "--max-connecting", "5", "--settle",
	     "0.5", "--remote-as", "65000", "--large-communities", "--flap-interval", "0.25",
	     "--flap-down", "2", "--seed", "0", "--no-route-refresh");
	pb_result_init(&r, &c);
	json_t *o = json_result(&r);
	json_t *p = json_object_get(o, "params");
	cr_assert(json_is_object(p));
	cr_assert_eq(param_int(p, "peers"), 6);
	cr_assert_eq(param_int(p, "feeders"), 2);
	cr_assert_eq(param_int(p, "listeners"), 3);
	cr_assert_eq(param_int(p, "stuck"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(p, "source")), "127.0.19.2");
	json_t *cl = json_object_get(p, "cluster_id");
	cr_assert_eq(json_array_size(cl), 2);
	cr_assert_str_eq(json_string_value(json_array_get(cl, 0)), "127.0.18.1");
	cr_assert_str_eq(json_string_value(json_array_get(cl, 1)), "10.0.0.1");
	cr_assert_eq(param_int(p, "max_connecting"), 5);
	cr_assert_float_eq(param_real(p, "settle_s"), 0.5, 1e-9);
	cr_assert_eq(param_int(p, "remote_as"), 65000);
	cr_assert_eq(param_int(p, "asn"), 64512);
	cr_assert(json_is_true(json_object_get(p, "large_communities")));
	cr_assert(json_is_false(json_object_get(p, "route_refresh")));
	cr_assert_float_eq(param_real(p, "flap_interval_s"), 0.25, 1e-9);
	cr_assert_float_eq(param_real(p, "flap_down_s"), 2, 1e-9);
	cr_assert_eq(param_int(p, "seed"), 0, "the seed used, 0 as given");
	json_decref(o);

	GOOD(&c, "-t", "[::1]:1179", "--source", "fd00::5", "--source", "127.0.19.2");
	pb_result_init(&r, &c);
	o = json_result(&r);
	p = json_object_get(o, "params");
	cr_assert_str_eq(json_string_value(json_object_get(p, "source")), "fd00::5");
	cr_assert_str_eq(json_string_value(json_object_get(p, "source4")), "127.0.19.2");
	json_decref(o);

	cr_assert_eq(pb_result_write_json(&r, "/nonexistent-dir/result.json"), -1);
}

Test(bench_cli, the_header_shows_stuck_peers_apart)
{
	static struct pb_result r;
	struct pb_cfg c;
	GOOD(&c, "fanout", "-n", "6", "-f", "2", "-m", "10", "--stuck", "1", "--label", "x");
	pb_result_init(&r, &c);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	pb_result_print(&r, f);
	fclose(f);
	cr_assert(strstr(text, ": 6 peers (2 feed, 3 listen, 1 stuck), 20 routes\n"), "%s", text);
	free(text);
	GOOD(&c, "fanout", "-n", "6", "-f", "2", "-m", "10");
	pb_result_init(&r, &c);
	f = open_memstream(&text, &len);
	pb_result_print(&r, f);
	fclose(f);
	cr_assert(strstr(text, ": 6 peers (2 feed, 4 listen), 20 routes\n"), "%s", text);
	free(text);
}
