/* Neighbors and sessions: the RFC 4271 finite state machine.
 *
 *   Idle -> Connect (active peers dial) -> OpenSent -> OpenConfirm -> Established
 *   Idle <- any error, with a NOTIFICATION where one is due
 *
 * Passive neighbors and every dynamic neighbor of a range only accept; an accepted
 * connection starts in OpenSent. While two connections to one neighbor exist, the first
 * OPEN received decides which survives (6.8). A neighbor of a range lives as long as it has
 * a session. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/peer.h"
#include "core/updgrp.h"

enum {
	SESS_OPEN_HOLD = 240,    /* 8.2.2: a large hold time until the OPEN arrives */
	SESS_READS_PER_WAKE = 4, /* then the loop serves the other sessions */
	SESS_BACKOFF_MAX = 120,
	GR_OUR_RESTART_TIME = 120, /* what we advertise; we keep no forwarding state */
	GR_STALE_TIME = 360,       /* once a restarted peer is back, how long it has for EoR */
};

static void sess_read_cb(struct ev_loop *loop, ev_io *io, int revents);
static void sess_write_cb(struct ev_loop *loop, ev_io *io, int revents);
static void sess_hold_cb(struct ev_loop *loop, ev_timer *t, int revents);
static void sess_keepalive_cb(struct ev_loop *loop, ev_timer *t, int revents);
static void sess_down(struct sess *s, const char *why);
static void sess_opened(struct sess *s);
static void nbr_gr_timer_cb(struct ev_loop *loop, ev_timer *t, int revents);

const char *sess_state_name(enum sess_state s)
{
	static const char *const names[] = { "Idle",     "Connect",     "Active",
		                             "OpenSent", "OpenConfirm", "Established" };
	return s <= SESS_ESTABLISHED ? names[s] : "?";
}

void nbr_format_addr(const struct sockaddr_storage *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(a));
	else if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a));
	snprintf(buf, size, "%s", a);
}

/* IPv4-mapped IPv6 sources are plain IPv4 for matching and naming. */
static void nbr_unmap(struct sockaddr_storage *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	if (sa->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = s6->sin6_port };
	memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
	memset(sa, 0, sizeof(*sa));
	memcpy(sa, &s4, sizeof(s4));
}

static size_t nbr_addr_bytes(const struct sockaddr_storage *sa, const uint8_t **p)
{
	if (sa->ss_family == AF_INET6) {
		*p = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		return 16;
	}
	*p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	return 4;
}

static bool nbr_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const uint8_t *x, *y;
	size_t n = nbr_addr_bytes(a, &x);
	return a->ss_family == b->ss_family && nbr_addr_bytes(b, &y) == n && memcmp(x, y, n) == 0;
}

unsigned nbr_owner_of(const struct daemon *d, const struct sockaddr_storage *sa, int peer_index)
{
	if (peer_index >= 0)
		return (unsigned)peer_index % d->n_workers;
	const uint8_t *p;
	size_t n = nbr_addr_bytes(sa, &p);
	return (unsigned)(XXH3_64bits(p, n) % d->n_workers);
}

/* ---- dynamic neighbors by address, per worker ---- */

struct nbr_map {
	struct nbr **slot;
	uint32_t n, cap; /* cap is a power of two */
};

static uint32_t nbr_map_hash(const struct sockaddr_storage *sa)
{
	const uint8_t *p;
	size_t n = nbr_addr_bytes(sa, &p);
	return (uint32_t)XXH3_64bits(p, n);
}

static struct nbr *nbr_map_find(struct nbr_map *m, const struct sockaddr_storage *sa)
{
	if (!m || !m->cap)
		return NULL;
	for (uint32_t h = nbr_map_hash(sa) & (m->cap - 1);; h = (h + 1) & (m->cap - 1)) {
		struct nbr *n = m->slot[h];
		if (!n)
			return NULL;
		if (n != (struct nbr *)1 && nbr_same_addr(&n->addr, sa))
			return n;
	}
}

static void nbr_map_insert_raw(struct nbr_map *m, struct nbr *n)
{
	uint32_t h = nbr_map_hash(&n->addr) & (m->cap - 1);
	while (m->slot[h] && m->slot[h] != (struct nbr *)1)
		h = (h + 1) & (m->cap - 1);
	m->slot[h] = n;
	m->n++;
}

static void nbr_map_insert(struct worker *w, struct nbr *n)
{
	struct nbr_map *m = w->dyn;
	if (!m) {
		m = w->dyn = calloc(1, sizeof(*m));
		if (!m)
			log_die("no memory for the neighbor map");
	}
	if ((m->n + 1) * 2 > m->cap) {
		struct nbr_map old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->n = 0;
		m->slot = calloc(m->cap, sizeof(struct nbr *));
		if (!m->slot)
			log_die("no memory for the neighbor map");
		for (uint32_t i = 0; i < old.cap; i++)
			if (old.slot[i] && old.slot[i] != (struct nbr *)1)
				nbr_map_insert_raw(m, old.slot[i]);
		free(old.slot);
	}
	nbr_map_insert_raw(m, n);
}

