/* One RIB shard on its own: announcements, withdrawals, best-path changes, dropping a source
 * and RFC 7313 stale paths. Everything runs on this thread, which is RCU-registered. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "rib/rib.h"

static struct attr_table *T;
static struct rib_shard *S;
static struct rib_changes CH;

static void setup(void)
{
	rcu_register_thread();
	T = attr_table_new();
	S = rib_shard_new(0, 64512, T);
	cr_assert(T && S);
	memset(&CH, 0, sizeof(CH));
}

static void teardown(void)
{
	rib_changes_free(&CH, T);
	rib_shard_free(S);
	rcu_barrier();
	cr_expect_eq(attr_table_count(T), 0, "every attribute set released");
	attr_table_free(T);
	rcu_unregister_thread();
}

TestSuite(rib_shard, .init = setup, .fini = teardown);

static struct rib_source *source(uint32_t router_id, uint8_t last_octet)
{
	struct rib_source *s = rib_source_new(1);
	cr_assert(s);
	s->router_id = router_id;
	s->asn = 64512;
	s->kind = RIB_SRC_CLIENT;
	struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0x7f000100u | last_octet);
	return s;
}

/* An interned internal-form set with this LOCAL_PREF. */
static const struct attr *attrs(uint32_t lp)
{
	static const uint8_t origin = ORIGIN_IGP, nh[4] = { 198, 18, 0, 1 };
	_Alignas(struct attr) uint8_t buf[512];
	uint8_t lpv[4];
	struct attr_builder b = { 0 };
	put_u32(lpv, lp);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, &origin, 1);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, NULL, 0);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh, 4);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, lpv, 4);
	struct attr *a = attr_builder_finish(&b, buf, sizeof(buf));
	cr_assert(a);
	return attr_intern(T, a);
}

static struct prefix pfx(const char *text)
{
	struct prefix p;
	cr_assert_eq(prefix_parse(text, &p), 0);
	return p;
}

static void announce(struct rib_source *src, const char *p, uint32_t lp)
{
	struct rib_in in = { .pfx = pfx(p), .attrs = attrs(lp), .src = src };
	in.hash = rib_prefix_hash(&in.pfx);
	rib_shard_apply(S, &in, 1, &CH);
	rib_shard_flush(S);
}

static void withdraw(struct rib_source *src, const char *p)
{
	struct rib_in in = { .pfx = pfx(p), .src = src };
	in.hash = rib_prefix_hash(&in.pfx);
	rib_shard_apply(S, &in, 1, &CH);
	rib_shard_flush(S);
}

/* The best path's LOCAL_PREF and source for p, or 0 when p is not in the shard. */
static uint32_t best_lp(const char *p, const struct rib_source **src)
{
	struct prefix k = pfx(p);
	uint32_t lp = 0;
	rcu_read_lock();
	const struct rib_prefix *e = rib_shard_lookup(S, &k);
	if (e) {
		lp = e->paths[0].attrs->local_pref;
		if (src)
			*src = e->paths[0].src;
	}
	rcu_read_unlock();
	return lp;
}

Test(rib_shard, announce_replace_withdraw)
{
	struct rib_source *a = source(1, 1);
	announce(a, "10.0.0.0/24", 100);
	cr_expect_eq(best_lp("10.0.0.0/24", NULL), 100);
	cr_expect_eq(CH.n, 1, "a new prefix is a change");
	announce(a, "10.0.0.0/24", 100);
	cr_expect_eq(CH.n, 1, "the same route again is not");
	announce(a, "10.0.0.0/24", 200);
	cr_expect_eq(best_lp("10.0.0.0/24", NULL), 200, "an implicit withdrawal replaces the path");
	cr_expect_eq(CH.n, 2);
	withdraw(a, "10.0.0.0/24");
	cr_expect_eq(best_lp("10.0.0.0/24", NULL), 0);
	cr_expect_eq(CH.n, 3);
	cr_expect_null(CH.v[2].attrs, "the last path gone: a withdrawal");
	withdraw(a, "10.0.0.0/24");
	cr_expect_eq(CH.n, 3, "withdrawing what is not there changes nothing");
	struct rib_shard_stats st;
	rib_shard_stats(S, &st);
	cr_expect_eq(st.prefixes, 0);
	cr_expect_eq(st.paths, 0);
	free(a);
}

Test(rib_shard, best_moves_between_sources)
{
	struct rib_source *a = source(1, 1), *b = source(2, 2);
	const struct rib_source *who = NULL;
	announce(a, "10.0.1.0/24", 100);
	announce(b, "10.0.1.0/24", 150);
	cr_expect_eq(best_lp("10.0.1.0/24", &who), 150);
	cr_expect_eq(who, b);
	cr_expect_eq(CH.n, 2, "the better path is a change");
	announce(a, "10.0.1.0/24", 90);
	cr_expect_eq(CH.n, 2, "a change to a path that is not best is not");
	withdraw(b, "10.0.1.0/24");
	cr_expect_eq(best_lp("10.0.1.0/24", &who), 90);
	cr_expect_eq(who, a, "the other path takes over");
	cr_expect_eq(CH.n, 3);
	withdraw(a, "10.0.1.0/24");
	free(a);
	free(b);
}

