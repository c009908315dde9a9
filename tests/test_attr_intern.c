/* Interning, on one thread: equal sets share one pointer, references count, the last release
 * frees. tests/stress_attr_intern.c covers the same under concurrency (and under TSan). */
#include <criterion/criterion.h>
#include <urcu.h>

#include "core/attr.h"
#include "core/bgp.h"

enum { SET_BUF = 512 };

/* A small set whose identity is one community value. */
static struct attr *make_set(void *buf, uint32_t community)
{
	static const uint8_t origin[] = { ORIGIN_IGP };
	static const uint8_t path[] = { ASPATH_SEQUENCE, 1, 0, 0, 0xfd, 0xe8 };
	static const uint8_t nh[] = { 198, 18, 0, 1 };
	uint8_t comm[4] = { (uint8_t)(community >> 24), (uint8_t)(community >> 16),
		            (uint8_t)(community >> 8), (uint8_t)community };
	struct attr_builder b = { 0 };

	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, origin, sizeof(origin));
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, path, sizeof(path));
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh, sizeof(nh));
	attr_builder_set(&b, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_COMMUNITIES, comm,
	                 sizeof(comm));
	return attr_builder_finish(&b, buf, SET_BUF);
}

static struct attr_table *table;

static void setup(void)
{
	rcu_register_thread();
	table = attr_table_new();
	cr_assert_not_null(table);
}

static void teardown(void)
{
	rcu_barrier();
	attr_table_free(table);
	rcu_unregister_thread();
}

TestSuite(attr_intern, .init = setup, .fini = teardown);

Test(attr_intern, equal_sets_share_one_pointer)
{
	_Alignas(struct attr) uint8_t b1[SET_BUF], b2[SET_BUF], b3[SET_BUF];
	const struct attr *x = attr_intern(table, make_set(b1, 7));
	const struct attr *y = attr_intern(table, make_set(b2, 7));
	const struct attr *z = attr_intern(table, make_set(b3, 8));

	cr_assert_eq(x, y);
	cr_assert_neq(x, z);
	cr_assert_neq((const void *)x, (const void *)b1, "the table keeps its own copy");
	cr_assert_eq(attr_table_count(table), 2);
	cr_assert_eq(x->refcnt, 2);
	cr_assert(attr_has(x, ATTR_COMMUNITIES));
	attr_unref(table, x);
	attr_unref(table, y);
	cr_assert_eq(attr_table_count(table), 1);
	attr_unref(table, z);
	cr_assert_eq(attr_table_count(table), 0);
}

Test(attr_intern, released_set_is_interned_afresh)
{
	_Alignas(struct attr) uint8_t b[SET_BUF];
	const struct attr *x = attr_intern(table, make_set(b, 1));
	attr_ref(x);
	attr_unref(table, x);
	cr_assert_eq(attr_table_count(table), 1, "one reference still held");
	attr_unref(table, x);
	cr_assert_eq(attr_table_count(table), 0);
	const struct attr *y = attr_intern(table, make_set(b, 1));
	cr_assert_eq(y->refcnt, 1);
	attr_unref(table, y);
}

Test(attr_intern, hash_and_key_cover_mp_next_hop)
{
	_Alignas(struct attr) uint8_t b1[SET_BUF], b2[SET_BUF];
	struct attr_builder b = { 0 };
	static const uint8_t origin[] = { ORIGIN_IGP };
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, origin, 1);
	b.nh_len = 16;
	memset(b.nh, 0x20, 16);
	const struct attr *x = attr_intern(table, attr_builder_finish(&b, b1, SET_BUF));
	b.nh[15] = 0x21;
	const struct attr *y = attr_intern(table, attr_builder_finish(&b, b2, SET_BUF));
	cr_assert_neq(x, y, "sets differing only in the MP next hop are distinct");
	attr_unref(table, x);
	attr_unref(table, y);
}
