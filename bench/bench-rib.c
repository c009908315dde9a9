/* bench-rib: what one RIB shard's owner does per prefix, without sockets or threads.
 *
 * One shard, one source, N IPv4 /24s (default 400,000: a fanout feeder's table) over 16
 * interned attribute sets, applied in batches of 1024 as ingress hands them over:
 *
 *   load      every prefix new: lookup (a miss), a new entry, an insert; the table grows
 *   replace   every prefix again, with another attribute set: lookup (a hit), replace
 *   withdraw  every prefix withdrawn: lookup, delete; the table shrinks
 *
 * Each phase's best-path changes are released as they come, as the update groups would.
 * Every round starts from an empty shard. The figure is the median of the rounds, in ns
 * per prefix, with the fastest and slowest.
 *
 * Usage: bench-rib [-n PREFIXES] [-r ROUNDS] [--json] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "rib/rib.h"

enum { BENCH_SETS = 16, BENCH_BATCH = 1024, BENCH_PHASES = 3, BENCH_ROUNDS_MAX = 99 };

static const char *const phase_name[BENCH_PHASES] = { "load", "replace", "withdraw" };

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An interned internal-form set: ORIGIN, an empty AS_PATH, NEXT_HOP and this LOCAL_PREF. */
static const struct attr *bench_attrs(struct attr_table *t, uint32_t lp)
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
	return a ? attr_intern(t, a) : NULL;
}

struct bench {
	struct attr_table *t;
	const struct attr *sets[2][BENCH_SETS];
	struct prefix *pfx;
	uint64_t *hash;
	uint32_t n;
	struct rib_in in[BENCH_BATCH];
};

/* Applies every prefix: announced with attribute set group g (0 or 1), or withdrawn (-1). */
__attribute__((noinline)) static void bench_phase(struct bench *b, struct rib_shard *s,
                                                  struct rib_source *src, int g)
{
	struct rib_changes ch = { 0 };
	for (uint32_t i = 0; i < b->n; i += BENCH_BATCH) {
		uint32_t k = b->n - i < BENCH_BATCH ? b->n - i : BENCH_BATCH;
		for (uint32_t j = 0; j < k; j++) {
			const struct attr *a = g < 0 ? NULL : b->sets[g][(i + j) % BENCH_SETS];
			if (a)
				attr_ref(a);
			b->in[j] = (struct rib_in){
				.pfx = b->pfx[i + j], .hash = b->hash[i + j], .attrs = a, .src = src
			};
		}
		rib_shard_apply(s, b->in, k, &ch);
		rib_shard_flush(s);
		rib_changes_release(&ch, b->t);
	}
	rib_changes_free(&ch, b->t);
}

static _Noreturn void bench_die(const char *what)
{
	fprintf(stderr, "bench-rib: no memory for %s\n", what);
	exit(1);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;
	return a < c ? -1 : a > c;
}

int main(int argc, char **argv)
{
	struct bench b = { .n = 400000 };
	unsigned rounds = 5;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			b.n = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			rounds = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else {
			fprintf(stderr, "usage: bench-rib [-n PREFIXES] [-r ROUNDS] [--json]\n");
			return 64;
		}
	}
	if (b.n < 1 || b.n > 16000000 || rounds < 1 || rounds > BENCH_ROUNDS_MAX) {
		fprintf(stderr, "bench-rib: -n 1..16000000, -r 1..%d\n", BENCH_ROUNDS_MAX);
		return 64;
	}
	rcu_register_thread();
	b.t = attr_table_new();
	b.pfx = calloc(b.n, sizeof(*b.pfx));
	b.hash = calloc(b.n, sizeof(*b.hash));
	if (!b.t || !b.pfx || !b.hash)
		bench_die("the prefixes");
	for (unsigned g = 0; g < 2; g++)
		for (unsigned k = 0; k < BENCH_SETS; k++)
			if (!(b.sets[g][k] = bench_attrs(b.t, 100 + g * BENCH_SETS + k)))
				bench_die("an attribute set");
	for (uint32_t i = 0; i < b.n; i++) {
		/* 1.0.0.0/24 onwards, as prism-bench's fanout feeders announce */
		b.pfx[i] = (struct prefix){ .afi = AFI_IPV4, .len = 24 };
		uint32_t a = htonl(0x01000000u + (i << 8));
		memcpy(b.pfx[i].addr, &a, 4);
		b.hash[i] = rib_prefix_hash(&b.pfx[i]);
	}

	uint64_t ns[BENCH_PHASES][BENCH_ROUNDS_MAX];
	for (unsigned r = 0; r < rounds; r++) {
		struct rib_shard *s = rib_shard_new(0, 64512, b.t);
		struct rib_source *src = rib_source_new(1);
		if (!s || !src)
			bench_die("a shard");
		src->router_id = 0x7f000102;
		src->asn = 64512;
		src->kind = RIB_SRC_CLIENT;
		for (int p = 0; p < BENCH_PHASES; p++) {
			uint64_t t0 = now_ns();
			bench_phase(&b, s, src, p == 2 ? -1 : p);
			ns[p][r] = now_ns() - t0;
		}
		rib_shard_free(s);
		free(src);
		rcu_barrier();
	}
	if (json)
		printf("{\"prefixes\": %u, \"rounds\": %u", b.n, rounds);
	else
		printf("bench-rib: %u IPv4 /24s, %u rounds; ns per prefix, median (min .. max)\n",
		       b.n, rounds);
	for (int p = 0; p < BENCH_PHASES; p++) {
		qsort(ns[p], rounds, sizeof(uint64_t), cmp_u64);
		unsigned mid = rounds / 2;
		double med = (double)ns[p][mid] / b.n, lo = (double)ns[p][0] / b.n,
		       hi = (double)ns[p][rounds - 1] / b.n;
		if (json)
			printf(", \"%s\": {\"ns_per_prefix\": %.1f, \"min\": %.1f, \"max\": %.1f}",
			       phase_name[p], med, lo, hi);
		else
			printf("  %-9s %7.1f  (%.1f .. %.1f)\n", phase_name[p], med, lo, hi);
	}
	if (json)
		printf("}\n");
	for (unsigned g = 0; g < 2; g++)
		for (unsigned k = 0; k < BENCH_SETS; k++)
			attr_unref(b.t, b.sets[g][k]);
	rcu_barrier();
	attr_table_free(b.t);
	free(b.pfx);
	free(b.hash);
	rcu_unregister_thread();
	return 0;
}
