/* Route reflection and external peers, core/reflect.h: which routes enter the RIB, what an
 * internal and an external peer are sent, and which peers get a best route at all. Attribute
 * sets are written as the wire TLVs an UPDATE carries (tests/upd_build.h and the macros below),
 * turned into canonical sets with attr_builder, and results are compared by their canonical
 * key, so "every other attribute unchanged" is checked byte for byte.
 *
 * Rows marked with .bug are places where the code disagrees with the RFC. They state the
 * RFC's answer and check that the code still gives the other one, so the suite stays green
 * until the code is fixed, and then fails to say that the mark must go. --verbose lists
 * them (as cr_log_info: Criterion 2.4 fails a run that logs a warning). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "core/reflect.h"
#include "tests/upd_build.h"

enum { SET_BUF = 8192, LOCAL_AS = 65000, PEER_AS = 65001 };

/* host byte order IDs */
#define ID(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_ID         ID(10, 0, 0, 1)
#define OUR_CLUSTER    ID(10, 0, 0, 1)   /* the global cluster ID */
#define OUR_CLUSTER2   ID(10, 255, 0, 7) /* a per-neighbor override */
#define OTHER_CLUSTER  ID(10, 9, 9, 9)
#define OTHER_CLUSTER2 ID(10, 8, 8, 8)
#define CLIENT_ID      ID(10, 0, 0, 2)

/* More wire TLVs, 4-octet ASNs. */
#define A_AS_PATH_SEQ2(a, b)    0x40, ATTR_AS_PATH, 10, ASPATH_SEQUENCE, 2, U32(a), U32(b)
#define A_AS_PATH_SEQ3(a, b, c) 0x40, ATTR_AS_PATH, 14, ASPATH_SEQUENCE, 3, U32(a), U32(b), U32(c)
#define A_AS_PATH_SET1(s)       0x40, ATTR_AS_PATH, 6, ASPATH_SET, 1, U32(s)
#define A_AS_PATH_SET_SEQ(s, a) \
	0x40, ATTR_AS_PATH, 12, ASPATH_SET, 1, U32(s), ASPATH_SEQUENCE, 1, U32(a)
#define A_AS_PATH_SEQ_SET(a, s) \
	0x40, ATTR_AS_PATH, 12, ASPATH_SEQUENCE, 1, U32(a), ASPATH_SET, 1, U32(s)
#define A_ORIGINATOR(id)         0x80, ATTR_ORIGINATOR_ID, 4, U32(id)
#define A_CLUSTER1(a)            0x80, ATTR_CLUSTER_LIST, 4, U32(a)
#define A_CLUSTER2(a, b)         0x80, ATTR_CLUSTER_LIST, 8, U32(a), U32(b)
#define A_CLUSTER3(a, b, c)      0x80, ATTR_CLUSTER_LIST, 12, U32(a), U32(b), U32(c)
#define A_ATOMIC                 0x40, ATTR_ATOMIC_AGGREGATE, 0
#define A_AGGREGATOR(as, id)     0xc0, ATTR_AGGREGATOR, 8, U32(as), U32(id)
#define A_EXT_RT(as, n)          0xc0, ATTR_EXT_COMMUNITIES, 8, 0x00, 0x02, U16(as), U32(n)
#define A_LARGE1(g, a, b)        0xc0, ATTR_LARGE_COMMUNITIES, 12, U32(g), U32(a), U32(b)
#define A_UNKNOWN_TRANS          0xe0, 99, 3, 1, 2, 3 /* optional transitive, partial */
#define A_COMMUNITY2(a, b, c, d) 0xc0, ATTR_COMMUNITIES, 8, U16(a), U16(b), U16(c), U16(d)

#define TLVS(...) UPD_BYTES(__VA_ARGS__)
#define PART(...) ((struct upd_part)UPD_BYTES(__VA_ARGS__)) /* as an argument */

/* A set with everything an internal route can carry, for "the rest stays": ORIGIN EGP,
 * AS_PATH 65001 65002, NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, two
 * communities, an extended and a large community, and an unknown transitive attribute. */
#define REST                                                                                     \
	A_ORIGIN(ORIGIN_EGP), A_AS_PATH_SEQ2(65001, 65002), A_NEXT_HOP(192, 0, 2, 1), A_MED(20), \
	        A_LOCAL_PREF(300), A_ATOMIC, A_AGGREGATOR(65002, ID(192, 0, 2, 9)),              \
	        A_COMMUNITY2(65000, 1, 65000, 2), A_EXT_RT(65000, 7), A_LARGE1(65000, 1, 2),     \
	        A_UNKNOWN_TRANS
/* The same without what an external peer must not get. */
#define REST_EXTERNAL_KEEP                                                                   \
	A_ORIGIN(ORIGIN_EGP), A_ATOMIC, A_AGGREGATOR(65002, ID(192, 0, 2, 9)),               \
	        A_COMMUNITY2(65000, 1, 65000, 2), A_EXT_RT(65000, 7), A_LARGE1(65000, 1, 2), \
	        A_UNKNOWN_TRANS

