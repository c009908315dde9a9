/* UPDATE decoding and encoding of well-formed messages: every attribute prism knows, MP
 * reachability, ADD-PATH, extended messages, End-of-RIB, canonical round trips, RFC 6793
 * AS4 reconstruction, the attribute builder and AS path lengths. Malformed messages are in
 * test_update_malformed.c. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/msg.h"
#include "core/prefix.h"
#include "tests/upd_build.h"

/* ---------------------------------------------------------------- fixtures and helpers */

static struct msg_scratch *S1, *S2;

static void upd_setup(void)
{
	S1 = msg_scratch_new();
	S2 = msg_scratch_new();
	cr_assert(S1 && S2);
}

static void upd_teardown(void)
{
	msg_scratch_free(S1);
	msg_scratch_free(S2);
}

TestSuite(update, .init = upd_setup, .fini = upd_teardown);

static const struct msg_ctx IBGP4 = { .as4 = true };
static const struct msg_ctx EBGP4 = { .as4 = true, .ebgp = true };
static const struct msg_ctx IBGP2 = { .as4 = false };
static const struct msg_ctx EBGP2 = { .as4 = false, .ebgp = true };

#define NH6_GLOBAL 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define NH6_LL     0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01

/* Hex of a byte string, for failure messages; two rotating static buffers. */
static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[2][4096];
	static int which;
	char *out = buf[which ^= 1];
	size_t o = 0, max = (sizeof(buf[0]) - 4) / 2;
	for (size_t i = 0; i < n && i < max; i++, o += 2)
		snprintf(out + o, 3, "%02x", p[i]);
	strcpy(out + o, n > max ? "..." : "");
	return out;
}

static void decode_ok(const uint8_t *msg, size_t len, const struct msg_ctx *ctx,
                      struct msg_scratch *s, struct msg_update *u)
{
	cr_assert_gt(len, 0, "test message did not fit its buffer");
	int rc = msg_update_decode(msg, len, ctx, s, u);
	const struct msg_err *e = u->n_errs ? &u->errs[0] : NULL;
	cr_assert(rc == 0 && u->action == MSG_OK && u->n_errs == 0,
	          "decode of %s: rc %d action %d, first error \"%s\" at %u", hex(msg, len), rc,
	          u->action, e && e->reason ? e->reason : "", e ? e->offset : 0);
}

/* Prefixes joined with ","; compared as a string so a failure shows both lists. */
static void assert_prefixes(const struct prefix_list *l, const char *want)
{
	static char got[65536];
	size_t o = 0;
	got[0] = '\0';
	for (uint32_t i = 0; i < l->n; i++) {
		char one[64];
		cr_assert_eq(prefix_format(&l->v[i], one, sizeof(one)), 0);
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "", one);
		cr_assert_lt(o, sizeof(got));
	}
	cr_assert_str_eq(got, want);
}

/* attr_to_json(a)[key], compact with sorted keys. */
static void assert_json(const struct attr *a, const char *key, const char *want)
{
	json_t *j = attr_to_json(a);
	cr_assert(j);
	json_t *v = json_object_get(j, key);
	char *all = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	cr_assert(v, "no \"%s\" in %s", key, all);
	char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	cr_expect_str_eq(got, want, "\"%s\" in %s", key, all);
	free(got);
	free(all);
	json_decref(j);
}

static void assert_json_absent(const struct attr *a, const char *key)
{
	json_t *j = attr_to_json(a);
	cr_expect_null(json_object_get(j, key), "\"%s\" should be absent", key);
	json_decref(j);
}

static void assert_value(const struct attr *a, uint8_t code, const uint8_t *want, size_t n)
{
	uint16_t len = 0;
	const uint8_t *v = attr_get(a, code, &len);
	cr_assert(v, "attribute %u missing from %s", code, hex(a->key, a->key_len));
	cr_assert(len == n && memcmp(v, want, n) == 0, "attribute %u: got %s want %s", code,
	          hex(v, len), hex(want, n));
}

#define ASSERT_VALUE(a, code, ...)                                  \
	assert_value((a), (code), (const uint8_t[]){ __VA_ARGS__ }, \
	             sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* The attribute's TLV flags in the canonical key. */
static uint8_t attr_flags_of(const struct attr *a, uint8_t code)
{
	struct attr_iter it = attr_iter_start(a);
	while (attr_iter_next(&it))
		if (it.code == code)
			return it.flags;
	cr_assert_fail("attribute %u not in the set", code);
	return 0;
}

static void assert_same_key(const struct attr *a, const struct attr *b)
{
	cr_assert((a == NULL) == (b == NULL), "one set is NULL and the other is not");
	if (!a)
		return;
	cr_assert(a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0,
	          "keys differ:\n  %s\n  %s", hex(a->key, a->key_len), hex(b->key, b->key_len));
}

/* A copy that outlives the scratch, in static storage so that a failed assertion (which
 * ends the test) leaks nothing under LeakSanitizer. */
static struct attr *attr_dup(const struct attr *a)
{
	static _Alignas(struct attr) uint8_t pool[2][sizeof(struct attr) + 4096];
	static int which;
	cr_assert_leq(attr_size(a->key_len), sizeof(pool[0]));
	struct attr *c = (struct attr *)pool[which ^= 1];
	memcpy(c, a, attr_size(a->key_len));
	return c;
}

static void assert_same_list(const struct prefix_list *a, const struct prefix_list *b)
{
	cr_assert_eq(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++)
		cr_assert(prefix_equal(&a->v[i], &b->v[i]), "prefix %u differs", i);
}

/* Everything a decode yields, except where it lives. */
static void assert_same_update(const struct msg_update *a, const struct msg_update *b)
{
	assert_same_key(a->attrs, b->attrs);
	assert_same_list(&a->withdrawn, &b->withdrawn);
	assert_same_list(&a->nlri, &b->nlri);
	cr_assert_eq(a->mp_reach.present, b->mp_reach.present);
	if (a->mp_reach.present) {
		cr_assert(a->mp_reach.afi == b->mp_reach.afi &&
		          a->mp_reach.safi == b->mp_reach.safi);
		cr_assert(a->mp_reach.nh_len == b->mp_reach.nh_len &&
		          memcmp(a->mp_reach.nh, b->mp_reach.nh, a->mp_reach.nh_len) == 0);
		assert_same_list(&a->mp_reach.nlri, &b->mp_reach.nlri);
	}
	cr_assert_eq(a->mp_unreach.present, b->mp_unreach.present);
	if (a->mp_unreach.present) {
		cr_assert(a->mp_unreach.afi == b->mp_unreach.afi &&
		          a->mp_unreach.safi == b->mp_unreach.safi);
		assert_same_list(&a->mp_unreach.nlri, &b->mp_unreach.nlri);
	}
}

static uint8_t enc_buf[65536];

/* decode(x) with S1 into *u1, encode it for ctx, decode that with S2 into *u2, and check
 * both decodes agree. Returns the encoded length (the bytes are in enc_buf). */
static size_t roundtrip(const uint8_t *msg, size_t len, const struct msg_ctx *ctx,
                        struct msg_update *u1, struct msg_update *u2)
{
	decode_ok(msg, len, ctx, S1, u1);
	size_t n = msg_update_encode(u1, ctx, enc_buf, sizeof(enc_buf));
	cr_assert_gt(n, 0, "encode failed");
	decode_ok(enc_buf, n, ctx, S2, u2);
	assert_same_update(u1, u2);
	return n;
}

static void assert_bytes_eq(const uint8_t *got, size_t got_n, const uint8_t *want, size_t want_n)
{
	cr_assert(got_n == want_n && memcmp(got, want, want_n) == 0,
	          "bytes differ:\n got  %s\n want %s", hex(got, got_n), hex(want, want_n));
}

/* An AS path (4-octet value) as text: SEQUENCE ASNs space separated, "{a,b}" for an AS_SET,
 * "(a b)" for AS_CONFED_SEQUENCE, "[a,b]" for AS_CONFED_SET. Adjacent sequences read the
 * same whether or not they share a segment, which is what RFC 6793 merging cares about. */
static const char *aspath_text(const uint8_t *v, size_t len)
{
	static char out[4096];
	size_t o = 0;
	out[0] = '\0';
	for (size_t off = 0; off + 2 <= len;) {
		uint8_t type = v[off], count = v[off + 1];
		const char *open = type == ASPATH_SET               ? "{"
		                   : type == ASPATH_CONFED_SEQUENCE ? "("
		                   : type == ASPATH_CONFED_SET      ? "["
		                                                    : "";
		const char *close = type == ASPATH_SET               ? "}"
		                    : type == ASPATH_CONFED_SEQUENCE ? ")"
		                    : type == ASPATH_CONFED_SET      ? "]"
		                                                     : "";
		const char *sep = type == ASPATH_SET || type == ASPATH_CONFED_SET ? "," : " ";
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? " " : "", open);
		off += 2;
		for (unsigned i = 0; i < count && off + 4 <= len; i++, off += 4)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u", i ? sep : "",
			                      get_u32(v + off));
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", close);
	}
	return out;
}

