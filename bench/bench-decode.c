/* bench-decode: how fast an UPDATE becomes decoded prefixes and an interned attribute set.
 *
 * Each case builds its UPDATEs in memory, interns their attribute sets once and keeps those
 * references for the whole run, as a RIB holding the routes would. The timed loop then
 * does what a session reader does per message: msg_update_decode, attr_intern, attr_unref.
 *
 *   full24   one full 4096-octet UPDATE: ~1000 IPv4 /24s sharing one attribute set
 *   v6_48    one full 4096-octet UPDATE: IPv6 /48s in MP_REACH_NLRI
 *   mix      1000 small UPDATEs (1 to 8 /24s), each with its own attribute set
 *
 * Usage: bench-decode [-n ITERATIONS] [--case NAME] [--json] [--once]
 *   -n       iterations per case (default: sized to run about 2 s per case)
 *   --once   one iteration of each case, for callgrind; the loop is bench_decode_measured() */
#include <errno.h>
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
#include "core/msg.h"

#if defined(__clang__)
#define BENCH_MEASURED __attribute__((noinline))
#else
#define BENCH_MEASURED __attribute__((noinline, noclone))
#endif

enum {
	BENCH_MIX_MSGS = 1000,
	BENCH_MAX_MSGS = BENCH_MIX_MSGS,
	BENCH_TARGET_NS = 2000000000, /* default run length per case */
	BENCH_CALIBRATE_NS = 100000000,
};

struct bench_case {
	const char *name;
	const char *what;
	struct msg_ctx ctx;
	unsigned n_msgs;
	uint8_t *msg[BENCH_MAX_MSGS];
	uint16_t len[BENCH_MAX_MSGS];
	const struct attr *held[BENCH_MAX_MSGS];
	uint64_t prefixes; /* per iteration */
};

struct bench_result {
	uint64_t iters;
	double seconds;
};

struct bench_opts {
	uint64_t iters; /* 0: calibrate */
	const char *only;
	bool json;
	bool once;
};

static void bench_die(const char *what)
{
	fprintf(stderr, "bench-decode: %s\n", what);
	exit(1);
}

/* ---- building messages ---- */

static void bench_attr(struct wbuf *w, uint8_t flags, uint8_t code, const void *val, uint16_t len)
{
	if (len > 255) {
		wbuf_u8(w, flags | ATTR_FLAG_EXTLEN);
		wbuf_u8(w, code);
		wbuf_u16(w, len);
	} else {
		wbuf_u8(w, flags);
		wbuf_u8(w, code);
		wbuf_u8(w, (uint8_t)len);
	}
	wbuf_bytes(w, val, len);
}

/* ORIGIN IGP, AS_PATH (a sequence of the three ASNs), optional NEXT_HOP, LOCAL_PREF 100, and
 * the two communities. */
static void bench_common_attrs(struct wbuf *w, const uint32_t asn[3], bool nexthop,
                               const uint32_t comm[2])
{
	uint8_t v[16];

	v[0] = ORIGIN_IGP;
	bench_attr(w, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, v, 1);
	v[0] = ASPATH_SEQUENCE;
	v[1] = 3;
	for (int i = 0; i < 3; i++)
		put_u32(v + 2 + 4 * i, asn[i]);
	bench_attr(w, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, v, 14);
	if (nexthop) {
		put_u32(v, 0x0a000001); /* 10.0.0.1 */
		bench_attr(w, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, v, 4);
	}
	put_u32(v, 100);
	bench_attr(w, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, v, 4);
	put_u32(v, comm[0]);
	put_u32(v + 4, comm[1]);
	bench_attr(w, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_COMMUNITIES, v, 8);
}

/* Finishes a message whose body (after the header) is w; returns a malloc'd copy. */
static uint8_t *bench_finish(struct wbuf *w, uint16_t *len)
{
	if (w->overflow)
		bench_die("message does not fit");
	msg_put_header(w->base, BGP_UPDATE, (uint16_t)w->len);
	uint8_t *m = malloc(w->len);
	if (!m)
		bench_die("out of memory");
	memcpy(m, w->base, w->len);
	*len = (uint16_t)w->len;
	return m;
}