static const uint8_t NH6_IN[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t NH6_LL[32] = { 0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0, 0, 0, 0,
	                            0,    0,    0,    0,    0x01, 0xfe, 0x80, 0, 0, 0, 0,
	                            0,    0,    0x02, 0,    0,    0xff, 0xfe, 0, 0, 1 };
static const uint8_t SELF_NH4[4] = { 198, 51, 100, 1 };
static const uint8_t SELF_NH6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0,
	                              0,    0,    0,    0,    0,    0,    0, 0x01 };

static const uint32_t our_clusters[] = { OUR_CLUSTER, OUR_CLUSTER2 };
static const struct reflect_self SELF = {
	.router_id = OUR_ID, .asn = LOCAL_AS, .clusters = our_clusters, .n_clusters = 2
};

#define CLIENT                                                                   \
	{                                                                        \
		.kind = RIB_SRC_CLIENT, .asn = LOCAL_AS, .router_id = CLIENT_ID, \
		.cluster_id = OUR_CLUSTER                                        \
	}
#define NONCLIENT                                                                         \
	{                                                                                 \
		.kind = RIB_SRC_NONCLIENT, .asn = LOCAL_AS, .router_id = ID(10, 0, 0, 3), \
		.cluster_id = OUR_CLUSTER                                                 \
	}
#define EBGP_IMPORT                                                       \
	{                                                                 \
		.kind = RIB_SRC_EBGP, .import_all = true, .asn = PEER_AS, \
		.router_id = ID(192, 0, 2, 1), .cluster_id = OUR_CLUSTER  \
	}
#define EBGP_NO_POLICY                                                     \
	{                                                                  \
		.kind = RIB_SRC_EBGP, .import_all = false, .asn = PEER_AS, \
		.router_id = ID(192, 0, 2, 1), .cluster_id = OUR_CLUSTER   \
	}

/* ---- building sets */

/* The canonical set for wire TLVs and an MP_REACH next hop, in a malloc'd buffer. */
static struct attr *set_make_nh(struct upd_part tlvs, const uint8_t *nh, uint8_t nh_len)
{
	struct attr_builder b = { .nh_len = nh_len, .n = 0 };
	if (nh_len)
		memcpy(b.nh, nh, nh_len);
	for (size_t off = 0; off < tlvs.n;) {
		cr_assert(tlvs.n - off >= 3, "TLV header cut short at %zu", off);
		uint8_t flags = tlvs.p[off], code = tlvs.p[off + 1];
		size_t hdr = flags & ATTR_FLAG_EXTLEN ? 4 : 3;
		cr_assert(tlvs.n - off >= hdr);
		uint16_t len = hdr == 4 ? get_u16(tlvs.p + off + 2) : tlvs.p[off + 2];
		cr_assert(tlvs.n - off - hdr >= len, "TLV %u overruns", code);
		attr_builder_set(&b, flags, code, tlvs.p + off + hdr, len);
		off += hdr + len;
	}
	void *buf = malloc(SET_BUF);
	cr_assert(buf);
	struct attr *a = attr_builder_finish(&b, buf, SET_BUF);
	cr_assert(a, "the set does not fit");
	return a;
}

static struct attr *set_make(struct upd_part tlvs) { return set_make_nh(tlvs, NULL, 0); }

static void *out_buf(void)
{
	void *buf = malloc(SET_BUF);
	cr_assert(buf);
	return buf;
}

