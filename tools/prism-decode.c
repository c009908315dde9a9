/* prism-decode: prints BGP messages as JSON, one object per message.
 *
 * Input is a raw BGP byte stream (as it crosses the wire), the same stream as hex text, or a
 * classic pcap file whose TCP connections are reassembled here, without libpcap. Every read
 * of untrusted bytes is bounds-checked: the tool is meant to be pointed at captures of
 * misbehaving peers, so it must survive whatever they sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"
#include "core/msg.h"
#include "core/prefix.h"

/* Exit statuses, loosely after sysexits.h; the worst one seen wins. */
enum {
	DECODE_EXIT_OK = 0,
	DECODE_EXIT_ERROR = 1,     /* some message (or the capture) had an error */
	DECODE_EXIT_TRUNCATED = 2, /* a stream ended inside a message */
	DECODE_EXIT_USAGE = 64,
	DECODE_EXIT_NOINPUT = 66,
};

enum {
	/* A reassembled TCP direction is capped so that a hostile capture cannot make us
	 * allocate without bound. */
	DECODE_STREAM_CAP = 64u << 20,
	/* libpcap's own MAXIMUM_SNAPLEN; anything larger is a corrupt record length. */
	PCAP_MAX_RECORD = 262144,
	/* An OPEN is the first message of a session; looking further is wasted work. */
	DECODE_OPEN_SCAN = 8,
	DECODE_PREFIX_STR = 64,
};

enum decode_input { INPUT_RAW, INPUT_HEX, INPUT_PCAP };

struct decode_opts {
	enum decode_input input;
	uint16_t port;
	bool auto_caps;
	bool pretty;
	struct msg_ctx ctx; /* the context before any OPEN is seen */
	const char *path;
};

/* ---- output ---- */

/* In pcap mode every stream is decoded before anything is printed, so that messages of all
 * connections can be sorted into capture order; raw and hex modes print as they go. */
struct decode_event {
	uint64_t pkt; /* the capture record that completed the message */
	uint64_t seq; /* emission order, to keep the sort stable */
	json_t *obj;
};

struct decode_out {
	bool pretty;
	bool collect;
	int status;
	struct decode_event *ev;
	size_t n_ev, cap_ev;
};

static void decode_status(struct decode_out *o, int status)
{
	if (status > o->status)
		o->status = status;
}

static void decode_print(const struct decode_out *o, json_t *obj)
{
	size_t flags = o->pretty ? JSON_INDENT(2) : JSON_COMPACT;
	json_dumpf(obj, stdout, flags);
	fputc('\n', stdout);
}

static void decode_emit(struct decode_out *o, json_t *obj, uint64_t pkt)
{
	if (!obj)
		return;
	if (!o->collect) {
		decode_print(o, obj);
		json_decref(obj);
		return;
	}
	if (o->n_ev == o->cap_ev) {
		size_t cap = o->cap_ev ? o->cap_ev * 2 : 1024;
		struct decode_event *ev = realloc(o->ev, cap * sizeof(*ev));
		if (!ev) {
			fprintf(stderr, "prism-decode: out of memory\n");
			exit(DECODE_EXIT_ERROR);
		}
		o->ev = ev;
		o->cap_ev = cap;
	}
	o->ev[o->n_ev] = (struct decode_event){ .pkt = pkt, .seq = o->n_ev, .obj = obj };
	o->n_ev++;
}

