/* Synthetic BGP sessions: connect (or accept, for the replay server), OPEN, KEEPALIVE, the
 * hold timer, framing and write queues, on one libev loop per harness thread. What a session
 * does with its routes is up to the hooks in pb_run.c and pb_replay.c. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench/pb_run.h"
#include "core/bgp.h"

enum {
	PB_RBUF = 256 * 1024,
	PB_READS_PER_WAKE = 8,
	PB_IOV = 64,
	/* RFC 4271 8.2.2 suggests 4 minutes in OpenSent. A harness waits less: a reflector
	 * with a short listen backlog (BIRD: 8, OpenBGPD: 5) can drop the last ACK of a
	 * handshake in a burst, leaving a connection only this side believes in; better to try
	 * again soon. */
	PB_OPEN_HOLD = 10,
	PB_MAX_LOGGED = 20,
};

static void pb_peer_write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void pb_peer_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void pb_thread_pump(struct pb_thread *th);

void pb_log_limited(struct pb_run *run, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	unsigned n = PB_ADD(run->n_errors_logged, 1);
	if (n > PB_MAX_LOGGED)
		return;
	fprintf(stderr, "%sprism-bench: %s\n%s", run->cfg.progress ? "\n" : "", text,
	        n == PB_MAX_LOGGED ? "prism-bench: (further problems not logged)\n" : "");
}

/* ---- the write queue ---- */

static void pb_outq_push(struct pb_outq *q, struct pb_chunk c)
{
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 8;
		struct pb_chunk *v = malloc(sizeof(*v) * cap);
		if (!v)
			abort();
		for (uint32_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->head = 0;
		q->cap = cap;
	}
	q->v[(q->head + q->n) % q->cap] = c;
	q->n++;
	q->bytes += c.len;
}

static void pb_outq_pop(struct pb_outq *q)
{
	struct pb_chunk *c = &q->v[q->head];
	free(c->owned);
	q->head = (q->head + 1) % q->cap;
	q->n--;
	q->off = 0;
}

static void pb_outq_clear(struct pb_outq *q)
{
	while (q->n)
		pb_outq_pop(q);
	free(q->v);
	*q = (struct pb_outq){ 0 };
}

/* Writes what the socket takes. Returns -1 on a socket error. */
static int pb_peer_flush(struct pb_peer *peer)
{
	struct pb_outq *q = &peer->out;
	while (q->n) {
		struct iovec iov[PB_IOV];
		int n = 0;
		for (uint32_t i = 0; i < q->n && n < PB_IOV; i++, n++) {
			const struct pb_chunk *c = &q->v[(q->head + i) % q->cap];
			size_t skip = i == 0 ? q->off : 0;
			iov[n].iov_base = (void *)(c->p + skip);
			iov[n].iov_len = c->len - skip;
		}
		ssize_t w = writev(peer->fd, iov, n);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		PB_ADD(peer->th->tx_bytes, (uint64_t)w);
		q->bytes -= (size_t)w;
		size_t left = (size_t)w;
		while (left && q->n) {
			struct pb_chunk *c = &q->v[q->head];
			size_t rest = c->len - q->off;
			if (left < rest) {
				q->off += left;
				left = 0;
			} else {
				left -= rest;
				pb_outq_pop(q);
			}
		}
		if (q->n && (size_t)w < iov[0].iov_len)
			break;
	}
	return 0;
}

static void pb_peer_update_wio(struct pb_peer *peer)
{
	struct ev_loop *loop = peer->th->loop;
	if (peer->out.n && !ev_is_active(&peer->wio))
		ev_io_start(loop, &peer->wio);
	else if (!peer->out.n && ev_is_active(&peer->wio) && peer->state != PB_CONNECTING)
		ev_io_stop(loop, &peer->wio);
}

static void pb_peer_down(struct pb_peer *peer, const char *why);

void pb_peer_queue(struct pb_peer *peer, const uint8_t *p, size_t len, uint8_t *owned)
{
	if (peer->fd < 0 || len == 0) {
		free(owned);
		return;
	}
	pb_outq_push(&peer->out, (struct pb_chunk){ .p = p, .len = len, .owned = owned });
	if (ev_is_active(&peer->wio))
		return;
	if (pb_peer_flush(peer) < 0) {
		pb_peer_down(peer, strerror(errno));
		return;
	}
	pb_peer_update_wio(peer);
}