static void assert_aspath(const struct attr *a, const char *want)
{
	uint16_t len;
	const uint8_t *v = attr_get(a, ATTR_AS_PATH, &len);
	cr_assert(v, "no AS_PATH");
	cr_assert_str_eq(aspath_text(v, len), want);
}

/* Decodes one UPDATE of base attributes plus `extra` and NLRI 10.0.0.0/8 in *u. */
static void decode_with(const struct upd_attrs *l, const struct msg_ctx *ctx, struct msg_update *u)
{
	static uint8_t msg[65536];
	cr_assert(!l->overflow);
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(l),
	                       (struct upd_part)UPD_BYTES(8, 10));
	decode_ok(msg, len, ctx, S1, u);
	cr_assert(u->attrs);
	assert_prefixes(&u->nlri, "10.0.0.0/8");
}

static void base_attrs(struct upd_attrs *l)
{
	l->n = 0;
	l->overflow = 0;
	UPD_ATTR(l, 0x40, ATTR_ORIGIN, ORIGIN_IGP);
	UPD_ATTR(l, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(l, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
}

static struct upd_attrs L; /* 64 KiB: kept off the stack */

/* ---------------------------------------------------------------- attributes, one by one */

/* RFC 4271 4.3 / 5.1.1 */
Test(update, origin_values)
{
	static const char *const names[] = { "\"IGP\"", "\"EGP\"", "\"INCOMPLETE\"" };
	for (uint8_t v = 0; v <= 2; v++) {
		struct msg_update u;
		L.n = 0;
		UPD_ATTR(&L, 0x40, ATTR_ORIGIN, v);
		UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
		UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
		decode_with(&L, &IBGP4, &u);
		cr_expect_eq(u.attrs->origin, v);
		cr_expect(attr_has(u.attrs, ATTR_ORIGIN));
		ASSERT_VALUE(u.attrs, ATTR_ORIGIN, v);
		assert_json(u.attrs, "origin", names[v]);
	}
}

/* RFC 4271 4.3 AS_PATH, RFC 6793 4-octet ASNs: SEQUENCE then SET. */
Test(update, as_path_sequence_and_set_4octet)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 2, U32(65001), U32(4200000000u),
	         ASPATH_SET, 2, U32(65010), U32(65011));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	decode_with(&L, &EBGP4, &u);
	ASSERT_VALUE(u.attrs, ATTR_AS_PATH, ASPATH_SEQUENCE, 2, U32(65001), U32(4200000000u),
	             ASPATH_SET, 2, U32(65010), U32(65011));
	cr_expect_eq(u.attrs->aspath_hops, 3); /* RFC 4271 9.1.2.2: a SET counts 1 */
	assert_aspath(u.attrs, "65001 4200000000 {65010,65011}");
	assert_json(u.attrs, "as_path",
	            "[{\"asns\":[65001,4200000000],\"type\":\"AS_SEQUENCE\"},"
	            "{\"asns\":[65010,65011],\"type\":\"AS_SET\"}]");
}

/* A 2-octet session: AS_PATH is widened to 4-octet ASNs in the key. */
Test(update, as_path_2octet_widened)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 2, U16(65001), U16(65002), ASPATH_SET, 1,
	         U16(7));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	decode_with(&L, &EBGP2, &u);
	ASSERT_VALUE(u.attrs, ATTR_AS_PATH, ASPATH_SEQUENCE, 2, U32(65001), U32(65002), ASPATH_SET,
	             1, U32(7));
	cr_expect_eq(u.attrs->aspath_hops, 3);
}

/* RFC 5065: confederation segments from an iBGP (confederation) peer, both encodings. */
Test(update, as_path_confed_segments)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_CONFED_SEQUENCE, 2, U32(65100), U32(65101),
	         ASPATH_CONFED_SET, 2, U32(65102), U32(65103), ASPATH_SEQUENCE, 1, U32(64512));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	decode_with(&L, &IBGP4, &u);
	cr_expect_eq(u.attrs->aspath_hops, 1); /* RFC 5065 5.3: confed segments count 0 */
	assert_aspath(u.attrs, "(65100 65101) [65102,65103] 64512");
	assert_json(u.attrs, "as_path",
	            "[{\"asns\":[65100,65101],\"type\":\"AS_CONFED_SEQUENCE\"},"
	            "{\"asns\":[65102,65103],\"type\":\"AS_CONFED_SET\"},"
	            "{\"asns\":[64512],\"type\":\"AS_SEQUENCE\"}]");

	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_CONFED_SEQUENCE, 1, U16(65100), ASPATH_CONFED_SET,
	         1, U16(65102), ASPATH_SEQUENCE, 2, U16(64512), U16(64513));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	decode_with(&L, &IBGP2, &u);
	ASSERT_VALUE(u.attrs, ATTR_AS_PATH, ASPATH_CONFED_SEQUENCE, 1, U32(65100),
	             ASPATH_CONFED_SET, 1, U32(65102), ASPATH_SEQUENCE, 2, U32(64512), U32(64513));
	cr_expect_eq(u.attrs->aspath_hops, 2);
}

/* An empty AS_PATH is legal on iBGP (locally originated routes). */
Test(update, as_path_empty)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	upd_attrs_add(&L, 0x40, ATTR_AS_PATH, NULL, 0);
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	decode_with(&L, &IBGP4, &u);
	uint16_t len = 99;
	cr_assert(attr_get(u.attrs, ATTR_AS_PATH, &len));
	cr_expect_eq(len, 0);
	cr_expect_eq(u.attrs->aspath_hops, 0);
	assert_json(u.attrs, "as_path", "[]");
}

/* RFC 4271 5.1.3 */
Test(update, next_hop)
{
	struct msg_update u;
	base_attrs(&L);
	decode_with(&L, &EBGP4, &u);
	cr_expect_eq(u.attrs->nexthop, 0xc0000201u);
	ASSERT_VALUE(u.attrs, ATTR_NEXT_HOP, 192, 0, 2, 1);
	assert_json(u.attrs, "next_hop", "\"192.0.2.1\"");
	cr_expect_eq(u.attrs->key[0], 0, "no MP next hop");
	assert_json_absent(u.attrs, "mp_next_hop");
}