static int decode_event_cmp(const void *a, const void *b)
{
	const struct decode_event *x = a, *y = b;
	if (x->pkt != y->pkt)
		return x->pkt < y->pkt ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void decode_flush(struct decode_out *o)
{
	if (o->n_ev)
		qsort(o->ev, o->n_ev, sizeof(*o->ev), decode_event_cmp);
	for (size_t i = 0; i < o->n_ev; i++) {
		decode_print(o, o->ev[i].obj);
		json_decref(o->ev[i].obj);
	}
	free(o->ev);
	o->ev = NULL;
	o->n_ev = o->cap_ev = 0;
}

/* ---- JSON helpers ---- */

static json_t *json_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(n * 2 + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[n * 2] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* Peer-supplied text (hostnames, shutdown messages) need not be UTF-8; jansson refuses
 * invalid UTF-8, so fall back to printable ASCII with \xNN escapes. */
static json_t *json_text(const uint8_t *p, size_t n)
{
	json_t *j = json_stringn((const char *)p, n);
	if (j)
		return j;
	char *s = malloc(n * 4 + 1);
	if (!s)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			s[k++] = (char)p[i];
		else
			k += (size_t)sprintf(s + k, "\\x%02x", p[i]);
	}
	j = json_stringn(s, k);
	free(s);
	return j;
}

static void json_set_str(json_t *obj, const char *key, const char *val)
{
	if (val)
		json_object_set_new(obj, key, json_string(val));
}

static void json_set_int(json_t *obj, const char *key, json_int_t val)
{
	json_object_set_new(obj, key, json_integer(val));
}

static json_t *json_addr(int family, const uint8_t *addr)
{
	char s[INET6_ADDRSTRLEN];
	if (!inet_ntop(family, addr, s, sizeof(s)))
		return json_string("?");
	return json_string(s);
}

static json_t *json_prefixes(const struct prefix_list *l)
{
	json_t *a = json_array();
	if (!l->v)
		return a;
	for (uint32_t i = 0; i < l->n; i++) {
		char s[DECODE_PREFIX_STR];
		if (prefix_format(&l->v[i], s, sizeof(s)) < 0)
			snprintf(s, sizeof(s), "?");
		json_array_append_new(a, json_string(s));
	}
	return a;
}

static const char *decode_afi_name(uint16_t afi)
{
	switch (afi) {
	case AFI_IPV4:
		return "ipv4";
	case AFI_IPV6:
		return "ipv6";
	case 25:
		return "l2vpn";
	default:
		return NULL;
	}
}

static const char *decode_safi_name(uint16_t safi)
{
	switch (safi) {
	case SAFI_UNICAST:
		return "unicast";
	case 2:
		return "multicast";
	case 4:
		return "labeled-unicast";
	case 70:
		return "evpn";
	case 128:
		return "vpn";
	case 133:
		return "flowspec";
	default:
		return NULL;
	}
}

/* Known families by name, others by number, so the output stays lossless. */
static void json_set_family(json_t *obj, uint16_t afi, uint16_t safi)
{
	const char *a = decode_afi_name(afi), *s = decode_safi_name(safi);
	json_object_set_new(obj, "afi", a ? json_string(a) : json_integer(afi));
	json_object_set_new(obj, "safi", s ? json_string(s) : json_integer(safi));
}

/* ---- errors ---- */

static json_t *decode_err_json(const struct msg_err *e, size_t msg_off)
{
	json_t *j = json_object();
	json_set_int(j, "offset", (json_int_t)msg_off + (json_int_t)e->offset);
	json_set_str(j, "reason", e->reason ? e->reason : "unknown");
	json_set_str(j, "action", msg_action_name(e->action));
	json_set_int(j, "code", e->code);
	json_set_int(j, "subcode", e->subcode);
	json_set_str(j, "code_name", bgp_err_code_name(e->code));
	json_set_str(j, "subcode_name", bgp_err_subcode_name(e->code, e->subcode));
	if (e->attr_code)
		json_set_int(j, "attr_code", e->attr_code);
	if (e->data && e->data_len)
		json_object_set_new(j, "data", json_hex(e->data, e->data_len));
	return j;
}

/* ---- OPEN capabilities: one row per code, BIRD-style, so a new code is one new row ---- */

typedef void (*cap_fields_fn)(json_t *obj, struct rbuf *r);

static void cap_mp_fields(json_t *obj, struct rbuf *r)
{
	uint16_t afi;
	uint8_t reserved, safi;
	if (rbuf_u16(r, &afi) == 0 && rbuf_u8(r, &reserved) == 0 && rbuf_u8(r, &safi) == 0)
		json_set_family(obj, afi, safi);
}

static void cap_as4_fields(json_t *obj, struct rbuf *r)
{
	uint32_t asn;
	if (rbuf_u32(r, &asn) == 0)
		json_set_int(obj, "asn", asn);
}

static void cap_gr_fields(json_t *obj, struct rbuf *r)
{
	uint16_t hdr, afi;
	uint8_t safi, flags;
	if (rbuf_u16(r, &hdr) < 0)
		return;
	json_set_int(obj, "flags", hdr >> 12);
	json_set_int(obj, "restart_time", hdr & 0x0fff);
	json_t *fams = json_array();
	while (rbuf_u16(r, &afi) == 0 && rbuf_u8(r, &safi) == 0 && rbuf_u8(r, &flags) == 0) {
		json_t *f = json_object();
		json_set_family(f, afi, safi);
		json_object_set_new(f, "forwarding", json_boolean(flags & 0x80));
		json_array_append_new(fams, f);
	}
	json_object_set_new(obj, "families", fams);
}

static json_t *cap_addpath_mode(uint8_t mode)
{
	switch (mode) {
	case ADDPATH_RECV:
		return json_string("receive");
	case ADDPATH_SEND:
		return json_string("send");
	case ADDPATH_BOTH:
		return json_string("both");
	default:
		return json_integer(mode);
	}
}

static void cap_addpath_fields(json_t *obj, struct rbuf *r)
{
	uint16_t afi;
	uint8_t safi, mode;
	json_t *fams = json_array();
	while (rbuf_u16(r, &afi) == 0 && rbuf_u8(r, &safi) == 0 && rbuf_u8(r, &mode) == 0) {
		json_t *f = json_object();
		json_set_family(f, afi, safi);
		json_object_set_new(f, "mode", cap_addpath_mode(mode));
		json_array_append_new(fams, f);
	}
	json_object_set_new(obj, "families", fams);
}

static void cap_llgr_fields(json_t *obj, struct rbuf *r)
{
	uint16_t afi;
	uint8_t safi, flags;
	const uint8_t *st;
	json_t *fams = json_array();
	while (rbuf_u16(r, &afi) == 0 && rbuf_u8(r, &safi) == 0 && rbuf_u8(r, &flags) == 0 &&
	       rbuf_bytes(r, 3, &st) == 0) {
		json_t *f = json_object();
		json_set_family(f, afi, safi);
		json_set_int(f, "flags", flags);
		json_set_int(f, "stale_time", (json_int_t)st[0] << 16 | st[1] << 8 | st[2]);
		json_array_append_new(fams, f);
	}
	json_object_set_new(obj, "families", fams);
}

static void cap_fqdn_fields(json_t *obj, struct rbuf *r)
{
	uint8_t n;
	const uint8_t *s;
	if (rbuf_u8(r, &n) < 0 || rbuf_bytes(r, n, &s) < 0)
		return;
	json_object_set_new(obj, "hostname", json_text(s, n));
	if (rbuf_u8(r, &n) < 0 || rbuf_bytes(r, n, &s) < 0)
		return;
	json_object_set_new(obj, "domain", json_text(s, n));
}

static void cap_extnh_fields(json_t *obj, struct rbuf *r)
{
	uint16_t afi, safi, nh_afi;
	json_t *fams = json_array();
	while (rbuf_u16(r, &afi) == 0 && rbuf_u16(r, &safi) == 0 && rbuf_u16(r, &nh_afi) == 0) {
		json_t *f = json_object();
		json_set_family(f, afi, safi);
		const char *nh = decode_afi_name(nh_afi);
		json_object_set_new(f, "nexthop_afi", nh ? json_string(nh) : json_integer(nh_afi));
		json_array_append_new(fams, f);
	}
	json_object_set_new(obj, "families", fams);
}

static void cap_role_fields(json_t *obj, struct rbuf *r)
{
	static const char *const roles[] = { "provider", "rs", "rs-client", "customer", "peer" };
	uint8_t role;
	if (rbuf_u8(r, &role) < 0)
		return;
	if (role < sizeof(roles) / sizeof(roles[0]))
		json_set_str(obj, "role", roles[role]);
	else
		json_set_int(obj, "role", role);
}

struct cap_desc {
	uint8_t code;
	const char *name;
	cap_fields_fn fields;           /* NULL for capabilities without a value */
	uint8_t min_len, max_len, unit; /* a value of another length is shown as malformed */
};

static const struct cap_desc cap_table[] = {
	{ CAP_MP, "multiprotocol", cap_mp_fields, 4, 4, 4 },
	{ CAP_ROUTE_REFRESH, "route-refresh", NULL, 0, 0, 1 },
	{ 5, "extended-nexthop", cap_extnh_fields, 6, 252, 6 },
	{ CAP_EXT_MESSAGE, "extended-message", NULL, 0, 0, 1 },
	{ 9, "role", cap_role_fields, 1, 1, 1 },
	{ CAP_GRACEFUL_RESTART, "graceful-restart", cap_gr_fields, 2, 254, 1 },
	{ CAP_AS4, "as4", cap_as4_fields, 4, 4, 4 },
	{ CAP_ADD_PATH, "add-path", cap_addpath_fields, 4, 252, 4 },
	{ CAP_ENHANCED_RR, "enhanced-route-refresh", NULL, 0, 0, 1 },
	{ CAP_LLGR, "llgr", cap_llgr_fields, 0, 252, 7 },
	{ CAP_FQDN, "fqdn", cap_fqdn_fields, 2, 255, 1 },
	{ CAP_ROUTE_REFRESH_OLD, "route-refresh-old", NULL, 0, 0, 1 },
};

static const struct cap_desc *cap_desc_get(uint8_t code)
{
	for (size_t i = 0; i < sizeof(cap_table) / sizeof(cap_table[0]); i++)
		if (cap_table[i].code == code)
			return &cap_table[i];
	return NULL;
}

static bool cap_len_ok(const struct cap_desc *d, uint8_t len)
{
	if (len < d->min_len || len > d->max_len)
		return false;
	/* Graceful restart's tuples follow a 2-octet header. */
	size_t body = d->code == CAP_GRACEFUL_RESTART ? (size_t)len - 2 : len;
	return d->code == CAP_GRACEFUL_RESTART ? body % 4 == 0 : body % d->unit == 0;
}

static json_t *cap_json(const struct open_cap *c)
{
	json_t *obj = json_object();
	const struct cap_desc *d = cap_desc_get(c->code);
	json_set_int(obj, "code", c->code);
	if (d)
		json_set_str(obj, "name", d->name);
	if (!d || !cap_len_ok(d, c->len)) {
		if (d)
			json_object_set_new(obj, "malformed", json_true());
		json_object_set_new(obj, "hex", json_hex(c->val, c->len));
		return obj;
	}
	if (d->fields) {
		struct rbuf r = rbuf_make(c->val, c->val, c->len);
		d->fields(obj, &r);
	}
	return obj;
}

static json_t *decode_open_json(json_t *obj, const struct msg_open *o)
{
	char id[INET_ADDRSTRLEN];
	struct in_addr in = { .s_addr = htonl(o->bgp_id) };
	inet_ntop(AF_INET, &in, id, sizeof(id));
	json_set_int(obj, "version", o->version);
	json_set_int(obj, "my_as", o->my_as);
	json_set_int(obj, "hold_time", o->hold_time);
	json_set_str(obj, "bgp_id", id);
	json_t *caps = json_array();
	for (unsigned i = 0; i < o->n_caps && i < OPEN_MAX_CAPS; i++)
		json_array_append_new(caps, cap_json(&o->caps[i]));
	json_object_set_new(obj, "capabilities", caps);
	if (o->ext_params)
		json_object_set_new(obj, "extended_params", json_true());
	return obj;
}

/* ---- capability negotiation, as a session would do it ---- */

static uint8_t caps_addpath_mode(const struct bgp_caps *c, uint16_t afi)
{
	for (unsigned i = 0; i < c->addpath.n && i < CAPS_MAX_AF; i++)
		if (c->addpath.af[i].afi == afi && c->addpath.af[i].safi == SAFI_UNICAST)
			return c->addpath.af[i].mode;
	return 0;
}

/* The context of the stream sent by tx to rx. A side whose OPEN was not seen (NULL) is
 * assumed to agree with the other, which is the best guess for a one-direction capture. */
static void decode_negotiate(struct msg_ctx *ctx, const struct bgp_caps *tx,
                             const struct bgp_caps *rx)
{
	if (!tx && !rx)
		return;
	ctx->as4 = (!tx || tx->has_as4) && (!rx || rx->has_as4);
	ctx->ext_msg = (!tx || tx->ext_msg) && (!rx || rx->ext_msg);
	for (int i = 0; i < AF_IDX_N; i++) {
		uint16_t afi = i == AF_IDX_IPV4 ? AFI_IPV4 : AFI_IPV6;
		bool send = !tx || (caps_addpath_mode(tx, afi) & ADDPATH_SEND);
		bool recv = !rx || (caps_addpath_mode(rx, afi) & ADDPATH_RECV);
		ctx->addpath[i] = send && recv;
	}
}

/* ---- one stream of BGP messages ---- */

/* A pcap record's timestamp; frac is micro- or nanoseconds, as the file's magic says. */
struct pcap_time {
	uint32_t sec, frac;
};

static json_t *pcap_time_json(const struct pcap_time *t, bool nsec)
{
	char buf[64], date[32];
	time_t tt = (time_t)t->sec;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(date, sizeof(date), "%u", t->sec);
	if (nsec)
		snprintf(buf, sizeof(buf), "%s.%09uZ", date, t->frac % 1000000000u);
	else
		snprintf(buf, sizeof(buf), "%s.%06uZ", date, t->frac % 1000000u);
	return json_string(buf);
}

/* Which capture record delivered the bytes at a stream offset (pcap mode only). */
struct decode_chunk {
	uint64_t off;
	uint64_t pkt;
};

/* The first OPEN of a stream, kept so the opposite direction can negotiate against it. */
struct decode_peer {
	bool seen;
	uint32_t asn;
	struct bgp_caps caps;
};

struct decode_stream {
	const uint8_t *data;
	size_t len;
	const char *src, *dst;         /* "ip:port" in pcap mode, else NULL */
	const struct pcap_time *times; /* per record, in pcap mode */
	bool nsec;
	const struct decode_chunk *chunks;
	size_t n_chunks;
	uint64_t delivered;             /* the record that completed the previous message */
	const struct decode_peer *peer; /* the opposite direction's first OPEN, or NULL */
	bool auto_caps;
	struct msg_ctx ctx;
	struct msg_open *open; /* decode buffer: struct msg_open is too big for the stack */
	struct msg_scratch *scratch;
	struct decode_out *out;
};

/* The record that completed [off, off+len): the latest one among those carrying its bytes,
 * and never before the previous message, since TCP delivers in order even when segments
 * arrive out of order. */
static uint64_t decode_when(struct decode_stream *s, size_t off, size_t len)
{
	if (!s->n_chunks)
		return 0;
	size_t lo = 0, hi = s->n_chunks;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->chunks[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	uint64_t pkt = s->chunks[lo].pkt;
	for (size_t i = lo + 1; i < s->n_chunks && s->chunks[i].off < off + len; i++)
		if (s->chunks[i].pkt > pkt)
			pkt = s->chunks[i].pkt;
	if (pkt < s->delivered)
		pkt = s->delivered;
	s->delivered = pkt;
	return pkt;
}

static json_t *decode_base(const struct decode_stream *s, const char *type, size_t off,
                           uint64_t pkt)
{
	json_t *obj = json_object();
	json_set_str(obj, "type", type);
	json_set_str(obj, "src", s->src);
	json_set_str(obj, "dst", s->dst);
	if (s->times)
		json_object_set_new(obj, "time", pcap_time_json(&s->times[pkt], s->nsec));
	json_set_int(obj, "offset", (json_int_t)off);
	return obj;
}

static void decode_open(struct decode_stream *s, json_t *obj, const uint8_t *m, size_t len,
                        size_t off)
{
	struct msg_err e = { 0 };
	memset(s->open, 0, sizeof(*s->open));
	if (msg_open_decode(m, len, s->open, &e) < 0) {
		json_object_set_new(obj, "error", decode_err_json(&e, off));
		decode_status(s->out, DECODE_EXIT_ERROR);
		return;
	}
	decode_open_json(obj, s->open);
	if (s->auto_caps)
		decode_negotiate(&s->ctx, &s->open->parsed, s->peer ? &s->peer->caps : NULL);
}

static void decode_update_errors(struct decode_stream *s, json_t *obj, const struct msg_update *u,
                                 size_t off)
{
	const struct msg_err *worst = msg_update_worst(u);
	if (worst)
		json_object_set_new(obj, "error", decode_err_json(worst, off));
	if (u->n_errs > 1) {
		json_t *all = json_array();
		for (unsigned i = 0; i < u->n_errs && i < UPDATE_MAX_ERRS; i++)
			json_array_append_new(all, decode_err_json(&u->errs[i], off));
		json_object_set_new(obj, "errors", all);
	}
	decode_status(s->out, DECODE_EXIT_ERROR);
}

static json_t *decode_nexthops(const struct mp_reach *r)
{
	json_t *a = json_array();
	if (r->nh_len == 4) {
		json_array_append_new(a, json_addr(AF_INET, r->nh));
	} else if (r->nh_len == 16 || r->nh_len == 32) {
		json_array_append_new(a, json_addr(AF_INET6, r->nh));
		if (r->nh_len == 32)
			json_array_append_new(a, json_addr(AF_INET6, r->nh + 16));
	} else if (r->nh_len <= sizeof(r->nh)) {
		json_array_append_new(a, json_hex(r->nh, r->nh_len));
	}
	return a;
}

static void decode_update_mp(json_t *obj, const struct msg_update *u)
{
	if (u->mp_reach.present) {
		json_t *r = json_object();
		json_set_family(r, u->mp_reach.afi, u->mp_reach.safi);
		json_object_set_new(r, "next_hop", decode_nexthops(&u->mp_reach));
		json_object_set_new(r, "nlri", json_prefixes(&u->mp_reach.nlri));
		json_object_set_new(obj, "mp_reach", r);
	}
	if (u->mp_unreach.present) {
		json_t *r = json_object();
		json_set_family(r, u->mp_unreach.afi, u->mp_unreach.safi);
		json_object_set_new(r, "withdrawn", json_prefixes(&u->mp_unreach.nlri));
		json_object_set_new(obj, "mp_unreach", r);
	}
}

static void decode_update(struct decode_stream *s, json_t *obj, const uint8_t *m, size_t len,
                          size_t off)
{
	struct msg_update u;
	memset(&u, 0, sizeof(u));
	int rc = msg_update_decode(m, len, &s->ctx, s->scratch, &u);
	json_object_set_new(obj, "withdrawn", json_prefixes(&u.withdrawn));
	json_object_set_new(obj, "nlri", json_prefixes(&u.nlri));
	/* After a session reset the attribute set may be half built; do not format it. */
	if (u.attrs && rc == 0) {
		json_t *a = attr_to_json(u.attrs);
		if (a)
			json_object_set_new(obj, "attrs", a);
	}
	decode_update_mp(obj, &u);
	if (rc == 0 && u.action == MSG_OK && msg_update_is_eor(&u))
		json_object_set_new(obj, "end_of_rib", json_true());
	if (rc < 0 || u.action != MSG_OK || u.n_errs)
		decode_update_errors(s, obj, &u, off);
}

static void decode_notification(struct decode_stream *s, json_t *obj, const uint8_t *m, size_t len,
                                size_t off)
{
	struct msg_notification n;
	struct msg_err e = { 0 };
	memset(&n, 0, sizeof(n));
	if (msg_notification_decode(m, len, &n, &e) < 0) {
		json_object_set_new(obj, "error", decode_err_json(&e, off));
		decode_status(s->out, DECODE_EXIT_ERROR);
		return;
	}
	json_set_int(obj, "code", n.code);
	json_set_int(obj, "subcode", n.subcode);
	json_set_str(obj, "code_name", bgp_err_code_name(n.code));
	json_set_str(obj, "subcode_name", bgp_err_subcode_name(n.code, n.subcode));
	json_object_set_new(obj, "data", json_hex(n.data, n.data ? n.data_len : 0));
	if (n.has_shutdown_msg)
		json_object_set_new(obj, "shutdown_message",
		                    json_text((const uint8_t *)n.shutdown_msg,
		                              strnlen(n.shutdown_msg, sizeof(n.shutdown_msg))));
}

static void decode_refresh(struct decode_stream *s, json_t *obj, const uint8_t *m, size_t len,
                           size_t off)
{
	struct msg_refresh r;
	struct msg_err e = { 0 };
	memset(&r, 0, sizeof(r));
	if (msg_refresh_decode(m, len, &r, &e) < 0) {
		json_object_set_new(obj, "error", decode_err_json(&e, off));
		decode_status(s->out, DECODE_EXIT_ERROR);
		return;
	}
	json_set_family(obj, r.afi, r.safi);
	switch (r.subtype) {
	case RR_NORMAL:
		json_set_str(obj, "subtype", "normal");
		break;
	case RR_BORR:
		json_set_str(obj, "subtype", "BoRR");
		break;
	case RR_EORR:
		json_set_str(obj, "subtype", "EoRR");
		break;
	default:
		json_set_int(obj, "subtype", r.subtype);
		break;
	}
}

static void decode_message(struct decode_stream *s, const struct msg_hdr *h, size_t off)
{
	const uint8_t *m = s->data + off;
	uint64_t pkt = decode_when(s, off, h->len);
	const char *type = bgp_msg_type_name(h->type);
	json_t *obj = decode_base(s, type ? type : "UNKNOWN", off, pkt);
	json_set_int(obj, "length", h->len);
	switch (h->type) {
	case BGP_OPEN:
		decode_open(s, obj, m, h->len, off);
		break;
	case BGP_UPDATE:
		decode_update(s, obj, m, h->len, off);
		break;
	case BGP_NOTIFICATION:
		decode_notification(s, obj, m, h->len, off);
		break;
	case BGP_ROUTE_REFRESH:
		decode_refresh(s, obj, m, h->len, off);
		break;
	default:
		break; /* KEEPALIVE has no body; msg_frame rejects unknown types */
	}
	decode_emit(s->out, obj, pkt);
}

/* Bytes are left but do not make a whole message: the capture or file was cut short. That is
 * known only at the end of the input, so in pcap mode it sorts after everything else. */
static void decode_truncated(struct decode_stream *s, size_t off)
{
	size_t have = s->len - off;
	size_t need = BGP_HDR_LEN;
	if (have >= BGP_HDR_LEN)
		need = get_u16(s->data + off + BGP_MARKER_LEN);
	json_t *obj = decode_base(s, NULL, off, decode_when(s, off, have));
	json_object_del(obj, "offset");
	json_object_del(obj, "time");
	json_t *e = json_object();
	json_set_str(e, "reason", "truncated");
	json_set_int(e, "offset", (json_int_t)off);
	json_set_int(e, "have", (json_int_t)have);
	json_set_int(e, "need", (json_int_t)need);
	json_object_set_new(obj, "error", e);
	decode_emit(s->out, obj, UINT64_MAX);
	decode_status(s->out, DECODE_EXIT_TRUNCATED);
}

/* A broken header loses the framing for good, so the stream ends here. */
static void decode_header_error(struct decode_stream *s, const struct msg_err *e, size_t off)
{
	size_t have = s->len - off;
	const char *type = have >= BGP_HDR_LEN ? bgp_msg_type_name(s->data[off + 18]) : NULL;
	uint64_t pkt = decode_when(s, off, have < BGP_HDR_LEN ? have : BGP_HDR_LEN);
	json_t *obj = decode_base(s, type, off, pkt);
	if (have >= BGP_HDR_LEN)
		json_set_int(obj, "length", get_u16(s->data + off + BGP_MARKER_LEN));
	json_object_set_new(obj, "error", decode_err_json(e, off));
	decode_emit(s->out, obj, pkt);
	decode_status(s->out, DECODE_EXIT_ERROR);
}

static void decode_stream_start(struct decode_stream *s)
{
	if (s->auto_caps && s->peer)
		decode_negotiate(&s->ctx, NULL, &s->peer->caps);
}

static void decode_stream_run(struct decode_stream *s)
{
	size_t off = 0;
	decode_stream_start(s);
	while (off < s->len) {
		struct msg_hdr h = { 0 };
		struct msg_err e = { 0 };
		int rc = msg_frame(s->data + off, s->len - off, msg_max_len(&s->ctx), &h, &e);
		if (rc == 0) {
			decode_truncated(s, off);
			return;
		}
		if (rc < 0) {
			decode_header_error(s, &e, off);
			return;
		}
		if (h.len < BGP_HDR_LEN || h.len > s->len - off) {
			/* msg_frame promised a whole message; do not trust it past the buffer. */
			decode_truncated(s, off);
			return;
		}
		decode_message(s, &h, off);
		off += h.len;
	}
}

/* Finds the first OPEN in a stream, for negotiating the opposite direction. */
static void decode_find_open(const uint8_t *data, size_t len, struct msg_open *o,
                             struct decode_peer *peer)
{
	size_t off = 0;
	for (int i = 0; i < DECODE_OPEN_SCAN && off < len; i++) {
		struct msg_hdr h = { 0 };
		struct msg_err e = { 0 };
		if (msg_frame(data + off, len - off, BGP_EXT_MAX_LEN, &h, &e) != 1 ||
		    h.len < BGP_HDR_LEN || h.len > len - off)
			return;
		if (h.type == BGP_OPEN) {
			memset(o, 0, sizeof(*o));
			if (msg_open_decode(data + off, h.len, o, &e) < 0)
				return;
			peer->seen = true;
			peer->asn = msg_open_peer_as(o);
			peer->caps = o->parsed;
			return;
		}
		off += h.len;
	}
}

/* ---- input ---- */

/* Reads all of f into a growing buffer. Returns 0, or -1 with errno set. */
static int input_slurp(FILE *f, uint8_t **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *p = malloc(cap);
	for (;;) {
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		n += fread(p + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);
		if (!q)
			free(p);
		p = q;
		cap *= 2;
	}
	if (ferror(f)) {
		int err = errno ? errno : EIO;
		free(p);
		errno = err;
		return -1;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* Reads a whole file (or stdin for "-" or NULL). Returns 0, or -1 with errno set. */
static int input_read(const char *path, uint8_t **buf, size_t *len)
{
	bool is_stdin = !path || strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return -1;
	errno = 0;
	int rc = input_slurp(f, buf, len);
	int err = errno;
	if (!is_stdin)
		fclose(f);
	errno = err;
	return rc;
}

static int hex_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex_separator(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
	       c == ',' || c == ':';
}

/* Converts hex text in place (the output is never longer than the input). Returns the byte
 * count, or -1 with *bad at the offending character. */
static long hex_decode(uint8_t *text, size_t len, size_t *bad)
{
	size_t out = 0, nibbles = 0;
	bool token_start = true;
	for (size_t i = 0; i < len; i++) {
		int c = text[i];
		if (c == '#') {
			while (i < len && text[i] != '\n')
				i++;
			token_start = true;
			continue;
		}
		if (hex_separator(c)) {
			token_start = true;
			continue;
		}
		if (token_start && c == '0' && i + 1 < len && (text[i + 1] | 0x20) == 'x') {
			i++;
			token_start = false;
			continue;
		}
		token_start = false;
		int v = hex_nibble(c);
		if (v < 0) {
			*bad = i;
			return -1;
		}
		if (nibbles++ % 2 == 0)
			text[out] = (uint8_t)(v << 4);
		else
			text[out++] |= (uint8_t)v;
	}
	if (nibbles % 2) {
		*bad = len;
		return -1;
	}
	return (long)out;
}

static void input_error(struct decode_out *o, const char *reason, size_t off)
{
	json_t *obj = json_object();
	json_t *e = json_object();
	json_set_str(e, "reason", reason);
	json_set_int(e, "offset", (json_int_t)off);
	json_object_set_new(obj, "error", e);
	decode_emit(o, obj, UINT64_MAX);
	decode_status(o, DECODE_EXIT_ERROR);
}

/* ---- pcap: records, link layers, IP and TCP ---- */

struct flow_key {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t v6;
};

struct pcap_seg {
	struct flow_key key;
	uint32_t seq; /* of the first payload byte (after a SYN) */
	uint32_t len;
	bool syn;
	uint32_t gen; /* connection generation of a reused 4-tuple */
	int64_t rel;  /* offset in the reassembled stream */
	uint64_t pkt;
	const uint8_t *data;
};

struct pcap_file {
	const uint8_t *p;
	size_t len;
	bool swap, nsec;
	uint32_t linktype;
	uint16_t port;
	struct pcap_seg *segs;
	size_t n_segs, cap_segs;
	struct pcap_time *times; /* per record */
	size_t n_times, cap_times;
};

static uint32_t pcap_u32(const struct pcap_file *f, size_t off)
{
	uint32_t v = get_u32(f->p + off);
	return f->swap ? __builtin_bswap32(v) : v;
}

static void pcap_oom(void)
{
	fprintf(stderr, "prism-decode: out of memory\n");
	exit(DECODE_EXIT_ERROR);
}

static void *pcap_grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 1024;
	void *p = realloc(v, c * size);
	if (!p)
		pcap_oom();
	*cap = c;
	return p;
}

/* Reads the global header. Returns 0, or -1 with *reason. */
static int pcap_header(struct pcap_file *f, const char **reason)
{
	if (f->len < 24) {
		*reason = "pcap: file shorter than its global header";
		return -1;
	}
	uint32_t magic = get_u32(f->p);
	switch (magic) {
	case 0xa1b2c3d4:
		break;
	case 0xa1b23c4d:
		f->nsec = true;
		break;
	case 0xd4c3b2a1:
		f->swap = true;
		break;
	case 0x4d3cb2a1:
		f->swap = f->nsec = true;
		break;
	case 0x0a0d0d0a:
		*reason =
		        "pcapng is not supported; convert with: editcap -F pcap in.pcapng out.pcap";
		return -1;
	default:
		*reason = "pcap: bad magic number";
		return -1;
	}
	f->linktype = pcap_u32(f, 20) & 0x0fffffff; /* the top bits carry FCS info */
	return 0;
}

static void pcap_record_time(struct pcap_file *f, uint32_t sec, uint32_t frac)
{
	f->times = pcap_grow(f->times, &f->cap_times, f->n_times, sizeof(*f->times));
	f->times[f->n_times++] = (struct pcap_time){ .sec = sec, .frac = frac };
}

static void pcap_add_seg(struct pcap_file *f, const struct pcap_seg *seg)
{
	f->segs = pcap_grow(f->segs, &f->cap_segs, f->n_segs, sizeof(*f->segs));
	f->segs[f->n_segs++] = *seg;
}

static void pcap_tcp(struct pcap_file *f, struct flow_key *k, const uint8_t *p, size_t len,
                     uint64_t pkt)
{
	if (len < 20)
		return;
	size_t doff = (size_t)(p[12] >> 4) * 4;
	if (doff < 20 || doff > len)
		return;
	k->sport = get_u16(p);
	k->dport = get_u16(p + 2);
	if (k->sport != f->port && k->dport != f->port)
		return;
	bool syn = p[13] & 0x02;
	if (!syn && len == doff)
		return; /* pure ACKs, FINs and RSTs carry nothing to reassemble */
	struct pcap_seg seg = {
		.key = *k,
		.seq = get_u32(p + 4) + (syn ? 1 : 0),
		.len = (uint32_t)(len - doff),
		.syn = syn,
		.pkt = pkt,
		.data = p + doff,
	};
	pcap_add_seg(f, &seg);
}

static void pcap_ipv4(struct pcap_file *f, const uint8_t *p, size_t len, uint64_t pkt)
{
	if (len < 20 || p[0] >> 4 != 4)
		return;
	size_t ihl = (size_t)(p[0] & 15) * 4;
	size_t total = get_u16(p + 2);
	if (total == 0)
		total = len; /* segmentation offload leaves the length zero */
	/* Fragments are not reassembled, and a record cut by the snap length is useless. */
	if (ihl < 20 || total < ihl || total > len || p[9] != 6 || (get_u16(p + 6) & 0x3fff))
		return;
	struct flow_key k = { .v6 = 0 };
	memcpy(k.src, p + 12, 4);
	memcpy(k.dst, p + 16, 4);
	pcap_tcp(f, &k, p + ihl, total - ihl, pkt);
}

static void pcap_ipv6(struct pcap_file *f, const uint8_t *p, size_t len, uint64_t pkt)
{
	if (len < 40 || p[0] >> 4 != 6)
		return;
	size_t total = 40 + (size_t)get_u16(p + 4);
	if (total == 40 || total > len)
		return; /* jumbograms and snap-length cuts */
	uint8_t next = p[6];
	size_t off = 40;
	for (int i = 0; i < 8 && next != 6; i++) {
		if (next != 0 && next != 43 && next != 60 && next != 51)
			return; /* fragments (44), ESP, or no TCP at all */
		if (total - off < 8)
			return;
		size_t ext =
		        next == 51 ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
		if (ext > total - off)
			return;
		next = p[off];
		off += ext;
	}
	if (next != 6)
		return;
	struct flow_key k = { .v6 = 1 };
	memcpy(k.src, p + 8, 16);
	memcpy(k.dst, p + 24, 16);
	pcap_tcp(f, &k, p + off, total - off, pkt);
}

static void pcap_ip(struct pcap_file *f, const uint8_t *p, size_t len, uint64_t pkt)
{
	if (len < 1)
		return;
	if (p[0] >> 4 == 4)
		pcap_ipv4(f, p, len, pkt);
	else if (p[0] >> 4 == 6)
		pcap_ipv6(f, p, len, pkt);
}

static void pcap_ethertype(struct pcap_file *f, uint16_t type, const uint8_t *p, size_t len,
                           uint64_t pkt)
{
	if (type == 0x0800 || type == 0x86dd)
		pcap_ip(f, p, len, pkt);
}

static void pcap_ethernet(struct pcap_file *f, const uint8_t *p, size_t len, uint64_t pkt)
{
	if (len < 14)
		return;
	size_t off = 12;
	uint16_t type = get_u16(p + off);
	/* 802.1Q and QinQ tags, a few deep at most */
	for (int i = 0; i < 4 && (type == 0x8100 || type == 0x88a8 || type == 0x9100); i++) {
		off += 4;
		if (len < off + 2)
			return;
		type = get_u16(p + off);
	}
	off += 2;
	pcap_ethertype(f, type, p + off, len - off, pkt);
}

static void pcap_link(struct pcap_file *f, const uint8_t *p, size_t len, uint64_t pkt)
{
	switch (f->linktype) {
	case 0:   /* BSD loopback: a 4-byte family in the writer's byte order */
	case 108: /* OpenBSD loopback */
		if (len >= 4)
			pcap_ip(f, p + 4, len - 4, pkt);
		break;
	case 1:
		pcap_ethernet(f, p, len, pkt);
		break;
	case 12:
	case 101:
	case 228:
	case 229:
		pcap_ip(f, p, len, pkt);
		break;
	case 113: /* Linux cooked capture */
		if (len >= 16)
			pcap_ethertype(f, get_u16(p + 14), p + 16, len - 16, pkt);
		break;
	case 276: /* Linux cooked capture v2 */
		if (len >= 20)
			pcap_ethertype(f, get_u16(p), p + 20, len - 20, pkt);
		break;
	default:
		break;
	}
}

static bool pcap_link_known(uint32_t linktype)
{
	switch (linktype) {
	case 0:
	case 1:
	case 12:
	case 101:
	case 108:
	case 113:
	case 228:
	case 229:
	case 276:
		return true;
	default:
		return false;
	}
}

/* Walks every record. Returns 0, or -1 with *reason and *at for a corrupt file. */
static int pcap_records(struct pcap_file *f, const char **reason, size_t *at)
{
	size_t off = 24;
	for (uint64_t pkt = 0; off < f->len; pkt++) {
		*at = off;
		if (f->len - off < 16) {
			*reason = "pcap: truncated record header";
			return -1;
		}
		uint32_t incl = pcap_u32(f, off + 8);
		if (incl > PCAP_MAX_RECORD) {
			*reason = "pcap: record length over 262144 bytes (corrupt file?)";
			return -1;
		}
		if (f->len - off - 16 < incl) {
			*reason = "pcap: truncated record";
			return -1;
		}
		pcap_record_time(f, pcap_u32(f, off), pcap_u32(f, off + 4));
		pcap_link(f, f->p + off + 16, incl, pkt);
		off += 16 + (size_t)incl;
	}
	return 0;
}

/* ---- TCP flows: grouping, pairing and reassembly ---- */

struct flow {
	struct flow_key key;
	uint32_t gen;
	size_t first, n; /* its segments in pcap_file.segs */
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8];
	uint8_t *data;
	size_t len;
	struct decode_chunk *chunks;
	size_t n_chunks;
	struct decode_peer first_open;
};

static int flow_key_cmp(const struct flow_key *a, const struct flow_key *b)
{
	if (a->v6 != b->v6)
		return a->v6 < b->v6 ? -1 : 1;
	int c = memcmp(a->src, b->src, 16);
	if (!c)
		c = memcmp(a->dst, b->dst, 16);
	if (!c && a->sport != b->sport)
		c = a->sport < b->sport ? -1 : 1;
	if (!c && a->dport != b->dport)
		c = a->dport < b->dport ? -1 : 1;
	return c;
}

static int flow_seg_by_key(const void *a, const void *b)
{
	const struct pcap_seg *x = a, *y = b;
	int c = flow_key_cmp(&x->key, &y->key);
	if (c)
		return c;
	return x->pkt < y->pkt ? -1 : x->pkt > y->pkt;
}

static int flow_seg_by_rel(const void *a, const void *b)
{
	const struct pcap_seg *x = a, *y = b;
	if (x->rel != y->rel)
		return x->rel < y->rel ? -1 : 1;
	return x->pkt < y->pkt ? -1 : x->pkt > y->pkt;
}

static void flow_format(char *out, size_t size, const uint8_t *addr, uint16_t port, bool v6)
{
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(out, size, v6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* A new SYN with another sequence number on the same 4-tuple is a new connection. Segments
 * of one key are in capture order here, so each generation is a contiguous run. */
static void flow_assign_gens(struct pcap_seg *s, size_t n)
{
	uint32_t gen = 0, isn = 0;
	bool have_isn = false, have_data = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i].syn) {
			if ((have_isn && s[i].seq != isn) || (!have_isn && have_data)) {
				gen++;
				have_data = false;
			}
			isn = s[i].seq;
			have_isn = true;
		}
		if (s[i].len)
			have_data = true;
		s[i].gen = gen;
	}
}

/* Stream offsets, relative to the byte after the SYN when one was seen, else to the earliest
 * sequence number in the capture (serial arithmetic copes with wrap-around). */
static void flow_relative_seqs(struct pcap_seg *s, size_t n)
{
	uint32_t base = s[0].seq;
	bool syn = false;
	for (size_t i = 0; i < n; i++)
		if (s[i].syn) {
			base = s[i].seq;
			syn = true;
		}
	if (!syn) {
		int32_t min = 0;
		for (size_t i = 0; i < n; i++) {
			int32_t d = (int32_t)(s[i].seq - s[0].seq);
			if (d < min)
				min = d;
		}
		base = s[0].seq + (uint32_t)min;
	}
	for (size_t i = 0; i < n; i++)
		s[i].rel = (int32_t)(s[i].seq - base);
}

static json_t *flow_error(const struct flow *fl, const char *reason, size_t off)
{
	json_t *obj = json_object();
	json_set_str(obj, "src", fl->src);
	json_set_str(obj, "dst", fl->dst);
	json_t *e = json_object();
	json_set_str(e, "reason", reason);
	json_set_int(e, "offset", (json_int_t)off);
	json_object_set_new(obj, "error", e);
	return obj;
}

static void flow_add_chunk(struct flow *fl, size_t *cap, uint64_t off, uint64_t pkt)
{
	fl->chunks = pcap_grow(fl->chunks, cap, fl->n_chunks, sizeof(*fl->chunks));
	fl->chunks[fl->n_chunks++] = (struct decode_chunk){ .off = off, .pkt = pkt };
}

/* Lays the segments out by sequence number, keeping the first copy of every byte. Stops at a
 * hole (a lost segment: nothing after it can be framed) or at the size cap. */
static void flow_assemble(struct flow *fl, struct pcap_seg *s, struct decode_out *o)
{
	size_t total = 0, chunk_cap = 0;
	for (size_t i = 0; i < fl->n; i++)
		total += s[i].len;
	if (total > DECODE_STREAM_CAP)
		total = DECODE_STREAM_CAP;
	fl->data = malloc(total ? total : 1);
	if (!fl->data)
		pcap_oom();
	uint64_t next = 0;
	for (size_t i = 0; i < fl->n; i++) {
		int64_t end = s[i].rel + (int64_t)s[i].len;
		if (end <= (int64_t)next)
			continue; /* retransmitted bytes we already have */
		if (s[i].rel > (int64_t)next) {
			json_t *e = flow_error(fl, "tcp: gap in the capture (lost segment)", next);
			json_set_int(json_object_get(e, "error"), "missing",
			             (json_int_t)(s[i].rel - (int64_t)next));
			decode_emit(o, e, s[i].pkt);
			decode_status(o, DECODE_EXIT_ERROR);
			break;
		}
		uint64_t skip = next - (uint64_t)s[i].rel, add = (uint64_t)end - next;
		if (next + add > DECODE_STREAM_CAP) {
			decode_emit(o,
			            flow_error(fl, "tcp: stream exceeds the 64 MiB reassembly cap",
			                       next),
			            s[i].pkt);
			decode_status(o, DECODE_EXIT_ERROR);
			break;
		}
		flow_add_chunk(fl, &chunk_cap, next, s[i].pkt);
		memcpy(fl->data + next, s[i].data + skip, add);
		next += add;
	}
	fl->len = next;
}

static size_t flow_build(struct pcap_file *f, struct flow **out)
{
	struct pcap_seg *s = f->segs;
	size_t n_flows = 0, cap = 0;
	struct flow *flows = NULL;
	if (f->n_segs)
		qsort(s, f->n_segs, sizeof(*s), flow_seg_by_key);
	for (size_t i = 0, j; i < f->n_segs; i = j) {
		for (j = i + 1; j < f->n_segs && flow_key_cmp(&s[i].key, &s[j].key) == 0; j++)
			;
		flow_assign_gens(s + i, j - i);
		for (size_t a = i, b; a < j; a = b) {
			for (b = a + 1; b < j && s[b].gen == s[a].gen; b++)
				;
			flows = pcap_grow(flows, &cap, n_flows, sizeof(*flows));
			struct flow *fl = &flows[n_flows++];
			memset(fl, 0, sizeof(*fl));
			fl->key = s[a].key;
			fl->gen = s[a].gen;
			fl->first = a;
			fl->n = b - a;
			flow_format(fl->src, sizeof(fl->src), fl->key.src, fl->key.sport,
			            fl->key.v6);
			flow_format(fl->dst, sizeof(fl->dst), fl->key.dst, fl->key.dport,
			            fl->key.v6);
			flow_relative_seqs(s + a, b - a);
			qsort(s + a, b - a, sizeof(*s), flow_seg_by_rel);
		}
	}
	*out = flows;
	return n_flows;
}

/* The opposite direction of the same connection: flows are sorted by key, then generation. */
static const struct flow *flow_reverse(const struct flow *flows, size_t n, const struct flow *fl)
{
	struct flow_key k = { .v6 = fl->key.v6, .sport = fl->key.dport, .dport = fl->key.sport };
	memcpy(k.src, fl->key.dst, 16);
	memcpy(k.dst, fl->key.src, 16);
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = flow_key_cmp(&flows[mid].key, &k);
		if (c == 0 && flows[mid].gen != fl->gen)
			c = flows[mid].gen < fl->gen ? -1 : 1;
		if (c == 0)
			return &flows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct decode_env {
	struct decode_opts *opts;
	struct decode_out *out;
	struct msg_scratch *scratch;
	struct msg_open *open;
};

static void flow_decode(struct decode_env *env, struct flow *fl, const struct flow *rev,
                        const struct pcap_file *f)
{
	struct decode_stream s = {
		.data = fl->data,
		.len = fl->len,
		.src = fl->src,
		.dst = fl->dst,
		.times = f->times,
		.nsec = f->nsec,
		.chunks = fl->chunks,
		.n_chunks = fl->n_chunks,
		.peer = rev && rev->first_open.seen ? &rev->first_open : NULL,
		.auto_caps = env->opts->auto_caps,
		.ctx = env->opts->ctx,
		.open = env->open,
		.scratch = env->scratch,
		.out = env->out,
	};
	/* eBGP changes how some attributes are judged (RFC 7606 LOCAL_PREF handling). */
	if (env->opts->auto_caps && s.peer && fl->first_open.seen)
		s.ctx.ebgp = fl->first_open.asn != s.peer->asn;
	decode_stream_run(&s);
}

static void flow_decode_all(struct decode_env *env, struct pcap_file *f)
{
	struct flow *flows = NULL;
	size_t n = flow_build(f, &flows);
	for (size_t i = 0; i < n; i++) {
		flow_assemble(&flows[i], f->segs + flows[i].first, env->out);
		decode_find_open(flows[i].data, flows[i].len, env->open, &flows[i].first_open);
	}
	for (size_t i = 0; i < n; i++)
		flow_decode(env, &flows[i], flow_reverse(flows, n, &flows[i]), f);
	for (size_t i = 0; i < n; i++) {
		free(flows[i].data);
		free(flows[i].chunks);
	}
	free(flows);
}

static void pcap_decode(struct decode_env *env, const uint8_t *buf, size_t len)
{
	struct pcap_file f = { .p = buf, .len = len, .port = env->opts->port };
	const char *reason = NULL;
	size_t at = 0;
	env->out->collect = true;
	if (pcap_header(&f, &reason) < 0) {
		input_error(env->out, reason, 0);
	} else if (!pcap_link_known(f.linktype)) {
		input_error(env->out, "pcap: unsupported link type", 20);
	} else {
		/* A corrupt tail still leaves the records before it worth decoding. */
		if (pcap_records(&f, &reason, &at) < 0)
			input_error(env->out, reason, at);
		flow_decode_all(env, &f);
	}
	decode_flush(env->out);
	free(f.times);
	free(f.segs);
}

/* ---- command line ---- */

static void usage(FILE *to)
{
	fputs("usage: prism-decode [options] [FILE|-]\n"
	      "Prints each BGP message of a raw wire stream as one JSON object per line.\n"
	      "\n"
	      "input:\n"
	      "  --hex            input is hex text ('#' comments, whitespace, 0x prefixes ignored)\n"
	      "  --pcap           input is a classic pcap file; TCP port 179 is reassembled\n"
	      "  --port N         in pcap mode, BGP runs on TCP port N instead of 179\n"
	      "decode context (before an OPEN is seen, or always with --no-auto):\n"
	      "  --as2            AS_PATH carries 2-octet ASNs (default: 4-octet)\n"
	      "  --addpath LIST   NLRI carries ADD-PATH ids for LIST (ipv4,ipv6)\n"
	      "  --ext-msg        allow messages up to 65535 bytes (RFC 8654)\n"
	      "  --ebgp           the sender is an eBGP peer\n"
	      "  --auto           follow the OPENs in the stream (default)\n"
	      "  --no-auto        never change the context from OPENs\n"
	      "output:\n"
	      "  --pretty         indented JSON\n"
	      "  -h, --help       this text\n"
	      "\n"
	      "exit status: 0 every message decoded without error; 1 some message (or the\n"
	      "capture) had an error, RFC 7606 discard and withdraw included; 2 a stream ends\n"
	      "inside a message (wins over 1); 64 bad usage; 66 the input cannot be read.\n",
	      to);
}

static int opts_addpath(struct decode_opts *o, const char *list)
{
	char buf[64];
	if (strlen(list) >= sizeof(buf))
		return -1;
	memcpy(buf, list, strlen(list) + 1);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ipv4") == 0)
			o->ctx.addpath[AF_IDX_IPV4] = true;
		else if (strcmp(t, "ipv6") == 0)
			o->ctx.addpath[AF_IDX_IPV6] = true;
		else
			return -1;
	}
	return 0;
}

static int opts_port(struct decode_opts *o, const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 65535)
		return -1;
	o->port = (uint16_t)v;
	return 0;
}

