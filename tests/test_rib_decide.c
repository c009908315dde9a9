/* The decision process, rib_decide(): RFC 4271 9.1.2.2 with the degree of preference of 9.1.1
 * in front and RFC 4456 section 9 folded in. One table row per case, each naming the step it
 * exercises; every row is run in every order of its paths (all orders up to four paths, every
 * rotation of both directions above that), and the winner is checked by identity, so that the
 * choice never depends on arrival order.
 *
 * Unless a row sets them, later paths have lower BGP Identifiers and lower peer addresses, so
 * the final tie-breaks favour the last path: a row whose winner comes earlier is decided by the
 * step it names, not by a tie-break.
 *
 * Rows marked with .bug are places where rib_decide() disagrees with the RFC. They state the
 * RFC's answer in .want and check that rib_decide() still gives .bug_got, so the suite stays
 * green until the code is fixed, and then fails to say that the mark must go. --verbose lists
 * them (as cr_log_info: Criterion 2.4 fails a run that logs a warning). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "rib/rib.h"
#include "tests/upd_build.h"

enum { LOCAL_AS = 65000, MAX_PATHS = 6, ATTR_BUF = 2048, MAX_CLUSTERS = 8 };

/* AS_PATH segments, 4-octet ASNs: SEQ(2, U32(65001), U32(65002)) */
#define SEQ(n, ...)  ASPATH_SEQUENCE, (n), __VA_ARGS__
#define SET(n, ...)  ASPATH_SET, (n), __VA_ARGS__
#define CSEQ(n, ...) ASPATH_CONFED_SEQUENCE, (n), __VA_ARGS__
#define CSET(n, ...) ASPATH_CONFED_SET, (n), __VA_ARGS__
#define PATH(...)    UPD_BYTES(__VA_ARGS__)
#define AS1(a)       PATH(SEQ(1, U32(a)))
#define AS2(a, b)    PATH(SEQ(2, U32(a), U32(b)))
#define AS3(a, b, c) PATH(SEQ(3, U32(a), U32(b), U32(c)))

/* 10.0.0.x as a BGP Identifier, host byte order */
#define RID(x) (0x0a000000u | (x))

enum spec_kind { K_CLIENT, K_NONCLIENT, K_EBGP }; /* K_CLIENT first: the zero default */

struct path_spec {
	enum spec_kind kind;
	uint8_t origin;
	bool has_lp, has_med;
	uint32_t lp, med;
	struct upd_part aspath; /* the AS_PATH value; none: an empty AS_PATH */
	uint32_t originator;    /* ORIGINATOR_ID; 0: absent */
	uint8_t clusters;       /* CLUSTER_LIST entries; 0: absent */
	uint32_t rid;           /* the peer's BGP Identifier; 0: the default */
	const char *addr;       /* the peer's address; NULL: the default */
	uint32_t path_id;
	uint8_t same_peer; /* 1 + the index of the path whose source this one shares */
};

#define LP(v)  .has_lp = true, .lp = (v)
#define MED(v) .has_med = true, .med = (v)
#define EBGP   .kind = K_EBGP
#define NONCL  .kind = K_NONCLIENT

struct decide_case {
	const char *name;
	unsigned n;
	struct path_spec p[MAX_PATHS];
	unsigned want;   /* the index in p of the RFC's choice */
	const char *bug; /* set where rib_decide() disagrees: the RFC text it breaks */
	unsigned bug_got;
};