/* RFC 4271 5.1.4 and 5.1.5 */
Test(update, med_and_local_pref)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0x80, ATTR_MED, U32(4000000000u));
	UPD_ATTR(&L, 0x40, ATTR_LOCAL_PREF, U32(250));
	decode_with(&L, &IBGP4, &u);
	cr_expect_eq(u.attrs->med, 4000000000u);
	cr_expect_eq(u.attrs->local_pref, 250);
	cr_expect(attr_has(u.attrs, ATTR_MED) && attr_has(u.attrs, ATTR_LOCAL_PREF));
	assert_json(u.attrs, "med", "4000000000");
	assert_json(u.attrs, "local_pref", "250");
	cr_expect_eq(attr_flags_of(u.attrs, ATTR_MED), 0x80);
	cr_expect_eq(attr_flags_of(u.attrs, ATTR_LOCAL_PREF), 0x40);
}

/* RFC 4271 5.1.6 and 5.1.7: AGGREGATOR is 8 octets between NEW speakers (RFC 6793). */
Test(update, atomic_aggregate_and_aggregator_8)
{
	struct msg_update u;
	base_attrs(&L);
	upd_attrs_add(&L, 0x40, ATTR_ATOMIC_AGGREGATE, NULL, 0);
	UPD_ATTR(&L, 0xc0, ATTR_AGGREGATOR, U32(4200000000u), 10, 0, 0, 1);
	decode_with(&L, &EBGP4, &u);
	uint16_t len = 99;
	cr_expect(attr_get(u.attrs, ATTR_ATOMIC_AGGREGATE, &len) != NULL);
	cr_expect_eq(len, 0);
	assert_json(u.attrs, "atomic_aggregate", "true");
	ASSERT_VALUE(u.attrs, ATTR_AGGREGATOR, U32(4200000000u), 10, 0, 0, 1);
	assert_json(u.attrs, "aggregator", "{\"address\":\"10.0.0.1\",\"asn\":4200000000}");
}

/* A 6-octet AGGREGATOR from an OLD speaker is widened to 8 in the key. */
Test(update, aggregator_6_widened)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U16(65001));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	UPD_ATTR(&L, 0xc0, ATTR_AGGREGATOR, U16(65001), 10, 0, 0, 2);
	decode_with(&L, &EBGP2, &u);
	ASSERT_VALUE(u.attrs, ATTR_AGGREGATOR, U32(65001), 10, 0, 0, 2);
	assert_json(u.attrs, "aggregator", "{\"address\":\"10.0.0.2\",\"asn\":65001}");
}

/* RFC 1997, including the well-known NO_EXPORT. */
Test(update, communities)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0xc0, ATTR_COMMUNITIES, U16(65000), U16(1), U16(0xffff), U16(0xff01));
	decode_with(&L, &EBGP4, &u);
	ASSERT_VALUE(u.attrs, ATTR_COMMUNITIES, U16(65000), U16(1), U16(0xffff), U16(0xff01));
	assert_json(u.attrs, "communities", "[\"65000:1\",\"65535:65281\"]");
	cr_expect_eq(attr_flags_of(u.attrs, ATTR_COMMUNITIES), 0xc0);
}

/* RFC 4360: route targets in the three forms, a route origin, and an opaque one. */
Test(update, ext_communities)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0xc0, ATTR_EXT_COMMUNITIES, 0x00, 0x02, U16(65000),
	         U32(100),                             /* 2-octet AS specific RT */
	         0x01, 0x02, 192, 0, 2, 9, U16(7),     /* IPv4 address specific RT */
	         0x02, 0x03, U32(4200000000u), U16(5), /* 4-octet AS specific RO */
	         0x03, 0x0c, 0, 0, 0, 0, 0, 0x08);     /* opaque (encapsulation, VXLAN) */
	decode_with(&L, &EBGP4, &u);
	assert_json(
	        u.attrs, "ext_communities",
	        "[\"rt:65000:100\",\"rt:192.0.2.9:7\",\"ro:4200000000:5\",\"030c000000000008\"]");
	cr_expect_eq(attr_flags_of(u.attrs, ATTR_EXT_COMMUNITIES), 0xc0);
}

/* RFC 8092 */
Test(update, large_communities)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0xc0, ATTR_LARGE_COMMUNITIES, U32(4200000000u), U32(1), U32(2), U32(65000),
	         U32(0), U32(4294967295u));
	decode_with(&L, &EBGP4, &u);
	assert_json(u.attrs, "large_communities", "[\"4200000000:1:2\",\"65000:0:4294967295\"]");
	ASSERT_VALUE(u.attrs, ATTR_LARGE_COMMUNITIES, U32(4200000000u), U32(1), U32(2), U32(65000),
	             U32(0), U32(4294967295u));
}

/* RFC 4456: what a route reflector adds, as received from another reflector. */
Test(update, originator_id_and_cluster_list)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0x80, ATTR_ORIGINATOR_ID, 10, 0, 0, 9);
	UPD_ATTR(&L, 0x80, ATTR_CLUSTER_LIST, 10, 255, 0, 1, 10, 255, 0, 2);
	decode_with(&L, &IBGP4, &u);
	cr_expect_eq(u.attrs->originator_id, 0x0a000009u);
	cr_expect_eq(u.attrs->cluster_len, 2);
	assert_json(u.attrs, "originator_id", "\"10.0.0.9\"");
	assert_json(u.attrs, "cluster_list", "[\"10.255.0.1\",\"10.255.0.2\"]");
}

/* RFC 4760 / RFC 2545: IPv6 unicast with a global next hop. */
Test(update, mp_reach_ipv6_global)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6_GLOBAL, 0, 32,
	         0x20, 0x01, 0x0d, 0xb8, 48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 128, NH6_GLOBAL);
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_assert(u.mp_reach.present);
	cr_expect_eq(u.mp_reach.afi, AFI_IPV6);
	cr_expect_eq(u.mp_reach.safi, SAFI_UNICAST);
	cr_expect_eq(u.mp_reach.nh_len, 16);
	assert_prefixes(&u.mp_reach.nlri, "2001:db8::/32,2001:db8:1::/48,2001:db8::1/128");
	cr_expect_eq(u.nlri.n, 0);
	cr_assert(u.attrs);
	uint8_t nhl;
	const uint8_t *nh = attr_mp_nexthop(u.attrs, &nhl);
	static const uint8_t want[] = { NH6_GLOBAL };
	cr_expect(nhl == 16 && memcmp(nh, want, 16) == 0);
	assert_json(u.attrs, "mp_next_hop", "[\"2001:db8::1\"]");
	assert_json_absent(u.attrs, "mp_reach_nlri");
	cr_expect(!attr_has(u.attrs, ATTR_MP_REACH_NLRI), "MP_REACH is not part of the key");
	cr_expect(!msg_update_is_eor(&u));
}

/* RFC 2545 3: global plus link-local next hop (32 octets). */
Test(update, mp_reach_ipv6_link_local)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 32, NH6_GLOBAL, NH6_LL,
	         0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 7, 0);
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_expect_eq(u.mp_reach.nh_len, 32);
	static const uint8_t want[] = { NH6_GLOBAL, NH6_LL };
	cr_expect(memcmp(u.mp_reach.nh, want, 32) == 0);
	assert_prefixes(&u.mp_reach.nlri, "2001:db8:0:7::/64,::/0");
	assert_json(u.attrs, "mp_next_hop", "[\"2001:db8::1\",\"fe80::1\"]");
}