enum {
	OPT_HEX = 256,
	OPT_PCAP,
	OPT_PORT,
	OPT_AS2,
	OPT_ADDPATH,
	OPT_EXT_MSG,
	OPT_EBGP,
	OPT_AUTO,
	OPT_NO_AUTO,
	OPT_PRETTY,
};

static int opts_apply(struct decode_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_HEX:
		o->input = INPUT_HEX;
		return 0;
	case OPT_PCAP:
		o->input = INPUT_PCAP;
		return 0;
	case OPT_PORT:
		return opts_port(o, arg);
	case OPT_AS2:
		o->ctx.as4 = false;
		return 0;
	case OPT_ADDPATH:
		return opts_addpath(o, arg);
	case OPT_EXT_MSG:
		o->ctx.ext_msg = true;
		return 0;
	case OPT_EBGP:
		o->ctx.ebgp = true;
		return 0;
	case OPT_AUTO:
		o->auto_caps = true;
		return 0;
	case OPT_NO_AUTO:
		o->auto_caps = false;
		return 0;
	case OPT_PRETTY:
		o->pretty = true;
		return 0;
	default:
		return -1;
	}
}

/* Returns 0, 1 after --help, or -1 on bad usage. */
static int opts_parse(struct decode_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hex", no_argument, NULL, OPT_HEX },
		{ "pcap", no_argument, NULL, OPT_PCAP },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "as2", no_argument, NULL, OPT_AS2 },
		{ "addpath", required_argument, NULL, OPT_ADDPATH },
		{ "ext-msg", no_argument, NULL, OPT_EXT_MSG },
		{ "ebgp", no_argument, NULL, OPT_EBGP },
		{ "auto", no_argument, NULL, OPT_AUTO },
		{ "no-auto", no_argument, NULL, OPT_NO_AUTO },
		{ "pretty", no_argument, NULL, OPT_PRETTY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool hex = false, pcap = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?' || opts_apply(o, c, optarg) < 0)
			return -1;
		hex |= c == OPT_HEX;
		pcap |= c == OPT_PCAP;
	}
	if (hex && pcap)
		return -1;
	if (argc - optind > 1)
		return -1;
	o->path = optind < argc ? argv[optind] : NULL;
	return 0;
}