static bool set_equal(const struct attr *a, const struct attr *b)
{
	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

static void expect_set(const char *name, const struct attr *got, const struct attr *want)
{
	cr_assert(got, "%s: no set came back", name);
	if (set_equal(got, want))
		return;
	char g[3 * 256 + 1] = "", w[3 * 256 + 1] = "";
	for (uint32_t i = 0; i < got->key_len && i < 256; i++)
		snprintf(g + 3 * i, 4, "%02x ", got->key[i]);
	for (uint32_t i = 0; i < want->key_len && i < 256; i++)
		snprintf(w + 3 * i, 4, "%02x ", want->key[i]);
	cr_expect_fail("%s: key differs\n got  %s\n want %s", name, g, w);
}

/* ---- reflect_ingress_reject */

struct ingress_case {
	const char *name;
	struct reflect_peer peer;
	struct upd_part attrs;
	const char *reject; /* NULL: accepted; else a word the reason must contain */
	const char *bug;    /* set where the code disagrees with the RFC: the text it breaks */
};

static const struct ingress_case ingress_cases[] = {
	/* RFC 4456 8: "A router that recognizes the ORIGINATOR_ID attribute SHOULD ignore a route
	 * received with its BGP Identifier as the ORIGINATOR_ID." */
	{ "ORIGINATOR_ID is our router ID", CLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(OUR_ID), A_CLUSTER1(OTHER_CLUSTER)),
	  .reject = "ORIGINATOR_ID" },
	/* RFC 4456 8: any other originator is fine */
	{ "ORIGINATOR_ID of another router", CLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)), A_CLUSTER1(OTHER_CLUSTER)), .reject = NULL },
	/* RFC 4456 8: "If the local CLUSTER_ID is found in the CLUSTER_LIST, the advertisement
	 * received SHOULD be ignored"; here in first position */
	{ "CLUSTER_LIST starts with our cluster ID", NONCLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)), A_CLUSTER2(OUR_CLUSTER, OTHER_CLUSTER)),
	  .reject = "CLUSTER_LIST" },
	/* RFC 4456 8: found anywhere in the list, not only first */
	{ "CLUSTER_LIST holds our cluster ID later on", NONCLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)),
	       A_CLUSTER3(OTHER_CLUSTER, OTHER_CLUSTER2, OUR_CLUSTER)),
	  .reject = "CLUSTER_LIST" },
	/* RFC 4456 8: every cluster ID we use is "local", the per-neighbor overrides included */
	{ "CLUSTER_LIST holds our override cluster ID", CLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)), A_CLUSTER2(OTHER_CLUSTER, OUR_CLUSTER2)),
	  .reject = "CLUSTER_LIST" },
	/* RFC 4456 8: a list of other clusters only is a normal hierarchy, not a loop */
	{ "CLUSTER_LIST of other clusters only", NONCLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)), A_CLUSTER2(OTHER_CLUSTER, OTHER_CLUSTER2)),
	  .reject = NULL },
	/* RFC 8212 3: routes from an EBGP peer "SHALL NOT be considered eligible in the Decision
	 * Process if no explicit Import Policy has been applied" */
	{ "eBGP without import policy", EBGP_NO_POLICY, TLVS(A_BASE), .reject = "RFC 8212" },
	/* RFC 8212 3: with one ("import all") they are */
	{ "eBGP with import all", EBGP_IMPORT, TLVS(A_BASE), .reject = NULL },
	/* RFC 8212 applies to EBGP only; an internal peer needs no import policy */
	{ "iBGP needs no import policy", NONCLIENT, TLVS(A_BASE), .reject = NULL },
	/* RFC 4271 9.1.2: a route whose AS_PATH holds our own AS is a loop */
	{ "eBGP with our AS in the AS_PATH", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ3(PEER_AS, LOCAL_AS, 65009), A_NEXT_HOP(192, 0, 2, 1)),
	  .reject = "our AS" },
	/* RFC 4271 9.1.2: loop detection scans the full AS path, AS_SETs included */
	{ "eBGP with our AS in an AS_SET", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ_SET(PEER_AS, LOCAL_AS), A_NEXT_HOP(192, 0, 2, 1)),
	  .reject = "our AS" },
	/* RFC 4271 6.3: the leftmost AS must be the peer's; RFC 7606 makes it treat-as-withdraw */
	{ "eBGP whose first AS is not the peer's", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ2(65002, PEER_AS), A_NEXT_HOP(192, 0, 2, 1)),
	  .reject = "first AS" },
	/* RFC 4271 6.3: an empty AS_PATH has no leftmost AS, so it cannot be the peer's */
	{ "eBGP with an empty AS_PATH", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY, A_NEXT_HOP(192, 0, 2, 1)), .reject = "first AS" },
	/* RFC 4271 6.3: the leftmost AS "with respect to the position of octets in the protocol
	 * message" is the one in the leading AS_SET, not the peer's */
	{ "eBGP whose AS_PATH starts with an AS_SET", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SET_SEQ(65002, PEER_AS), A_NEXT_HOP(192, 0, 2, 1)),
	  .reject = "first AS" },
	/* RFC 4271 5.1.2: a route originated inside our AS has an empty AS_PATH */
	{ "iBGP with an empty AS_PATH", CLIENT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY, A_NEXT_HOP(10, 0, 0, 2)), .reject = NULL },
	/* RFC 4271 6.3's first-AS check is for external peers only */
	{ "iBGP whose first AS is any neighbour AS", NONCLIENT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(65077), A_NEXT_HOP(10, 0, 0, 3)), .reject = NULL },
	/* RFC 8212 first: an eBGP route without policy is refused whatever it carries */
	{ "eBGP without policy, even with a loop-free path", EBGP_NO_POLICY,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ2(PEER_AS, 65009), A_NEXT_HOP(192, 0, 2, 1)),
	  .reject = "RFC 8212" },
};

Test(reflect, ingress_reject)
{
	unsigned n_bugs = 0;
	for (size_t i = 0; i < sizeof(ingress_cases) / sizeof(ingress_cases[0]); i++) {
		const struct ingress_case *c = &ingress_cases[i];
		struct attr *a = set_make(c->attrs);
		const char *why = reflect_ingress_reject(&SELF, &c->peer, a);
		if (c->bug) {
			cr_log_info("known bug: %s: the RFC says %s, the code %s: %s", c->name,
			            c->reject ? "reject" : "accept",
			            c->reject ? "accepts" : "rejects", c->bug);
			n_bugs++;
			cr_expect_eq(!why, !!c->reject, "%s: the bug is gone; drop its mark",
			             c->name);
		} else if (!c->reject) {
			cr_expect_null(why, "%s: rejected: %s", c->name, why ? why : "");
		} else {
			cr_expect_not_null(why, "%s: accepted", c->name);
			if (why)
				cr_expect(strstr(why, c->reject), "%s: reason \"%s\" lacks \"%s\"",
				          c->name, why, c->reject);
		}
		free(a);
	}
	cr_expect_eq(n_bugs, 0, "the number of rows marked .bug changed: update the marks");
}