/* RFC 4760 with AFI 1: IPv4 NLRI in MP_REACH needs no NEXT_HOP attribute. The routes are
 * kept and sent on as plain NLRI, so the MP next hop becomes their NEXT_HOP. */
Test(update, mp_reach_ipv4)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV4), SAFI_UNICAST, 4, 192, 0, 2, 7, 0, 24,
	         198, 51, 100, 32, 203, 0, 113, 5);
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_expect_eq(u.mp_reach.afi, AFI_IPV4);
	cr_expect_eq(u.mp_reach.nh_len, 4);
	assert_prefixes(&u.mp_reach.nlri, "198.51.100.0/24,203.0.113.5/32");
	cr_expect(attr_has(u.attrs, ATTR_NEXT_HOP));
	cr_expect_eq(u.attrs->nexthop, 0xc0000207u, "NEXT_HOP is the MP next hop 192.0.2.7");
	assert_json(u.attrs, "next_hop", "\"192.0.2.7\"");
}

/* IPv4 in MP_REACH and plain NLRI with a NEXT_HOP of their own: the set is shared, and the
 * plain routes' NEXT_HOP stays (the MP next hop would apply to the MP routes alone). */
Test(update, mp_reach_ipv4_with_plain_nlri)
{
	struct msg_update u;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV4), SAFI_UNICAST, 4, 192, 0, 2, 7, 0, 24,
	         198, 51, 100);
	static const uint8_t nlri[] = { 24, 203, 0, 113 };
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_PART(nlri));
	decode_ok(msg, len, &EBGP4, S1, &u);
	assert_prefixes(&u.nlri, "203.0.113.0/24");
	assert_prefixes(&u.mp_reach.nlri, "198.51.100.0/24");
	cr_expect_eq(u.attrs->nexthop, 0xc0000201u);
}

/* RFC 4760 4: MP_UNREACH alone needs no other attribute. */
Test(update, mp_unreach_ipv4_and_ipv6)
{
	struct msg_update u;
	static uint8_t msg[4096];
	static const uint8_t v6[] = { 0x80,
		                      ATTR_MP_UNREACH_NLRI,
		                      3 + 5 + 9,
		                      U16(AFI_IPV6),
		                      SAFI_UNICAST,
		                      32,
		                      0x20,
		                      0x01,
		                      0x0d,
		                      0xb8,
		                      64,
		                      0x20,
		                      0x01,
		                      0x0d,
		                      0xb8,
		                      0,
		                      0,
		                      0,
		                      9 };
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(v6),
	                       (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_assert(u.mp_unreach.present);
	cr_expect_eq(u.mp_unreach.afi, AFI_IPV6);
	assert_prefixes(&u.mp_unreach.nlri, "2001:db8::/32,2001:db8:0:9::/64");
	cr_expect_null(u.attrs, "no attributes but MP_UNREACH: attrs is NULL");
	cr_expect(!msg_update_is_eor(&u));

	static const uint8_t v4[] = { 0x80,
		                      ATTR_MP_UNREACH_NLRI,
		                      3 + 4 + 2,
		                      U16(AFI_IPV4),
		                      SAFI_UNICAST,
		                      24,
		                      198,
		                      51,
		                      100,
		                      8,
		                      10 };
	len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(v4),
	                (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_expect_eq(u.mp_unreach.afi, AFI_IPV4);
	assert_prefixes(&u.mp_unreach.nlri, "198.51.100.0/24,10.0.0.0/8");
	cr_expect_null(u.attrs);
}

/* RFC 4271 5: an unrecognized optional transitive attribute is passed on with Partial set. */
Test(update, unknown_optional_transitive_kept_partial)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0xc0, 99, 0xde, 0xad, 0xbe, 0xef);
	decode_with(&L, &EBGP4, &u);
	ASSERT_VALUE(u.attrs, 99, 0xde, 0xad, 0xbe, 0xef);
	cr_expect_eq(attr_flags_of(u.attrs, 99), 0xe0);
	assert_json(u.attrs, "attr_99", "{\"flags\":224,\"hex\":\"deadbeef\"}");
}

/* RFC 4271 4.3: the low four flag bits are unused, "MUST be zero when sent"; a pass-through
 * attribute that arrived with them set must not carry them on. */
Test(update, unknown_transitive_unused_flag_bits_cleared)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0xc3, 99, 1);
	decode_with(&L, &EBGP4, &u);
	cr_expect_eq(attr_flags_of(u.attrs, 99), 0xe0, "flags 0x%02x", attr_flags_of(u.attrs, 99));
}

/* RFC 4271 5: an unrecognized optional non-transitive attribute is quietly ignored. */
Test(update, unknown_optional_nontransitive_dropped)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0x80, 100, 1, 2, 3);
	decode_with(&L, &EBGP4, &u);
	uint16_t len;
	cr_expect_null(attr_get(u.attrs, 100, &len));
	assert_json_absent(u.attrs, "attr_100");
}

/* ---------------------------------------------------------------- prefixes */

/* RFC 4271 4.3: withdrawn routes, several lengths including /0 and /32. */
Test(update, withdrawals)
{
	struct msg_update u;
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg),
	                       (struct upd_part)UPD_BYTES(24, 10, 1, 2, 32, 192, 0, 2, 1, 0, 9, 128,
	                                                  0, 16, 172, 16),
	                       (struct upd_part)UPD_NONE, (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	assert_prefixes(&u.withdrawn,
	                "10.1.2.0/24,192.0.2.1/32,0.0.0.0/0,128.0.0.0/9,172.16.0.0/16");
	cr_expect_eq(u.nlri.n, 0);
	cr_expect_null(u.attrs);
	cr_expect(!msg_update_is_eor(&u));
}

/* RFC 4271 4.3: trailing bits are irrelevant; prism stores them as zero. */
Test(update, host_bits_masked)
{
	struct msg_update u;
	static uint8_t msg[4096];
	static const uint8_t attrs[] = { A_BASE };
	size_t len = upd_build(
	        msg, sizeof(msg), (struct upd_part)UPD_BYTES(20, 10, 1, 255), UPD_PART(attrs),
	        (struct upd_part)UPD_BYTES(23, 10, 1, 3, 1, 0xff, 31, 10, 0, 0, 255));
	decode_ok(msg, len, &EBGP4, S1, &u);
	assert_prefixes(&u.nlri, "10.1.2.0/23,128.0.0.0/1,10.0.0.254/31");
	assert_prefixes(&u.withdrawn, "10.1.240.0/20");

	L.n = 0;
	UPD_ATTR(&L, 0x80, ATTR_MP_UNREACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 33, 0x20, 0x01, 0x0d,
	         0xb8, 0xff);
	len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	assert_prefixes(&u.mp_unreach.nlri, "2001:db8:8000::/33");
	/* what prefix_parse() accepts must be what the decoder produced */
	struct prefix p;
	cr_expect_eq(prefix_parse("2001:db8:8000::/33", &p), 0);
	cr_expect(prefix_equal(&p, &u.mp_unreach.nlri.v[0]));
}