/* ---- main ---- */

static void decode_raw(struct decode_env *env, const uint8_t *buf, size_t len)
{
	struct decode_stream s = {
		.data = buf,
		.len = len,
		.auto_caps = env->opts->auto_caps,
		.ctx = env->opts->ctx,
		.open = env->open,
		.scratch = env->scratch,
		.out = env->out,
	};
	decode_stream_run(&s);
}

static void decode_hex(struct decode_env *env, uint8_t *buf, size_t len)
{
	size_t bad = 0;
	long n = hex_decode(buf, len, &bad);
	if (n < 0) {
		input_error(env->out,
		            bad == len ? "hex: odd number of hex digits" : "hex: invalid character",
		            bad);
		return;
	}
	decode_raw(env, buf, (size_t)n);
}

int main(int argc, char **argv)
{
	struct decode_opts opts = { .port = 179, .auto_caps = true, .ctx = { .as4 = true } };
	int rc = opts_parse(&opts, argc, argv);
	if (rc != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? DECODE_EXIT_OK : DECODE_EXIT_USAGE;
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	if (input_read(opts.path, &buf, &len) < 0) {
		fprintf(stderr, "prism-decode: %s: %s\n", opts.path ? opts.path : "-",
		        strerror(errno));
		return DECODE_EXIT_NOINPUT;
	}
	struct decode_out out = { .pretty = opts.pretty };
	struct decode_env env = {
		.opts = &opts,
		.out = &out,
		.scratch = msg_scratch_new(),
		.open = calloc(1, sizeof(struct msg_open)),
	};
	if (!env.scratch || !env.open)
		pcap_oom();
	if (opts.input == INPUT_PCAP)
		pcap_decode(&env, buf, len);
	else if (opts.input == INPUT_HEX)
		decode_hex(&env, buf, len);
	else
		decode_raw(&env, buf, len);
	msg_scratch_free(env.scratch);
	free(env.open);
	free(buf);
	if (fflush(stdout) != 0)
		return DECODE_EXIT_ERROR;
	return out.status;
}