/* ---- reflect_internal_set */

struct internal_case {
	const char *name;
	struct reflect_peer peer;
	struct upd_part in, want;
	uint8_t nh_len; /* an MP_REACH next hop, the same in and out */
	const uint8_t *nh;
};

static const struct internal_case internal_cases[] = {
	/* RFC 4456 8: ORIGINATOR_ID "will be created by an RR in reflecting a route" and carries
	 * the originator's BGP Identifier; "If the CLUSTER_LIST is empty, it MUST create a new
	 * one"; the next hop is not touched (RFC 4456 10: an RR SHOULD NOT change it) */
	{ "client route: ORIGINATOR_ID and CLUSTER_LIST created", CLIENT, TLVS(A_BASE),
	  TLVS(A_BASE, A_ORIGINATOR(CLIENT_ID), A_CLUSTER1(OUR_CLUSTER)), .nh = NULL },
	/* RFC 4456 8: "A BGP speaker SHOULD NOT create an ORIGINATOR_ID attribute if one already
	 * exists"; "it MUST prepend the local CLUSTER_ID to the CLUSTER_LIST" */
	{ "client route: ORIGINATOR_ID kept, cluster prepended", CLIENT,
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)), A_CLUSTER2(OTHER_CLUSTER, OTHER_CLUSTER2)),
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 44)),
	       A_CLUSTER3(OUR_CLUSTER, OTHER_CLUSTER, OTHER_CLUSTER2)),
	  .nh = NULL },
	/* RFC 4456 8: the same when reflecting a non-client's route to clients */
	{ "non-client route: the same rules", NONCLIENT, TLVS(A_BASE, A_CLUSTER1(OTHER_CLUSTER)),
	  TLVS(A_BASE, A_ORIGINATOR(ID(10, 0, 0, 3)), A_CLUSTER2(OUR_CLUSTER, OTHER_CLUSTER)),
	  .nh = NULL },
	/* RFC 4456 8: the CLUSTER_ID prepended is the one of the peer's cluster (an override) */
	{ "client in an override cluster: that cluster ID",
	  { .kind = RIB_SRC_CLIENT,
	    .asn = LOCAL_AS,
	    .router_id = CLIENT_ID,
	    .cluster_id = OUR_CLUSTER2 },
	  TLVS(A_BASE),
	  TLVS(A_BASE, A_ORIGINATOR(CLIENT_ID), A_CLUSTER1(OUR_CLUSTER2)),
	  .nh = NULL },
	/* RFC 4456 8 adds two attributes and changes nothing else: MED, LOCAL_PREF, communities,
	 * an unknown transitive attribute with its Partial bit all stay as they were */
	{ "client route: every other attribute unchanged", CLIENT, TLVS(REST),
	  TLVS(REST, A_ORIGINATOR(CLIENT_ID), A_CLUSTER1(OUR_CLUSTER)), .nh = NULL },
	/* RFC 4456 10 (next hop unchanged) with RFC 4760: the MP_REACH next hop stays too */
	{ "client IPv6 route: MP next hop unchanged", CLIENT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY, A_LOCAL_PREF(120)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY, A_LOCAL_PREF(120), A_ORIGINATOR(CLIENT_ID),
	       A_CLUSTER1(OUR_CLUSTER)),
	  .nh_len = 16, .nh = NH6_IN },
	/* the same for a global plus link-local next hop (RFC 2545 3) */
	{ "client IPv6 route: 32-octet MP next hop unchanged", CLIENT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY),
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY, A_ORIGINATOR(CLIENT_ID), A_CLUSTER1(OUR_CLUSTER)),
	  .nh_len = 32, .nh = NH6_LL },
	/* RFC 4271 5.1.5: a speaker includes LOCAL_PREF in what it sends internal peers; an
	 * external route gets ours (the default 100). It is not reflected, so no ORIGINATOR_ID
	 * or CLUSTER_LIST (RFC 4456 8 is about reflecting internal routes) */
	{ "eBGP route: LOCAL_PREF 100 added, nothing reflected", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(PEER_AS), A_NEXT_HOP(192, 0, 2, 1), A_MED(5),
	       A_COMMUNITY1(65001, 9)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(PEER_AS), A_NEXT_HOP(192, 0, 2, 1), A_MED(5),
	       A_COMMUNITY1(65001, 9), A_LOCAL_PREF(100)),
	  .nh = NULL },
	/* A LOCAL_PREF already in an external route's set is kept. From the wire this cannot
	 * happen (RFC 7606 7.5: the decoder discards LOCAL_PREF from an external peer); a set
	 * that had one would come from import policy. */
	{ "eBGP route with LOCAL_PREF: kept", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(PEER_AS), A_NEXT_HOP(192, 0, 2, 1), A_LOCAL_PREF(250)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(PEER_AS), A_NEXT_HOP(192, 0, 2, 1), A_LOCAL_PREF(250)),
	  .nh = NULL },
	/* eBGP IPv6: the MP next hop is left for the internal peers (next-hop-self is not ours) */
	{ "eBGP IPv6 route: MP next hop unchanged", EBGP_IMPORT,
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(PEER_AS)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(PEER_AS), A_LOCAL_PREF(100)), .nh_len = 16,
	  .nh = NH6_IN },
};