static const struct decide_case cases[] = {
	/* ---- degree of preference: LOCAL_PREF (RFC 4271 9.1.1, 9.1.2, 5.1.5) */
	/* 9.1.2: the highest degree of preference is chosen before any 9.1.2.2 tie-break */
	{ "higher LOCAL_PREF wins over a shorter AS_PATH",
	  2,
	  { { LP(200), .aspath = AS3(65001, 65002, 65003) }, { LP(100), .aspath = AS1(65001) } },
	  .want = 0 },
	/* 9.1.1: an internal route's degree of preference is its LOCAL_PREF; prism takes a
	 * missing one as the usual default of 100 */
	{ "iBGP path without LOCAL_PREF counts as 100 and loses to 101",
	  2,
	  { { LP(101), .aspath = AS2(65001, 65002) }, { .aspath = AS1(65001) } },
	  .want = 0 },
	/* 9.1.1: as above, from the other side */
	{ "iBGP path without LOCAL_PREF counts as 100 and beats 99",
	  2,
	  { { .aspath = AS2(65001, 65002) }, { LP(99), .aspath = AS1(65001) } },
	  .want = 0 },
	/* 9.1.1: a missing LOCAL_PREF ties an explicit 100, so 9.1.2.2 (a) decides */
	{ "iBGP path without LOCAL_PREF ties an explicit 100",
	  2,
	  { { .aspath = AS1(65001) }, { LP(100), .aspath = AS2(65001, 65002) } },
	  .want = 0 },
	/* 5.1.5: LOCAL_PREF from an external peer MUST be ignored; 9.1.1 makes the degree of
	 * preference of an external route a matter of policy (prism: 100) */
	{ "eBGP LOCAL_PREF 500 is ignored and loses to iBGP 200",
	  2,
	  { { LP(200), .aspath = AS2(65001, 65002) }, { EBGP, LP(500), .aspath = AS1(65003) } },
	  .want = 0 },
	/* 5.1.5, 9.1.1: an ignored LOCAL_PREF of 50 still counts as the default 100 */
	{ "eBGP LOCAL_PREF 50 is ignored and beats iBGP 99",
	  2,
	  { { EBGP, LP(50), .aspath = AS2(65003, 65004) }, { LP(99), .aspath = AS1(65001) } },
	  .want = 0 },
	/* 5.1.5, 9.1.1: eBGP with LOCAL_PREF 0 ties iBGP 100, then 9.1.2.2 (d) prefers eBGP */
	{ "eBGP LOCAL_PREF 0 ties iBGP 100, then eBGP wins",
	  2,
	  { { EBGP, LP(0), .aspath = AS1(65003) }, { LP(100), .aspath = AS1(65001) } },
	  .want = 0 },

	/* ---- RFC 4271 9.1.2.2 (a): AS_PATH length */
	/* (a): fewest AS numbers */
	{ "shorter AS_SEQUENCE wins",
	  2,
	  { { .aspath = AS1(65001) }, { .aspath = AS2(65001, 65002) } },
	  .want = 0 },
	/* (a): "an AS_SET counts as 1, no matter how many ASes are in the set" */
	{ "AS_SET of four counts as one: 1 + 1 beats 3",
	  2,
	  { { .aspath = PATH(SEQ(1, U32(65001)),
	                     SET(4, U32(65010), U32(65011), U32(65012), U32(65013))) },
	    { .aspath = AS3(65001, 65002, 65003) } },
	  .want = 0 },
	/* (a): an AS_SET counts as one, not as zero */
	{ "AS_SET counts as one, not zero: 1 beats 1 + 1",
	  2,
	  { { .aspath = AS1(65002) },
	    { .aspath = PATH(SEQ(1, U32(65001)), SET(2, U32(65010), U32(65011))) } },
	  .want = 0 },
	/* (a) with RFC 5065 5.3: AS_CONFED_SEQUENCE is not counted */
	{ "AS_CONFED_SEQUENCE counts zero: 3 confed + 1 beats 2",
	  2,
	  { { NONCL,
	      .aspath = PATH(CSEQ(3, U32(64601), U32(64602), U32(64603)), SEQ(1, U32(65001))) },
	    { NONCL, .aspath = AS2(65001, 65002) } },
	  .want = 0 },
	/* (a) with RFC 5065 5.3: AS_CONFED_SET is not counted either */
	{ "AS_CONFED_SET counts zero: confed set + 1 beats 1 + set",
	  2,
	  { { NONCL, .aspath = PATH(CSET(2, U32(64601), U32(64602)), SEQ(1, U32(65001))) },
	    { NONCL, .aspath = PATH(SEQ(1, U32(65001)), SET(1, U32(65010))) } },
	  .want = 0 },
	/* (a): a route originated inside our AS carries an empty AS_PATH (RFC 4271 5.1.2) */
	{ "empty AS_PATH beats one hop",
	  2,
	  { { .aspath = { NULL, 0 } }, { .aspath = AS1(65001) } },
	  .want = 0 },

	/* ---- (b): ORIGIN */
	/* (b): lowest Origin number; IGP 0 < EGP 1 */
	{ "ORIGIN IGP beats EGP",
	  2,
	  { { .origin = ORIGIN_IGP, .aspath = AS1(65001) },
	    { .origin = ORIGIN_EGP, .aspath = AS1(65001) } },
	  .want = 0 },
	/* (b): EGP 1 < INCOMPLETE 2 */
	{ "ORIGIN EGP beats INCOMPLETE",
	  2,
	  { { .origin = ORIGIN_EGP, .aspath = AS1(65001) },
	    { .origin = ORIGIN_INCOMPLETE, .aspath = AS1(65001) } },
	  .want = 0 },
	/* (b): three-way; the tie-breaks favour the EGP path last in the row */
	{ "ORIGIN IGP beats EGP and INCOMPLETE",
	  3,
	  { { .origin = ORIGIN_INCOMPLETE, .aspath = AS1(65001) },
	    { .origin = ORIGIN_IGP, .aspath = AS1(65001) },
	    { .origin = ORIGIN_EGP, .aspath = AS1(65001) } },
	  .want = 1 },
	/* (a) before (b) */
	{ "AS_PATH length is compared before ORIGIN",
	  2,
	  { { .origin = ORIGIN_INCOMPLETE, .aspath = AS1(65001) },
	    { .origin = ORIGIN_IGP, .aspath = AS2(65001, 65002) } },
	  .want = 0 },

	/* ---- (c): MULTI_EXIT_DISC */
	/* (c): lower MED between routes from the same neighbouring AS */
	{ "lower MED wins between paths from the same neighbour AS",
	  2,
	  { { EBGP, MED(10), .aspath = AS1(65001) }, { EBGP, MED(20), .aspath = AS1(65001) } },
	  .want = 0 },
	/* (c): "MULTI_EXIT_DISC is only comparable between routes learned from the same
	 * neighboring AS"; same origin AS, different neighbours, so the router ID decides */
	{ "MED is not compared across neighbour ASes",
	  2,
	  { { EBGP, MED(100), .aspath = AS2(65001, 65010), .rid = RID(1) },
	    { EBGP, MED(0), .aspath = AS2(65002, 65010), .rid = RID(2) } },
	  .want = 0 },
	/* (c): the neighbouring AS is determined from the AS_PATH: its leftmost AS */
	{ "neighbour AS is the leftmost AS, not the origin AS",
	  2,
	  { { MED(20), .aspath = AS2(65001, 65010), .rid = RID(1) },
	    { MED(10), .aspath = AS2(65001, 65011), .rid = RID(2) } },
	  .want = 1 },
	/* (c): "Routes that do not have the MULTI_EXIT_DISC attribute are considered to have the
	 * lowest possible MULTI_EXIT_DISC value" */
	{ "missing MED is the lowest and beats MED 1",
	  2,
	  { { .aspath = AS1(65001), .rid = RID(2) },
	    { MED(1), .aspath = AS1(65001), .rid = RID(1) } },
	  .want = 0 },
	/* (c): the lowest possible value is 0, so a missing MED ties MED 0 and (f) decides */
	{ "missing MED ties MED 0, then the router ID decides",
	  2,
	  { { .aspath = AS1(65001), .rid = RID(2) },
	    { MED(0), .aspath = AS1(65001), .rid = RID(1) } },
	  .want = 1 },
	/* (c): neighborAS() of a route originated in our AS (empty AS_PATH) is the local AS, so
	 * two such routes compare MEDs */
	{ "empty AS_PATHs share the local AS as neighbour, so MEDs compare",
	  2,
	  { { MED(5), .rid = RID(1) }, { MED(3), .rid = RID(2) } },
	  .want = 1 },
	/* (c): an aggregate whose AS_PATH begins with an AS_SET has the local AS as neighbour;
	 * it is not comparable with a route from 65001 */
	{ "a path that is only an AS_SET has the local AS as neighbour",
	  2,
	  { { MED(50), .aspath = PATH(SET(2, U32(65001), U32(65002))), .rid = RID(1) },
	    { MED(10), .aspath = AS1(65001), .rid = RID(2) } },
	  .want = 0 },
	/* (c): the same with a sequence after the set */
	{ "a path that begins with an AS_SET has the local AS as neighbour",
	  2,
	  { { MED(50), .aspath = PATH(SET(1, U32(65005)), SEQ(1, U32(65001))), .rid = RID(1) },
	    { MED(10), .aspath = AS2(65001, 65006), .rid = RID(2) } },
	  .want = 0 },
	/* (c): MED makes pairwise comparison cycle (A > B and B > C on router ID, C > A on MED);
	 * the RFC's procedure removes A at (c), then (f) picks B, in every order */
	{ "MED cycle of three resolves by the RFC procedure",
	  3,
	  { { EBGP, MED(100), .aspath = AS1(65001), .rid = RID(1) },
	    { EBGP, MED(50), .aspath = AS1(65002), .rid = RID(2) },
	    { EBGP, MED(50), .aspath = AS1(65001), .rid = RID(3) } },
	  .want = 1 },
	/* (c): each neighbour AS keeps its own lowest MED (B for 65001, C for 65002), and (f)
	 * picks between the survivors; pairwise orders can land on A or D */
	{ "MED over two neighbour ASes keeps each AS's lowest",
	  4,
	  { { EBGP, MED(20), .aspath = AS1(65001), .rid = RID(1) },
	    { EBGP, MED(10), .aspath = AS1(65001), .rid = RID(4) },
	    { EBGP, MED(5), .aspath = AS1(65002), .rid = RID(3) },
	    { EBGP, MED(30), .aspath = AS1(65002), .rid = RID(2) } },
	  .want = 2 },
	/* (c): routes are compared "still under consideration": B, gone at (a), must not remove
	 * A with its lower MED, or C would win */
	{ "MED compares only the paths still under consideration",
	  3,
	  { { MED(50), .aspath = AS1(65001), .rid = RID(2) },
	    { MED(0), .aspath = AS2(65001, 65002), .rid = RID(1) },
	    { MED(0), .aspath = AS1(65003), .rid = RID(3) } },
	  .want = 0 },
	/* (c) before (d): an internal route with a lower MED from the same neighbour AS removes
	 * the external one before eBGP is preferred */
	{ "MED is compared before eBGP is preferred",
	  2,
	  { { MED(5), .aspath = AS1(65001) }, { EBGP, MED(10), .aspath = AS1(65001) } },
	  .want = 0 },

	/* ---- (d): external over internal */
	/* (d): "If at least one of the candidate routes was received via EBGP, remove from
	 * consideration all routes that were received via IBGP" */
	{ "eBGP beats an iBGP client",
	  2,
	  { { EBGP, .aspath = AS1(65001) }, { .aspath = AS1(65002) } },
	  .want = 0 },
	/* (d): the same for a non-client */
	{ "eBGP beats an iBGP non-client",
	  2,
	  { { EBGP, .aspath = AS1(65001) }, { NONCL, .aspath = AS1(65002) } },
	  .want = 0 },
	/* (d) then (f): the iBGP route with the lowest router ID is already gone */
	{ "of two eBGP and one iBGP path, the router ID picks among the eBGP",
	  3,
	  { { .aspath = AS1(65001), .rid = RID(1) },
	    { EBGP, .aspath = AS1(65002), .rid = RID(2) },
	    { EBGP, .aspath = AS1(65003), .rid = RID(3) } },
	  .want = 1 },

	/* ---- RFC 4456 9: CLUSTER_LIST length, "inserted between Steps f) and g)" */
	/* RFC 4456 9: with equal router IDs (the same ORIGINATOR_ID) the shorter list wins */
	{ "shorter CLUSTER_LIST wins when the ORIGINATOR_IDs tie",
	  2,
	  { { .originator = RID(7), .clusters = 1, .rid = RID(20) },
	    { .originator = RID(7), .clusters = 2, .rid = RID(10) } },
	  .want = 0 },
	/* RFC 4456 9: "The CLUSTER_LIST length is zero if a route does not carry the
	 * CLUSTER_LIST attribute"; A comes straight from router 7, B is 7's route reflected */
	{ "no CLUSTER_LIST counts as length zero",
	  2,
	  { { NONCL, .rid = RID(7) }, { .originator = RID(7), .clusters = 1, .rid = RID(5) } },
	  .want = 0 },
	/* RFC 4456 9: the CLUSTER_LIST rule comes after (f), so the lower ORIGINATOR_ID wins
	 * even with the longer list */
	{ "CLUSTER_LIST length is compared after the router ID",
	  2,
	  { { .originator = RID(1), .clusters = 2, .rid = RID(30) },
	    { .originator = RID(2), .clusters = 1, .rid = RID(31) } },
	  .want = 0 },
	/* RFC 4456 9 comes long after (a) */
	{ "AS_PATH length is compared before CLUSTER_LIST",
	  2,
	  { { .aspath = AS1(65001), .originator = RID(9), .clusters = 3 },
	    { .aspath = AS2(65001, 65002), .rid = RID(9) } },
	  .want = 0 },

	/* ---- (f): lowest BGP Identifier, ORIGINATOR_ID in its place (RFC 4456 9) */
	/* (f): lowest BGP Identifier; B has the lower address */
	{ "lowest BGP Identifier wins", 2, { { .rid = RID(1) }, { .rid = RID(2) } }, .want = 0 },
	/* (f): BGP Identifiers compare as unsigned 32-bit numbers */
	{ "BGP Identifiers compare unsigned: 127.255.255.255 < 128.0.0.0",
	  2,
	  { { .rid = 0x7fffffffu }, { .rid = 0x80000000u } },
	  .want = 0 },
	/* RFC 4456 9: "the ORIGINATOR_ID SHOULD be treated as the BGP Identifier"; both routes
	 * are reflected (equal CLUSTER_LIST lengths), A's peer has the higher identifier but its
	 * route's originator the lower */
	{ "ORIGINATOR_ID replaces the peer's BGP Identifier and wins",
	  2,
	  { { .originator = RID(1), .clusters = 1, .rid = RID(99) },
	    { .originator = RID(5), .clusters = 1, .rid = RID(2) } },
	  .want = 0 },
	/* RFC 4456 9: the same rule can make the lower peer identifier lose */
	{ "ORIGINATOR_ID replaces the peer's BGP Identifier and loses",
	  2,
	  { { .originator = RID(9), .clusters = 1, .rid = RID(1) },
	    { .originator = RID(5), .clusters = 1, .rid = RID(50) } },
	  .want = 1 },

	/* ---- (g): lowest peer address; two sessions to one router (same identifier) */
	/* (g): "Prefer the route received from the lowest peer address" */
	{ "lowest IPv4 peer address wins",
	  2,
	  { { .rid = RID(1), .addr = "192.0.2.10" }, { .rid = RID(1), .addr = "192.0.2.9" } },
	  .want = 1 },
	/* (g): IPv4 addresses compare as numbers, not as text */
	{ "IPv4 peer addresses compare as numbers: 9.255.255.255 < 10.0.0.0",
	  2,
	  { { .rid = RID(1), .addr = "9.255.255.255" }, { .rid = RID(1), .addr = "10.0.0.0" } },
	  .want = 0 },
	/* (g): for IPv6 peers */
	{ "lowest IPv6 peer address wins",
	  2,
	  { { .rid = RID(1), .addr = "2001:db8::10" }, { .rid = RID(1), .addr = "2001:db8::9" } },
	  .want = 1 },
	/* (g): IPv6 addresses compare from the first octet */
	{ "IPv6 peer addresses compare from the first octet",
	  2,
	  { { .rid = RID(1), .addr = "2001:db8:1::1" },
	    { .rid = RID(1), .addr = "2001:db8::ffff" } },
	  .want = 1 },
	/* (g): the RFC does not order an IPv4 against an IPv6 address; prism puts IPv4 first */
	{ "IPv4 peer address sorts before IPv6",
	  2,
	  { { .rid = RID(1), .addr = "2001:db8::1" }, { .rid = RID(1), .addr = "192.0.2.1" } },
	  .want = 1 },

	/* ---- ADD-PATH (RFC 7911): several paths from one peer; past (g) they still tie */
	/* rib.h: the last tie-break is the path identifier, so the result is never arrival order */
	{ "ADD-PATH paths from one peer: lowest path identifier",
	  3,
	  { { .path_id = 5 }, { .path_id = 2, .same_peer = 1 }, { .path_id = 9, .same_peer = 1 } },
	  .want = 1 },
	/* (g) before the path identifier: another session to the same router, at a lower
	 * address, wins with a higher path identifier */
	{ "peer address is compared before the path identifier",
	  2,
	  { { .rid = RID(1), .addr = "192.0.2.1", .path_id = 9 },
	    { .rid = RID(1), .addr = "192.0.2.2", .path_id = 1 } },
	  .want = 0 },
	/* ADD-PATH paths still go through every step: a better LOCAL_PREF beats a lower path id */
	{ "ADD-PATH paths from one peer are ranked by the full process first",
	  2,
	  { { LP(200), .path_id = 9 }, { LP(100), .path_id = 1, .same_peer = 1 } },
	  .want = 0 },

	/* ---- trivial */
	/* 9.1.2: "Is the only route to that destination" */
	{ "a single path is the best", 1, { { .aspath = AS1(65001) } }, .want = 0 },
};