/* RFC 7911 3: a 4-octet path identifier before each prefix, in NLRI and withdrawn routes. */
Test(update, addpath_ipv4)
{
	struct msg_update u, u2;
	struct msg_ctx ctx = { .as4 = true, .addpath = { [AF_IDX_IPV4] = true } };
	static uint8_t msg[4096];
	static const uint8_t attrs[] = { A_BASE };
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_BYTES(U32(3), 16, 10, 9),
	                       UPD_PART(attrs),
	                       (struct upd_part)UPD_BYTES(U32(1), 24, 10, 1, 2, U32(2), 24, 10, 1,
	                                                  2, U32(0), 8, 11));
	decode_ok(msg, len, &ctx, S1, &u);
	assert_prefixes(&u.nlri, "10.1.2.0/24#1,10.1.2.0/24#2,11.0.0.0/8");
	cr_expect_eq(u.nlri.v[2].path_id, 0);
	assert_prefixes(&u.withdrawn, "10.9.0.0/16#3");
	/* the same bytes without ADD-PATH are something else entirely */
	struct msg_ctx plain = { .as4 = true };
	cr_expect_neq(msg_update_decode(msg, len, &plain, S2, &u2), 0);
	/* canonical: byte-equal round trip */
	size_t n = roundtrip(msg, len, &ctx, &u, &u2);
	assert_bytes_eq(enc_buf, n, msg, len);
}

/* RFC 7911 with MP_REACH / MP_UNREACH for IPv6 only: IPv4 NLRI stays plain. */
Test(update, addpath_mp_reach_ipv6)
{
	struct msg_update u, u2;
	struct msg_ctx ctx = { .as4 = true, .addpath = { [AF_IDX_IPV6] = true } };
	static uint8_t msg[4096];
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6_GLOBAL, 0,
	         U32(100), 32, 0x20, 0x01, 0x0d, 0xb8, U32(4000000000u), 32, 0x20, 0x01, 0x0d,
	         0xb8);
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_BYTES(8, 10),
	                       upd_attrs_part(&L), (struct upd_part)UPD_BYTES(8, 11));
	decode_ok(msg, len, &ctx, S1, &u);
	assert_prefixes(&u.mp_reach.nlri, "2001:db8::/32#100,2001:db8::/32#4000000000");
	assert_prefixes(&u.nlri, "11.0.0.0/8");
	assert_prefixes(&u.withdrawn, "10.0.0.0/8");
	roundtrip(msg, len, &ctx, &u, &u2);

	L.n = 0;
	UPD_ATTR(&L, 0x80, ATTR_MP_UNREACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, U32(7), 16, 0x20,
	         0x01);
	len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &ctx, S1, &u);
	assert_prefixes(&u.mp_unreach.nlri, "2001::/16#7");
	size_t n = roundtrip(msg, len, &ctx, &u, &u2);
	assert_bytes_eq(enc_buf, n, msg, len);
}

/* RFC 8654: an UPDATE above 4096 octets on an extended-message session. */
Test(update, extended_message_thousands_of_prefixes)
{
	enum { N = 6000 };
	static uint8_t nlri[N * 4], msg[65536];
	for (unsigned i = 0; i < N; i++) {
		nlri[i * 4] = 24;
		nlri[i * 4 + 1] = 10;
		nlri[i * 4 + 2] = (uint8_t)(i >> 8);
		nlri[i * 4 + 3] = (uint8_t)i;
	}
	static const uint8_t attrs[] = { A_BASE };
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(attrs),
	                       UPD_PART(nlri));
	cr_assert_gt(len, 4096);
	struct msg_ctx ctx = { .as4 = true, .ext_msg = true };
	struct msg_update u, u2;
	decode_ok(msg, len, &ctx, S1, &u);
	cr_assert_eq(u.nlri.n, N);
	char s[64];
	prefix_format(&u.nlri.v[N - 1], s, sizeof(s));
	cr_expect_str_eq(s, "10.23.111.0/24");
	size_t n = roundtrip(msg, len, &ctx, &u, &u2);
	assert_bytes_eq(enc_buf, n, msg, len);
	/* without RFC 8654 the same update does not fit one message */
	struct msg_ctx small = { .as4 = true };
	cr_expect_eq(msg_update_encode(&u, &small, enc_buf, sizeof(enc_buf)), 0);
}

/* RFC 4724 2: End-of-RIB for IPv4 is an UPDATE with nothing in it. */
Test(update, eor_ipv4)
{
	static const uint8_t eor[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                       0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00 };
	struct msg_update u, u2;
	decode_ok(eor, sizeof(eor), &EBGP4, S1, &u);
	cr_expect(msg_update_is_eor(&u));
	cr_expect_null(u.attrs);
	size_t n = roundtrip(eor, sizeof(eor), &EBGP4, &u, &u2);
	assert_bytes_eq(enc_buf, n, eor, sizeof(eor));
}

/* RFC 4724 2: End-of-RIB for IPv6 is an UPDATE with only an empty MP_UNREACH_NLRI. */
Test(update, eor_ipv6)
{
	static uint8_t msg[64];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE,
	                       (struct upd_part)UPD_BYTES(0x80, ATTR_MP_UNREACH_NLRI, 3,
	                                                  U16(AFI_IPV6), SAFI_UNICAST),
	                       (struct upd_part)UPD_NONE);
	struct msg_update u, u2;
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_expect(msg_update_is_eor(&u));
	cr_expect(u.mp_unreach.present && u.mp_unreach.afi == AFI_IPV6);
	size_t n = roundtrip(msg, len, &EBGP4, &u, &u2);
	assert_bytes_eq(enc_buf, n, msg, len);

	/* an MP_UNREACH with a prefix is a withdrawal, not End-of-RIB */
	len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE,
	                (struct upd_part)UPD_BYTES(0x80, ATTR_MP_UNREACH_NLRI, 5, U16(AFI_IPV6),
	                                           SAFI_UNICAST, 8, 0x20),
	                (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	cr_expect(!msg_update_is_eor(&u));
}

/* ---------------------------------------------------------------- encode(decode(x)) */

/* Every attribute, in ascending type code order, 4-octet, no extended length: encoding the
 * decode gives back the very same bytes. */
Test(update, canonical_roundtrip_all_attributes)
{
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, ORIGIN_EGP);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_CONFED_SEQUENCE, 1, U32(65100), ASPATH_SEQUENCE, 2,
	         U32(65001), U32(4200000000u), ASPATH_SET, 1, U32(7));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	UPD_ATTR(&L, 0x80, ATTR_MED, U32(10));
	UPD_ATTR(&L, 0x40, ATTR_LOCAL_PREF, U32(100));
	upd_attrs_add(&L, 0x40, ATTR_ATOMIC_AGGREGATE, NULL, 0);
	UPD_ATTR(&L, 0xc0, ATTR_AGGREGATOR, U32(4200000000u), 10, 0, 0, 1);
	UPD_ATTR(&L, 0xc0, ATTR_COMMUNITIES, U16(65000), U16(1));
	UPD_ATTR(&L, 0x80, ATTR_ORIGINATOR_ID, 10, 0, 0, 9);
	UPD_ATTR(&L, 0x80, ATTR_CLUSTER_LIST, 10, 255, 0, 1);
	UPD_ATTR(&L, 0xc0, ATTR_EXT_COMMUNITIES, 0x00, 0x02, U16(65000), U32(100));
	UPD_ATTR(&L, 0xc0, ATTR_LARGE_COMMUNITIES, U32(4200000000u), U32(1), U32(2));
	UPD_ATTR(&L, 0xe0, 99, 1, 2, 3);
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_BYTES(24, 10, 9, 9),
	                       upd_attrs_part(&L),
	                       (struct upd_part)UPD_BYTES(24, 10, 1, 2, 32, 10, 1, 3, 4, 0));
	struct msg_update u, u2;
	size_t n = roundtrip(msg, len, &IBGP4, &u, &u2);
	assert_bytes_eq(enc_buf, n, msg, len);
}