Test(reflect, internal_set)
{
	for (size_t i = 0; i < sizeof(internal_cases) / sizeof(internal_cases[0]); i++) {
		const struct internal_case *c = &internal_cases[i];
		struct attr *in = set_make_nh(c->in, c->nh, c->nh_len);
		struct attr *want = set_make_nh(c->want, c->nh, c->nh_len);
		void *buf = out_buf();
		struct attr *got = reflect_internal_set(&c->peer, in, buf, SET_BUF);
		expect_set(c->name, got, want);
		if (got) {
			uint8_t len;
			const uint8_t *nh = attr_mp_nexthop(got, &len);
			cr_expect_eq(len, c->nh_len, "%s", c->name);
			cr_expect(!len || memcmp(nh, c->nh, len) == 0, "%s: MP next hop", c->name);
			cr_expect_eq(got->nexthop, in->nexthop, "%s: NEXT_HOP", c->name);
		}
		free(in);
		free(want);
		free(buf);
	}
}

/* The derived fields follow the new key: the decision process reads them. */
Test(reflect, internal_set_derives_fields)
{
	struct reflect_peer peer = CLIENT;
	struct attr *in = set_make(PART(A_BASE, A_CLUSTER2(OTHER_CLUSTER, OTHER_CLUSTER2)));
	void *buf = out_buf();
	struct attr *got = reflect_internal_set(&peer, in, buf, SET_BUF);
	cr_assert(got);
	cr_expect(attr_has(got, ATTR_ORIGINATOR_ID));
	cr_expect_eq(got->originator_id, CLIENT_ID);
	cr_expect_eq(got->cluster_len, 3);
	uint16_t len;
	const uint8_t *cl = attr_get(got, ATTR_CLUSTER_LIST, &len);
	cr_assert(cl);
	cr_expect_eq(len, 12);
	cr_expect_eq(get_u32(cl), OUR_CLUSTER, "our cluster goes in front");
	free(in);
	free(buf);
}

/* RFC 4456 8: "it MUST prepend the local CLUSTER_ID to the CLUSTER_LIST": all of it is
 * kept, however long. 300 entries (1200 octets, extended length) fit in one 4096-octet
 * UPDATE. The known-bug note below says what the code does instead. */
Test(reflect, internal_set_keeps_a_long_cluster_list)
{
	enum { N = 300 };
	static uint8_t tlvs[A_BASE_LEN + 4 + 4 * N];
	static const uint8_t base[] = { A_BASE };
	memcpy(tlvs, base, sizeof(base));
	uint8_t *t = tlvs + sizeof(base);
	t[0] = 0x80 | ATTR_FLAG_EXTLEN;
	t[1] = ATTR_CLUSTER_LIST;
	put_u16(t + 2, 4 * N);
	for (unsigned i = 0; i < N; i++)
		put_u32(t + 4 + 4 * i, ID(10, 200, i >> 8, i & 0xff));
	struct attr *in = set_make((struct upd_part){ tlvs, sizeof(tlvs) });
	cr_assert_eq(in->cluster_len, N);
	struct reflect_peer peer = CLIENT;
	void *buf = out_buf();
	struct attr *got = reflect_internal_set(&peer, in, buf, SET_BUF);
	cr_assert(got);
	uint16_t len;
	const uint8_t *cl = attr_get(got, ATTR_CLUSTER_LIST, &len);
	cr_assert(cl);
	cr_expect_eq(get_u32(cl), OUR_CLUSTER);
	/* RFC 4456 8: prepend, never cut: the whole old list follows our ID, in order */
	const unsigned rfc_len = N + 1;
	cr_expect_eq(got->cluster_len, rfc_len);
	cr_expect_eq(len, 4 * rfc_len);
	for (unsigned i = 1; i < rfc_len; i++)
		cr_expect_eq(get_u32(cl + 4 * i), ID(10, 200, (i - 1) >> 8, (i - 1) & 0xff));
	free(in);
	free(buf);
}

/* The output buffer is a hard limit: too small gives NULL, never an overrun (ASan checks). */
Test(reflect, internal_set_too_small_buffer)
{
	struct reflect_peer peer = CLIENT;
	struct attr *in = set_make(PART(REST));
	size_t need = attr_size(in->key_len + 7 + 7);
	void *buf = malloc(need - 1);
	cr_assert(buf);
	cr_expect_null(reflect_internal_set(&peer, in, buf, need - 1));
	free(buf);
	buf = malloc(need);
	cr_assert(buf);
	cr_expect_not_null(reflect_internal_set(&peer, in, buf, need));
	free(buf);
	free(in);
}

/* ---- reflect_external_set */

struct external_case {
	const char *name;
	struct upd_part in, want;
	uint8_t in_nh_len, want_nh_len;
	const uint8_t *in_nh, *want_nh;
};

#define NH_SELF A_NEXT_HOP(198, 51, 100, 1)