void pb_peer_queue_buf(struct pb_peer *peer, struct pb_buf *b)
{
	uint8_t *data = b->data;
	size_t len = b->len;
	*b = (struct pb_buf){ 0 };
	pb_peer_queue(peer, data, len, data);
}

/* ---- going down ---- */

static void pb_peer_send_notification(struct pb_peer *peer, uint8_t code, uint8_t subcode)
{
	uint8_t msg[64];
	size_t n = msg_notification_encode(code, subcode, NULL, 0, msg, sizeof(msg));
	/* Best effort: the session is closing either way. */
	if (n && send(peer->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		(void)0;
}

static bool pb_in_handshake(const struct pb_peer *peer)
{
	return peer->state == PB_CONNECTING || peer->state == PB_OPENSENT ||
	       peer->state == PB_OPENCONFIRM;
}

static void pb_peer_stop_watchers(struct pb_peer *peer)
{
	struct ev_loop *loop = peer->th->loop;
	ev_io_stop(loop, &peer->rio);
	ev_io_stop(loop, &peer->wio);
	ev_timer_stop(loop, &peer->hold);
	ev_timer_stop(loop, &peer->keepalive);
}

static void pb_peer_schedule_retry(struct pb_peer *peer, double secs)
{
	ev_timer_stop(peer->th->loop, &peer->retry);
	ev_timer_set(&peer->retry, secs, 0);
	ev_timer_start(peer->th->loop, &peer->retry);
}

/* Closes the session. A peer that should be up tries again after a second. */
static void pb_peer_close(struct pb_peer *peer, double retry_after)
{
	struct pb_thread *th = peer->th;
	bool was_up = peer->state == PB_ESTABLISHED;

	if (peer->fd < 0)
		return;
	if (pb_in_handshake(peer))
		th->handshaking--;
	pb_peer_stop_watchers(peer);
	close(peer->fd);
	peer->fd = -1;
	peer->state = PB_IDLE;
	peer->fed = false;
	pb_outq_clear(&peer->out);
	free(peer->carry);
	peer->carry = NULL;
	peer->carry_len = 0;
	if (was_up) {
		PB_ADD(th->run->n_established, (uint32_t)-1);
		pb_on_down(peer);
	}
	if (peer->want_up && !peer->passive)
		pb_peer_schedule_retry(peer, retry_after);
	pb_thread_pump(th);
}

static void pb_peer_down(struct pb_peer *peer, const char *why)
{
	/* A replay client leaving is the normal end of its run. */
	if (!peer->passive && (peer->state == PB_ESTABLISHED || peer->n_fail < 3))
		pb_log_limited(peer->th->run, "peer %u: session down: %s", peer->idx, why);
	PB_ADD(peer->th->n_failures, 1);
	peer->n_fail++;
	pb_peer_close(peer, peer->n_fail > 5 ? 5.0 : 1.0);
}

static void pb_peer_error(struct pb_peer *peer, uint8_t code, uint8_t subcode, const char *why)
{
	pb_peer_send_notification(peer, code, subcode);
	pb_peer_down(peer, why);
}

/* ---- timers ---- */

static void pb_peer_hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_peer *peer = w->data;
	pb_peer_error(peer, ERR_HOLD_TIMER, 0, "hold timer expired");
}

static void pb_peer_keepalive_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_peer *peer = w->data;
	struct pb_buf b = { 0 };
	pb_pack_keepalive(&b);
	pb_peer_queue_buf(peer, &b);
}

static void pb_peer_connect(struct pb_peer *peer);

static void pb_peer_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_peer *peer = w->data;
	if (peer->want_up && peer->fd < 0 && !peer->queued) {
		struct pb_thread *th = peer->th;
		th->connq[(th->connq_head + th->connq_n) % th->cap_peers] = peer;
		th->connq_n++;
		peer->queued = true;
		pb_thread_pump(th);
	}
}

static void pb_peer_hold_restart(struct pb_peer *peer, double secs)
{
	if (secs <= 0) {
		ev_timer_stop(peer->th->loop, &peer->hold);
		return;
	}
	peer->hold.repeat = secs;
	ev_timer_again(peer->th->loop, &peer->hold);
}

/* ---- the handshake ---- */