/* ---- building paths */

struct world {
	unsigned n;
	struct rib_path *paths;
	struct rib_source **src; /* src[i]: NULL when path i shares another's source */
	struct attr **attrs;
};

static void peer_addr(struct sockaddr_storage *ss, const char *text, unsigned i)
{
	char def[32];
	if (!text) {
		snprintf(def, sizeof(def), "10.0.%u.%u", 1 + i / 200, 240 - i % 200);
		text = def;
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, text, &v6->sin6_addr), 1, "bad address %s", text);
		v6->sin6_family = AF_INET6;
	}
}

static struct rib_source *source_make(const struct path_spec *s, unsigned i)
{
	static const enum rib_src_kind kinds[] = { [K_CLIENT] = RIB_SRC_CLIENT,
		                                   [K_NONCLIENT] = RIB_SRC_NONCLIENT,
		                                   [K_EBGP] = RIB_SRC_EBGP };
	struct rib_source *src = rib_source_new(1);
	cr_assert(src);
	src->id = i + 1;
	src->kind = kinds[s->kind];
	src->router_id = s->rid ? s->rid : RID(240 - i % 200) + (i / 200 << 8);
	src->asn = s->kind == K_EBGP && s->aspath.n >= 6 ? get_u32(s->aspath.p + 2) : LOCAL_AS;
	src->cluster_id = RID(254);
	peer_addr(&src->addr, s->addr, i);
	snprintf(src->name, sizeof(src->name), "peer%u", i);
	return src;
}

