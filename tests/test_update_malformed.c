/* Malformed UPDATEs and their RFC 7606 outcome: one table row per case, each naming the
 * clause it exercises. Every row is decoded with msg_update_decode() and checked for the
 * action, the worst error (code, subcode, attribute, offset, NOTIFICATION data), and, for
 * treat-as-withdraw, that the NLRI was still located so it can be withdrawn. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/msg.h"
#include "tests/upd_build.h"

static struct msg_scratch *S;

static void bad_setup(void)
{
	S = msg_scratch_new();
	cr_assert(S);
}

static void bad_teardown(void) { msg_scratch_free(S); }

/* Where the worst error must point. */
enum at_kind { AT_ANY, AT_ABS, AT_WITHDRAWN, AT_ATTRS, AT_NLRI };
struct at {
	enum at_kind kind;
	uint16_t n; /* octets from the start of the message, or of the named part */
};
#define AT_ABS(x)           \
	{                   \
		AT_ABS, (x) \
	}
#define AT_WITHDRAWN(x)           \
	{                         \
		AT_WITHDRAWN, (x) \
	}
#define AT_ATTR(x)            \
	{                     \
		AT_ATTRS, (x) \
	}
#define AT_NLRI(x)           \
	{                    \
		AT_NLRI, (x) \
	}

/* What the NOTIFICATION data of the worst error must be. */
enum data_kind {
	DATA_ANY,  /* not checked */
	DATA_NONE, /* empty */
	DATA_TLV,  /* the whole offending attribute: flags, type, length, value */
	DATA_TYPE, /* one octet: the missing attribute's type code (RFC 4271 6.3) */
};

struct bad_case {
	const char *name;
	struct upd_part withdrawn, attrs, nlri;
	struct upd_part raw; /* when set, the whole body verbatim (length fields wrong) */
	struct msg_ctx ctx;
	enum msg_action action;
	uint8_t subcode; /* 0: not checked (RFC 7606 assigns none for this discard) */
	uint8_t attr_code;
	struct at at;
	enum data_kind data;
	uint32_t n_nlri; /* IPv4 NLRI + MP_REACH prefixes still decoded, for withdraw */
	bool first_kept; /* a duplicate: the first occurrence must be the one kept */
};

#define I4                  \
	{                   \
		.as4 = true \
	}
#define E4                                \
	{                                 \
		.as4 = true, .ebgp = true \
	}
#define I2                   \
	{                    \
		.as4 = false \
	}
#define E2                                 \
	{                                  \
		.as4 = false, .ebgp = true \
	}
#define AP4                                             \
	{                                               \
		.as4 = true, .addpath = { true, false } \
	}
#define AP6                                             \
	{                                               \
		.as4 = true, .addpath = { false, true } \
	}

#define DISCARD  MSG_ATTR_DISCARD
#define WITHDRAW MSG_TREAT_AS_WITHDRAW
#define RESET    MSG_SESSION_RESET

#define NLRI1 UPD_BYTES(24, 10, 1, 2)

#define NH6 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
/* MP_REACH_NLRI, IPv6 unicast, next hop 2001:db8::1, NLRI 2001:db8::/32 */
#define A_MP6_REACH                                                                            \
	0x80, ATTR_MP_REACH_NLRI, 26, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6, 0, 32, 0x20, 0x01, \
	        0x0d, 0xb8
/* MP_UNREACH_NLRI, IPv6 unicast, 2001:db8::/32 */
#define A_MP6_UNREACH \
	0x80, ATTR_MP_UNREACH_NLRI, 8, U16(AFI_IPV6), SAFI_UNICAST, 32, 0x20, 0x01, 0x0d, 0xb8
enum { A_MP6_REACH_LEN = 29 };

#define OP A_ORIGIN(0), A_AS_PATH_SEQ1(65001) /* ORIGIN and AS_PATH, no NEXT_HOP */
enum { OP_LEN = A_ORIGIN_LEN + A_AS_PATH_SEQ1_LEN };
#define OP2 A_ORIGIN(0), A_AS_PATH2_SEQ1(65001) /* the same from a 2-octet speaker */
enum { OP2_LEN = A_ORIGIN_LEN + A_AS_PATH2_SEQ1_LEN };
#define A_BASE2 OP2, A_NEXT_HOP(192, 0, 2, 1)