/* Deleted slots hold a tombstone, so that probing goes on past them. */
static void nbr_map_remove(struct nbr_map *m, struct nbr *n)
{
	if (!m || !m->cap)
		return;
	for (uint32_t h = nbr_map_hash(&n->addr) & (m->cap - 1); m->slot[h];
	     h = (h + 1) & (m->cap - 1)) {
		if (m->slot[h] == n) {
			m->slot[h] = (struct nbr *)1;
			m->n--;
			return;
		}
	}
}

/* ---- neighbors ---- */

static void nbr_retry_cb(struct ev_loop *loop, ev_timer *t, int revents);

static struct nbr *nbr_new(struct worker *w, const struct cfg_neighbor *cn, int peer_index,
                           int range_index, const struct sockaddr_storage *addr)
{
	struct nbr *n = calloc(1, sizeof(*n));
	char a[INET6_ADDRSTRLEN];
	if (!n)
		log_die("no memory for a neighbor");
	n->w = w;
	n->cn = cn;
	n->peer_index = peer_index;
	n->range_index = range_index;
	n->addr = *addr;
	nbr_unmap(&n->addr);
	n->addr_len = n->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                            : sizeof(struct sockaddr_in);
	n->ebgp = cn->asn != w->d->asn;
	nbr_format_addr(&n->addr, a, sizeof(a));
	if (peer_index >= 0)
		snprintf(n->name, sizeof(n->name), "%s (%s)", cn->name, a);
	else
		snprintf(n->name, sizeof(n->name), "%s/%s", cn->name, a);
	ev_init(&n->retry, nbr_retry_cb);
	n->retry.data = n;
	ev_init(&n->gr_timer, nbr_gr_timer_cb);
	n->gr_timer.data = n;
	n->next = w->nbrs;
	w->nbrs = n;
	return n;
}

static void nbr_set_state(struct nbr *n, enum sess_state st)
{
	__atomic_store_n(&n->state, st, __ATOMIC_RELAXED);
	__atomic_store_n(&n->t_state_ns, d_now_ns(), __ATOMIC_RELAXED);
}

static void nbr_unlink(struct nbr *n)
{
	struct worker *w = n->w;
	for (struct nbr **pp = &w->nbrs; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			return;
		}
	}
}

/* A dynamic neighbor without sessions is gone; its range has room for another. */
static void nbr_release_dynamic(struct nbr *n)
{
	struct daemon *d = n->w->d;
	nbr_map_remove(n->w->dyn, n);
	nbr_unlink(n);
	__atomic_sub_fetch(&d->range_peers[n->range_index], 1, __ATOMIC_RELAXED);
	free(n);
}

/* A number in [0, 1), from the worker's own generator (xorshift64; seeded per worker). */
static double nbr_jitter(struct nbr *n)
{
	uint64_t x = n->w->jitter_state;
	if (!x) {
		uintptr_t seed = (uintptr_t)n;
		x = XXH3_64bits(&seed, sizeof(seed)) | 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	n->w->jitter_state = x;
	return (double)(x >> 11) / 9007199254740992.0;
}

static void nbr_schedule_connect(struct nbr *n, double secs)
{
	ev_timer_stop(n->w->loop, &n->retry);
	ev_timer_set(&n->retry, secs, 0);
	ev_timer_start(n->w->loop, &n->retry);
}

/* ---- sessions: creation, control messages, teardown ---- */

static struct sess *sess_new(struct nbr *n, int fd, bool outgoing)
{
	struct sess *s = calloc(1, sizeof(*s));
	if (!s)
		log_die("no memory for a session");
	s->n = n;
	s->w = n->w;
	s->fd = fd;
	s->outgoing = outgoing;
	s->state = SESS_IDLE;
	ev_io_init(&s->rio, sess_read_cb, fd, EV_READ);
	ev_io_init(&s->wio, sess_write_cb, fd, EV_WRITE);
	ev_init(&s->hold, sess_hold_cb);
	ev_init(&s->keepalive, sess_keepalive_cb);
	s->rio.data = s->wio.data = s;
	s->hold.data = s->keepalive.data = s;
	__atomic_add_fetch(&s->w->st.sessions, 1, __ATOMIC_RELAXED);
	return s;
}

static void sess_ctl_append(struct sess_ctl *c, const uint8_t *msg, size_t len)
{
	if (c->cap - c->len < len) {
		size_t cap = c->cap ? c->cap : 256;
		while (cap - c->len < len)
			cap *= 2;
		uint8_t *b = realloc(c->buf, cap);
		if (!b)
			log_die("no memory for %zu control octets", cap);
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, msg, len);
	c->len += len;
}

static int sess_flush(struct sess *s);

void sess_want_write(struct sess *s)
{
	if (s->fd < 0 || s->closing)
		return;
	if (ev_is_active(&s->wio))
		return; /* the watcher will come back */
	int r = sess_flush(s);
	if (r < 0) {
		s->lost = true;
		sess_down(s, strerror(errno));
		return;
	}
	if (r == 0)
		ev_io_start(s->w->loop, &s->wio);
}

void sess_queue_ctl(struct sess *s, const uint8_t *msg, size_t len)
{
	sess_ctl_append(&s->ctl, msg, len);
	s->msgs_out++;
}

void sess_send_ctl(struct sess *s, const uint8_t *msg, size_t len)
{
	sess_queue_ctl(s, msg, len);
	sess_want_write(s);
}

/* Returns 1 when everything is out, 0 when the socket is full, -1 on an error. */
static int sess_flush(struct sess *s)
{
	if (s->state == SESS_ESTABLISHED && s->member)
		return updgrp_member_write(s);
	struct sess_ctl *c = &s->ctl;
	while (c->off < c->len) {
		ssize_t w = write(s->fd, c->buf + c->off, c->len - c->off);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off += (size_t)w;
		__atomic_add_fetch(&s->w->st.bytes_out, (uint64_t)w, __ATOMIC_RELAXED);
	}
	c->len = c->off = 0;
	return 1;
}

static void sess_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)revents;
	struct sess *s = io->data;
	if (s->state == SESS_CONNECT) {
		ev_io_stop(loop, io);
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			errno = err;
			sess_down(s, strerror(err));
			return;
		}
		sess_opened(s);
		return;
	}
	int r = sess_flush(s);
	if (r < 0) {
		s->lost = true;
		sess_down(s, strerror(errno));
		return;
	}
	if (r == 1)
		ev_io_stop(loop, io);
}