/* RFC 4271 4.3: the extended-length flag exactly when the value exceeds 255 octets. */
Test(update, canonical_roundtrip_extended_length)
{
	static uint8_t comm[70 * 4], big_path[2 + 100 * 4];
	for (unsigned i = 0; i < 70; i++)
		put_u32(comm + i * 4, 0xfde80000u | i);
	big_path[0] = ASPATH_SEQUENCE;
	big_path[1] = 100;
	for (unsigned i = 0; i < 100; i++)
		put_u32(big_path + 2 + i * 4, 4200000000u + i);
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	upd_attrs_add(&L, 0x40, ATTR_AS_PATH, big_path, sizeof(big_path)); /* 402: extended */
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	upd_attrs_add(&L, 0xc0, ATTR_COMMUNITIES, comm, sizeof(comm)); /* 280: extended */
	upd_attrs_add(&L, 0xc0, ATTR_LARGE_COMMUNITIES, comm, 252);    /* 252: not */
	cr_assert_eq(L.b[A_ORIGIN_LEN], 0x50);
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_BYTES(24, 10, 1, 2));
	struct msg_update u, u2;
	size_t n = roundtrip(msg, len, &EBGP4, &u, &u2);
	assert_bytes_eq(enc_buf, n, msg, len);
	cr_expect_eq(u.attrs->aspath_hops, 100);
}

/* MP_REACH and MP_UNREACH together with IPv4 NLRI and withdrawals, written with the MP
 * attributes at their type-code positions: decode(encode(decode(x))) is stable. */
Test(update, mp_roundtrip_stable)
{
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 32, NH6_GLOBAL, NH6_LL,
	         0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1);
	UPD_ATTR(&L, 0x80, ATTR_MP_UNREACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 48, 0x20, 0x01, 0x0d,
	         0xb8, 0, 2);
	UPD_ATTR(&L, 0xc0, ATTR_LARGE_COMMUNITIES, U32(1), U32(2), U32(3));
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_BYTES(8, 12),
	                       upd_attrs_part(&L), (struct upd_part)UPD_BYTES(8, 11));
	struct msg_update u, u2;
	roundtrip(msg, len, &IBGP4, &u, &u2);
	assert_prefixes(&u2.mp_reach.nlri, "2001:db8:1::/48");
	assert_prefixes(&u2.mp_unreach.nlri, "2001:db8:2::/48");
	assert_prefixes(&u2.withdrawn, "12.0.0.0/8");
	assert_prefixes(&u2.nlri, "11.0.0.0/8");
}

/* Index of the first attribute's type code in an encoded UPDATE. */
static uint8_t first_attr_code(const uint8_t *msg)
{
	size_t wlen = get_u16(msg + BGP_HDR_LEN);
	return msg[upd_attrs_off(wlen) + 1];
}

/* RFC 7606 5.1: "The MP_REACH_NLRI or MP_UNREACH_NLRI attribute (if present) SHALL be
 * encoded as the very first path attribute in an UPDATE message." */
Test(update, encoder_puts_mp_attribute_first)
{
	L.n = 0;
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6_GLOBAL, 0, 32,
	         0x20, 0x01, 0x0d, 0xb8);
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_NONE);
	struct msg_update u, u2;
	size_t n = roundtrip(msg, len, &EBGP4, &u, &u2);
	/* The input is already in RFC 7606 order, so the bytes come back unchanged. */
	cr_expect_eq(first_attr_code(enc_buf), ATTR_MP_REACH_NLRI, "first attribute is %u",
	             first_attr_code(enc_buf));
	cr_expect(n == len && memcmp(enc_buf, msg, len) == 0, "got %s", hex(enc_buf, n));
}

/* Non-canonical inputs: attributes out of order and an extended length on short values.
 * The encoder writes the canonical form; decoding that gives the same set. */
Test(update, noncanonical_roundtrip)
{
	L.n = 0;
	UPD_ATTR(&L, 0xc0, ATTR_COMMUNITIES, U16(65000), U16(1));
	UPD_ATTR(&L, 0x50, ATTR_NEXT_HOP, 192, 0, 2, 1); /* extended length, 4 */
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x90, ATTR_MED, U32(5)); /* extended length, 4 */
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	static uint8_t msg[4096];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_BYTES(24, 10, 1, 2));
	struct msg_update u, u2;
	size_t n = roundtrip(msg, len, &EBGP4, &u, &u2);
	cr_expect_neq(n == len && memcmp(enc_buf, msg, len) == 0, 1);

	/* the canonical spelling of the same set, which is what the encoder must produce */
	static const uint8_t canon_attrs[] = { A_ORIGIN(0), A_AS_PATH_SEQ1(65001),
		                               A_NEXT_HOP(192, 0, 2, 1), A_MED(5),
		                               A_COMMUNITY1(65000, 1) };
	static uint8_t canon[4096];
	size_t clen = upd_build(canon, sizeof(canon), (struct upd_part)UPD_NONE,
	                        UPD_PART(canon_attrs), (struct upd_part)UPD_BYTES(24, 10, 1, 2));
	assert_bytes_eq(enc_buf, n, canon, clen);
	struct msg_update u3;
	decode_ok(canon, clen, &EBGP4, S2, &u3);
	assert_same_key(u.attrs, u3.attrs);
}

/* ---------------------------------------------------------------- RFC 6793 */

/* Builds an UPDATE from a 2-octet speaker: ORIGIN, the given AS_PATH (2-octet), NEXT_HOP,
 * and what the caller appended to L after base_attrs2(). */
static void base_attrs2(const uint8_t *path2, size_t len)
{
	L.n = 0;
	L.overflow = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	upd_attrs_add(&L, 0x40, ATTR_AS_PATH, path2, len);
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
}

/* 4.2.3: AS4_PATH shorter than AS_PATH: the leading AS_PATH ASNs, then AS4_PATH. */
Test(update, as4_path_shorter_merged)
{
	static const uint8_t path[] = {
		ASPATH_SEQUENCE, 3, U16(65001),        U16(BGP_AS_TRANS), U16(BGP_AS_TRANS),
		ASPATH_SET,      2, U16(BGP_AS_TRANS), U16(65020)
	};
	base_attrs2(path, sizeof(path));
	UPD_ATTR(&L, 0xc0, ATTR_AS4_PATH, ASPATH_SEQUENCE, 2, U32(4200000001u), U32(4200000002u),
	         ASPATH_SET, 2, U32(4200000003u), U32(65020));
	struct msg_update u;
	decode_with(&L, &EBGP2, &u);
	assert_aspath(u.attrs, "65001 4200000001 4200000002 {4200000003,65020}");
	cr_expect_eq(u.attrs->aspath_hops, 4);
	uint16_t len;
	cr_expect_null(attr_get(u.attrs, ATTR_AS4_PATH, &len), "AS4_PATH merged away");
}

/* 4.2.3: AS4_PATH longer than AS_PATH is ignored. */
Test(update, as4_path_longer_ignored)
{
	static const uint8_t path[] = { ASPATH_SEQUENCE, 2, U16(65001), U16(BGP_AS_TRANS) };
	base_attrs2(path, sizeof(path));
	UPD_ATTR(&L, 0xc0, ATTR_AS4_PATH, ASPATH_SEQUENCE, 3, U32(1), U32(2), U32(4200000001u));
	struct msg_update u;
	decode_with(&L, &EBGP2, &u);
	assert_aspath(u.attrs, "65001 23456");
	uint16_t len;
	cr_expect_null(attr_get(u.attrs, ATTR_AS4_PATH, &len));
}