static const struct bad_case cases[] = {
	/* ---- message structure: the NLRI cannot be located, so the session resets */
	/* RFC 4271 6.3, RFC 7606 3(a): Withdrawn Routes Length too large */
	{ "withdrawn routes length overruns the message",
	  .raw = UPD_BYTES(U16(10), 24, 10, 1, 2, U16(0)), .ctx = E4, .action = RESET,
	  .subcode = ERR_UPD_ATTR_LIST, .at = AT_ABS(19), .data = DATA_NONE },
	/* RFC 4271 6.3: no room left for Total Path Attribute Length */
	{ "withdrawn routes leave no total attribute length",
	  .raw = UPD_BYTES(U16(4), 24, 10, 1, 2), .ctx = E4, .action = RESET,
	  .subcode = ERR_UPD_ATTR_LIST, .at = AT_ABS(25), .data = DATA_NONE },
	/* RFC 4271 6.3, RFC 7606 3(a): Total Path Attribute Length too large; the error points
	 * at the length field, as the withdrawn-length case does. */
	{ "total attribute length overruns the message", .raw = UPD_BYTES(U16(0), U16(100), A_BASE),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_ATTR_LIST, .at = AT_ABS(21),
	  .data = DATA_NONE },
	/* RFC 4271 6.3 */
	{ "total attribute length cut short", .raw = UPD_BYTES(U16(0), 0), .ctx = E4,
	  .action = RESET, .subcode = ERR_UPD_ATTR_LIST, .at = AT_ABS(21), .data = DATA_NONE },
	/* RFC 7606 4: an attribute header cut short by the attribute field */
	{ "attribute header truncated: flags only", .attrs = UPD_BYTES(A_BASE, 0x40), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH, .attr_code = 0,
	  .at = AT_ATTR(A_BASE_LEN), .data = DATA_NONE, .n_nlri = 1 },
	/* RFC 7606 4: extended length needs two octets of length */
	{ "attribute header truncated: extended length", .attrs = UPD_BYTES(A_BASE, 0x50, 99, 0),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .at = AT_ATTR(A_BASE_LEN), .data = DATA_NONE, .n_nlri = 1 },
	/* RFC 7606 4: attribute length runs past Total Path Attribute Length */
	{ "attribute value overruns the attribute field",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_COMMUNITIES, 8, U16(1), U16(2)), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH, .at = AT_ATTR(A_BASE_LEN),
	  .data = DATA_NONE, .n_nlri = 1 },
	/* RFC 7606 4: the overrun hides the rest; the worst error is the overrun itself */
	{ "AS_PATH length overruns, hiding NEXT_HOP",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 20, 2, 1, U32(65001)), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_NONE, .n_nlri = 1 },
	/* RFC 4271 6.3, RFC 7606 5.3: a prefix length the family cannot have */
	{ "NLRI prefix length 33", .attrs = UPD_BYTES(A_BASE),
	  .nlri = UPD_BYTES(33, 10, 0, 0, 0, 0), .ctx = E4, .action = RESET,
	  .subcode = ERR_UPD_NETWORK, .at = AT_NLRI(0), .data = DATA_NONE },
	{ "withdrawn prefix length 33", .withdrawn = UPD_BYTES(33, 10, 0, 0, 0, 0), .ctx = E4,
	  .action = RESET, .subcode = ERR_UPD_NETWORK, .at = AT_WITHDRAWN(0), .data = DATA_NONE },
	/* RFC 7606 5.3: prefix octets run past the end */
	{ "NLRI prefix overruns the message", .attrs = UPD_BYTES(A_BASE),
	  .nlri = UPD_BYTES(24, 10, 1, 2, 24, 10, 1), .ctx = E4, .action = RESET,
	  .subcode = ERR_UPD_NETWORK, .at = AT_NLRI(4), .data = DATA_NONE },
	{ "withdrawn prefix overruns the withdrawn field", .withdrawn = UPD_BYTES(24, 10),
	  .attrs = UPD_BYTES(A_BASE), .nlri = NLRI1, .ctx = E4, .action = RESET,
	  .subcode = ERR_UPD_NETWORK, .at = AT_WITHDRAWN(0), .data = DATA_NONE },

	/* ---- ORIGIN, RFC 7606 7.1 */
	{ "ORIGIN length 2",
	  .attrs = UPD_BYTES(0x40, ATTR_ORIGIN, 2, 0, 0, A_AS_PATH_SEQ1(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_ORIGIN, .at = AT_ATTR(0), .data = DATA_TLV, .n_nlri = 1 },
	{ "ORIGIN length 0",
	  .attrs = UPD_BYTES(0x40, ATTR_ORIGIN, 0, A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_ORIGIN, .at = AT_ATTR(0), .data = DATA_TLV, .n_nlri = 1 },
	{ "ORIGIN value 3",
	  .attrs = UPD_BYTES(A_ORIGIN(3), A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ORIGIN,
	  .attr_code = ATTR_ORIGIN, .at = AT_ATTR(0), .data = DATA_TLV, .n_nlri = 1 },

	/* ---- AS_PATH, RFC 7606 7.2 and RFC 5065 */
	{ "AS_PATH segment type 5",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 6, 5, 1, U32(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "AS_PATH segment type 0",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 6, 0, 1, U32(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "AS_PATH zero-length segment",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 8, 2, 1, U32(65001), 2, 0,
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "AS_PATH segment overruns the attribute",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 6, 2, 2, U32(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "AS_PATH trailing octet after the last segment",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 7, 2, 1, U32(65001), 2,
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	/* RFC 5065 5: confederation segments from outside the confederation */
	{ "AS_CONFED_SEQUENCE from an eBGP peer",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 12, 3, 1, U32(65100), 2, 1,
	                     U32(65001), A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "AS_CONFED_SET from a 2-octet eBGP peer",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x40, ATTR_AS_PATH, 8, 4, 1, U16(65100), 2, 1, U16(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E2, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	/* RFC 6793 4.2.1: an OLD speaker's AS_PATH is 2-octet; 4-octet bytes misparse */
	{ "4-octet AS_PATH on a 2-octet session", .attrs = UPD_BYTES(A_BASE), .nlri = NLRI1,
	  .ctx = E2, .action = WITHDRAW, .subcode = ERR_UPD_AS_PATH, .attr_code = ATTR_AS_PATH,
	  .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },

	/* ---- NEXT_HOP, RFC 7606 7.3 and RFC 4271 6.3 */
	{ "NEXT_HOP length 3", .attrs = UPD_BYTES(OP, 0x40, ATTR_NEXT_HOP, 3, 192, 0, 2),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_NEXT_HOP, .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "NEXT_HOP length 5", .attrs = UPD_BYTES(OP, 0x40, ATTR_NEXT_HOP, 5, 192, 0, 2, 1, 0),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_NEXT_HOP, .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "NEXT_HOP 0.0.0.0", .attrs = UPD_BYTES(OP, A_NEXT_HOP(0, 0, 0, 0)), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_NEXT_HOP, .attr_code = ATTR_NEXT_HOP,
	  .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "NEXT_HOP 224.0.0.1 (multicast)", .attrs = UPD_BYTES(OP, A_NEXT_HOP(224, 0, 0, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_NEXT_HOP,
	  .attr_code = ATTR_NEXT_HOP, .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "NEXT_HOP 255.255.255.255", .attrs = UPD_BYTES(OP, A_NEXT_HOP(255, 255, 255, 255)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_NEXT_HOP,
	  .attr_code = ATTR_NEXT_HOP, .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },

	/* ---- MED and LOCAL_PREF, RFC 7606 7.4 and 7.5 */
	{ "MED length 3", .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_MED, 3, 0, 0, 1), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH, .attr_code = ATTR_MED,
	  .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "LOCAL_PREF length 2", .attrs = UPD_BYTES(A_BASE, 0x40, ATTR_LOCAL_PREF, 2, 0, 100),
	  .nlri = NLRI1, .ctx = I4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_LOCAL_PREF, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "LOCAL_PREF from an eBGP peer", .attrs = UPD_BYTES(A_BASE, A_LOCAL_PREF(100)),
	  .nlri = NLRI1, .ctx = E4, .action = DISCARD, .attr_code = ATTR_LOCAL_PREF,
	  .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },

	/* ---- ATOMIC_AGGREGATE and AGGREGATOR, RFC 7606 7.6 and 7.7 */
	{ "ATOMIC_AGGREGATE length 1",
	  .attrs = UPD_BYTES(A_BASE, 0x40, ATTR_ATOMIC_AGGREGATE, 1, 0), .nlri = NLRI1, .ctx = E4,
	  .action = DISCARD, .subcode = ERR_UPD_ATTR_LENGTH, .attr_code = ATTR_ATOMIC_AGGREGATE,
	  .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },
	{ "AGGREGATOR length 7 on a 4-octet session",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_AGGREGATOR, 7, 0, 0, 1, 10, 0, 0, 1), .nlri = NLRI1,
	  .ctx = E4, .action = DISCARD, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_AGGREGATOR, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },
	{ "AGGREGATOR length 6 on a 4-octet session",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_AGGREGATOR, 6, U16(1), 10, 0, 0, 1), .nlri = NLRI1,
	  .ctx = E4, .action = DISCARD, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_AGGREGATOR, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },
	{ "AGGREGATOR length 8 on a 2-octet session",
	  .attrs = UPD_BYTES(A_BASE2, 0xc0, ATTR_AGGREGATOR, 8, U32(1), 10, 0, 0, 1), .nlri = NLRI1,
	  .ctx = E2, .action = DISCARD, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_AGGREGATOR, .at = AT_ATTR(OP2_LEN + A_NEXT_HOP_LEN), .data = DATA_TLV },

	/* ---- communities, RFC 7606 7.8, 7.14 and RFC 8092 5 */
	{ "COMMUNITIES length 0", .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_COMMUNITIES, 0),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_COMMUNITIES, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "COMMUNITIES length 5",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_COMMUNITIES, 5, 0, 1, 0, 2, 3), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_COMMUNITIES, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "EXTENDED_COMMUNITIES length 7",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_EXT_COMMUNITIES, 7, 0, 2, 0, 1, 0, 0, 1),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_EXT_COMMUNITIES, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV,
	  .n_nlri = 1 },
	{ "LARGE_COMMUNITIES length 11",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_LARGE_COMMUNITIES, 11, U32(1), U32(2), 0, 0, 3),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_LARGE_COMMUNITIES, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV,
	  .n_nlri = 1 },

	/* ---- route reflection, RFC 7606 7.9 and 7.10 */
	{ "ORIGINATOR_ID length 5",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_ORIGINATOR_ID, 5, 10, 0, 0, 9, 0), .nlri = NLRI1,
	  .ctx = I4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_ORIGINATOR_ID, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV,
	  .n_nlri = 1 },
	{ "CLUSTER_LIST length 6",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_CLUSTER_LIST, 6, 10, 0, 0, 1, 10, 0), .nlri = NLRI1,
	  .ctx = I4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_LENGTH,
	  .attr_code = ATTR_CLUSTER_LIST, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV,
	  .n_nlri = 1 },
	{ "ORIGINATOR_ID from an eBGP peer",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_ORIGINATOR_ID, 4, 10, 0, 0, 9), .nlri = NLRI1,
	  .ctx = E4, .action = DISCARD, .attr_code = ATTR_ORIGINATOR_ID, .at = AT_ATTR(A_BASE_LEN),
	  .data = DATA_TLV },
	{ "CLUSTER_LIST from an eBGP peer",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_CLUSTER_LIST, 4, 10, 0, 0, 1), .nlri = NLRI1,
	  .ctx = E4, .action = DISCARD, .attr_code = ATTR_CLUSTER_LIST, .at = AT_ATTR(A_BASE_LEN),
	  .data = DATA_TLV },

	/* ---- flags, RFC 4271 6.3 (subcode 4) and RFC 7606 3(c) */
	{ "ORIGIN flagged optional",
	  .attrs = UPD_BYTES(0xc0, ATTR_ORIGIN, 1, 0, A_AS_PATH_SEQ1(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_FLAGS,
	  .attr_code = ATTR_ORIGIN, .at = AT_ATTR(0), .data = DATA_TLV, .n_nlri = 1 },
	{ "AS_PATH flagged optional non-transitive",
	  .attrs = UPD_BYTES(A_ORIGIN(0), 0x80, ATTR_AS_PATH, 6, 2, 1, U32(65001),
	                     A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_FLAGS,
	  .attr_code = ATTR_AS_PATH, .at = AT_ATTR(A_ORIGIN_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "COMMUNITIES flagged non-transitive",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_COMMUNITIES, 4, 0, 1, 0, 2), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_FLAGS,
	  .attr_code = ATTR_COMMUNITIES, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV, .n_nlri = 1 },
	{ "MED flagged transitive", .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_MED, 4, U32(1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_FLAGS,
	  .attr_code = ATTR_MED, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV, .n_nlri = 1 },
	/* RFC 7606 3(c) applies treat-as-withdraw "unless the specification for the attribute
	 * mandates different handling for malformed attributes", and 7.6 says a malformed
	 * ATOMIC_AGGREGATE is discarded. */
	{ "ATOMIC_AGGREGATE flagged optional",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_ATOMIC_AGGREGATE, 0), .nlri = NLRI1, .ctx = E4,
	  .action = DISCARD, .subcode = ERR_UPD_ATTR_FLAGS, .attr_code = ATTR_ATOMIC_AGGREGATE,
	  .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },
	/* RFC 7606 3(c) with 7.7 (malformed AGGREGATOR: attribute discard). */
	{ "AGGREGATOR flagged non-transitive",
	  .attrs = UPD_BYTES(A_BASE, 0x80, ATTR_AGGREGATOR, 8, U32(65001), 10, 0, 0, 1),
	  .nlri = NLRI1, .ctx = E4, .action = DISCARD, .subcode = ERR_UPD_ATTR_FLAGS,
	  .attr_code = ATTR_AGGREGATOR, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },
	/* RFC 4271 6.3: an unrecognized well-known attribute */
	{ "unrecognized well-known attribute", .attrs = UPD_BYTES(A_BASE, 0x40, 99, 1, 0),
	  .nlri = NLRI1, .ctx = E4, .action = RESET, .subcode = ERR_UPD_UNKNOWN_WELLKNOWN,
	  .attr_code = 99, .at = AT_ATTR(A_BASE_LEN), .data = DATA_TLV },

	/* ---- repeated attributes, RFC 7606 3(g) */
	{ "ORIGIN twice: the second is discarded",
	  .attrs = UPD_BYTES(A_ORIGIN(1), A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1),
	                     A_ORIGIN(2)),
	  .nlri = NLRI1, .ctx = E4, .action = DISCARD, .subcode = ERR_UPD_ATTR_LIST,
	  .attr_code = ATTR_ORIGIN, .at = AT_ATTR(A_BASE_LEN), .data = DATA_NONE,
	  .first_kept = true },
	{ "COMMUNITIES twice: the second is discarded",
	  .attrs = UPD_BYTES(A_BASE, A_COMMUNITY1(1, 1), A_COMMUNITY1(2, 2)), .nlri = NLRI1,
	  .ctx = E4, .action = DISCARD, .subcode = ERR_UPD_ATTR_LIST, .attr_code = ATTR_COMMUNITIES,
	  .at = AT_ATTR(A_BASE_LEN + A_COMMUNITY1_LEN), .data = DATA_NONE, .first_kept = true },
	{ "MP_REACH_NLRI twice", .attrs = UPD_BYTES(OP, A_MP6_REACH, A_MP6_REACH), .ctx = E4,
	  .action = RESET, .subcode = ERR_UPD_ATTR_LIST, .attr_code = ATTR_MP_REACH_NLRI,
	  .at = AT_ATTR(OP_LEN + A_MP6_REACH_LEN), .data = DATA_NONE },
	{ "MP_UNREACH_NLRI twice", .attrs = UPD_BYTES(A_MP6_UNREACH, A_MP6_UNREACH), .ctx = E4,
	  .action = RESET, .subcode = ERR_UPD_ATTR_LIST, .attr_code = ATTR_MP_UNREACH_NLRI,
	  .at = AT_ATTR(11), .data = DATA_NONE },

	/* ---- missing well-known attributes, RFC 7606 3(d); data is the type code (RFC 4271 6.3) */
	{ "no ORIGIN with IPv4 NLRI",
	  .attrs = UPD_BYTES(A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1)), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_MISSING_WELLKNOWN,
	  .attr_code = ATTR_ORIGIN, .data = DATA_TYPE, .n_nlri = 1 },
	{ "no AS_PATH with IPv4 NLRI", .attrs = UPD_BYTES(A_ORIGIN(0), A_NEXT_HOP(192, 0, 2, 1)),
	  .nlri = NLRI1, .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_MISSING_WELLKNOWN,
	  .attr_code = ATTR_AS_PATH, .data = DATA_TYPE, .n_nlri = 1 },
	{ "no NEXT_HOP with IPv4 NLRI", .attrs = UPD_BYTES(OP), .nlri = NLRI1, .ctx = E4,
	  .action = WITHDRAW, .subcode = ERR_UPD_MISSING_WELLKNOWN, .attr_code = ATTR_NEXT_HOP,
	  .data = DATA_TYPE, .n_nlri = 1 },
	/* RFC 4760 3: MP_REACH_NLRI carries its own next hop */
	{ "no NEXT_HOP, only MP_REACH NLRI: valid", .attrs = UPD_BYTES(OP, A_MP6_REACH), .ctx = E4,
	  .action = MSG_OK },
	{ "no NEXT_HOP, MP_REACH and IPv4 NLRI", .attrs = UPD_BYTES(OP, A_MP6_REACH), .nlri = NLRI1,
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_MISSING_WELLKNOWN,
	  .attr_code = ATTR_NEXT_HOP, .data = DATA_TYPE, .n_nlri = 2 },
	{ "no ORIGIN with MP_REACH NLRI", .attrs = UPD_BYTES(A_AS_PATH_SEQ1(65001), A_MP6_REACH),
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_MISSING_WELLKNOWN,
	  .attr_code = ATTR_ORIGIN, .data = DATA_TYPE, .n_nlri = 1 },
	/* RFC 7606 3(d) only asks for the mandatory set when there is reachability */
	{ "withdrawals and no attributes: valid", .withdrawn = NLRI1, .ctx = E4, .action = MSG_OK },
	/* RFC 7606 5.2: errors are still found with nothing to withdraw */
	{ "no NLRI and a malformed ORIGIN: still reported",
	  .attrs = UPD_BYTES(A_ORIGIN(7), A_AS_PATH_SEQ1(65001), A_NEXT_HOP(192, 0, 2, 1)),
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ORIGIN, .attr_code = ATTR_ORIGIN,
	  .at = AT_ATTR(0), .data = DATA_TLV, .n_nlri = 0 },
	/* RFC 7606 7.3 and 2: the withdrawal covers MP_REACH NLRI too */
	{ "malformed NEXT_HOP with only MP_REACH NLRI",
	  .attrs = UPD_BYTES(OP, A_NEXT_HOP(0, 0, 0, 0), A_MP6_REACH), .ctx = E4,
	  .action = WITHDRAW, .subcode = ERR_UPD_NEXT_HOP, .attr_code = ATTR_NEXT_HOP,
	  .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },

	/* ---- MP_REACH_NLRI / MP_UNREACH_NLRI, RFC 7606 7.11 and 5.3, RFC 4760 7 (subcode 9) */
	{ "MP_REACH_NLRI header truncated",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 3, U16(AFI_IPV6), SAFI_UNICAST),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_OPTIONAL_ATTR,
	  .attr_code = ATTR_MP_REACH_NLRI, .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
	{ "MP_REACH_NLRI next hop overruns the attribute",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 8, U16(AFI_IPV6), SAFI_UNICAST, 16, 0x20,
	                     0x01, 0x0d, 0xb8),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_OPTIONAL_ATTR,
	  .attr_code = ATTR_MP_REACH_NLRI, .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
	{ "MP_REACH_NLRI IPv6 next hop length 12",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 22, U16(AFI_IPV6), SAFI_UNICAST, 12,
	                     0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20, 0x01,
	                     0x0d, 0xb8),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_OPTIONAL_ATTR,
	  .attr_code = ATTR_MP_REACH_NLRI, .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
	{ "MP_REACH_NLRI IPv4 next hop length 16 (no RFC 8950)",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 25, U16(AFI_IPV4), SAFI_UNICAST, 16, NH6,
	                     0, 24, 10, 1, 2),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_OPTIONAL_ATTR,
	  .attr_code = ATTR_MP_REACH_NLRI, .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
	{ "MP_REACH_NLRI prefix length 129",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 38, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6,
	                     0, 129, NH6),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_NETWORK, .attr_code = ATTR_MP_REACH_NLRI,
	  .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
	{ "MP_REACH_NLRI prefix overruns the attribute",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 26, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6,
	                     0, 48, 0x20, 0x01, 0x0d, 0xb8),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_NETWORK, .attr_code = ATTR_MP_REACH_NLRI,
	  .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
	{ "MP_UNREACH_NLRI truncated",
	  .attrs = UPD_BYTES(0x80, ATTR_MP_UNREACH_NLRI, 2, U16(AFI_IPV6)), .ctx = E4,
	  .action = RESET, .subcode = ERR_UPD_OPTIONAL_ATTR, .attr_code = ATTR_MP_UNREACH_NLRI,
	  .at = AT_ATTR(0), .data = DATA_TLV },
	{ "MP_UNREACH_NLRI IPv4 prefix length 33",
	  .attrs = UPD_BYTES(0x80, ATTR_MP_UNREACH_NLRI, 8, U16(AFI_IPV4), SAFI_UNICAST, 33, 10, 0,
	                     0, 0),
	  .ctx = E4, .action = RESET, .subcode = ERR_UPD_NETWORK, .attr_code = ATTR_MP_UNREACH_NLRI,
	  .at = AT_ATTR(0), .data = DATA_TLV },
	/* An AFI/SAFI that was not negotiated: prism ignores the attribute */
	{ "MP_REACH_NLRI for IPv4 VPN (SAFI 128)",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 17, U16(AFI_IPV4), 128, 12, 0, 0, 0, 0,
	                     0, 0, 0, 0, 192, 0, 2, 1, 0),
	  .ctx = E4, .action = DISCARD, .attr_code = ATTR_MP_REACH_NLRI, .at = AT_ATTR(OP_LEN),
	  .data = DATA_TLV },
	{ "MP_UNREACH_NLRI for L2VPN EVPN",
	  .attrs = UPD_BYTES(0x80, ATTR_MP_UNREACH_NLRI, 3, U16(25), 70), .ctx = E4,
	  .action = DISCARD, .attr_code = ATTR_MP_UNREACH_NLRI, .at = AT_ATTR(0),
	  .data = DATA_TLV },
	/* RFC 7606 3(c): the NLRI is locatable, so wrong flags withdraw it */
	{ "MP_REACH_NLRI flagged transitive",
	  .attrs = UPD_BYTES(OP, 0xc0, ATTR_MP_REACH_NLRI, 26, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6,
	                     0, 32, 0x20, 0x01, 0x0d, 0xb8),
	  .ctx = E4, .action = WITHDRAW, .subcode = ERR_UPD_ATTR_FLAGS,
	  .attr_code = ATTR_MP_REACH_NLRI, .at = AT_ATTR(OP_LEN), .data = DATA_TLV, .n_nlri = 1 },

	/* ---- RFC 6793 6: a malformed AS4_PATH or AS4_AGGREGATOR is discarded */
	{ "AS4_PATH segment type 7 on a 2-octet session",
	  .attrs = UPD_BYTES(A_BASE2, 0xc0, ATTR_AS4_PATH, 6, 7, 1, U32(4200000000u)),
	  .nlri = NLRI1, .ctx = E2, .action = DISCARD, .attr_code = ATTR_AS4_PATH,
	  .at = AT_ATTR(OP2_LEN + A_NEXT_HOP_LEN), .data = DATA_TLV },
	{ "AS4_PATH with AS_CONFED_SEQUENCE on a 2-octet session",
	  .attrs = UPD_BYTES(A_BASE2, 0xc0, ATTR_AS4_PATH, 6, 3, 1, U32(4200000000u)),
	  .nlri = NLRI1, .ctx = E2, .action = DISCARD, .attr_code = ATTR_AS4_PATH,
	  .at = AT_ATTR(OP2_LEN + A_NEXT_HOP_LEN), .data = DATA_TLV },
	/* RFC 7606 3(c) with RFC 6793 6 (malformed AS4_PATH: discard). Its hook must not run,
	 * or the AS4_PATH would be merged into the path anyway. */
	{ "AS4_PATH flagged non-transitive on a 2-octet session",
	  .attrs = UPD_BYTES(A_BASE2, 0x80, ATTR_AS4_PATH, 6, 2, 1, U32(4200000000u)),
	  .nlri = NLRI1, .ctx = E2, .action = DISCARD, .attr_code = ATTR_AS4_PATH,
	  .at = AT_ATTR(OP2_LEN + A_NEXT_HOP_LEN), .data = DATA_TLV },
	{ "AS4_AGGREGATOR length 6 on a 2-octet session",
	  .attrs = UPD_BYTES(A_BASE2, 0xc0, ATTR_AGGREGATOR, 6, U16(BGP_AS_TRANS), 10, 0, 0, 1,
	                     0xc0, ATTR_AS4_AGGREGATOR, 6, U16(65001), 10, 0, 0, 1),
	  .nlri = NLRI1, .ctx = E2, .action = DISCARD, .attr_code = ATTR_AS4_AGGREGATOR,
	  .at = AT_ATTR(OP2_LEN + A_NEXT_HOP_LEN + 9), .data = DATA_TLV },
	/* RFC 6793 4.1: from a NEW speaker the AS4 attributes are not even looked at */
	{ "malformed AS4_PATH on a 4-octet session: ignored",
	  .attrs = UPD_BYTES(A_BASE, 0xc0, ATTR_AS4_PATH, 1, 0xff), .nlri = NLRI1, .ctx = E4,
	  .action = MSG_OK },

	/* ---- ADD-PATH, RFC 7911 3: the path identifier is part of the prefix encoding */
	{ "ADD-PATH NLRI: path identifier truncated", .attrs = UPD_BYTES(A_BASE),
	  .nlri = UPD_BYTES(0, 0, 1), .ctx = AP4, .action = RESET, .subcode = ERR_UPD_NETWORK,
	  .at = AT_NLRI(0), .data = DATA_NONE },
	{ "ADD-PATH NLRI: path identifier and no prefix", .attrs = UPD_BYTES(A_BASE),
	  .nlri = UPD_BYTES(U32(1), 24, 10, 1, 2, U32(2)), .ctx = AP4, .action = RESET,
	  .subcode = ERR_UPD_NETWORK, .at = AT_NLRI(8), .data = DATA_NONE },
	{ "ADD-PATH withdrawn: path identifier truncated", .withdrawn = UPD_BYTES(0, 0), .ctx = AP4,
	  .action = RESET, .subcode = ERR_UPD_NETWORK, .at = AT_WITHDRAWN(0), .data = DATA_NONE },
	{ "ADD-PATH MP_REACH: prefix without path identifier",
	  .attrs = UPD_BYTES(OP, 0x80, ATTR_MP_REACH_NLRI, 23, U16(AFI_IPV6), SAFI_UNICAST, 16, NH6,
	                     0, 0, 0),
	  .ctx = AP6, .action = RESET, .subcode = ERR_UPD_NETWORK, .attr_code = ATTR_MP_REACH_NLRI,
	  .at = AT_ATTR(OP_LEN), .data = DATA_TLV },
};

enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

static size_t case_build(const struct bad_case *c, uint8_t *msg, size_t cap)
{
	if (c->raw.n)
		return upd_build_raw(msg, cap, c->raw);
	return upd_build(msg, cap, c->withdrawn, c->attrs, c->nlri);
}

static size_t case_offset(const struct bad_case *c)
{
	switch (c->at.kind) {
	case AT_ABS:
		return c->at.n;
	case AT_WITHDRAWN:
		return upd_withdrawn_off() + c->at.n;
	case AT_ATTRS:
		return upd_attrs_off(c->withdrawn.n) + c->at.n;
	case AT_NLRI:
		return upd_nlri_off(c->withdrawn.n, c->attrs.n) + c->at.n;
	case AT_ANY:
		break;
	}
	return 0;
}

/* Length of the attribute TLV at p (which the test wrote, so its header is whole). */
static size_t tlv_len_at(const uint8_t *p)
{
	return p[0] & ATTR_FLAG_EXTLEN ? 4u + get_u16(p + 2) : 3u + p[2];
}

/* The value of the first attribute of this code in an attribute field, or NULL. */
static const uint8_t *first_value(struct upd_part attrs, uint8_t code, size_t *len)
{
	for (size_t off = 0; off + 3 <= attrs.n;) {
		const uint8_t *p = attrs.p + off;
		size_t hdr = p[0] & ATTR_FLAG_EXTLEN ? 4 : 3;
		*len = tlv_len_at(p) - hdr;
		if (p[1] == code)
			return p + hdr;
		off += hdr + *len;
	}
	return NULL;
}

static void check_worst(const struct bad_case *c, const uint8_t *msg, const struct msg_update *u)
{
	const struct msg_err *e = msg_update_worst(u);
	cr_assert(e, "%s: no worst error", c->name);
	cr_expect_eq(e->action, c->action, "%s: worst error's action", c->name);
	cr_expect_eq(e->code, ERR_UPDATE, "%s: code %u", c->name, e->code);
	if (c->subcode)
		cr_expect_eq(e->subcode, c->subcode, "%s: subcode %u, want %u (%s)", c->name,
		             e->subcode, c->subcode, e->reason ? e->reason : "");
	cr_expect_eq(e->attr_code, c->attr_code, "%s: attr_code %u, want %u", c->name, e->attr_code,
	             c->attr_code);
	cr_expect(e->reason && *e->reason, "%s: no reason", c->name);
	if (c->at.kind != AT_ANY)
		cr_expect_eq(e->offset, case_offset(c), "%s: offset %u, want %zu", c->name,
		             e->offset, case_offset(c));
	switch (c->data) {
	case DATA_NONE:
		cr_expect_eq(e->data_len, 0, "%s: data_len %u", c->name, e->data_len);
		break;
	case DATA_TLV:
		cr_expect(e->data == msg + e->offset, "%s: data is not the attribute at the offset",
		          c->name);
		cr_expect_eq(e->data_len, tlv_len_at(msg + case_offset(c)), "%s: data_len %u",
		             c->name, e->data_len);
		break;
	case DATA_TYPE:
		cr_expect(e->data_len == 1 && e->data && e->data[0] == c->attr_code,
		          "%s: data is not the type code", c->name);
		break;
	case DATA_ANY:
		break;
	}
}

static void check_kept(const struct bad_case *c, const struct msg_update *u)
{
	uint16_t len;
	const uint8_t *got = u->attrs ? attr_get(u->attrs, c->attr_code, &len) : NULL;
	if (c->first_kept) {
		size_t want_len;
		const uint8_t *want = first_value(c->attrs, c->attr_code, &want_len);
		cr_assert(want && got, "%s: the first occurrence was not kept", c->name);
		cr_expect(len == want_len && memcmp(got, want, len) == 0,
		          "%s: kept a value other than the first", c->name);
		return;
	}
	cr_expect_null(got, "%s: a discarded attribute is in the set", c->name);
	if (c->attr_code == ATTR_MP_REACH_NLRI)
		cr_expect(!u->mp_reach.present, "%s: discarded MP_REACH_NLRI still present",
		          c->name);
	if (c->attr_code == ATTR_MP_UNREACH_NLRI)
		cr_expect(!u->mp_unreach.present, "%s: discarded MP_UNREACH_NLRI still present",
		          c->name);
}

/* Rows are passed by index: the test runs in a fresh process, where only this file's own
 * static table (not pointers taken in the parent) is valid. */
ParameterizedTestParameters(update_malformed, table)
{
	unsigned *idx = cr_malloc(sizeof(unsigned) * N_CASES);
	for (unsigned i = 0; i < N_CASES; i++)
		idx[i] = i;
	return cr_make_param_array(unsigned, idx, N_CASES);
}

ParameterizedTest(const unsigned *row, update_malformed, table, .init = bad_setup,
                  .fini = bad_teardown)
{
	const struct bad_case *c = &cases[*row];
	static uint8_t msg[4096];
	struct msg_update u;
	size_t len = case_build(c, msg, sizeof(msg));
	cr_assert_gt(len, 0, "%s: does not fit", c->name);

	int rc = msg_update_decode(msg, len, &c->ctx, S, &u);
	cr_expect_eq(rc, c->action == RESET ? -1 : 0, "%s: rc %d", c->name, rc);
	cr_assert_eq(u.action, c->action, "%s: action %s, want %s (first error: %s)", c->name,
	             msg_action_name(u.action), msg_action_name(c->action),
	             u.n_errs ? u.errs[0].reason : "none");
	if (c->action == MSG_OK) {
		cr_expect_eq(u.n_errs, 0, "%s: %u errors", c->name, u.n_errs);
		cr_expect_null(msg_update_worst(&u));
		return;
	}
	cr_expect_geq(u.n_errs, 1);
	check_worst(c, msg, &u);
	if (c->action == WITHDRAW) {
		uint32_t n = u.nlri.n + (u.mp_reach.present ? u.mp_reach.nlri.n : 0);
		cr_expect_eq(n, c->n_nlri, "%s: %u prefixes to withdraw, want %u", c->name, n,
		             c->n_nlri);
	}
	if (c->action == DISCARD) {
		check_kept(c, &u);
		uint32_t n = u.nlri.n + (u.mp_reach.present ? u.mp_reach.nlri.n : 0);
		uint32_t want = c->nlri.n ? 1 : 0;
		cr_expect_eq(n, want, "%s: NLRI lost on attribute discard", c->name);
	}
}

Test(update_malformed, table_is_big_enough)
{
	cr_expect_geq(N_CASES, 45, "only %d rows", (int)N_CASES);
}

/* ---------------------------------------------------------------- several errors at once */

static const struct msg_err *find_err(const struct msg_update *u, uint8_t attr_code)
{
	for (unsigned i = 0; i < u->n_errs; i++)
		if (u->errs[i].attr_code == attr_code)
			return &u->errs[i];
	return NULL;
}

/* RFC 7606 3: "the approach taken is the most severe of those found"; every error is kept. */
Test(update_malformed, worst_of_several_wins, .init = bad_setup, .fini = bad_teardown)
{
	static const uint8_t attrs[] = { 0x40,
		                         ATTR_ATOMIC_AGGREGATE,
		                         1,
		                         0, /* discard */
		                         A_BASE,
		                         0x80,
		                         ATTR_MED,
		                         3,
		                         0,
		                         0,
		                         1, /* withdraw */
		                         A_COMMUNITY1(1, 1),
		                         A_COMMUNITY1(2, 2) /* discard */ };
	static uint8_t msg[512];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(attrs),
	                       (struct upd_part)NLRI1);
	struct msg_update u;
	cr_assert_eq(msg_update_decode(msg, len, &(struct msg_ctx)E4, S, &u), 0);
	cr_expect_eq(u.action, MSG_TREAT_AS_WITHDRAW);
	cr_assert_eq(u.n_errs, 3);
	const struct msg_err *w = msg_update_worst(&u);
	cr_assert(w);
	cr_expect_eq(w->attr_code, ATTR_MED);
	cr_expect_eq(w->subcode, ERR_UPD_ATTR_LENGTH);
	cr_expect_eq(w->offset, upd_attrs_off(0) + 4 + A_BASE_LEN);
	const struct msg_err *a = find_err(&u, ATTR_ATOMIC_AGGREGATE);
	const struct msg_err *c = find_err(&u, ATTR_COMMUNITIES);
	cr_assert(a && c);
	cr_expect_eq(a->action, MSG_ATTR_DISCARD);
	cr_expect_eq(c->action, MSG_ATTR_DISCARD);
	cr_expect_eq(c->subcode, ERR_UPD_ATTR_LIST);
	cr_expect_eq(u.nlri.n, 1);
}