static struct attr *attrs_make(const struct path_spec *s)
{
	static const uint8_t nh[4] = { 192, 0, 2, 1 };
	uint8_t origin = s->origin, med[4], lp[4], orig[4], clist[MAX_CLUSTERS * 4];
	struct attr_builder b = { .nh_len = 0, .n = 0 };

	cr_assert(s->clusters <= MAX_CLUSTERS);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, &origin, 1);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, s->aspath.p,
	                 (uint16_t)s->aspath.n);
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh, 4);
	if (s->has_med) {
		put_u32(med, s->med);
		attr_builder_set(&b, ATTR_FLAG_OPTIONAL, ATTR_MED, med, 4);
	}
	if (s->has_lp) {
		put_u32(lp, s->lp);
		attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, lp, 4);
	}
	if (s->originator) {
		put_u32(orig, s->originator);
		attr_builder_set(&b, ATTR_FLAG_OPTIONAL, ATTR_ORIGINATOR_ID, orig, 4);
	}
	for (unsigned k = 0; k < s->clusters; k++)
		put_u32(clist + 4 * k, RID(200 + k));
	if (s->clusters)
		attr_builder_set(&b, ATTR_FLAG_OPTIONAL, ATTR_CLUSTER_LIST, clist,
		                 (uint16_t)(4 * s->clusters));
	void *buf = malloc(ATTR_BUF);
	cr_assert(buf);
	struct attr *a = attr_builder_finish(&b, buf, ATTR_BUF);
	cr_assert(a, "attribute set does not fit");
	return a;
}