static void bench_add_msg(struct bench_case *c, struct wbuf *w)
{
	c->msg[c->n_msgs] = bench_finish(w, &c->len[c->n_msgs]);
	c->n_msgs++;
}

static void bench_build_full24(struct bench_case *c)
{
	static const uint32_t asn[3] = { 65001, 65002, 65003 };
	static const uint32_t comm[2] = { 65000u << 16 | 1, 65000u << 16 | 2 };
	uint8_t buf[BGP_MAX_LEN];
	struct wbuf w = wbuf_make(buf, sizeof(buf));

	wbuf_reserve(&w, BGP_HDR_LEN);
	wbuf_u16(&w, 0);
	size_t alen_at = wbuf_reserve(&w, 2);
	bench_common_attrs(&w, asn, true, comm);
	wbuf_put_u16_at(&w, alen_at, (uint16_t)(w.len - alen_at - 2));
	for (uint32_t i = 0; w.cap - w.len >= 4; i++) {
		wbuf_u8(&w, 24);
		wbuf_u8(&w, (uint8_t)(11 + (i >> 16))); /* 11.0.0.0/24 onwards */
		wbuf_u8(&w, (uint8_t)(i >> 8));
		wbuf_u8(&w, (uint8_t)i);
		c->prefixes++;
	}
	bench_add_msg(c, &w);
}

static void bench_build_v6_48(struct bench_case *c)
{
	static const uint32_t asn[3] = { 65001, 65002, 65003 };
	static const uint32_t comm[2] = { 65000u << 16 | 1, 65000u << 16 | 2 };
	static const uint8_t nh[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t buf[BGP_MAX_LEN];
	struct wbuf w = wbuf_make(buf, sizeof(buf));

	wbuf_reserve(&w, BGP_HDR_LEN);
	wbuf_u16(&w, 0);
	size_t alen_at = wbuf_reserve(&w, 2);
	bench_common_attrs(&w, asn, false, comm);
	wbuf_u8(&w, ATTR_FLAG_OPTIONAL | ATTR_FLAG_EXTLEN);
	wbuf_u8(&w, ATTR_MP_REACH_NLRI);
	size_t mplen_at = wbuf_reserve(&w, 2);
	wbuf_u16(&w, AFI_IPV6);
	wbuf_u8(&w, SAFI_UNICAST);
	wbuf_u8(&w, sizeof(nh));
	wbuf_bytes(&w, nh, sizeof(nh));
	wbuf_u8(&w, 0);
	for (uint32_t i = 0; w.cap - w.len >= 7; i++) {
		static const uint8_t base[4] = { 0x20, 0x01, 0x0d, 0xb8 }; /* 2001:db8:i::/48 */
		wbuf_u8(&w, 48);
		wbuf_bytes(&w, base, 4);
		wbuf_u16(&w, (uint16_t)i);
		c->prefixes++;
	}
	wbuf_put_u16_at(&w, mplen_at, (uint16_t)(w.len - mplen_at - 2));
	wbuf_put_u16_at(&w, alen_at, (uint16_t)(w.len - alen_at - 2));
	bench_add_msg(c, &w);
}

static void bench_build_mix(struct bench_case *c)
{
	uint32_t next = 0;
	for (uint32_t m = 0; m < BENCH_MIX_MSGS; m++) {
		uint32_t asn[3] = { 65001, 65100 + m % 50, 64512 + m };
		uint32_t comm[2] = { 65000u << 16 | m, 65001u << 16 | (m % 7) };
		uint8_t buf[256];
		struct wbuf w = wbuf_make(buf, sizeof(buf));

		wbuf_reserve(&w, BGP_HDR_LEN);
		wbuf_u16(&w, 0);
		size_t alen_at = wbuf_reserve(&w, 2);
		bench_common_attrs(&w, asn, true, comm);
		wbuf_put_u16_at(&w, alen_at, (uint16_t)(w.len - alen_at - 2));
		for (uint32_t k = 0; k < 1 + m % 8; k++, next++) {
			wbuf_u8(&w, 24);
			wbuf_u8(&w, (uint8_t)(100 + (next >> 16)));
			wbuf_u8(&w, (uint8_t)(next >> 8));
			wbuf_u8(&w, (uint8_t)next);
			c->prefixes++;
		}
		bench_add_msg(c, &w);
	}
}

/* ---- running ---- */

struct bench_env {
	struct attr_table *table;
	struct msg_scratch *scratch;
	struct msg_update u;
};

/* The measured region: callgrind-decode.sh collects only inside this function. */
BENCH_MEASURED static uint64_t bench_decode_measured(struct bench_env *env,
                                                     const struct bench_case *c, uint64_t iters)
{
	uint64_t prefixes = 0;
	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned m = 0; m < c->n_msgs; m++) {
			struct msg_update *u = &env->u;
			if (msg_update_decode(c->msg[m], c->len[m], &c->ctx, env->scratch, u) < 0 ||
			    u->action != MSG_OK || !u->attrs)
				bench_die("a benchmark UPDATE did not decode cleanly");
			const struct attr *a = attr_intern(env->table, u->attrs);
			attr_unref(env->table, a);
			prefixes += u->nlri.n + u->mp_reach.nlri.n;
		}
	}
	return prefixes;
}