/* A session reset outranks an earlier treat-as-withdraw; parsing stops at the reset. */
Test(update_malformed, reset_outranks_withdraw, .init = bad_setup, .fini = bad_teardown)
{
	static const uint8_t attrs[] = { A_ORIGIN(9), A_AS_PATH_SEQ1(65001),
		                         0x40,        99,
		                         0,           A_NEXT_HOP(192, 0, 2, 1),
		                         0x80,        ATTR_MED,
		                         1,           0 };
	static uint8_t msg[512];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(attrs),
	                       (struct upd_part)NLRI1);
	struct msg_update u;
	cr_expect_eq(msg_update_decode(msg, len, &(struct msg_ctx)E4, S, &u), -1);
	cr_expect_eq(u.action, MSG_SESSION_RESET);
	cr_assert_eq(u.n_errs, 2, "errors after the reset were still collected: %u", u.n_errs);
	cr_expect_eq(u.errs[0].attr_code, ATTR_ORIGIN);
	cr_expect_eq(u.errs[0].action, MSG_TREAT_AS_WITHDRAW);
	const struct msg_err *w = msg_update_worst(&u);
	cr_assert(w);
	cr_expect_eq(w, &u.errs[1]);
	cr_expect_eq(w->subcode, ERR_UPD_UNKNOWN_WELLKNOWN);
	cr_expect_eq(w->attr_code, 99);
}