static const struct external_case external_cases[] = {
	/* RFC 4271 5.1.2: a leading AS_SEQUENCE gets our AS "in the leftmost position";
	 * 5.1.3: NEXT_HOP to an external peer is an address of ours on the session;
	 * 5.1.4: MED "MUST NOT be propagated to other neighboring ASes";
	 * 5.1.5: LOCAL_PREF "MUST NOT" be included towards external peers */
	{ "leading AS_SEQUENCE: our AS prepended into it",
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1), A_MED(5),
	       A_LOCAL_PREF(200)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ2(LOCAL_AS, 65001), NH_SELF), .in_nh = NULL },
	/* RFC 4271 5.1.2: "if the AS_PATH is empty, the local system shall create a path segment
	 * of type AS_SEQUENCE, place its own AS into that segment" */
	{ "empty AS_PATH: a new AS_SEQUENCE",
	  TLVS(A_ORIGIN(0), A_AS_PATH_EMPTY, A_NEXT_HOP(10, 0, 0, 2)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(LOCAL_AS), NH_SELF), .in_nh = NULL },
	/* RFC 4271 5.1.2: "if the first path segment of the AS_PATH is of type AS_SET, the local
	 * system shall prepend a new path segment of type AS_SEQUENCE" */
	{ "leading AS_SET: a new AS_SEQUENCE in front",
	  TLVS(A_ORIGIN(0), A_AS_PATH_SET1(65010), A_NEXT_HOP(10, 0, 0, 2)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ_SET(LOCAL_AS, 65010), NH_SELF), .in_nh = NULL },
	/* RFC 4456 8: ORIGINATOR_ID and CLUSTER_LIST describe reflection inside our AS; they are
	 * removed, and every transitive attribute is kept as it was */
	{ "reflection attributes removed, the rest kept",
	  TLVS(REST, A_ORIGINATOR(ID(10, 0, 0, 44)), A_CLUSTER1(OTHER_CLUSTER)),
	  TLVS(REST_EXTERNAL_KEEP, A_AS_PATH_SEQ3(LOCAL_AS, 65001, 65002), NH_SELF),
	  .in_nh = NULL },
	/* RFC 4760 3, RFC 2545 3: next hop self for IPv6 NLRI too: the MP_REACH next hop becomes
	 * our global address */
	{ "MP next hop replaced with ours",
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(65001), A_LOCAL_PREF(100)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ2(LOCAL_AS, 65001), NH_SELF), .in_nh_len = 16,
	  .want_nh_len = 16, .in_nh = NH6_IN, .want_nh = SELF_NH6 },
	/* RFC 2545 3: a link-local next hop is only for a peer on the same link; the peer
	 * gets our global address alone */
	{ "32-octet MP next hop replaced with our 16", TLVS(A_ORIGIN(0), A_AS_PATH_SEQ1(65001)),
	  TLVS(A_ORIGIN(0), A_AS_PATH_SEQ2(LOCAL_AS, 65001), NH_SELF), .in_nh_len = 32,
	  .want_nh_len = 16, .in_nh = NH6_LL, .want_nh = SELF_NH6 },
};

Test(reflect, external_set)
{
	for (size_t i = 0; i < sizeof(external_cases) / sizeof(external_cases[0]); i++) {
		const struct external_case *c = &external_cases[i];
		struct attr *in = set_make_nh(c->in, c->in_nh, c->in_nh_len);
		struct attr *want = set_make_nh(c->want, c->want_nh, c->want_nh_len);
		void *buf = out_buf();
		struct attr *got =
		        reflect_external_set(LOCAL_AS, SELF_NH4, SELF_NH6, in, buf, SET_BUF);
		expect_set(c->name, got, want);
		if (got) {
			cr_expect_not(attr_has(got, ATTR_LOCAL_PREF), "%s", c->name);
			cr_expect_not(attr_has(got, ATTR_MED), "%s", c->name);
			cr_expect_not(attr_has(got, ATTR_ORIGINATOR_ID), "%s", c->name);
			cr_expect_not(attr_has(got, ATTR_CLUSTER_LIST), "%s", c->name);
			cr_expect_eq(got->nexthop, ID(198, 51, 100, 1), "%s", c->name);
		}
		free(in);
		free(want);
		free(buf);
	}
}

/* RFC 4271 5.1.2: "If the act of prepending will cause an overflow in the AS_PATH segment
 * (i.e., more than 255 ASes), it SHOULD prepend a new segment of type AS_SEQUENCE". 254 ASNs
 * take one more; 255 make a new segment. */
