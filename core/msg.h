/* The BGP-4 message codec: framing, and decode and encode of every message type.
 *
 * Decoders read only through core/buf.h getters and never past the given length. Each one
 * returns 0 on success and -1 on a message that must reset the session, with *e saying which
 * NOTIFICATION to send. UPDATE decoding is softer: RFC 7606 lets most attribute errors end
 * in treat-as-withdraw or attribute-discard, so msg_update_decode() reports a worst action
 * and keeps every error it found. Encoders return the bytes written, or 0 when the output
 * buffer was too small. */
#ifndef PRISM_CORE_MSG_H
#define PRISM_CORE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/prefix.h"

struct attr;

/* ---- errors (msg_err.c) ---- */

/* RFC 7606 outcomes, in rising severity; the worst one found decides. */
enum msg_action {
	MSG_OK = 0,
	MSG_ATTR_DISCARD = 1,
	MSG_TREAT_AS_WITHDRAW = 2,
	MSG_SESSION_RESET = 3,
};

struct msg_err {
	enum msg_action action;
	uint8_t code;        /* NOTIFICATION code RFC 4271 assigns to this error */
	uint8_t subcode;     /* ... and subcode; sent only when action is MSG_SESSION_RESET */
	uint8_t attr_code;   /* attribute type code, or 0 when the error is not in an attribute */
	uint32_t offset;     /* byte offset from the start of the message (the marker) */
	const char *reason;  /* static text, for logs */
	const uint8_t *data; /* NOTIFICATION data: points into the message or into data_buf */
	uint16_t data_len;
	uint8_t data_buf[8];
};

const char *msg_action_name(enum msg_action a); /* "session-reset", "treat-as-withdraw", ... */
const char *bgp_msg_type_name(uint8_t type);    /* "OPEN", ..., or NULL when unknown */
const char *bgp_err_code_name(uint8_t code);
const char *bgp_err_subcode_name(uint8_t code, uint8_t subcode);

/* Fills e as a session-reset error. Data, when given, points into the message. */
void msg_err_set(struct msg_err *e, uint8_t code, uint8_t subcode, size_t offset,
                 const char *reason, const uint8_t *data, size_t data_len);

/* ---- session context that changes how bytes are read and written ---- */

enum { AF_IDX_IPV4 = 0, AF_IDX_IPV6 = 1, AF_IDX_N = 2 };

struct msg_ctx {
	bool as4;               /* 4-octet AS negotiated: AS_PATH carries 4-octet ASNs */
	bool ext_msg;           /* RFC 8654: messages up to 65535 octets */
	bool ebgp;              /* the peer is in another AS */
	bool addpath[AF_IDX_N]; /* NLRI of this family carries path identifiers (RFC 7911) */
};

/* Maximum message length for this context. */
static inline size_t msg_max_len(const struct msg_ctx *c)
{
	return c && c->ext_msg ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
}

/* ---- framing (msg.c) ---- */

struct msg_hdr {
	uint16_t len;
	uint8_t type;
};

/* Reads one header from buf. Returns 1 when a whole valid message of h->len bytes is at buf,
 * 0 when more bytes are needed, -1 on a header error (bad marker, length or type), with *e
 * set. max_len is msg_max_len() of the session. */
int msg_frame(const uint8_t *buf, size_t avail, size_t max_len, struct msg_hdr *h,
              struct msg_err *e);

/* Writes the 19-byte header for a message of total length len at out. */
void msg_put_header(uint8_t *out, uint8_t type, uint16_t len);

/* ---- OPEN (msg_open.c) ---- */

enum { OPEN_MAX_CAPS = 64, CAPS_MAX_AF = 16 };

/* One capability, in the order it came, with its raw value. */
struct open_cap {
	uint8_t code;
	uint8_t len;
	uint8_t param; /* index of the optional parameter that carried it */
	uint8_t val[255];
};

struct afi_safi {
	uint16_t afi;
	uint8_t safi;
};

/* What the capabilities say, parsed for session negotiation and display. */
struct bgp_caps {
	uint8_t n_mp;
	struct afi_safi mp[CAPS_MAX_AF];
	bool route_refresh; /* code 2 or 128 */
	bool enhanced_rr;
	bool ext_msg;
	bool has_as4;
	uint32_t as4;
	struct {
		bool present;
		uint8_t flags;         /* R (0x8) and N (0x4) bits of the top nibble */
		uint16_t restart_time; /* seconds, 12 bits */
		uint8_t n;
		struct {
			uint16_t afi;
			uint8_t safi;
			uint8_t flags; /* 0x80: forwarding state preserved */
		} af[CAPS_MAX_AF];
	} gr;
	struct {
		uint8_t n;
		struct {
			uint16_t afi;
			uint8_t safi;
			uint8_t mode; /* enum bgp_addpath_mode */
		} af[CAPS_MAX_AF];
	} addpath;
	struct {
		bool present;
		uint8_t n;
		struct {
			uint16_t afi;
			uint8_t safi;
			uint8_t flags;
			uint32_t stale_time; /* 24 bits, seconds */
		} af[CAPS_MAX_AF];
	} llgr;
	struct {
		bool present;
		char host[256];
		char domain[256];
	} fqdn;
};