static struct sess_offer pb_peer_offer(const struct pb_peer *peer)
{
	const struct pb_run *run = peer->th->run;
	struct sess_offer o = run->offer;
	o.router_id =
	        run->cfg.replay ? run->cfg.replay_id : pb_peer_addr4(&run->cfg.plan, peer->idx);
	return o;
}

static void pb_peer_send_open(struct pb_peer *peer)
{
	struct msg_open o;
	struct sess_offer off = pb_peer_offer(peer);
	uint8_t *buf = malloc(BGP_MAX_LEN);
	if (!buf)
		abort();
	sess_open_build(&off, &o);
	size_t n = msg_open_encode(&o, buf, BGP_MAX_LEN);
	peer->state = PB_OPENSENT;
	pb_peer_hold_restart(peer, PB_OPEN_HOLD);
	ev_io_start(peer->th->loop, &peer->rio);
	pb_peer_queue(peer, buf, n, buf);
}

static void pb_peer_on_open(struct pb_peer *peer, const uint8_t *msg, uint16_t len)
{
	struct msg_open o;
	struct msg_err e = { 0 };
	struct sess_offer off = pb_peer_offer(peer);
	const struct pb_run *run = peer->th->run;
	uint32_t expect = run->cfg.replay ? 0 : run->cfg.remote_as;

	if (msg_open_decode(msg, len, &o, &e) < 0 ||
	    sess_negotiate(&off, &o, expect, &peer->sp, &e) < 0) {
		pb_peer_error(peer, e.code, e.subcode, e.reason ? e.reason : "bad OPEN");
		return;
	}
	struct pb_buf b = { 0 };
	pb_pack_keepalive(&b);
	peer->state = PB_OPENCONFIRM;
	pb_peer_hold_restart(peer, peer->sp.hold_time);
	pb_peer_queue_buf(peer, &b);
}

