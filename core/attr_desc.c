/* The path attribute descriptor table: one row per attribute code prism knows.
 *
 * Each check hook validates one received value against RFC 4271, RFC 7606 section 7 and the
 * attribute's own RFC. It returns MSG_OK, or the RFC 7606 action with e->reason set (and
 * e->subcode when it differs from the row's). A hook may point ps->store_val at a rewritten
 * value (a widened AS_PATH) or at NULL to keep nothing (MP_REACH_NLRI, AS4_PATH). */
#include <stddef.h>

#include "core/attr.h"
#include "core/attr_parse.h"
#include "core/bgp.h"
#include "core/buf.h"

enum {
	WK = ATTR_FLAG_TRANSITIVE,                         /* well-known */
	OPT = ATTR_FLAG_OPTIONAL,                          /* optional non-transitive */
	OPT_T = ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, /* optional transitive */
};

static enum msg_action attr_malformed(struct msg_err *e, enum msg_action a, const char *reason)
{
	e->reason = reason;
	return a;
}

static bool attr_len_multiple(uint16_t len, uint16_t unit) { return len > 0 && len % unit == 0; }

static enum msg_action attr_check_origin(struct attr_parse *ps, const uint8_t *val, uint16_t len,
                                         struct msg_err *e)
{
	(void)ps;
	if (len != 1) {
		e->subcode = ERR_UPD_ATTR_LENGTH;
		return attr_malformed(e, MSG_TREAT_AS_WITHDRAW, "ORIGIN length is not 1");
	}
	if (val[0] > ORIGIN_INCOMPLETE)
		return attr_malformed(e, MSG_TREAT_AS_WITHDRAW, "ORIGIN value is undefined");
	return MSG_OK;
}

static enum msg_action attr_check_as_path(struct attr_parse *ps, const uint8_t *val, uint16_t len,
                                          struct msg_err *e)
{
	int as_size = ps->ctx->as4 ? 4 : 2;
	if (aspath_validate(val, len, as_size, !ps->ctx->ebgp, &e->reason) < 0)
		return MSG_TREAT_AS_WITHDRAW;
	if (as_size == 4)
		return MSG_OK;
	uint8_t *wide = attr_parse_store(ps, (size_t)len * 2);
	if (!wide)
		return attr_malformed(e, MSG_TREAT_AS_WITHDRAW, "AS_PATH too long to widen");
	ps->store_val = wide;
	ps->store_len = (uint16_t)aspath_widen(val, len, wide);
	return MSG_OK;
}

static enum msg_action attr_check_next_hop(struct attr_parse *ps, const uint8_t *val, uint16_t len,
                                           struct msg_err *e)
{
	(void)ps;
	if (len != 4) {
		e->subcode = ERR_UPD_ATTR_LENGTH;
		return attr_malformed(e, MSG_TREAT_AS_WITHDRAW, "NEXT_HOP length is not 4");
	}
	uint32_t nh = get_u32(val);
	/* RFC 4271 6.3: a next hop that can never be an interface address. */
	if (nh == 0 || nh == 0xffffffffu || (nh >> 28) == 0xe)
		return attr_malformed(e, MSG_TREAT_AS_WITHDRAW,
		                      "NEXT_HOP is not a unicast address");
	return MSG_OK;
}

static enum msg_action attr_check_u32(const char *reason, uint16_t len, struct msg_err *e)
{
	return len == 4 ? MSG_OK : attr_malformed(e, MSG_TREAT_AS_WITHDRAW, reason);
}

static enum msg_action attr_check_med(struct attr_parse *ps, const uint8_t *val, uint16_t len,
                                      struct msg_err *e)
{
	(void)ps, (void)val;
	return attr_check_u32("MULTI_EXIT_DISC length is not 4", len, e);
}

static enum msg_action attr_check_local_pref(struct attr_parse *ps, const uint8_t *val,
                                             uint16_t len, struct msg_err *e)
{
	(void)val;
	if (ps->ctx->ebgp) /* RFC 7606 7.5: meaningless from an external peer */
		return attr_malformed(e, MSG_ATTR_DISCARD, "LOCAL_PREF from an external peer");
	return attr_check_u32("LOCAL_PREF length is not 4", len, e);
}