static void sess_stop_io(struct sess *s)
{
	struct ev_loop *loop = s->w->loop;
	ev_io_stop(loop, &s->rio);
	ev_io_stop(loop, &s->wio);
	ev_timer_stop(loop, &s->hold);
	ev_timer_stop(loop, &s->keepalive);
}

/* A NOTIFICATION goes straight to the socket, best effort, and only between messages. */
static void sess_send_notification(struct sess *s, uint8_t code, uint8_t subcode,
                                   const uint8_t *data, size_t len)
{
	uint8_t msg[BGP_MAX_LEN];
	size_t n = msg_notification_encode(code, subcode, data, len, msg, sizeof(msg));
	if (!n || s->fd < 0 || !updgrp_member_at_boundary(s) || s->ctl.off)
		return;
	if (send(s->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		__atomic_add_fetch(&s->n->st.notifications_out, 1, __ATOMIC_RELAXED);
}

/* Freed once the loop is done with the current event: callbacks up the stack may still look
 * at s->closing. */
static void sess_free_later(struct sess *s)
{
	free(s->carry);
	s->carry = NULL;
	free(s->ctl.buf);
	s->ctl.buf = NULL;
	s->n = NULL;
	s->next_dead = s->w->dead;
	s->w->dead = s;
}

void sess_reap(struct worker *w)
{
	while (w->dead) {
		struct sess *s = w->dead;
		w->dead = s->next_dead;
		free(s);
	}
}

/* ---- graceful restart, receiving speaker (RFC 4724 4.2) ---- */

static uint8_t af_afi(int af) { return af == AF_IDX_IPV6 ? AFI_IPV6 : AFI_IPV4; }

static void nbr_gr_arm(struct nbr *n, unsigned secs)
{
	ev_timer_stop(n->w->loop, &n->gr_timer);
	ev_timer_set(&n->gr_timer, secs, 0);
	ev_timer_start(n->w->loop, &n->gr_timer);
	n->gr_until_ns = d_now_ns() + (uint64_t)secs * 1000000000u;
}

static void nbr_gr_clear(struct nbr *n)
{
	ev_timer_stop(n->w->loop, &n->gr_timer);
	n->gr_src = NULL;
	n->gr_afs = 0;
	n->gr_until_ns = 0;
}

/* The stale paths of families afs go now. */
static void nbr_gr_purge(struct nbr *n, uint8_t afs)
{
	for (int af = 0; af < AF_IDX_N; af++)
		if (afs & (1u << af))
			ingress_refresh_marker(n->w, n->gr_src, af_afi(af), true);
	n->gr_afs &= (uint8_t)~afs;
	if (!n->gr_afs)
		nbr_gr_clear(n);
}

/* Session s is going. When it was lost, with no NOTIFICATION, from a peer that keeps its
 * forwarding state for some families across a restart, its paths in those families stay,
 * marked stale, for the restart time it gave; the rest go. True when the source is kept. */
static bool nbr_gr_retain(struct sess *s)
{
	struct nbr *n = s->n;
	const struct sess_params *p = &s->sp;
	uint8_t keep = p->peer_gr_afs;
	if (!s->lost || !s->offer.graceful_restart || !keep || !p->peer_restart_time ||
	    __atomic_load_n(&s->w->stopping, __ATOMIC_ACQUIRE))
		return false;
	n->gr_src = s->src;
	for (int af = 0; af < AF_IDX_N; af++) {
		if (!p->af[af])
			continue;
		ingress_refresh_marker(s->w, s->src, af_afi(af), false);
		if (!(keep & (1u << af)))
			ingress_refresh_marker(s->w, s->src, af_afi(af), true);
	}
	n->gr_afs = keep;
	nbr_gr_arm(n, p->peer_restart_time);
	log_info("%s: graceful restart: its routes stay, stale, for up to %us", n->name,
	         p->peer_restart_time);
	return true;
}

/* Session s is Established: the source it takes on, if a restart left one (4.2: families
 * the new OPEN does not list, or lists without the F bit, lose their stale paths now). */
static struct rib_source *nbr_gr_resume(struct sess *s)
{
	struct nbr *n = s->n;
	struct rib_source *src = n->gr_src;
	if (!src)
		return NULL;
	if (src->router_id != s->sp.peer_id || src->asn != s->sp.peer_as) {
		/* another speaker: the old paths go, the new session starts afresh */
		ingress_drop_source(s->w, src);
		nbr_gr_clear(n);
		return NULL;
	}
	uint8_t keep = s->offer.graceful_restart ? (uint8_t)(n->gr_afs & s->sp.peer_gr_fwd) : 0;
	nbr_gr_purge(n, (uint8_t)(n->gr_afs & ~keep));
	if (n->gr_afs) {
		nbr_gr_arm(n, GR_STALE_TIME);
		log_info("%s: graceful restart: back; stale routes wait for End-of-RIB", n->name);
	}
	return src;
}

/* An End-of-RIB from the peer: the paths of that family it did not send again go. */
static void nbr_gr_eor(struct sess *s, const struct msg_update *u)
{
	struct nbr *n = s->n;
	if (n->gr_src != s->src || (u->mp_unreach.present && u->mp_unreach.safi != SAFI_UNICAST))
		return;
	uint16_t afi = u->mp_unreach.present ? u->mp_unreach.afi : AFI_IPV4;
	int af = afi == AFI_IPV4 ? AF_IDX_IPV4 : afi == AFI_IPV6 ? AF_IDX_IPV6 : -1;
	if (af >= 0 && (n->gr_afs & (1u << af)))
		nbr_gr_purge(n, (uint8_t)(1u << af));
}

static void sess_leave_rib(struct sess *s)
{
	struct worker *w = s->w;
	updgrp_leave(s);
	if (s->last_in) {
		attr_unref(w->d->attrs, s->last_in);
		attr_unref(w->d->attrs, s->last_out);
		s->last_in = s->last_out = NULL;
	}
	/* The source's paths go, batched per shard; the shards free the source. */
	if (!nbr_gr_retain(s)) {
		if (s->n->gr_src == s->src)
			nbr_gr_clear(s->n);
		ingress_drop_source(w, s->src);
	}
	s->src = NULL;
	__atomic_sub_fetch(&w->st.established, 1, __ATOMIC_RELAXED);
}

/* What the neighbor does next once session s is gone. */
static void nbr_after_session(struct nbr *n, struct sess *s)
{
	if (n->other == s)
		n->other = NULL;
	if (n->sess == s) {
		n->sess = n->other;
		n->other = NULL;
	}
	nbr_set_state(n, n->sess ? n->sess->state : SESS_IDLE);
	if (n->sess || n->w->stopping)
		return;
	if (n->range_index >= 0) {
		if (!n->gr_src) /* else it goes when the restart time is up */
			nbr_release_dynamic(n);
		return;
	}
	if (!n->passive) {
		/* Exponential backoff after failures, from connect-retry up to two minutes. */
		double base = n->w->d->cfg->connect_retry, wait = base;
		for (unsigned i = 1; i < n->failures && wait < SESS_BACKOFF_MAX; i++)
			wait *= 2;
		if (wait > SESS_BACKOFF_MAX)
			wait = SESS_BACKOFF_MAX;
		/* RFC 4271 10: jitter, 0.75 to 1 times the wait, so that two speakers that lost a
		 * session together do not dial each other at the same moment again */
		nbr_schedule_connect(n, wait * (0.75 + 0.25 * nbr_jitter(n)));
	}
}

static void sess_close(struct sess *s)
{
	struct nbr *n = s->n;
	bool was_up = s->state == SESS_ESTABLISHED;
	s->closing = true;
	sess_stop_io(s);
	if (was_up) {
		sess_leave_rib(s);
		__atomic_add_fetch(&n->st.dropped, 1, __ATOMIC_RELAXED);
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	nbr_after_session(n, s);
	sess_free_later(s);
}

static void sess_down(struct sess *s, const char *why)
{
	struct nbr *n = s->n;
	snprintf(n->last_error, sizeof(n->last_error), "%s", why);
	if (s->state == SESS_ESTABLISHED)
		log_warn("%s: session down: %s", n->name, why);
	else
		log_info("%s: %s in %s", n->name, why, sess_state_name(s->state));
	n->failures++;
	sess_close(s);
}

void sess_fail(struct sess *s, uint8_t code, uint8_t subcode, const char *why)
{
	if (code)
		sess_send_notification(s, code, subcode, NULL, 0);
	sess_down(s, why);
}

static void sess_fail_err(struct sess *s, const struct msg_err *e)
{
	sess_send_notification(s, e->code, e->subcode, e->data, e->data_len);
	char why[200];
	snprintf(why, sizeof(why), "sent NOTIFICATION %u/%u (%s): %s", e->code, e->subcode,
	         bgp_err_subcode_name(e->code, e->subcode)
	                 ? bgp_err_subcode_name(e->code, e->subcode)
	                 : bgp_err_code_name(e->code),
	         e->reason ? e->reason : "");
	sess_down(s, why);
}

/* ---- timers ---- */

static void sess_hold_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	sess_fail(t->data, ERR_HOLD_TIMER, 0, "hold timer expired");
}

static void sess_keepalive_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct sess *s = t->data;
	uint8_t ka[BGP_HDR_LEN];
	/* UPDATEs reset the peer's hold timer too: a KEEPALIVE is only needed when none went. */
	if (!updgrp_member_idle(s))
		return;
	sess_send_ctl(s, ka, msg_keepalive_encode(ka, sizeof(ka)));
}

static void sess_hold_restart(struct sess *s, unsigned secs)
{
	if (!secs) {
		ev_timer_stop(s->w->loop, &s->hold);
		return;
	}
	s->hold.repeat = secs;
	ev_timer_again(s->w->loop, &s->hold);
}

/* ---- the handshake ---- */

static struct sess_offer nbr_offer(const struct nbr *n)
{
	const struct daemon *d = n->w->d;
	struct sess_offer o = d->offer_base;
	o.hold_time = n->cn->hold_time;
	o.af[AF_IDX_IPV4] = n->cn->ipv4;
	o.af[AF_IDX_IPV6] = n->cn->ipv6;
	for (int af = 0; af < AF_IDX_N; af++)
		o.addpath[af] = n->cn->addpath_rx && o.af[af] ? ADDPATH_RECV : 0;
	o.graceful_restart = n->cn->graceful_restart;
	o.restart_time = GR_OUR_RESTART_TIME;
	return o;
}

/* The TCP connection is up: send our OPEN. */
static void sess_opened(struct sess *s)
{
	struct msg_open o;
	uint8_t buf[BGP_MAX_LEN];
	socklen_t len = sizeof(s->local);
	int one = 1;

	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	getsockname(s->fd, (struct sockaddr *)&s->local, &len);
	nbr_unmap(&s->local);
	s->offer = nbr_offer(s->n);
	sess_open_build(&s->offer, &o);
	size_t n = msg_open_encode(&o, buf, sizeof(buf));
	s->state = SESS_OPENSENT;
	if (s->n->sess == s)
		nbr_set_state(s->n, SESS_OPENSENT);
	sess_hold_restart(s, SESS_OPEN_HOLD);
	ev_io_start(s->w->loop, &s->rio);
	sess_send_ctl(s, buf, n);
}

/* 6.8: of two connections, keep the one started by the speaker with the higher BGP
 * Identifier. Returns false when s itself lost. */
static bool sess_resolve_collision(struct sess *s)
{
	struct nbr *n = s->n;
	struct sess *other = n->sess == s ? n->other : n->sess;
	if (!other || other->state < SESS_OPENSENT)
		return true;
	if (other->state == SESS_ESTABLISHED) {
		/* RFC 4724 4.2: from a peer that restarts gracefully, a new OPEN means the old
		 * session is gone; it ends as if the connection had closed */
		if (other->offer.graceful_restart && other->sp.peer_gr_afs && s->sp.peer_gr) {
			other->lost = true;
			sess_down(other, "the peer restarted: a new session while Established");
			return true;
		}
		sess_fail(s, ERR_CEASE, ERR_CEASE_COLLISION,
		          "collision with an Established session");
		return false;
	}
	/* The other connection is in OpenConfirm, or in OpenSent: this OPEN tells whose
	 * connection survives, and the peer, which knows both Identifiers too, keeps the same
	 * one (6.8 lets OpenSent connections be examined once the Identifier is known). Waiting
	 * for the second OPEN would confirm this connection first, and the peer could be
	 * Established on it by the time it goes: both connections would close. */
	bool local_wins = s->w->d->router_id > s->peer_id;
	/* the local speaker wins: keep the connection it started */
	struct sess *loser = local_wins ? (s->outgoing ? other : s) : (s->outgoing ? s : other);
	sess_fail(loser, ERR_CEASE, ERR_CEASE_COLLISION, "connection collision resolved");
	return loser != s;
}

static void sess_on_open(struct sess *s, const uint8_t *msg, uint16_t len)
{
	struct msg_open o;
	struct msg_err e = { 0 };
	if (msg_open_decode(msg, len, &o, &e) < 0 ||
	    sess_negotiate(&s->offer, &o, s->n->cn->asn, &s->sp, &e) < 0) {
		sess_fail_err(s, &e);
		return;
	}
	s->peer_id = s->sp.peer_id;
	if (!sess_resolve_collision(s))
		return;
	uint8_t ka[BGP_HDR_LEN];
	s->state = SESS_OPENCONFIRM;
	if (s->n->sess == s)
		nbr_set_state(s->n, SESS_OPENCONFIRM);
	sess_hold_restart(s, s->sp.hold_time);
	sess_send_ctl(s, ka, msg_keepalive_encode(ka, sizeof(ka)));
}

static struct rib_source *sess_make_source(struct sess *s)
{
	struct daemon *d = s->w->d;
	const struct cfg_neighbor *cn = s->n->cn;
	struct rib_source *src = rib_source_new(d->n_shards);
	if (!src)
		log_die("no memory for a route source");
	src->id = __atomic_add_fetch(&d->next_source_id, 1, __ATOMIC_RELAXED);
	src->router_id = s->sp.peer_id;
	src->asn = s->sp.peer_as;
	src->cluster_id = cn->cluster_id ? cn->cluster_id : d->cluster_id;
	src->kind = s->n->ebgp ? RIB_SRC_EBGP : cn->rr_client ? RIB_SRC_CLIENT : RIB_SRC_NONCLIENT;
	src->client_to_client = cn->client_to_client;
	src->addr = s->n->addr;
	snprintf(src->name, sizeof(src->name), "%s", s->n->name);
	return src;
}

static void sess_group_key(const struct sess *s, struct updgrp_key *k)
{
	const struct daemon *d = s->w->d;
	const struct cfg_neighbor *cn = s->n->cn;
	struct updgrp_key_src in = {
		.ebgp = s->n->ebgp,
		.rr_client = cn->rr_client,
		.sp = &s->sp,
		.cluster_id = cn->cluster_id ? cn->cluster_id : d->cluster_id,
		.client_to_client = cn->client_to_client,
		.export_all = cn->export == CFG_POLICY_ALL,
		.local = &s->local,
		.nh4 = cn->has_nh4 ? cn->nh4 : NULL,
		.nh6 = cn->has_nh6 ? cn->nh6 : NULL,
	};
	updgrp_key_make(&in, k);
	static const uint8_t none[4];
	if (k->kind == UPDGRP_EBGP && k->af[AF_IDX_IPV4] && !memcmp(k->nh4, none, 4)) {
		/* an eBGP session over IPv6 has no IPv4 address of ours for NEXT_HOP; 0.0.0.0
		 * would be a route to nowhere */
		k->af[AF_IDX_IPV4] = false;
		log_warn("%s: no IPv4 next hop of ours on an IPv6 session: IPv4 routes are not "
		         "sent (set next-hop-ipv4)",
		         s->n->name);
	}
	if (k->kind == UPDGRP_EBGP && k->af[AF_IDX_IPV6] && !cn->has_nh6 &&
	    s->local.ss_family == AF_INET)
		log_warn("%s: IPv6 routes go with the IPv4-mapped next hop of this IPv4 session, "
		         "which some speakers refuse (set next-hop-ipv6)",
		         s->n->name);
}

static void sess_on_established(struct sess *s)
{
	struct nbr *n = s->n;
	struct updgrp_key k;
	s->state = SESS_ESTABLISHED;
	s->t_up_ns = d_now_ns();
	n->failures = 0;
	n->last_error[0] = '\0';
	nbr_set_state(n, SESS_ESTABLISHED);
	__atomic_add_fetch(&n->st.established, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->w->st.established, 1, __ATOMIC_RELAXED);
	if (s->sp.keepalive) {
		ev_timer_set(&s->keepalive, s->sp.keepalive, s->sp.keepalive);
		ev_timer_start(s->w->loop, &s->keepalive);
	}
	s->src = nbr_gr_resume(s);
	if (!s->src)
		s->src = sess_make_source(s);
	sess_group_key(s, &k);
	updgrp_join(s, &k);
	log_info("%s: Established (AS %u, id %u.%u.%u.%u, hold %us%s%s%s)", n->name, s->sp.peer_as,
	         s->sp.peer_id >> 24, (s->sp.peer_id >> 16) & 255, (s->sp.peer_id >> 8) & 255,
	         s->sp.peer_id & 255, s->sp.hold_time, s->sp.af[AF_IDX_IPV4] ? ", ipv4" : "",
	         s->sp.af[AF_IDX_IPV6] ? ", ipv6" : "", s->sp.tx.as4 ? "" : ", 2-octet AS");
}

/* ---- receiving ---- */

static void sess_on_notification(struct sess *s, const uint8_t *msg, uint16_t len)
{
	struct msg_notification nt;
	struct msg_err e = { 0 };
	char why[400];
	__atomic_add_fetch(&s->n->st.notifications_in, 1, __ATOMIC_RELAXED);
	if (msg_notification_decode(msg, len, &nt, &e) < 0)
		snprintf(why, sizeof(why), "malformed NOTIFICATION received");
	else
		snprintf(why, sizeof(why), "received NOTIFICATION %u/%u (%s)%s%s", nt.code,
		         nt.subcode,
		         bgp_err_subcode_name(nt.code, nt.subcode)
		                 ? bgp_err_subcode_name(nt.code, nt.subcode)
		                 : bgp_err_code_name(nt.code),
		         nt.has_shutdown_msg ? ": " : "",
		         nt.has_shutdown_msg ? nt.shutdown_msg : "");
	sess_down(s, why);
}

static void sess_on_update(struct sess *s, const uint8_t *msg, uint16_t len)
{
	struct msg_update u;
	if (msg_update_decode(msg, len, &s->sp.rx, s->w->scratch, &u) < 0) {
		sess_fail_err(s, msg_update_worst(&u));
		return;
	}
	if (u.action != MSG_OK) {
		const struct msg_err *e = msg_update_worst(&u);
		log_warn("%s: malformed UPDATE, %s: %s (offset %u)", s->n->name,
		         msg_action_name(u.action), e && e->reason ? e->reason : "",
		         e ? e->offset : 0);
	}
	s->updates_in++;
	ingress_update(s, &u);
	if (s->n->gr_afs && msg_update_is_eor(&u))
		nbr_gr_eor(s, &u);
}

static void sess_on_refresh(struct sess *s, const uint8_t *msg, uint16_t len)
{
	struct msg_refresh r;
	struct msg_err e = { 0 };
	if (msg_refresh_decode(msg, len, &r, &e) < 0) {
		sess_fail_err(s, &e);
		return;
	}
	int af = r.safi != SAFI_UNICAST ? -1
	         : r.afi == AFI_IPV4    ? AF_IDX_IPV4
	         : r.afi == AFI_IPV6    ? AF_IDX_IPV6
	                                : -1;
	if (af < 0 || !s->sp.af[af])
		return; /* RFC 2918 3: a family not negotiated is ignored */
	switch (r.subtype) {
	case RR_NORMAL:
		/* re-send the whole table; with RFC 7313 framed by BoRR and EoRR */
		if (s->sp.route_refresh || s->sp.enhanced_rr)
			updgrp_resync(s, s->sp.enhanced_rr ? (uint8_t)(1u << af) : 0);
		break;
	case RR_BORR:
	case RR_EORR:
		/* the peer re-sends its routes: the ones it does not send again go at EoRR */
		if (s->sp.enhanced_rr)
			ingress_refresh_marker(s->w, s->src, (uint8_t)r.afi, r.subtype == RR_EORR);
		break;
	default:
		break; /* RFC 7313 5: other subtypes are ignored */
	}
}

static bool sess_dispatch(struct sess *s, const uint8_t *msg, const struct msg_hdr *h)
{
	enum sess_state st = s->state;
	s->msgs_in++;
	if (h->type == BGP_NOTIFICATION) {
		sess_on_notification(s, msg, h->len);
		return false;
	}
	if (st == SESS_OPENSENT && h->type == BGP_OPEN)
		sess_on_open(s, msg, h->len);
	else if (st == SESS_OPENCONFIRM && h->type == BGP_KEEPALIVE)
		sess_on_established(s);
	else if (st == SESS_ESTABLISHED && h->type == BGP_UPDATE)
		sess_on_update(s, msg, h->len);
	else if (st == SESS_ESTABLISHED && h->type == BGP_ROUTE_REFRESH)
		sess_on_refresh(s, msg, h->len);
	else if (!(st == SESS_ESTABLISHED && h->type == BGP_KEEPALIVE))
		sess_fail(s, ERR_FSM,
		          st == SESS_OPENSENT      ? ERR_FSM_OPENSENT
		          : st == SESS_OPENCONFIRM ? ERR_FSM_OPENCONFIRM
		                                   : ERR_FSM_ESTABLISHED,
		          "unexpected message for the session state");
	return !s->closing;
}

/* Handles every whole message in buf; returns octets used, or -1 once the session is gone. */
static ssize_t sess_parse(struct sess *s, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (len - off >= BGP_HDR_LEN) {
		size_t max = s->state == SESS_ESTABLISHED ? msg_max_len(&s->sp.rx) : BGP_MAX_LEN;
		struct msg_hdr h;
		struct msg_err e = { 0 };
		int r = msg_frame(buf + off, len - off, max, &h, &e);
		if (r < 0) {
			sess_fail_err(s, &e);
			return -1;
		}
		if (r == 0)
			break;
		/* Any message restarts the hold timer (4.4). */
		if (s->state >= SESS_OPENCONFIRM)
			sess_hold_restart(s, s->sp.hold_time);
		if (!sess_dispatch(s, buf + off, &h))
			return -1;
		off += h.len;
	}
	return (ssize_t)off;
}

static void sess_keep_carry(struct sess *s, const uint8_t *p, size_t n)
{
	if (!n) {
		s->carry_len = 0;
		return;
	}
	if (!s->carry) {
		s->carry = malloc(BGP_EXT_MAX_LEN);
		if (!s->carry)
			log_die("no memory for a receive carry");
	}
	memmove(s->carry, p, n);
	s->carry_len = n;
}

static void sess_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop, (void)revents;
	struct sess *s = io->data;
	struct worker *w = s->w;
	uint8_t *buf = w->rbuf;
	size_t have = s->carry_len;

	if (have)
		memcpy(buf, s->carry, have);
	s->carry_len = 0;
	for (int i = 0; i < SESS_READS_PER_WAKE; i++) {
		size_t space = w->rbuf_cap - have;
		ssize_t n = read(s->fd, buf + have, space);
		if (n == 0) {
			s->lost = true;
			sess_down(s, "connection closed by the peer");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			s->lost = true;
			sess_down(s, strerror(errno));
			return;
		}
		__atomic_add_fetch(&w->st.bytes_in, (uint64_t)n, __ATOMIC_RELAXED);
		have += (size_t)n;
		ssize_t used = sess_parse(s, buf, have);
		if (used < 0)
			return;
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		if ((size_t)n < space)
			break;
	}
	sess_keep_carry(s, buf, have);
}