/* Interns every set once and keeps the reference; this is also the warm-up pass. */
static void bench_hold_sets(struct bench_env *env, struct bench_case *c)
{
	uint64_t seen = 0;
	for (unsigned m = 0; m < c->n_msgs; m++) {
		struct msg_update *u = &env->u;
		if (msg_update_decode(c->msg[m], c->len[m], &c->ctx, env->scratch, u) < 0 ||
		    u->action != MSG_OK || !u->attrs)
			bench_die("a benchmark UPDATE did not decode cleanly");
		c->held[m] = attr_intern(env->table, u->attrs);
		seen += u->nlri.n + u->mp_reach.nlri.n;
	}
	if (seen != c->prefixes)
		bench_die("decoded prefix count differs from the built one");
}

static void bench_release_sets(struct bench_env *env, struct bench_case *c)
{
	for (unsigned m = 0; m < c->n_msgs; m++) {
		attr_unref(env->table, c->held[m]);
		free(c->msg[m]);
	}
}

static uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double bench_time(struct bench_env *env, const struct bench_case *c, uint64_t iters)
{
	uint64_t t0 = bench_now_ns();
	uint64_t got = bench_decode_measured(env, c, iters);
	uint64_t t1 = bench_now_ns();
	if (got != c->prefixes * iters)
		bench_die("prefix count changed between iterations");
	return (double)(t1 - t0) / 1e9;
}

/* Doubles the iteration count until a run takes 0.1 s, then scales to the target. */
static uint64_t bench_calibrate(struct bench_env *env, const struct bench_case *c)
{
	uint64_t iters = 1;
	for (;;) {
		double s = bench_time(env, c, iters);
		if (s * 1e9 >= BENCH_CALIBRATE_NS || iters >= UINT64_C(1) << 40)
			return (uint64_t)((double)iters * BENCH_TARGET_NS / (s * 1e9)) + 1;
		iters *= 2;
	}
}

static struct bench_result bench_run(struct bench_env *env, const struct bench_case *c,
                                     const struct bench_opts *o)
{
	struct bench_result r;
	r.iters = o->once ? 1 : o->iters ? o->iters : bench_calibrate(env, c);
	r.seconds = bench_time(env, c, r.iters);
	return r;
}

/* ---- output ---- */

struct bench_rates {
	double msgs_per_s, pfx_per_s, ns_per_pfx;
};

static struct bench_rates bench_rates_of(const struct bench_case *c, const struct bench_result *r)
{
	double msgs = (double)c->n_msgs * (double)r->iters;
	double pfx = (double)c->prefixes * (double)r->iters;
	double s = r->seconds > 0 ? r->seconds : 1e-9;
	return (struct bench_rates){ msgs / s, pfx / s, s * 1e9 / pfx };
}