struct msg_open {
	uint8_t version;
	uint16_t my_as; /* the 2-octet field; AS_TRANS when the real AS is in caps.as4 */
	uint16_t hold_time;
	uint32_t bgp_id;
	bool ext_params; /* RFC 9072 extended optional parameters were (or will be) used */
	uint8_t n_params;
	uint8_t n_caps;
	struct open_cap caps[OPEN_MAX_CAPS];
	struct bgp_caps parsed; /* derived from caps[] by decode, or by msg_open_add_cap() */
};

int msg_open_decode(const uint8_t *msg, size_t len, struct msg_open *o, struct msg_err *e);
size_t msg_open_encode(const struct msg_open *o, uint8_t *out, size_t cap);

/* Starts an OPEN for asn (4-octet aware: my_as becomes AS_TRANS above 65535). */
void msg_open_init(struct msg_open *o, uint32_t asn, uint16_t hold_time, uint32_t bgp_id);
/* Appends one capability (all in one optional parameter) and updates o->parsed. Returns 0,
 * or -1 when the capability is malformed or the OPEN is full. */
int msg_open_add_cap(struct msg_open *o, uint8_t code, const void *val, uint8_t len);
/* The peer's real AS: caps.as4 when present, else my_as. */
uint32_t msg_open_peer_as(const struct msg_open *o);

/* ---- UPDATE (msg_update.c) ---- */

struct mp_reach {
	bool present;
	uint16_t afi;
	uint8_t safi;
	uint8_t nh_len; /* 4, 16 (global) or 32 (global + link-local) */
	uint8_t nh[32];
	struct prefix_list nlri;
};

struct mp_unreach {
	bool present;
	uint16_t afi;
	uint8_t safi;
	struct prefix_list nlri;
};

enum { UPDATE_MAX_ERRS = 8 };

struct msg_update {
	struct prefix_list withdrawn; /* IPv4 unicast */
	struct prefix_list nlri;      /* IPv4 unicast */
	struct mp_reach mp_reach;
	struct mp_unreach mp_unreach;
	/* The decoded attribute set, not yet interned (it lives in the scratch), or NULL when
	 * the UPDATE carries no attributes but MP_UNREACH_NLRI. */
	struct attr *attrs;
	/* RFC 7606: the worst action, and every error found (the first UPDATE_MAX_ERRS). */
	enum msg_action action;
	uint8_t n_errs;
	struct msg_err errs[UPDATE_MAX_ERRS];
};

/* Working memory for decoding one UPDATE: prefixes and the attribute set under construction.
 * Large (about 2 MB); allocate one per thread with msg_scratch_new(). */
struct msg_scratch;
struct msg_scratch *msg_scratch_new(void);
void msg_scratch_free(struct msg_scratch *s);

/* Decodes an UPDATE. Returns -1 when u->action is MSG_SESSION_RESET, and the NOTIFICATION to
 * send is msg_update_worst(u); otherwise 0. On treat-as-withdraw, every prefix in u->nlri and
 * u->mp_reach.nlri is to be withdrawn. Prefix lists and u->attrs point into s and stay valid
 * until the next decode with the same scratch. */
int msg_update_decode(const uint8_t *msg, size_t len, const struct msg_ctx *ctx,
                      struct msg_scratch *s, struct msg_update *u);
/* The error that decided u->action (the first one with that action). */
const struct msg_err *msg_update_worst(const struct msg_update *u);
/* True for an End-of-RIB marker (RFC 4724): empty UPDATE, or only an empty MP_UNREACH. */
bool msg_update_is_eor(const struct msg_update *u);

size_t msg_update_encode(const struct msg_update *u, const struct msg_ctx *ctx, uint8_t *out,
                         size_t cap);

/* Prefix wire format, for builders that pack many prefixes into one UPDATE. */
size_t prefix_wire_len(const struct prefix *p, bool addpath);
void prefix_write(struct wbuf *w, const struct prefix *p, bool addpath);

/* ---- NOTIFICATION (msg_notify.c) ---- */

struct msg_notification {
	uint8_t code;
	uint8_t subcode;
	const uint8_t *data; /* points into the message */
	uint16_t data_len;
	/* RFC 8203 / RFC 9003 shutdown communication, for Cease subcodes 2 and 4 */
	bool has_shutdown_msg;
	char shutdown_msg[256];
};

int msg_notification_decode(const uint8_t *msg, size_t len, struct msg_notification *n,
                            struct msg_err *e);
size_t msg_notification_encode(uint8_t code, uint8_t subcode, const uint8_t *data, size_t data_len,
                               uint8_t *out, size_t cap);
/* A Cease with a shutdown communication, cut to 255 octets at a UTF-8 boundary. */
size_t msg_notification_encode_shutdown(uint8_t subcode, const char *text, uint8_t *out,
                                        size_t cap);
/* The NOTIFICATION for a decode error. */
size_t msg_notification_encode_err(const struct msg_err *e, uint8_t *out, size_t cap);

/* ---- KEEPALIVE and ROUTE-REFRESH (msg.c) ---- */

size_t msg_keepalive_encode(uint8_t *out, size_t cap);

struct msg_refresh {
	uint16_t afi;
	uint8_t subtype; /* enum bgp_rr_subtype */
	uint8_t safi;
};

int msg_refresh_decode(const uint8_t *msg, size_t len, struct msg_refresh *r, struct msg_err *e);
size_t msg_refresh_encode(const struct msg_refresh *r, uint8_t *out, size_t cap);

#endif