/* ---- connecting out ---- */

static void nbr_connect(struct nbr *n)
{
	const struct cfg_peer *cp = &n->w->d->cfg->peers[n->peer_index];
	int fd = socket(n->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("%s: socket: %s", n->name, strerror(errno));
		nbr_schedule_connect(n, n->w->d->cfg->connect_retry);
		return;
	}
	if (cp->local.len && bind(fd, (const struct sockaddr *)&cp->local.sa, cp->local.len) < 0)
		log_warn("%s: cannot bind the local address: %s", n->name, strerror(errno));
	struct sess *s = sess_new(n, fd, true);
	s->state = SESS_CONNECT;
	if (!n->sess)
		n->sess = s;
	else
		n->other = s;
	nbr_set_state(n, SESS_CONNECT);
	if (connect(fd, (const struct sockaddr *)&n->addr, n->addr_len) < 0 &&
	    errno != EINPROGRESS) {
		sess_down(s, strerror(errno));
		return;
	}
	ev_io_start(n->w->loop, &s->wio);
	/* A connect that hangs ends after the connect-retry time. */
	sess_hold_restart(s, n->w->d->cfg->connect_retry * 2 + 5);
}

/* The restart time ran out with the peer still away, or the stale time with no End-of-RIB:
 * the stale paths go. */