static void expect_prepend_at(unsigned n_asns, unsigned want_first_count, unsigned want_segs)
{
	uint8_t tlvs[4 + 2 + 4 * 255 + A_ORIGIN_LEN];
	static const uint8_t origin[] = { A_ORIGIN(0) };
	size_t vlen = 2 + 4 * (size_t)n_asns;
	memcpy(tlvs, origin, sizeof(origin));
	uint8_t *t = tlvs + sizeof(origin);
	t[0] = 0x40 | ATTR_FLAG_EXTLEN;
	t[1] = ATTR_AS_PATH;
	put_u16(t + 2, (uint16_t)vlen);
	t[4] = ASPATH_SEQUENCE;
	t[5] = (uint8_t)n_asns;
	for (unsigned i = 0; i < n_asns; i++)
		put_u32(t + 6 + 4 * i, 65100 + i);
	struct attr *in = set_make((struct upd_part){ tlvs, sizeof(origin) + 4 + vlen });
	void *buf = out_buf();
	struct attr *got = reflect_external_set(LOCAL_AS, SELF_NH4, SELF_NH6, in, buf, SET_BUF);
	cr_assert(got);
	uint16_t len;
	const uint8_t *p = attr_get(got, ATTR_AS_PATH, &len);
	cr_assert(p);
	cr_expect_eq(len, 2 * want_segs + 4 * (n_asns + 1), "%u ASNs", n_asns);
	cr_expect_eq(p[0], ASPATH_SEQUENCE);
	cr_expect_eq(p[1], want_first_count, "%u ASNs: first segment", n_asns);
	cr_expect_eq(get_u32(p + 2), LOCAL_AS);
	if (want_segs == 2) {
		cr_expect_eq(p[6], ASPATH_SEQUENCE);
		cr_expect_eq(p[7], n_asns);
		cr_expect_eq(get_u32(p + 8), 65100);
	} else {
		cr_expect_eq(get_u32(p + 6), 65100);
	}
	cr_expect_eq(got->aspath_hops, n_asns + 1);
	free(in);
	free(buf);
}

Test(reflect, external_set_prepends_into_254) { expect_prepend_at(254, 255, 1); }

Test(reflect, external_set_starts_a_segment_after_255) { expect_prepend_at(255, 1, 2); }

/* ---- reflect_eligible */

struct eligible_case {
	const char *name;
	struct reflect_dest dest;
	enum rib_src_kind src;
	uint32_t src_cluster;
	bool src_c2c;
	bool want;
};

#define TO_CLIENT(cl, c2c)                                                               \
	{                                                                                \
		.kind = REFLECT_TO_CLIENT, .cluster_id = (cl), .client_to_client = (c2c) \
	}
#define TO_NONCLIENT(cl, c2c)                                                               \
	{                                                                                   \
		.kind = REFLECT_TO_NONCLIENT, .cluster_id = (cl), .client_to_client = (c2c) \
	}
#define TO_EBGP(exp)                                         \
	{                                                    \
		.kind = REFLECT_TO_EBGP, .export_all = (exp) \
	}
#define CL_A OUR_CLUSTER
#define CL_B OUR_CLUSTER2

/* RFC 4456 6 gives the rules: "A Route from a Non-Client IBGP peer: Reflect to all the
 * Clients"; "A Route from a Client peer: Reflect to all the Non-Client peers and also to the
 * Client peers"; "Route from an EBGP peer: Send to all the Client and Non-Client Peers".
 * RFC 4456 6 also lets client-to-client reflection be turned off where the clients of a
 * cluster are fully meshed; prism keys that per cluster, so it only ever stops a client's
 * route going to a client of the same cluster. A route we originate goes to every internal
 * peer (RFC 4271 9.2). Towards eBGP, RFC 8212 3: nothing without an export policy. */