static void pb_note_established(struct pb_run *run)
{
	uint64_t now = pb_now_ns(), seen = PB_LOAD(run->t_last_established);
	while (now > seen &&
	       !__atomic_compare_exchange_n(&run->t_last_established, &seen, now, false,
	                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	PB_ADD(run->n_established, 1);
}

static void pb_peer_on_established(struct pb_peer *peer)
{
	struct pb_thread *th = peer->th;
	peer->state = PB_ESTABLISHED;
	peer->n_fail = 0;
	th->handshaking--;
	if (peer->sp.keepalive) {
		ev_timer_set(&peer->keepalive, peer->sp.keepalive, peer->sp.keepalive);
		ev_timer_start(th->loop, &peer->keepalive);
	}
	pb_note_established(th->run);
	pb_on_established(peer);
	pb_thread_pump(th);
}

/* ---- receiving ---- */

static void pb_peer_on_notification(struct pb_peer *peer, const uint8_t *msg, uint16_t len)
{
	struct msg_notification n;
	struct msg_err e = { 0 };
	char why[320];

	PB_ADD(peer->th->n_notifications, 1);
	if (msg_notification_decode(msg, len, &n, &e) < 0)
		snprintf(why, sizeof(why), "malformed NOTIFICATION");
	else
		snprintf(why, sizeof(why), "NOTIFICATION %u/%u (%s%s%s)", n.code, n.subcode,
		         bgp_err_code_name(n.code), n.has_shutdown_msg ? ": " : "",
		         n.has_shutdown_msg ? n.shutdown_msg : "");
	pb_peer_down(peer, why);
}

static void pb_peer_on_update(struct pb_peer *peer, const uint8_t *msg, uint16_t len, uint64_t now)
{
	struct pb_thread *th = peer->th;
	struct pb_run *run = th->run;
	struct msg_update u;
	if (peer->table && !peer->sp.rx.addpath[AF_IDX_IPV4]) {
		int64_t n = pb_table_apply_fast(peer->table, &run->cfg.plan, &run->expect,
		                                th->vcache, msg, len, now, &th->hist);
		if (n >= 0) {
			PB_ADD(th->rx_updates, 1);
			PB_ADD(th->rx_prefixes, (uint64_t)n);
			return;
		}
	}
	if (msg_update_decode(msg, len, &peer->sp.rx, th->scratch, &u) < 0) {
		const struct msg_err *e = msg_update_worst(&u);
		pb_peer_error(peer, ERR_UPDATE, e ? e->subcode : 0,
		              e && e->reason ? e->reason : "malformed UPDATE");
		return;
	}
	PB_ADD(th->rx_updates, 1);
	PB_ADD(th->rx_prefixes,
	       (uint64_t)u.nlri.n + u.withdrawn.n + u.mp_reach.nlri.n + u.mp_unreach.nlri.n);
	pb_on_update(peer, &u, now);
	if (peer->table && peer->fd >= 0)
		pb_vcache_learn(th->vcache, peer->table, &run->cfg.plan, msg, len, &u);
}

/* Returns false when the session went down. */
static bool pb_peer_dispatch(struct pb_peer *peer, const uint8_t *msg, const struct msg_hdr *h,
                             uint64_t now)
{
	enum pb_state st = peer->state;
	if (h->type == BGP_NOTIFICATION) {
		pb_peer_on_notification(peer, msg, h->len);
		return false;
	}
	if (st == PB_OPENSENT && h->type == BGP_OPEN)
		pb_peer_on_open(peer, msg, h->len);
	else if (st == PB_OPENCONFIRM && h->type == BGP_KEEPALIVE)
		pb_peer_on_established(peer);
	else if (st == PB_ESTABLISHED && h->type == BGP_UPDATE)
		pb_peer_on_update(peer, msg, h->len, now);
	else if (st == PB_ESTABLISHED && h->type == BGP_ROUTE_REFRESH)
		pb_on_refresh(peer);
	else if (!(st == PB_ESTABLISHED && h->type == BGP_KEEPALIVE))
		pb_peer_error(peer, ERR_FSM,
		              st == PB_OPENSENT      ? ERR_FSM_OPENSENT
		              : st == PB_OPENCONFIRM ? ERR_FSM_OPENCONFIRM
		                                     : ERR_FSM_ESTABLISHED,
		              "unexpected message for the session state");
	return peer->fd >= 0;
}

/* Handles every whole message in buf; returns the bytes used, or -1 when the session went
 * down. */
static ssize_t pb_peer_parse(struct pb_peer *peer, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	uint64_t now = pb_now_ns();
	while (len - off >= BGP_HDR_LEN) {
		size_t max =
		        peer->state == PB_ESTABLISHED ? msg_max_len(&peer->sp.rx) : BGP_MAX_LEN;
		struct msg_hdr h;
		struct msg_err e = { 0 };
		int r = msg_frame(buf + off, len - off, max, &h, &e);
		if (r < 0) {
			pb_peer_error(peer, e.code, e.subcode, e.reason);
			return -1;
		}
		if (r == 0)
			break;
		if (!pb_peer_dispatch(peer, buf + off, &h, now))
			return -1;
		off += h.len;
	}
	/* Once per read, not per message: any message restarts the hold timer. */
	if (off)
		pb_peer_hold_restart(peer, peer->state == PB_OPENSENT ? PB_OPEN_HOLD
		                                                      : peer->sp.hold_time);
	return (ssize_t)off;
}

static bool pb_peer_keep_carry(struct pb_peer *peer, const uint8_t *p, size_t n)
{
	if (!n)
		return true;
	if (!peer->carry) {
		peer->carry = malloc(BGP_EXT_MAX_LEN);
		if (!peer->carry)
			abort();
	}
	memcpy(peer->carry, p, n);
	peer->carry_len = n;
	return true;
}

static void pb_peer_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_peer *peer = w->data;
	struct pb_thread *th = peer->th;
	uint8_t *buf = th->rbuf;
	size_t have = peer->carry_len;

	if (have)
		memcpy(buf, peer->carry, have);
	peer->carry_len = 0;
	for (int i = 0; i < PB_READS_PER_WAKE; i++) {
		size_t space = th->rbuf_cap - have;
		ssize_t n = read(peer->fd, buf + have, space);
		if (n == 0) {
			pb_peer_down(peer, "connection closed by the reflector");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			pb_peer_down(peer, strerror(errno));
			return;
		}
		PB_ADD(th->rx_bytes, (uint64_t)n);
		have += (size_t)n;
		ssize_t used = pb_peer_parse(peer, buf, have);
		if (used < 0)
			return;
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		if ((size_t)n < space)
			break; /* the socket is drained */
	}
	pb_peer_keep_carry(peer, buf, have);
}

static void pb_peer_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_peer *peer = w->data;
	if (peer->state == PB_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(peer->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			pb_peer_down(peer, strerror(err));
			return;
		}
		ev_io_stop(loop, &peer->wio);
		pb_peer_send_open(peer);
		return;
	}
	if (pb_peer_flush(peer) < 0) {
		pb_peer_down(peer, strerror(errno));
		return;
	}
	pb_peer_update_wio(peer);
}

