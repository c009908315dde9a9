/* What a BGP session offers in its OPEN, and what the two OPENs leave it with (RFC 4271 4.2
 * and 6.2, RFC 5492, RFC 4760, RFC 6793, RFC 7911, RFC 8654, RFC 2918, RFC 7313). Shared by
 * prismd's sessions and prism-bench's synthetic peers, so both negotiate the same way. */
#ifndef PRISM_CORE_SESS_H
#define PRISM_CORE_SESS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"

/* Our side of the OPEN. */
struct sess_offer {
	uint32_t asn;
	uint32_t router_id;        /* host byte order */
	uint16_t hold_time;        /* 0, or 3 and above */
	bool af[AF_IDX_N];         /* IPv4 / IPv6 unicast */
	uint8_t addpath[AF_IDX_N]; /* enum bgp_addpath_mode per family; 0 for none */
	bool ext_msg;
	bool route_refresh;
	bool enhanced_rr;
	/* RFC 4724 graceful restart: advertise the capability (helper mode: no forwarding state
	 * is kept, so no per-family F bits), with this restart time. */
	bool graceful_restart;
	uint16_t restart_time;
};

/* The session after both OPENs. */
struct sess_params {
	struct msg_ctx rx; /* how to read the peer's messages */
	struct msg_ctx tx; /* how to write ours */
	uint32_t peer_as;
	uint32_t peer_id;
	uint16_t hold_time; /* the smaller of the two; 0 means no keepalives */
	uint16_t keepalive; /* hold_time / 3 */
	bool af[AF_IDX_N];  /* families both sides support */
	bool route_refresh;
	bool enhanced_rr;
	bool peer_gr; /* the peer advertised graceful restart */
	uint16_t peer_restart_time;
	bool peer_gr_restarting; /* R bit: the peer has just restarted */
	uint8_t peer_gr_afs;     /* families it listed (bit AF_IDX_*), negotiated ones only */
	uint8_t peer_gr_fwd;     /* ... of those, with forwarding state preserved (F bit) */
};

/* Fills o with the OPEN for an offer. */
void sess_open_build(const struct sess_offer *off, struct msg_open *o);

/* Checks the peer's OPEN against our offer and the AS we expect (0 accepts any AS), and fills
 * p. Returns 0, or -1 with the NOTIFICATION to send in *e (RFC 4271 6.2). */
int sess_negotiate(const struct sess_offer *off, const struct msg_open *peer, uint32_t expect_as,
                   struct sess_params *p, struct msg_err *e);

#endif