/* 4.2.3: an AGGREGATOR that is not AS_TRANS means the AS4_ attributes predate an
 * aggregation by an OLD speaker: both are ignored. */
Test(update, as4_ignored_when_aggregator_not_as_trans)
{
	static const uint8_t path[] = { ASPATH_SEQUENCE, 2, U16(65001), U16(BGP_AS_TRANS) };
	base_attrs2(path, sizeof(path));
	UPD_ATTR(&L, 0xc0, ATTR_AGGREGATOR, U16(65010), 10, 0, 0, 1);
	UPD_ATTR(&L, 0xc0, ATTR_AS4_PATH, ASPATH_SEQUENCE, 1, U32(4200000001u));
	UPD_ATTR(&L, 0xc0, ATTR_AS4_AGGREGATOR, U32(4200000010u), 10, 0, 0, 2);
	struct msg_update u;
	decode_with(&L, &EBGP2, &u);
	assert_aspath(u.attrs, "65001 23456");
	ASSERT_VALUE(u.attrs, ATTR_AGGREGATOR, U32(65010), 10, 0, 0, 1);
	uint16_t len;
	cr_expect_null(attr_get(u.attrs, ATTR_AS4_AGGREGATOR, &len));
}

/* 4.2.3: AGGREGATOR AS_TRANS is replaced by AS4_AGGREGATOR, and AS4_PATH is used. */
Test(update, as4_aggregator_replaces_as_trans)
{
	static const uint8_t path[] = { ASPATH_SEQUENCE, 2, U16(BGP_AS_TRANS), U16(65002) };
	base_attrs2(path, sizeof(path));
	UPD_ATTR(&L, 0xc0, ATTR_AGGREGATOR, U16(BGP_AS_TRANS), 10, 0, 0, 1);
	UPD_ATTR(&L, 0xc0, ATTR_AS4_PATH, ASPATH_SEQUENCE, 2, U32(4200000001u), U32(65002));
	UPD_ATTR(&L, 0xc0, ATTR_AS4_AGGREGATOR, U32(4200000010u), 10, 0, 0, 2);
	struct msg_update u;
	decode_with(&L, &EBGP2, &u);
	assert_aspath(u.attrs, "4200000001 65002");
	ASSERT_VALUE(u.attrs, ATTR_AGGREGATOR, U32(4200000010u), 10, 0, 0, 2);
	assert_json(u.attrs, "aggregator", "{\"address\":\"10.0.0.2\",\"asn\":4200000010}");
	cr_expect_eq(attr_flags_of(u.attrs, ATTR_AGGREGATOR), 0xc0);
}

/* An AGGREGATOR with the Partial bit (an old speaker passed it on) keeps it when
 * AS4_AGGREGATOR replaces its value, and so the set survives a round trip through a 2-octet
 * session, where prismd writes AS_TRANS and AS4_AGGREGATOR again (found by fuzz-decode). */
Test(update, as4_aggregator_keeps_partial_bit)
{
	static const uint8_t path[] = { ASPATH_SEQUENCE, 2, U16(BGP_AS_TRANS), U16(65002) };
	base_attrs2(path, sizeof(path));
	UPD_ATTR(&L, 0xe0, ATTR_AGGREGATOR, U16(BGP_AS_TRANS), 10, 0, 0, 1);
	UPD_ATTR(&L, 0xc0, ATTR_AS4_PATH, ASPATH_SEQUENCE, 2, U32(4200000001u), U32(65002));
	struct msg_update u, u2;
	decode_with(&L, &EBGP2, &u);
	cr_expect_eq(attr_flags_of(u.attrs, ATTR_AGGREGATOR), 0xe0);
	struct attr *orig = attr_dup(u.attrs);
	size_t n = msg_update_encode(&u, &EBGP2, enc_buf, sizeof(enc_buf));
	cr_assert_gt(n, 0);
	decode_ok(enc_buf, n, &EBGP2, S2, &u2);
	cr_expect_eq(attr_flags_of(u2.attrs, ATTR_AGGREGATOR), 0xe0);
	assert_same_key(orig, u2.attrs);
}

/* 4.1: a NEW speaker never sends AS4_PATH to a NEW speaker; one that arrives is dropped. */
Test(update, as4_path_from_4octet_session_dropped)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0xc0, ATTR_AS4_PATH, ASPATH_SEQUENCE, 1, U32(4200000001u));
	UPD_ATTR(&L, 0xc0, ATTR_AS4_AGGREGATOR, U32(4200000010u), 10, 0, 0, 2);
	decode_with(&L, &EBGP4, &u);
	assert_aspath(u.attrs, "65001");
	uint16_t len;
	cr_expect_null(attr_get(u.attrs, ATTR_AS4_PATH, &len));
	cr_expect_null(attr_get(u.attrs, ATTR_AS4_AGGREGATOR, &len));
	/* and the set equals the one without them */
	struct attr *with = attr_dup(u.attrs);
	base_attrs(&L);
	decode_with(&L, &EBGP4, &u);
	assert_same_key(with, u.attrs);
}

/* 4.2.2: to an OLD speaker, 4-octet ASNs become AS_TRANS with AS4_PATH / AS4_AGGREGATOR,
 * and that OLD speaker's view decodes back to the same set. */
Test(update, encode_for_2octet_peer_and_back)
{
	struct msg_update u, u2;
	base_attrs(&L);
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 3, U32(65001), U32(4200000001u),
	         U32(65003), ASPATH_SET, 2, U32(4200000002u), U32(7));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	UPD_ATTR(&L, 0xc0, ATTR_AGGREGATOR, U32(4200000010u), 10, 0, 0, 2);
	UPD_ATTR(&L, 0xc0, ATTR_COMMUNITIES, U16(1), U16(2));
	decode_with(&L, &EBGP4, &u);
	struct attr *orig = attr_dup(u.attrs);

	size_t n = msg_update_encode(&u, &EBGP2, enc_buf, sizeof(enc_buf));
	cr_assert_gt(n, 0);
	static const uint8_t want_attrs[] = {
		A_ORIGIN(0),
		0x40,
		ATTR_AS_PATH,
		14,
		ASPATH_SEQUENCE,
		3,
		U16(65001),
		U16(BGP_AS_TRANS),
		U16(65003),
		ASPATH_SET,
		2,
		U16(BGP_AS_TRANS),
		U16(7),
		A_NEXT_HOP(192, 0, 2, 1),
		0xc0,
		ATTR_AGGREGATOR,
		6,
		U16(BGP_AS_TRANS),
		10,
		0,
		0,
		2,
		A_COMMUNITY1(1, 2),
		0xc0,
		ATTR_AS4_PATH,
		24,
		ASPATH_SEQUENCE,
		3,
		U32(65001),
		U32(4200000001u),
		U32(65003),
		ASPATH_SET,
		2,
		U32(4200000002u),
		U32(7),
		0xc0,
		ATTR_AS4_AGGREGATOR,
		8,
		U32(4200000010u),
		10,
		0,
		0,
		2,
	};
	static uint8_t want[4096];
	size_t wlen = upd_build(want, sizeof(want), (struct upd_part)UPD_NONE, UPD_PART(want_attrs),
	                        (struct upd_part)UPD_BYTES(8, 10));
	assert_bytes_eq(enc_buf, n, want, wlen);

	decode_ok(enc_buf, n, &EBGP2, S2, &u2);
	assert_same_key(orig, u2.attrs);
}