/* More errors than UPDATE_MAX_ERRS: the first ones are kept and the action still counts all. */
Test(update_malformed, error_list_is_bounded, .init = bad_setup, .fini = bad_teardown)
{
	static uint8_t attrs[A_BASE_LEN + 12 * A_ORIGIN_LEN], msg[512];
	static const uint8_t base[] = { A_BASE }, origin[] = { A_ORIGIN(1) };
	memcpy(attrs, base, sizeof(base));
	for (unsigned i = 0; i < 12; i++)
		memcpy(attrs + A_BASE_LEN + i * A_ORIGIN_LEN, origin, A_ORIGIN_LEN);
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(attrs),
	                       (struct upd_part)NLRI1);
	struct msg_update u;
	cr_assert_eq(msg_update_decode(msg, len, &(struct msg_ctx)E4, S, &u), 0);
	cr_expect_eq(u.action, MSG_ATTR_DISCARD);
	cr_expect_eq(u.n_errs, UPDATE_MAX_ERRS);
	cr_expect_eq(u.attrs->origin, ORIGIN_IGP);
	/* the last error is still the last one kept */
	cr_expect_eq(u.errs[UPDATE_MAX_ERRS - 1].offset,
	             upd_attrs_off(0) + A_BASE_LEN + (UPDATE_MAX_ERRS - 1) * A_ORIGIN_LEN);
}