static enum msg_action attr_check_atomic_aggregate(struct attr_parse *ps, const uint8_t *val,
                                                   uint16_t len, struct msg_err *e)
{
	(void)ps, (void)val;
	return len == 0 ? MSG_OK
	                : attr_malformed(e, MSG_ATTR_DISCARD, "ATOMIC_AGGREGATE length is not 0");
}

static enum msg_action attr_check_aggregator(struct attr_parse *ps, const uint8_t *val,
                                             uint16_t len, struct msg_err *e)
{
	if (len != (ps->ctx->as4 ? 8 : 6))
		return attr_malformed(e, MSG_ATTR_DISCARD,
		                      "AGGREGATOR length does not match AS size");
	if (ps->ctx->as4)
		return MSG_OK;
	uint8_t *wide = attr_parse_store(ps, 8);
	if (!wide)
		return attr_malformed(e, MSG_ATTR_DISCARD, "no room to widen AGGREGATOR");
	put_u32(wide, get_u16(val));
	memcpy(wide + 4, val + 2, 4);
	ps->store_val = wide;
	ps->store_len = 8;
	return MSG_OK;
}

static enum msg_action attr_check_communities(struct attr_parse *ps, const uint8_t *val,
                                              uint16_t len, struct msg_err *e)
{
	(void)ps, (void)val;
	return attr_len_multiple(len, 4)
	               ? MSG_OK
	               : attr_malformed(e, MSG_TREAT_AS_WITHDRAW,
	                                "COMMUNITIES length is not a non-zero multiple of 4");
}

static enum msg_action attr_check_originator_id(struct attr_parse *ps, const uint8_t *val,
                                                uint16_t len, struct msg_err *e)
{
	(void)val;
	if (ps->ctx->ebgp) /* RFC 7606 7.9 */
		return attr_malformed(e, MSG_ATTR_DISCARD, "ORIGINATOR_ID from an external peer");
	return attr_check_u32("ORIGINATOR_ID length is not 4", len, e);
}

static enum msg_action attr_check_cluster_list(struct attr_parse *ps, const uint8_t *val,
                                               uint16_t len, struct msg_err *e)
{
	(void)val;
	if (ps->ctx->ebgp) /* RFC 7606 7.10 */
		return attr_malformed(e, MSG_ATTR_DISCARD, "CLUSTER_LIST from an external peer");
	return attr_len_multiple(len, 4)
	               ? MSG_OK
	               : attr_malformed(e, MSG_TREAT_AS_WITHDRAW,
	                                "CLUSTER_LIST length is not a non-zero multiple of 4");
}

static int attr_af_index(uint16_t afi, uint8_t safi)
{
	if (safi != SAFI_UNICAST)
		return -1;
	return afi == AFI_IPV4 ? AF_IDX_IPV4 : afi == AFI_IPV6 ? AF_IDX_IPV6 : -1;
}

static bool attr_mp_nh_len_ok(uint16_t afi, uint8_t nh_len)
{
	return afi == AFI_IPV4 ? nh_len == 4 : nh_len == 16 || nh_len == 32;
}

/* MP_REACH_NLRI and MP_UNREACH_NLRI errors end the session: with the NLRI unlocatable,
 * treat-as-withdraw cannot be done (RFC 7606 7.11). */
static enum msg_action attr_check_mp_reach(struct attr_parse *ps, const uint8_t *val, uint16_t len,
                                           struct msg_err *e)
{
	struct rbuf r = rbuf_make(ps->msg, val, len);
	struct mp_reach *m = &ps->u->mp_reach;
	const uint8_t *nh, *skip;
	uint8_t nh_len;
	size_t bad;