/* A path of only 2-octet ASNs needs no AS4_PATH: the 2-octet encoding is the whole story. */
Test(update, encode_for_2octet_peer_small_asns)
{
	struct msg_update u, u2;
	base_attrs(&L);
	decode_with(&L, &EBGP4, &u);
	struct attr *orig = attr_dup(u.attrs);
	size_t n = msg_update_encode(&u, &EBGP2, enc_buf, sizeof(enc_buf));
	static const uint8_t want_attrs[] = { A_ORIGIN(0), A_AS_PATH2_SEQ1(65001),
		                              A_NEXT_HOP(192, 0, 2, 1) };
	static uint8_t want[256];
	size_t wlen = upd_build(want, sizeof(want), (struct upd_part)UPD_NONE, UPD_PART(want_attrs),
	                        (struct upd_part)UPD_BYTES(8, 10));
	assert_bytes_eq(enc_buf, n, want, wlen);
	decode_ok(enc_buf, n, &EBGP2, S2, &u2);
	assert_same_key(orig, u2.attrs);
}

/* Inside a confederation of OLD speakers: AS4_PATH leaves out the confederation segments
 * (4.2.2), and 4.2.3 says a leading AS_CONFED segment "SHALL be prepended" when merging. */
Test(update, encode_for_2octet_confed_peer_and_back)
{
	struct msg_update u, u2;
	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_CONFED_SEQUENCE, 1, U32(65100), ASPATH_SEQUENCE, 2,
	         U32(65001), U32(4200000001u));
	UPD_ATTR(&L, 0x40, ATTR_NEXT_HOP, 192, 0, 2, 1);
	decode_with(&L, &IBGP4, &u);
	struct attr *orig = attr_dup(u.attrs);
	size_t n = msg_update_encode(&u, &IBGP2, enc_buf, sizeof(enc_buf));
	cr_assert_gt(n, 0);
	decode_ok(enc_buf, n, &IBGP2, S2, &u2);
	/* With AS_PATH and AS4_PATH the same length, the leading AS_CONFED_SEQUENCE must still
	 * be kept by the RFC 6793 merge. */
	assert_aspath(u2.attrs, "(65100) 65001 4200000001");
	assert_same_key(orig, u2.attrs);
}

/* ---------------------------------------------------------------- builder and hops */

/* What a reflector does: add ORIGINATOR_ID and CLUSTER_LIST, drop MED. The result equals
 * the set decoded from a message that carried exactly those attributes. */
Test(update, builder_matches_decoded)
{
	struct msg_update u;
	base_attrs(&L);
	UPD_ATTR(&L, 0x80, ATTR_MED, U32(5));
	UPD_ATTR(&L, 0xc0, ATTR_COMMUNITIES, U16(65000), U16(1));
	decode_with(&L, &IBGP4, &u);
	struct attr *from = attr_dup(u.attrs);

	static struct attr_builder b;
	static const uint8_t orig_id[] = { 10, 0, 0, 9 }, clusters[] = { 10, 255, 0, 1 };
	attr_builder_from(&b, from);
	attr_builder_set(&b, 0x80, ATTR_CLUSTER_LIST, clusters, 4);
	attr_builder_set(&b, 0x80, ATTR_ORIGINATOR_ID, orig_id, 4);
	attr_builder_remove(&b, ATTR_MED);
	static _Alignas(struct attr) uint8_t out[sizeof(struct attr) + 1024];
	struct attr *built = attr_builder_finish(&b, out, sizeof(out));
	cr_assert(built);

	base_attrs(&L);
	UPD_ATTR(&L, 0xc0, ATTR_COMMUNITIES, U16(65000), U16(1));
	UPD_ATTR(&L, 0x80, ATTR_ORIGINATOR_ID, 10, 0, 0, 9);
	UPD_ATTR(&L, 0x80, ATTR_CLUSTER_LIST, 10, 255, 0, 1);
	decode_with(&L, &IBGP4, &u);
	assert_same_key(built, u.attrs);
	cr_expect_eq(built->originator_id, 0x0a000009u);
	cr_expect_eq(built->cluster_len, 1);
	cr_expect(!attr_has(built, ATTR_MED));
	cr_expect_eq(built->med, 0);

	/* replacing a value keeps one copy */
	static const uint8_t clusters2[] = { 10, 255, 0, 2, 10, 255, 0, 1 };
	attr_builder_set(&b, 0x80, ATTR_CLUSTER_LIST, clusters2, 8);
	built = attr_builder_finish(&b, out, sizeof(out));
	cr_assert(built);
	cr_expect_eq(built->cluster_len, 2);
	uint16_t len;
	cr_expect(attr_get(built, ATTR_CLUSTER_LIST, &len) && len == 8);
	/* too small an output buffer */
	cr_expect_null(attr_builder_finish(&b, out, sizeof(struct attr) + 8));
}

/* A builder filled from nothing, in any order, with an MP next hop. */
Test(update, builder_from_scratch_with_mp_next_hop)
{
	struct msg_update u;
	static struct attr_builder b;
	memset(&b, 0, sizeof(b));
	static const uint8_t nh[] = { NH6_GLOBAL }, path[] = { ASPATH_SEQUENCE, 1, U32(65001) },
	                     origin[] = { 0 };
	b.nh_len = 16;
	memcpy(b.nh, nh, 16);
	attr_builder_set(&b, 0x40, ATTR_AS_PATH, path, sizeof(path));
	attr_builder_set(&b, 0x40 | ATTR_FLAG_EXTLEN, ATTR_ORIGIN, origin, 1); /* flag dropped */
	static _Alignas(struct attr) uint8_t out[sizeof(struct attr) + 256];
	struct attr *built = attr_builder_finish(&b, out, sizeof(out));
	cr_assert(built);

	L.n = 0;
	UPD_ATTR(&L, 0x40, ATTR_ORIGIN, 0);
	UPD_ATTR(&L, 0x40, ATTR_AS_PATH, ASPATH_SEQUENCE, 1, U32(65001));
	UPD_ATTR(&L, 0x80, ATTR_MP_REACH_NLRI, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6_GLOBAL, 0, 16,
	         0x20, 0x01);
	static uint8_t msg[512];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, upd_attrs_part(&L),
	                       (struct upd_part)UPD_NONE);
	decode_ok(msg, len, &EBGP4, S1, &u);
	assert_same_key(built, u.attrs);
	cr_expect_eq(attr_derive(built), 0);
}

/* RFC 4271 9.1.2.2 and RFC 5065 5.3. */
Test(update, aspath_hops_counts)
{
	static const uint8_t seq[] = { ASPATH_SEQUENCE, 3, U32(1), U32(2), U32(3) };
	static const uint8_t set[] = { ASPATH_SET, 3, U32(1), U32(2), U32(3) };
	static const uint8_t mixed[] = { ASPATH_CONFED_SEQUENCE,
		                         2,
		                         U32(64512),
		                         U32(64513),
		                         ASPATH_CONFED_SET,
		                         1,
		                         U32(64514),
		                         ASPATH_SEQUENCE,
		                         2,
		                         U32(1),
		                         U32(2),
		                         ASPATH_SET,
		                         2,
		                         U32(3),
		                         U32(4),
		                         ASPATH_SEQUENCE,
		                         1,
		                         U32(5) };
	cr_expect_eq(aspath_hops(seq, sizeof(seq)), 3);
	cr_expect_eq(aspath_hops(set, sizeof(set)), 1);
	cr_expect_eq(aspath_hops(mixed, sizeof(mixed)), 4);
	cr_expect_eq(aspath_hops(NULL, 0), 0);
	cr_expect_eq(aspath_first_as(mixed, sizeof(mixed)), 1);
}