static void bench_print_table_head(void)
{
	printf("%-7s %6s %8s %10s %8s %12s %12s %9s\n", "case", "msgs", "prefixes", "iterations",
	       "seconds", "messages/s", "prefixes/s", "ns/prefix");
}

static void bench_print_table_row(const struct bench_case *c, const struct bench_result *r)
{
	struct bench_rates x = bench_rates_of(c, r);
	printf("%-7s %6u %8llu %10llu %8.3f %12.0f %12.0f %9.2f\n", c->name, c->n_msgs,
	       (unsigned long long)c->prefixes, (unsigned long long)r->iters, r->seconds,
	       x.msgs_per_s, x.pfx_per_s, x.ns_per_pfx);
}

static void bench_print_json_row(const struct bench_case *c, const struct bench_result *r,
                                 bool first)
{
	struct bench_rates x = bench_rates_of(c, r);
	printf("%s\n    {\"case\": \"%s\", \"what\": \"%s\", \"messages_per_iteration\": %u, "
	       "\"prefixes_per_iteration\": %llu, \"iterations\": %llu, \"seconds\": %.6f, "
	       "\"messages_per_s\": %.1f, \"prefixes_per_s\": %.1f, \"ns_per_prefix\": %.3f}",
	       first ? "" : ",", c->name, c->what, c->n_msgs, (unsigned long long)c->prefixes,
	       (unsigned long long)r->iters, r->seconds, x.msgs_per_s, x.pfx_per_s, x.ns_per_pfx);
}

/* ---- main ---- */

static void bench_usage(void)
{
	fprintf(stderr, "usage: bench-decode [-n ITERATIONS] [--case full24|v6_48|mix] [--json] "
	                "[--once]\n");
	exit(2);
}

static struct bench_opts bench_parse_args(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			char *end;
			errno = 0;
			o.iters = strtoull(argv[++i], &end, 10);
			if (errno || *end || o.iters == 0)
				bench_usage();
		} else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
			o.only = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "--once")) {
			o.once = true;
		} else {
			bench_usage();
		}
	}
	return o;
}

typedef void (*bench_builder)(struct bench_case *c);

int main(int argc, char **argv)
{
	static const struct msg_ctx ibgp = { .as4 = true };
	static struct bench_case cases[] = {
		{ .name = "full24", .what = "one 4096-octet UPDATE of IPv4 /24s, one set" },
		{ .name = "v6_48", .what = "one 4096-octet MP_REACH UPDATE of IPv6 /48s, one set" },
		{ .name = "mix", .what = "1000 UPDATEs of 1-8 /24s, 1000 distinct sets" },
	};
	static const bench_builder build[] = { bench_build_full24, bench_build_v6_48,
		                               bench_build_mix };
	struct bench_opts o = bench_parse_args(argc, argv);
	struct bench_env env = { 0 };
	bool first = true;

	rcu_register_thread();
	env.table = attr_table_new();
	env.scratch = msg_scratch_new();
	if (!env.table || !env.scratch)
		bench_die("out of memory");
	if (o.json)
		printf("{\"benchmark\": \"decode+intern\", \"cases\": [");
	else
		bench_print_table_head();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bench_case *c = &cases[i];
		if (o.only && strcmp(o.only, c->name) != 0)
			continue;
		c->ctx = ibgp;
		build[i](c);
		bench_hold_sets(&env, c);
		struct bench_result r = bench_run(&env, c, &o);
		if (o.json)
			bench_print_json_row(c, &r, first);
		else
			bench_print_table_row(c, &r);
		first = false;
		bench_release_sets(&env, c);
	}
	if (o.json)
		printf("\n]}\n");
	if (first)
		bench_die("no such case");
	rcu_barrier();
	attr_table_free(env.table);
	msg_scratch_free(env.scratch);
	rcu_unregister_thread();
	return 0;
}