static void nbr_gr_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct nbr *n = t->data;
	bool back = n->sess && n->sess->src == n->gr_src;
	log_warn("%s: graceful restart: %s; its stale routes go", n->name,
	         back ? "no End-of-RIB within the stale time" : "not back within its restart time");
	if (back) {
		nbr_gr_purge(n, n->gr_afs);
		return;
	}
	ingress_drop_source(n->w, n->gr_src);
	nbr_gr_clear(n);
	if (!n->sess && n->range_index >= 0)
		nbr_release_dynamic(n);
}

static void nbr_retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct nbr *n = t->data;
	if (!n->sess && !n->w->stopping)
		nbr_connect(n);
}

void nbr_start_static(struct worker *w)
{
	const struct cfg *c = w->d->cfg;
	for (unsigned i = 0; i < c->n_peers; i++) {
		const struct cfg_peer *p = &c->peers[i];
		if (nbr_owner_of(w->d, &p->addr.sa, (int)i) != w->id)
			continue;
		struct nbr *n = nbr_new(w, &p->n, (int)i, -1, &p->addr.sa);
		n->passive = p->passive;
		if (!n->passive)
			nbr_schedule_connect(n, 0.1 * (double)(i % 10));
	}
}

static struct nbr *nbr_find_static(struct worker *w, int peer_index)
{
	for (struct nbr *n = w->nbrs; n; n = n->next)
		if (n->peer_index == peer_index)
			return n;
	return NULL;
}