	ps->store_val = NULL;
	if (rbuf_u16(&r, &m->afi) < 0 || rbuf_u8(&r, &m->safi) < 0 || rbuf_u8(&r, &nh_len) < 0 ||
	    rbuf_bytes(&r, nh_len, &nh) < 0 || rbuf_bytes(&r, 1, &skip) < 0)
		return attr_malformed(e, MSG_SESSION_RESET, "MP_REACH_NLRI header is truncated");
	int af = attr_af_index(m->afi, m->safi);
	if (af < 0)
		return attr_malformed(e, MSG_ATTR_DISCARD,
		                      "MP_REACH_NLRI for an unsupported AFI/SAFI");
	if (!attr_mp_nh_len_ok(m->afi, nh_len))
		return attr_malformed(e, MSG_SESSION_RESET,
		                      "MP_REACH_NLRI next hop length is wrong");
	m->present = true;
	m->nh_len = nh_len;
	memcpy(m->nh, nh, nh_len);
	if (nlri_decode(ps, r.p, rbuf_left(&r), (uint8_t)m->afi, ps->ctx->addpath[af], &m->nlri,
	                &bad) < 0) {
		e->subcode = ERR_UPD_NETWORK;
		return attr_malformed(e, MSG_SESSION_RESET, "malformed prefix in MP_REACH_NLRI");
	}
	return MSG_OK;
}

static enum msg_action attr_check_mp_unreach(struct attr_parse *ps, const uint8_t *val,
                                             uint16_t len, struct msg_err *e)
{
	struct rbuf r = rbuf_make(ps->msg, val, len);
	struct mp_unreach *m = &ps->u->mp_unreach;
	size_t bad;

	ps->store_val = NULL;
	if (rbuf_u16(&r, &m->afi) < 0 || rbuf_u8(&r, &m->safi) < 0)
		return attr_malformed(e, MSG_SESSION_RESET, "MP_UNREACH_NLRI header is truncated");
	int af = attr_af_index(m->afi, m->safi);
	if (af < 0)
		return attr_malformed(e, MSG_ATTR_DISCARD,
		                      "MP_UNREACH_NLRI for an unsupported AFI/SAFI");
	m->present = true;
	if (nlri_decode(ps, r.p, rbuf_left(&r), (uint8_t)m->afi, ps->ctx->addpath[af], &m->nlri,
	                &bad) < 0) {
		e->subcode = ERR_UPD_NETWORK;
		return attr_malformed(e, MSG_SESSION_RESET, "malformed prefix in MP_UNREACH_NLRI");
	}
	return MSG_OK;
}

static enum msg_action attr_check_ext_communities(struct attr_parse *ps, const uint8_t *val,
                                                  uint16_t len, struct msg_err *e)
{
	(void)ps, (void)val;
	return attr_len_multiple(len, 8)
	               ? MSG_OK
	               : attr_malformed(
	                         e, MSG_TREAT_AS_WITHDRAW,
	                         "EXTENDED_COMMUNITIES length is not a non-zero multiple of 8");
}

/* RFC 6793: AS4_PATH and AS4_AGGREGATOR matter only from a 2-octet peer; from a 4-octet one
 * they are dropped. A malformed one is discarded (RFC 6793 6). */
static enum msg_action attr_check_as4_path(struct attr_parse *ps, const uint8_t *val, uint16_t len,
                                           struct msg_err *e)
{
	ps->store_val = NULL;
	if (ps->ctx->as4)
		return MSG_OK;
	if (aspath_validate(val, len, 4, false, &e->reason) < 0)
		return MSG_ATTR_DISCARD;
	ps->as4_path = val;
	ps->as4_path_len = len;
	return MSG_OK;
}

static enum msg_action attr_check_as4_aggregator(struct attr_parse *ps, const uint8_t *val,
                                                 uint16_t len, struct msg_err *e)
{
	ps->store_val = NULL;
	if (ps->ctx->as4)
		return MSG_OK;
	if (len != 8)
		return attr_malformed(e, MSG_ATTR_DISCARD, "AS4_AGGREGATOR length is not 8");
	ps->as4_aggr = val;
	return MSG_OK;
}

static enum msg_action attr_check_large_communities(struct attr_parse *ps, const uint8_t *val,
                                                    uint16_t len, struct msg_err *e)
{
	(void)ps, (void)val;
	return attr_len_multiple(len, 12)
	               ? MSG_OK
	               : attr_malformed(
	                         e, MSG_TREAT_AS_WITHDRAW,
	                         "LARGE_COMMUNITIES length is not a non-zero multiple of 12");
}