static void world_make(struct world *w, const struct path_spec *p, unsigned n)
{
	w->n = n;
	w->paths = calloc(n, sizeof(*w->paths));
	w->src = calloc(n, sizeof(struct rib_source *));
	w->attrs = calloc(n, sizeof(struct attr *));
	cr_assert(w->paths && w->src && w->attrs);
	for (unsigned i = 0; i < n; i++) {
		cr_assert(p[i].same_peer <= i, "same_peer must name an earlier path");
		w->attrs[i] = attrs_make(&p[i]);
		if (!p[i].same_peer)
			w->src[i] = source_make(&p[i], i);
		w->paths[i] = (struct rib_path){
			.attrs = w->attrs[i],
			.src = p[i].same_peer ? w->paths[p[i].same_peer - 1].src : w->src[i],
			.path_id = p[i].path_id,
		};
	}
}

static void world_free(struct world *w)
{
	for (unsigned i = 0; i < w->n; i++) {
		free(w->src[i]);
		free(w->attrs[i]);
	}
	free(w->paths);
	free(w->src);
	free(w->attrs);
}

/* ---- orders */

/* The next permutation in lexicographic order; false after the last. */
static bool perm_next(unsigned *a, unsigned n)
{
	unsigned i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	unsigned j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	unsigned t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (unsigned l = i, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
	return true;
}

/* Order number k of the rotations of both directions: k < 2n. */
static void rotation(unsigned *a, unsigned n, unsigned k)
{
	for (unsigned i = 0; i < n; i++)
		a[i] = k < n ? (i + k) % n : (n - 1 - i + k) % n;
}

/* Runs rib_decide() over the paths in the given order; returns the original index of the
 * winner, found through its attribute set (identity, not position). */
static unsigned decide_in_order(const struct world *w, const unsigned *order,
                                struct rib_path *scratch)
{
	for (unsigned i = 0; i < w->n; i++)
		scratch[i] = w->paths[order[i]];
	unsigned got = rib_decide(scratch, w->n, LOCAL_AS);
	cr_assert_lt(got, w->n);
	for (unsigned i = 0; i < w->n; i++)
		if (scratch[got].attrs == w->attrs[i])
			return i;
	cr_assert_fail("rib_decide returned a path that is not one of its inputs");
	return 0;
}

/* Checks that every order of p picks want; returns the number of orders tried. */
static unsigned expect_every_order(const char *name, const struct path_spec *p, unsigned n,
                                   unsigned want, const char *hint)
{
	struct world w;
	world_make(&w, p, n);
	unsigned *order = calloc(n, sizeof(*order));
	struct rib_path *scratch = calloc(n, sizeof(*scratch));
	cr_assert(order && scratch);
	unsigned tried = 0;
	if (n <= 4) {
		for (unsigned i = 0; i < n; i++)
			order[i] = i;
		do {
			unsigned got = decide_in_order(&w, order, scratch);
			cr_expect_eq(got, want, "%s: order %u %u %u %u picked path %u, want %u",
			             name, order[0], n > 1 ? order[1] : 0, n > 2 ? order[2] : 0,
			             n > 3 ? order[3] : 0, got, want, hint);
			tried++;
		} while (perm_next(order, n));
	} else {
		for (unsigned k = 0; k < 2 * n; k++) {
			rotation(order, n, k);
			unsigned got = decide_in_order(&w, order, scratch);
			cr_expect_eq(got, want, "%s: rotation %u picked path %u, want %u", name, k,
			             got, want);
			tried++;
		}
	}
	free(order);
	free(scratch);
	world_free(&w);
	return tried;
}

Test(rib_decide, table)
{
	unsigned n_bugs = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *c = &cases[i];
		cr_assert(c->n >= 1 && c->n <= MAX_PATHS, "%s: bad n", c->name);
		cr_assert_lt(c->want, c->n, "%s", c->name);
		if (c->bug) {
			cr_log_info("known bug: %s: the RFC picks path %u, rib_decide picks %u: %s",
			            c->name, c->want, c->bug_got, c->bug);
			n_bugs++;
		}
		unsigned want = c->bug ? c->bug_got : c->want;
		unsigned tried = expect_every_order(
		        c->name, c->p, c->n, want,
		        c->bug ? " (a row marked .bug: if the RFC's answer came back, drop the mark)"
		               : "");
		cr_assert_geq(tried, c->n, "%s", c->name);
	}
	cr_expect_eq(n_bugs, 0, "the number of rows marked .bug changed: update the marks");
}