/* ---- connecting ---- */

static int pb_peer_socket(const struct pb_peer *peer, struct sockaddr_storage *src,
                          socklen_t *src_len)
{
	const struct pb_cfg *cfg = &peer->th->run->cfg;
	int one = 1, small = 4096;
	int fd = socket(cfg->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A stuck peer's socket should fill soon, as a hung host's would. */
	if (peer->stuck)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(src, 0, sizeof(*src));
	if (cfg->target.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)src;
		s6->sin6_family = AF_INET6;
		pb_peer_addr6(&cfg->plan, peer->idx, &s6->sin6_addr);
		*src_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)src;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(pb_peer_addr4(&cfg->plan, peer->idx));
		*src_len = sizeof(*s4);
	}
	return fd;
}

static void pb_peer_connect(struct pb_peer *peer)
{
	const struct pb_cfg *cfg = &peer->th->run->cfg;
	struct sockaddr_storage src;
	socklen_t src_len;
	int fd = pb_peer_socket(peer, &src, &src_len);

	if (fd < 0) {
		pb_log_limited(peer->th->run, "peer %u: socket: %s", peer->idx, strerror(errno));
		pb_peer_schedule_retry(peer, 1.0);
		return;
	}
	if (bind(fd, (struct sockaddr *)&src, src_len) < 0) {
		pb_log_limited(peer->th->run, "peer %u: bind: %s", peer->idx, strerror(errno));
		close(fd);
		pb_peer_schedule_retry(peer, 5.0);
		return;
	}
	peer->fd = fd;
	peer->state = PB_CONNECTING;
	peer->th->handshaking++;
	ev_io_set(&peer->rio, fd, EV_READ);
	ev_io_set(&peer->wio, fd, EV_WRITE);
	if (connect(fd, (const struct sockaddr *)&cfg->target, cfg->target_len) < 0 &&
	    errno != EINPROGRESS) {
		pb_peer_down(peer, strerror(errno));
		return;
	}
	ev_io_start(peer->th->loop, &peer->wio);
	pb_peer_hold_restart(peer, PB_OPEN_HOLD);
}

/* Starts queued connections while fewer than max_handshaking are in progress. */
static void pb_thread_pump(struct pb_thread *th)
{
	while (th->connq_n && th->handshaking < th->max_handshaking) {
		struct pb_peer *peer = th->connq[th->connq_head];
		th->connq_head = (th->connq_head + 1) % th->cap_peers;
		th->connq_n--;
		peer->queued = false;
		if (peer->want_up && peer->fd < 0)
			pb_peer_connect(peer);
	}
}

static void pb_peer_init_watchers(struct pb_peer *peer)
{
	ev_io_init(&peer->rio, pb_peer_read_cb, -1, EV_READ);
	ev_io_init(&peer->wio, pb_peer_write_cb, -1, EV_WRITE);
	ev_init(&peer->hold, pb_peer_hold_cb);
	ev_init(&peer->keepalive, pb_peer_keepalive_cb);
	ev_init(&peer->retry, pb_peer_retry_cb);
	peer->rio.data = peer->wio.data = peer;
	peer->hold.data = peer->keepalive.data = peer->retry.data = peer;
}

void pb_thread_add_peer(struct pb_thread *th, struct pb_peer *peer)
{
	if (th->n_peers == th->cap_peers) {
		uint32_t cap = th->cap_peers ? th->cap_peers * 2 : 64;
		struct pb_peer **v = realloc(th->peers, sizeof(struct pb_peer *) * cap);
		struct pb_peer **q = malloc(sizeof(struct pb_peer *) * cap);
		if (!v || !q)
			abort();
		for (uint32_t i = 0; th->cap_peers && i < th->connq_n; i++)
			q[i] = th->connq[(th->connq_head + i) % th->cap_peers];
		free(th->connq);
		th->peers = v;
		th->connq = q;
		th->connq_head = 0;
		th->cap_peers = cap;
	}
	th->peers[th->n_peers++] = peer;
	peer->th = th;
	peer->fd = -1;
	peer->state = PB_IDLE;
	pb_peer_init_watchers(peer);
}