/* JSON formatters live in attr_json.c. */
struct json_t *attr_json_origin(const uint8_t *val, uint16_t len);
struct json_t *attr_json_as_path(const uint8_t *val, uint16_t len);
struct json_t *attr_json_ipv4(const uint8_t *val, uint16_t len);
struct json_t *attr_json_u32(const uint8_t *val, uint16_t len);
struct json_t *attr_json_true(const uint8_t *val, uint16_t len);
struct json_t *attr_json_aggregator(const uint8_t *val, uint16_t len);
struct json_t *attr_json_communities(const uint8_t *val, uint16_t len);
struct json_t *attr_json_cluster_list(const uint8_t *val, uint16_t len);
struct json_t *attr_json_ext_communities(const uint8_t *val, uint16_t len);
struct json_t *attr_json_large_communities(const uint8_t *val, uint16_t len);

#define W MSG_TREAT_AS_WITHDRAW
#define D MSG_ATTR_DISCARD
static const struct attr_desc attr_table[256] = {
	[ATTR_ORIGIN] = { "origin", WK, ERR_UPD_ORIGIN, W, attr_check_origin, attr_json_origin },
	[ATTR_AS_PATH] = { "as_path", WK, ERR_UPD_AS_PATH, W, attr_check_as_path,
	                   attr_json_as_path },
	[ATTR_NEXT_HOP] = { "next_hop", WK, ERR_UPD_NEXT_HOP, W, attr_check_next_hop,
	                    attr_json_ipv4 },
	[ATTR_MED] = { "med", OPT, ERR_UPD_ATTR_LENGTH, W, attr_check_med, attr_json_u32 },
	[ATTR_LOCAL_PREF] = { "local_pref", WK, ERR_UPD_ATTR_LENGTH, W, attr_check_local_pref,
	                      attr_json_u32 },
	[ATTR_ATOMIC_AGGREGATE] = { "atomic_aggregate", WK, ERR_UPD_ATTR_LENGTH, D,
	                            attr_check_atomic_aggregate, attr_json_true },
	[ATTR_AGGREGATOR] = { "aggregator", OPT_T, ERR_UPD_ATTR_LENGTH, D, attr_check_aggregator,
	                      attr_json_aggregator },
	[ATTR_COMMUNITIES] = { "communities", OPT_T, ERR_UPD_ATTR_LENGTH, W, attr_check_communities,
	                       attr_json_communities },
	[ATTR_ORIGINATOR_ID] = { "originator_id", OPT, ERR_UPD_ATTR_LENGTH, W,
	                         attr_check_originator_id, attr_json_ipv4 },
	[ATTR_CLUSTER_LIST] = { "cluster_list", OPT, ERR_UPD_ATTR_LENGTH, W,
	                        attr_check_cluster_list, attr_json_cluster_list },
	/* The NLRI inside stays locatable, so wrong flags withdraw it. */
	[ATTR_MP_REACH_NLRI] = { "mp_reach_nlri", OPT, ERR_UPD_OPTIONAL_ATTR, W,
	                         attr_check_mp_reach, NULL },
	[ATTR_MP_UNREACH_NLRI] = { "mp_unreach_nlri", OPT, ERR_UPD_OPTIONAL_ATTR, W,
	                           attr_check_mp_unreach, NULL },
	[ATTR_EXT_COMMUNITIES] = { "ext_communities", OPT_T, ERR_UPD_ATTR_LENGTH, W,
	                           attr_check_ext_communities, attr_json_ext_communities },
	[ATTR_AS4_PATH] = { "as4_path", OPT_T, ERR_UPD_OPTIONAL_ATTR, D, attr_check_as4_path,
	                    attr_json_as_path },
	[ATTR_AS4_AGGREGATOR] = { "as4_aggregator", OPT_T, ERR_UPD_OPTIONAL_ATTR, D,
	                          attr_check_as4_aggregator, attr_json_aggregator },
	[ATTR_LARGE_COMMUNITIES] = { "large_communities", OPT_T, ERR_UPD_ATTR_LENGTH, W,
	                             attr_check_large_communities, attr_json_large_communities },
};
#undef W
#undef D

const struct attr_desc *attr_desc_get(uint8_t code)
{
	return attr_table[code].check ? &attr_table[code] : NULL;
}