static struct nbr *nbr_find_or_make_dynamic(struct worker *w, const struct sockaddr_storage *sa,
                                            int range_index)
{
	struct daemon *d = w->d;
	struct nbr *n = nbr_map_find(w->dyn, sa);
	if (n)
		return n;
	const struct cfg_range *r = &d->cfg->ranges[range_index];
	if (__atomic_add_fetch(&d->range_peers[range_index], 1, __ATOMIC_RELAXED) > r->max_peers) {
		__atomic_sub_fetch(&d->range_peers[range_index], 1, __ATOMIC_RELAXED);
		return NULL;
	}
	n = nbr_new(w, &r->n, -1, range_index, sa);
	n->passive = true;
	nbr_map_insert(w, n);
	return n;
}

void nbr_accepted(struct worker *w, int fd, const struct sockaddr_storage *peer,
                  const struct sockaddr_storage *local, int peer_index, int range_index)
{
	struct sockaddr_storage pa = *peer;
	char a[INET6_ADDRSTRLEN];
	nbr_unmap(&pa);
	struct nbr *n = peer_index >= 0 ? nbr_find_static(w, peer_index)
	                                : nbr_find_or_make_dynamic(w, &pa, range_index);
	if (!n) {
		nbr_format_addr(&pa, a, sizeof(a));
		log_warn("connection from %s refused: range '%s' is at its max-peers of %u", a,
		         w->d->cfg->ranges[range_index].n.name,
		         w->d->cfg->ranges[range_index].max_peers);
		close(fd);
		return;
	}
	if (n->sess && n->other) {
		log_info("%s: a third connection refused", n->name);
		close(fd);
		return;
	}
	struct sess *s = sess_new(n, fd, false);
	(void)local;
	if (!n->sess) {
		n->sess = s;
		ev_timer_stop(w->loop, &n->retry);
	} else {
		n->other = s;
	}
	sess_opened(s);
}