void pb_peer_accepted(struct pb_peer *peer, int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer->fd = fd;
	peer->passive = true;
	peer->th->handshaking++;
	ev_io_set(&peer->rio, fd, EV_READ);
	ev_io_set(&peer->wio, fd, EV_WRITE);
	pb_peer_send_open(peer);
}

/* ---- commands from the main thread ---- */

static void pb_thread_connect_all(struct pb_thread *th)
{
	for (uint32_t i = 0; i < th->n_peers; i++) {
		struct pb_peer *peer = th->peers[i];
		peer->want_up = true;
		if (peer->fd < 0 && !peer->queued && !peer->passive) {
			th->connq[(th->connq_head + th->connq_n) % th->cap_peers] = peer;
			th->connq_n++;
			peer->queued = true;
		}
	}
	pb_thread_pump(th);
}

static void pb_thread_drop_all(struct pb_thread *th, uint8_t subcode)
{
	for (uint32_t i = 0; i < th->n_peers; i++) {
		struct pb_peer *peer = th->peers[i];
		peer->want_up = false;
		ev_timer_stop(th->loop, &peer->retry);
		if (peer->fd >= 0) {
			pb_peer_send_notification(peer, ERR_CEASE, subcode);
			pb_peer_close(peer, 0);
		}
	}
	th->connq_n = 0;
	for (uint32_t i = 0; i < th->n_peers; i++)
		th->peers[i]->queued = false;
}

static struct pb_peer *pb_thread_find(struct pb_thread *th, uint32_t idx)
{
	for (uint32_t i = 0; i < th->n_peers; i++)
		if (th->peers[i]->idx == idx)
			return th->peers[i];
	return NULL;
}

static void pb_thread_flap(struct pb_thread *th, uint32_t idx, double down_s)
{
	struct pb_peer *peer = pb_thread_find(th, idx);
	if (!peer || peer->fd < 0)
		return;
	pb_peer_send_notification(peer, ERR_CEASE, ERR_CEASE_ADMIN_RESET);
	pb_peer_close(peer, down_s);
}

static void pb_thread_check(struct pb_thread *th)
{
	struct pb_run *run = th->run;
	memset(&th->check, 0, sizeof(th->check));
	for (uint32_t i = 0; i < th->n_peers; i++) {
		struct pb_peer *peer = th->peers[i];
		if (peer->table)
			pb_table_check(peer->table, &run->cfg.plan, &run->expect, peer->idx,
			               &th->check);
	}
}

static void pb_thread_run_cmd(struct pb_thread *th, const struct pb_cmd *c)
{
	struct pb_run *run = th->run;
	switch (c->type) {
	case PB_CMD_CONNECT:
		pb_thread_connect_all(th);
		break;
	case PB_CMD_FEED:
		for (uint32_t i = 0; i < th->n_peers; i++) {
			struct pb_peer *peer = th->peers[i];
			if (peer->feeder >= 0 && peer->state == PB_ESTABLISHED && !peer->fed)
				pb_feed(peer);
		}
		break;
	case PB_CMD_DROP:
		pb_thread_drop_all(th, ERR_CEASE_ADMIN_RESET);
		break;
	case PB_CMD_FLAP:
		pb_thread_flap(th, c->peer, c->secs);
		break;
	case PB_CMD_CHECK:
		pb_thread_check(th);
		break;
	case PB_CMD_STREAM:
		for (uint32_t i = 0; i < th->n_peers; i++)
			if (th->peers[i]->state == PB_ESTABLISHED && !th->peers[i]->fed)
				pb_replay_stream(th->peers[i]);
		break;
	case PB_CMD_STOP:
		pb_thread_drop_all(th, ERR_CEASE_ADMIN_SHUTDOWN);
		ev_break(th->loop, EVBREAK_ALL);
		break;
	}
	__atomic_add_fetch(&run->acks, 1, __ATOMIC_RELEASE);
}