/* RFC 4271 6.3: the NOTIFICATION for an unrecognized well-known attribute carries it whole. */
Test(update_malformed, notification_for_worst_error, .init = bad_setup, .fini = bad_teardown)
{
	static const uint8_t attrs[] = { A_BASE, 0x50, 99, U16(3), 1, 2, 3 };
	static uint8_t msg[512], out[512];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_NONE, UPD_PART(attrs),
	                       (struct upd_part)NLRI1);
	struct msg_update u;
	cr_assert_eq(msg_update_decode(msg, len, &(struct msg_ctx)E4, S, &u), -1);
	const struct msg_err *w = msg_update_worst(&u);
	cr_assert(w);
	size_t n = msg_notification_encode_err(w, out, sizeof(out));
	static const uint8_t want_tail[] = {
		BGP_NOTIFICATION, ERR_UPDATE, ERR_UPD_UNKNOWN_WELLKNOWN, 0x50, 99, U16(3), 1, 2, 3
	};
	cr_assert_eq(n, BGP_HDR_LEN + 2 + 7);
	cr_expect_eq(get_u16(out + 16), n);
	cr_expect(memcmp(out + 18, want_tail, sizeof(want_tail)) == 0);
}

/* Truncated and empty inputs never read out of bounds (checked under ASan). */
Test(update_malformed, every_truncation_is_safe, .init = bad_setup, .fini = bad_teardown)
{
	static const uint8_t attrs[] = { A_BASE, A_MED(5), A_COMMUNITY1(1, 2), A_MP6_REACH };
	static uint8_t msg[512];
	size_t len = upd_build(msg, sizeof(msg), (struct upd_part)UPD_BYTES(24, 10, 9, 9),
	                       UPD_PART(attrs), (struct upd_part)NLRI1);
	struct msg_update u;
	cr_assert_eq(msg_update_decode(msg, len, &(struct msg_ctx)E4, S, &u), 0);
	for (size_t cut = BGP_HDR_LEN; cut < len; cut++) {
		/* a copy of exactly cut octets, so ASan sees any overread */
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, msg, cut);
		msg_update_decode(p, cut, &(struct msg_ctx)E4, S, &u);
		free(p);
	}
}
