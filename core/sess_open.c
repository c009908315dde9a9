/* Building our OPEN and negotiating the session from the peer's (RFC 4271 6.2). */
#include <string.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"
#include "core/sess.h"

static const uint16_t sess_af_afi[AF_IDX_N] = { AFI_IPV4, AFI_IPV6 };

static int sess_af_index(uint16_t afi, uint8_t safi)
{
	if (safi != SAFI_UNICAST)
		return -1;
	return afi == AFI_IPV4 ? AF_IDX_IPV4 : afi == AFI_IPV6 ? AF_IDX_IPV6 : -1;
}

static void sess_add_mp(struct msg_open *o, const struct sess_offer *off)
{
	for (int af = 0; af < AF_IDX_N; af++) {
		if (!off->af[af])
			continue;
		uint8_t v[4];
		put_u16(v, sess_af_afi[af]);
		v[2] = 0;
		v[3] = SAFI_UNICAST;
		msg_open_add_cap(o, CAP_MP, v, sizeof(v));
	}
}

static void sess_add_addpath(struct msg_open *o, const struct sess_offer *off)
{
	uint8_t v[4 * AF_IDX_N];
	uint8_t n = 0;

	for (int af = 0; af < AF_IDX_N; af++) {
		if (!off->af[af] || !off->addpath[af])
			continue;
		put_u16(v + n, sess_af_afi[af]);
		v[n + 2] = SAFI_UNICAST;
		v[n + 3] = off->addpath[af];
		n += 4;
	}
	if (n)
		msg_open_add_cap(o, CAP_ADD_PATH, v, n);
}

static void sess_add_gr(struct msg_open *o, const struct sess_offer *off)
{
	uint8_t v[2];
	/* Helper only: no families, so the peer keeps no routes of ours across our restart. */
	put_u16(v, off->restart_time & 0x0fff);
	msg_open_add_cap(o, CAP_GRACEFUL_RESTART, v, sizeof(v));
}

void sess_open_build(const struct sess_offer *off, struct msg_open *o)
{
	uint8_t as4[4];

	msg_open_init(o, off->asn, off->hold_time, off->router_id);
	sess_add_mp(o, off);
	if (off->route_refresh)
		msg_open_add_cap(o, CAP_ROUTE_REFRESH, NULL, 0);
	if (off->enhanced_rr)
		msg_open_add_cap(o, CAP_ENHANCED_RR, NULL, 0);
	if (off->ext_msg)
		msg_open_add_cap(o, CAP_EXT_MESSAGE, NULL, 0);
	if (off->graceful_restart)
		sess_add_gr(o, off);
	put_u32(as4, off->asn);
	msg_open_add_cap(o, CAP_AS4, as4, sizeof(as4));
	sess_add_addpath(o, off);
}

static int sess_fail(struct msg_err *e, uint8_t subcode, const char *reason)
{
	msg_err_set(e, ERR_OPEN, subcode, 0, reason, NULL, 0);
	return -1;
}

/* RFC 4271 6.2: the data of an unsupported-version error is the version we speak. */
static int sess_fail_version(struct msg_err *e)
{
	put_u16(e->data_buf, BGP_VERSION);
	msg_err_set(e, ERR_OPEN, ERR_OPEN_VERSION, 0, "unsupported BGP version", e->data_buf, 2);
	return -1;
}

/* RFC 4760 8: a peer that sends no multiprotocol capability speaks IPv4 unicast only. */
static void sess_negotiate_af(const struct sess_offer *off, const struct bgp_caps *c,
                              struct sess_params *p)
{
	bool peer_af[AF_IDX_N] = { c->n_mp == 0, false };

	for (unsigned i = 0; i < c->n_mp; i++) {
		int af = sess_af_index(c->mp[i].afi, c->mp[i].safi);
		if (af >= 0)
			peer_af[af] = true;
	}
	for (int af = 0; af < AF_IDX_N; af++)
		p->af[af] = off->af[af] && peer_af[af];
}

/* RFC 7911 4: path identifiers flow from a side that may send to a side that may receive. */
static void sess_negotiate_addpath(const struct sess_offer *off, const struct bgp_caps *c,
                                   struct sess_params *p)
{
	for (unsigned i = 0; i < c->addpath.n; i++) {
		int af = sess_af_index(c->addpath.af[i].afi, c->addpath.af[i].safi);
		if (af < 0 || !p->af[af])
			continue;
		uint8_t theirs = c->addpath.af[i].mode, ours = off->addpath[af];
		p->rx.addpath[af] = (ours & ADDPATH_RECV) && (theirs & ADDPATH_SEND);
		p->tx.addpath[af] = (ours & ADDPATH_SEND) && (theirs & ADDPATH_RECV);
	}
}

int sess_negotiate(const struct sess_offer *off, const struct msg_open *peer, uint32_t expect_as,
                   struct sess_params *p, struct msg_err *e)
{
	const struct bgp_caps *c = &peer->parsed;

	memset(p, 0, sizeof(*p));
	if (peer->version != BGP_VERSION)
		return sess_fail_version(e);
	p->peer_as = msg_open_peer_as(peer);
	if (p->peer_as == 0 || (expect_as && p->peer_as != expect_as))
		return sess_fail(e, ERR_OPEN_BAD_AS, "peer AS is not the one configured");
	p->peer_id = peer->bgp_id;
	/* RFC 6286 2.2: within one AS the identifiers must differ. */
	if (p->peer_id == 0 || (p->peer_as == off->asn && p->peer_id == off->router_id))
		return sess_fail(e, ERR_OPEN_BAD_ID, "unusable BGP identifier");
	if (peer->hold_time == 1 || peer->hold_time == 2)
		return sess_fail(e, ERR_OPEN_HOLD_TIME, "hold time of 1 or 2 seconds");

	p->hold_time = peer->hold_time < off->hold_time ? peer->hold_time : off->hold_time;
	p->keepalive = p->hold_time / 3;
	p->rx.as4 = p->tx.as4 = c->has_as4;
	p->rx.ext_msg = p->tx.ext_msg = off->ext_msg && c->ext_msg;
	p->rx.ebgp = p->tx.ebgp = p->peer_as != off->asn;
	sess_negotiate_af(off, c, p);
	sess_negotiate_addpath(off, c, p);
	p->route_refresh = off->route_refresh && c->route_refresh;
	p->enhanced_rr = off->enhanced_rr && c->enhanced_rr;
	p->peer_gr = c->gr.present;
	p->peer_restart_time = c->gr.restart_time;
	p->peer_gr_restarting = c->gr.present && (c->gr.flags & 0x8);
	for (unsigned i = 0; i < c->gr.n; i++) {
		int af = sess_af_index(c->gr.af[i].afi, c->gr.af[i].safi);
		if (af < 0 || !p->af[af])
			continue;
		p->peer_gr_afs |= (uint8_t)(1u << af);
		if (c->gr.af[i].flags & 0x80)
			p->peer_gr_fwd |= (uint8_t)(1u << af);
	}
	return 0;
}