static const struct eligible_case eligible_cases[] = {
	/* ---- to a client, client-to-client on */
	/* RFC 4456 6: a client's route goes to the other clients */
	{ "client -> client, same cluster, c2c on", TO_CLIENT(CL_A, true), RIB_SRC_CLIENT, CL_A,
	  true, true },
	/* RFC 4456 6: to clients of other clusters too */
	{ "client -> client, other cluster, c2c on", TO_CLIENT(CL_A, true), RIB_SRC_CLIENT, CL_B,
	  true, true },
	/* RFC 4456 6: a non-client's route goes to all the clients */
	{ "non-client -> client, c2c on", TO_CLIENT(CL_A, true), RIB_SRC_NONCLIENT, CL_A, true,
	  true },
	/* RFC 4456 6: an external route goes to all the clients */
	{ "eBGP -> client, c2c on", TO_CLIENT(CL_A, true), RIB_SRC_EBGP, CL_A, true, true },
	/* RFC 4271 9.2: our own route goes to every internal peer */
	{ "local -> client, c2c on", TO_CLIENT(CL_A, true), RIB_SRC_LOCAL, CL_A, true, true },

	/* ---- to a client, client-to-client off */
	/* RFC 4456 6: with client-to-client reflection off, a client's route does not go to
	 * the clients of its own cluster (they are meshed and have it already) */
	{ "client -> client, same cluster, c2c off", TO_CLIENT(CL_A, false), RIB_SRC_CLIENT, CL_A,
	  false, false },
	/* the setting is per cluster: clients of another cluster still get it */
	{ "client -> client, other cluster, c2c off", TO_CLIENT(CL_A, false), RIB_SRC_CLIENT, CL_B,
	  true, true },
	/* ... and the source's cluster being off does not stop it going to a cluster that is on */
	{ "client (c2c off) -> client of another cluster", TO_CLIENT(CL_A, true), RIB_SRC_CLIENT,
	  CL_B, false, true },
	/* within one cluster both ends must allow it: a source marked off is not reflected */
	{ "client (c2c off) -> client, same cluster, dest on", TO_CLIENT(CL_A, true),
	  RIB_SRC_CLIENT, CL_A, false, false },
	/* within one cluster: a destination marked off gets nothing from its cluster */
	{ "client (c2c on) -> client, same cluster, dest off", TO_CLIENT(CL_A, false),
	  RIB_SRC_CLIENT, CL_A, true, false },
	/* RFC 4456 6: client-to-client off says nothing about non-client routes */
	{ "non-client -> client, c2c off", TO_CLIENT(CL_A, false), RIB_SRC_NONCLIENT, CL_A, false,
	  true },
	/* ... nor about external ones */
	{ "eBGP -> client, c2c off", TO_CLIENT(CL_A, false), RIB_SRC_EBGP, CL_A, false, true },
	/* ... nor about our own */
	{ "local -> client, c2c off", TO_CLIENT(CL_A, false), RIB_SRC_LOCAL, CL_A, false, true },

	/* ---- to a non-client: cluster and c2c play no part */
	/* RFC 4456 6: a client's route goes to all the non-clients */
	{ "client -> non-client", TO_NONCLIENT(CL_A, true), RIB_SRC_CLIENT, CL_A, true, true },
	/* RFC 4456 6 with c2c off in the client's cluster: that is about clients only */
	{ "client (c2c off) -> non-client", TO_NONCLIENT(CL_A, false), RIB_SRC_CLIENT, CL_A, false,
	  true },
	/* RFC 4456 6, RFC 4271 9.2: a non-client's route goes to clients only, never to
	 * another non-client (the non-clients are fully meshed) */
	{ "non-client -> non-client", TO_NONCLIENT(CL_A, true), RIB_SRC_NONCLIENT, CL_A, true,
	  false },
	/* ... whatever clusters are involved */
	{ "non-client -> non-client, other cluster", TO_NONCLIENT(CL_B, false), RIB_SRC_NONCLIENT,
	  CL_A, false, false },
	/* RFC 4456 6: an external route goes to all the non-clients */
	{ "eBGP -> non-client", TO_NONCLIENT(CL_A, true), RIB_SRC_EBGP, CL_A, true, true },
	/* RFC 4271 9.2: our own route goes to every internal peer */
	{ "local -> non-client", TO_NONCLIENT(CL_A, true), RIB_SRC_LOCAL, CL_A, true, true },

	/* ---- to an external peer: only the export policy counts (RFC 8212 3) */
	{ "client -> eBGP, export all", TO_EBGP(true), RIB_SRC_CLIENT, CL_A, true, true },
	{ "non-client -> eBGP, export all", TO_EBGP(true), RIB_SRC_NONCLIENT, CL_A, true, true },
	{ "eBGP -> eBGP, export all", TO_EBGP(true), RIB_SRC_EBGP, CL_A, true, true },
	{ "local -> eBGP, export all", TO_EBGP(true), RIB_SRC_LOCAL, CL_A, true, true },
	/* RFC 8212 3: "Routes SHALL NOT be added to an Adj-RIB-Out associated with an EBGP peer
	 * if no explicit Export Policy has been applied" */
	{ "client -> eBGP, no export policy", TO_EBGP(false), RIB_SRC_CLIENT, CL_A, true, false },
	{ "non-client -> eBGP, no export policy", TO_EBGP(false), RIB_SRC_NONCLIENT, CL_A, true,
	  false },
	{ "eBGP -> eBGP, no export policy", TO_EBGP(false), RIB_SRC_EBGP, CL_A, true, false },
	{ "local -> eBGP, no export policy", TO_EBGP(false), RIB_SRC_LOCAL, CL_A, true, false },
	/* the cluster and c2c of an external destination are not read */
	{ "client -> eBGP, c2c fields set, export all",
	  { .kind = REFLECT_TO_EBGP,
	    .cluster_id = CL_A,
	    .client_to_client = false,
	    .export_all = true },
	  RIB_SRC_CLIENT,
	  CL_A,
	  false,
	  true },
};

#undef CL_A
#undef CL_B

Test(reflect, eligible)
{
	for (size_t i = 0; i < sizeof(eligible_cases) / sizeof(eligible_cases[0]); i++) {
		const struct eligible_case *c = &eligible_cases[i];
		bool got = reflect_eligible(&c->dest, c->src, c->src_cluster, c->src_c2c);
		cr_expect_eq(got, c->want, "%s: got %d, want %d", c->name, got, c->want);
	}
}

/* Every source kind against every destination: each combination is in the table above. */
Test(reflect, eligible_table_is_complete)
{
	static const enum reflect_to dests[] = { REFLECT_TO_CLIENT, REFLECT_TO_NONCLIENT,
		                                 REFLECT_TO_EBGP };
	static const enum rib_src_kind srcs[] = { RIB_SRC_CLIENT, RIB_SRC_NONCLIENT, RIB_SRC_EBGP,
		                                  RIB_SRC_LOCAL };
	for (unsigned d = 0; d < 3; d++)
		for (unsigned s = 0; s < 4; s++) {
			unsigned n = 0;
			for (size_t i = 0; i < sizeof(eligible_cases) / sizeof(eligible_cases[0]);
			     i++)
				n += eligible_cases[i].dest.kind == dests[d] &&
				     eligible_cases[i].src == srcs[s];
			cr_expect_geq(n, 1, "destination %u, source %u: no row", d, s);
		}
}