static void pb_thread_wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_thread *th = w->data;
	struct pb_cmd cmds[PB_MAX_CMDS];
	unsigned n;

	pthread_mutex_lock(&th->mu);
	n = th->n_cmds;
	memcpy(cmds, th->cmds, sizeof(cmds[0]) * n);
	th->n_cmds = 0;
	pthread_mutex_unlock(&th->mu);
	for (unsigned i = 0; i < n; i++)
		pb_thread_run_cmd(th, &cmds[i]);
}

static void pb_thread_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	pb_on_tick(w->data, pb_now_ns());
}

void pb_send_cmd(struct pb_run *run, struct pb_thread *th, struct pb_cmd c)
{
	for (unsigned i = 0; i < run->n_th; i++) {
		struct pb_thread *t = &run->th[i];
		if (th && t != th)
			continue;
		pthread_mutex_lock(&t->mu);
		if (t->n_cmds < PB_MAX_CMDS)
			t->cmds[t->n_cmds++] = c;
		pthread_mutex_unlock(&t->mu);
		ev_async_send(t->loop, &t->wake);
	}
}

bool pb_wait_acks(struct pb_run *run, double timeout_s)
{
	uint64_t deadline = pb_now_ns() + (uint64_t)(timeout_s * 1e9);
	while (__atomic_load_n(&run->acks, __ATOMIC_ACQUIRE) < run->n_th) {
		if (pb_now_ns() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

static void *pb_thread_main(void *arg)
{
	struct pb_thread *th = arg;
	ev_run(th->loop, 0);
	return NULL;
}

static int pb_thread_init(struct pb_run *run, struct pb_thread *th, unsigned id)
{
	th->run = run;
	th->id = id;
	th->listen_fd = -1;
	th->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	th->scratch = msg_scratch_new();
	th->vcache = calloc(1, sizeof(*th->vcache));
	th->rbuf_cap = PB_RBUF + BGP_EXT_MAX_LEN;
	th->rbuf = malloc(th->rbuf_cap);
	if (!th->loop || !th->scratch || !th->vcache || !th->rbuf)
		return -1;
	pthread_mutex_init(&th->mu, NULL);
	ev_async_init(&th->wake, pb_thread_wake_cb);
	th->wake.data = th;
	ev_async_start(th->loop, &th->wake);
	ev_timer_init(&th->tick, pb_thread_tick_cb, 0.01, 0.01);
	th->tick.data = th;
	ev_timer_start(th->loop, &th->tick);
	return 0;
}

int pb_threads_start(struct pb_run *run)
{
	for (unsigned i = 0; i < run->n_th; i++)
		if (pthread_create(&run->th[i].tid, NULL, pb_thread_main, &run->th[i]) != 0)
			return -1;
	return 0;
}

unsigned pb_share(unsigned total, unsigned parts, unsigned i)
{
	return parts ? total / parts + (i < total % parts) : 0;
}

/* --max-connecting is split over the threads exactly; the command line caps the threads at
 * it, so every thread that has peers to connect gets at least one. */
int pb_threads_init(struct pb_run *run)
{
	run->th = calloc(run->n_th, sizeof(*run->th));
	if (!run->th)
		return -1;
	for (unsigned i = 0; i < run->n_th; i++) {
		if (pb_thread_init(run, &run->th[i], i) < 0)
			return -1;
		run->th[i].max_handshaking = pb_share(run->cfg.max_connecting, run->n_th, i);
	}
	return 0;
}

void pb_threads_stop(struct pb_run *run)
{
	PB_STORE(run->acks, 0);
	pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_STOP });
	for (unsigned i = 0; i < run->n_th; i++)
		pthread_join(run->th[i].tid, NULL);
	for (unsigned i = 0; i < run->n_th; i++) {
		struct pb_thread *th = &run->th[i];
		if (th->listen_fd >= 0)
			close(th->listen_fd);
		/* The replay server's clients were allocated as they came. */
		for (uint32_t k = 0; run->cfg.replay && k < th->n_peers; k++)
			free(th->peers[k]);
		ev_loop_destroy(th->loop);
		msg_scratch_free(th->scratch);
		if (th->vcache)
			pb_vcache_free(th->vcache);
		free(th->rbuf);
		free(th->peers);
		free(th->connq);
		pthread_mutex_destroy(&th->mu);
	}
	free(run->th);
	run->th = NULL;
}

uint64_t pb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