void nbr_stop_all(struct worker *w, uint8_t subcode, const char *text)
{
	uint8_t msg[BGP_MAX_LEN];
	size_t len = msg_notification_encode_shutdown(subcode, text, msg, sizeof(msg));
	__atomic_store_n(&w->stopping, true, __ATOMIC_RELEASE);
	while (w->nbrs) {
		struct nbr *n = w->nbrs;
		struct sess *all[2] = { n->sess, n->other };
		for (int i = 0; i < 2; i++) {
			struct sess *s = all[i];
			if (!s)
				continue;
			if (s->state >= SESS_OPENSENT && len && updgrp_member_at_boundary(s) &&
			    !s->ctl.off && send(s->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
				__atomic_add_fetch(&n->st.notifications_out, 1, __ATOMIC_RELAXED);
			sess_close(s);
		}
		ev_timer_stop(w->loop, &n->retry);
		if (n->gr_src) {
			ingress_drop_source(w, n->gr_src);
			nbr_gr_clear(n);
		}
		/* a dynamic neighbor frees itself with its last session */
		if (w->nbrs == n) {
			w->nbrs = n->next;
			if (n->range_index >= 0)
				nbr_map_remove(w->dyn, n);
			free(n);
		}
	}
	if (w->dyn) {
		free(w->dyn->slot);
		free(w->dyn);
		w->dyn = NULL;
	}
}