/* ---- more than RIB_DECIDE_STACK (32) paths: rib_decide() takes its heap path */

enum { MANY = 40 };

/* Every step in turn: LOCAL_PREF 200 on every fourth path; among those, one hop on 8, 20
 * and 32; MED removes 8 (65001, 50) in favour of 32 (65001, 20), and 20 (65002) is not
 * comparable; then (f) picks the lower of 20 and 32's identifiers, which is 20's. */
Test(rib_decide, many_paths_take_every_step)
{
	const struct upd_part two_hops = AS2(65001, 65009); /* outlives the loop body */
	struct path_spec p[MANY];
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < MANY; i++) {
		p[i].has_lp = true;
		p[i].lp = i % 4 == 0 ? 200 : 150;
		p[i].aspath = two_hops;
		p[i].rid = RID(100 - i);
	}
	p[8].aspath = (struct upd_part)AS1(65001);
	p[8].has_med = true;
	p[8].med = 50;
	p[20].aspath = (struct upd_part)AS1(65002);
	p[20].has_med = true;
	p[20].med = 90;
	p[20].rid = RID(3);
	p[32].aspath = (struct upd_part)AS1(65001);
	p[32].has_med = true;
	p[32].med = 20;
	p[32].rid = RID(4);
	expect_every_order("many paths", p, MANY, 20, "");
}