Test(rib_shard, dropping_sources_leaves_the_others)
{
	struct rib_source *a = source(1, 1), *b = source(2, 2), *c = source(3, 3);
	char p[32];
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof(p), "10.%d.%d.0/24", 1 + (i >> 8), i & 255);
		announce(a, p, 100);
		if (i % 3 == 0)
			announce(b, p, 200);
		if (i % 2 == 0)
			announce(c, p, 50);
	}
	struct rib_source *drop[2] = { b, c }, *gone[2];
	unsigned n = rib_shard_drop(S, drop, 2, &CH, gone);
	rib_shard_flush(S);
	cr_expect_eq(n, 2, "one shard in all: both sources are gone");
	for (int i = 0; i < 300; i++) {
		const struct rib_source *who;
		snprintf(p, sizeof(p), "10.%d.%d.0/24", 1 + (i >> 8), i & 255);
		cr_expect_eq(best_lp(p, &who), 100, "%s keeps a's path", p);
		cr_expect_eq(who, a);
	}
	struct rib_shard_stats st;
	rib_shard_stats(S, &st);
	cr_expect_eq(st.paths, 300);
	cr_expect_eq(b->paths_in[0] + c->paths_in[0], 0);
	struct rib_source *drop_a[1] = { a };
	rib_shard_drop(S, drop_a, 1, &CH, gone);
	rib_shard_flush(S);
	rib_shard_stats(S, &st);
	cr_expect_eq(st.prefixes, 0);
	free(a);
	free(b);
	free(c);
}

/* RFC 7313: after a BoRR, the routes the peer does not send again go at the EoRR. */
Test(rib_shard, enhanced_refresh_purges_what_was_not_sent_again)
{
	struct rib_source *a = source(1, 1), *b = source(2, 2);
	announce(a, "10.2.0.0/24", 100);
	announce(a, "10.2.1.0/24", 100);
	announce(a, "10.2.2.0/24", 100);
	announce(b, "10.2.1.0/24", 50);
	announce(a, "2001:db8::/48", 100);
	rib_shard_mark_stale(S, a, AFI_IPV4);
	announce(a, "10.2.0.0/24", 100); /* the same again: no longer stale */
	announce(a, "10.2.2.0/24", 120); /* changed: a new path */
	size_t before = CH.n;
	rib_shard_purge_stale(S, a, AFI_IPV4, &CH);
	rib_shard_flush(S);
	const struct rib_source *who = NULL;
	cr_expect_eq(best_lp("10.2.0.0/24", NULL), 100);
	cr_expect_eq(best_lp("10.2.2.0/24", NULL), 120);
	cr_expect_eq(best_lp("10.2.1.0/24", &who), 50, "a's stale path went, b's is left");
	cr_expect_eq(who, b);
	cr_expect_eq(best_lp("2001:db8::/48", NULL), 100, "another family is not touched");
	cr_expect_eq(CH.n, before + 1, "one best-path change: 10.2.1.0/24 moved to b");
	struct rib_source *all[2] = { a, b }, *gone[2];
	rib_shard_drop(S, all, 2, &CH, gone);
	rib_shard_flush(S);
	free(a);
	free(b);
}

Test(rib_shard, ipv6_and_lookup_by_exact_prefix)
{
	struct rib_source *a = source(1, 1);
	announce(a, "2001:db8:1::/48", 100);
	announce(a, "2001:db8:1::/64", 110);
	cr_expect_eq(best_lp("2001:db8:1::/48", NULL), 100);
	cr_expect_eq(best_lp("2001:db8:1::/64", NULL), 110);
	cr_expect_eq(best_lp("2001:db8:1::/56", NULL), 0, "lookups are exact");
	struct prefix k = pfx("2001:db8:1::/64"), got;
	rcu_read_lock();
	rib_prefix_get(rib_shard_lookup(S, &k), &got);
	rcu_read_unlock();
	cr_expect(prefix_equal(&k, &got));
	struct rib_source *all[1] = { a }, *gone[1];
	rib_shard_drop(S, all, 1, &CH, gone);
	rib_shard_flush(S);
	free(a);
}

/* Many prefixes: the table grows, and shrinks again as they go. */
Test(rib_shard, table_grows_and_shrinks)
{
	struct rib_source *a = source(1, 1);
	char p[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "11.%d.%d.0/24", i >> 8, i & 255);
		announce(a, p, 100);
	}
	struct rib_shard_stats st;
	rib_shard_stats(S, &st);
	cr_expect_eq(st.prefixes, 20000);
	for (int i = 0; i < 20000; i += 2) {
		snprintf(p, sizeof(p), "11.%d.%d.0/24", i >> 8, i & 255);
		withdraw(a, p);
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "11.%d.%d.0/24", i >> 8, i & 255);
		cr_expect_eq(best_lp(p, NULL), i % 2 ? 100 : 0, "%s", p);
	}
	struct rib_source *all[1] = { a }, *gone[1];
	rib_shard_drop(S, all, 1, &CH, gone);
	rib_shard_flush(S);
	rib_shard_stats(S, &st);
	cr_expect_eq(st.prefixes, 0);
	free(a);
}