/* Everything ties down to (g): the lowest peer address among IPv4 and IPv6 peers. */
Test(rib_decide, many_paths_tie_to_the_peer_address)
{
	static char addrs[MANY][48];
	struct path_spec p[MANY];
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < MANY; i++) {
		if (i % 2)
			snprintf(addrs[i], sizeof(addrs[i]), "2001:db8::%x", 0x100 + i);
		else
			snprintf(addrs[i], sizeof(addrs[i]), "192.0.2.%u", 200 - i);
		p[i].rid = RID(1);
		p[i].addr = addrs[i];
	}
	/* 192.0.2.(200 - 38) = 192.0.2.162 is the lowest IPv4 address */
	expect_every_order("many paths, peer address", p, MANY, 38, "");
}

/* ADD-PATH: 33 paths from one peer, the boundary of the stack buffer; lowest path id wins. */
Test(rib_decide, many_addpath_paths_from_one_peer)
{
	enum { N = 33 };
	struct path_spec p[N];
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < N; i++) {
		p[i].path_id = 1000 + (i * 7) % N; /* a shuffle of 1000..1032 */
		p[i].same_peer = i ? 1 : 0;
	}
	/* (i * 7) % 33 == 0 only at i == 0 */
	expect_every_order("many ADD-PATH paths", p, N, 0, "");
}

/* rib_rank_of() derives what the steps compare, once per path. */
Test(rib_decide, rank_of_derives_what_each_step_compares)
{
	const struct path_spec s[] = {
		{ EBGP, LP(500), MED(7), .aspath = AS3(65001, 65002, 65003), .path_id = 4 },
		{ MED(9), .originator = RID(9), .clusters = 2, .rid = RID(50) },
		{ NONCL, LP(300), .aspath = PATH(CSEQ(1, U32(64601)), SEQ(1, U32(65001))) },
	};
	struct world w;
	world_make(&w, s, 3);
	struct rib_rank r[3];
	for (unsigned i = 0; i < 3; i++)
		rib_rank_of(&w.paths[i], LOCAL_AS, &r[i]);
	/* RFC 4271 5.1.5: an external route's LOCAL_PREF is ignored */
	cr_expect_eq(r[0].local_pref, 100);
	cr_expect_eq(r[0].aspath_hops, 3);
	cr_expect_eq(r[0].neighbor_as, 65001, "the leftmost AS");
	cr_expect_eq(r[0].med, 7);
	cr_expect(r[0].ebgp);
	cr_expect_eq(r[0].cluster_len, 0);
	cr_expect_eq(r[0].router_id, w.paths[0].src->router_id);
	cr_expect_eq(r[0].src, w.paths[0].src);
	cr_expect_eq(r[0].path_id, 4);
	/* an internal route without LOCAL_PREF, reflected: RFC 4456 9's two substitutions */
	cr_expect_eq(r[1].local_pref, 100);
	cr_expect_eq(r[1].aspath_hops, 0);
	cr_expect_eq(r[1].neighbor_as, LOCAL_AS, "RFC 4271 9.1.2.2 (c): empty AS_PATH");
	cr_expect_not(r[1].ebgp);
	cr_expect_eq(r[1].cluster_len, 2);
	cr_expect_eq(r[1].router_id, RID(9), "ORIGINATOR_ID stands in for the BGP Identifier");
	/* RFC 5065 5.3: confederation segments count zero; prism also skips them to find the
	 * neighbour AS (RFC 4271 does not say) */
	cr_expect_eq(r[2].local_pref, 300);
	cr_expect_eq(r[2].aspath_hops, 1);
	cr_expect_eq(r[2].neighbor_as, 65001);
	cr_expect_eq(r[2].med, 0, "a missing MED is 0");
	world_free(&w);
}
