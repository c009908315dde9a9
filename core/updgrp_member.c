/* Members: a cursor into the group's stream, and writing from it with writev. Everything
 * here runs on the member's worker. Control messages (KEEPALIVE, NOTIFICATION) may only go
 * between two stream messages, so the cursor tracks how much of the current message is
 * still to be written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/updgrp_int.h"

enum { UPDGRP_IOV = 64, UPDGRP_WRITE_MAX = 1 << 20 };

void updgrp_member_ref(struct updgrp_member *m)
{
	__atomic_add_fetch(&m->refcnt, 1, __ATOMIC_RELAXED);
}

void updgrp_member_unref(struct updgrp_member *m)
{
	if (__atomic_sub_fetch(&m->refcnt, 1, __ATOMIC_ACQ_REL) == 0) {
		free(m->carry);
		free(m);
	}
}

/* ---- the worker's list of members of a group ---- */

static void updgrp_local_link(struct worker *w, struct updgrp_member *m)
{
	struct updgrp_local *l = &m->g->local[w->id];
	if (m->on_local)
		return;
	m->prev_local = NULL;
	m->next_local = l->members;
	if (l->members)
		l->members->prev_local = m;
	l->members = m;
	m->on_local = true;
}

static void updgrp_local_unlink(struct updgrp_member *m)
{
	struct updgrp_local *l = &m->g->local[m->worker];
	if (!m->on_local)
		return;
	if (m->prev_local)
		m->prev_local->next_local = m->next_local;
	else
		l->members = m->next_local;
	if (m->next_local)
		m->next_local->prev_local = m->prev_local;
	m->next_local = m->prev_local = NULL;
	m->on_local = false;
}

void updgrp_member_drop_cursor(struct updgrp_member *m)
{
	updgrp_local_unlink(m);
	updgrp_block_unref(m->blk);
	m->blk = NULL;
	m->off = 0;
	m->msg_left = 0;
}

/* RFC 7313 markers, as control messages between stream messages. */
static void updgrp_send_markers(struct sess *s, uint8_t afs, uint8_t subtype)
{
	static const uint16_t afi[AF_IDX_N] = { AFI_IPV4, AFI_IPV6 };
	for (int af = 0; af < AF_IDX_N; af++) {
		if (!(afs & (1u << af)))
			continue;
		uint8_t msg[32];
		struct msg_refresh r = { .afi = afi[af], .subtype = subtype, .safi = SAFI_UNICAST };
		size_t n = msg_refresh_encode(&r, msg, sizeof(msg));
		if (n)
			sess_queue_ctl(s, msg, n);
	}
}

void updgrp_member_start(struct worker *w, struct updgrp_member *m, struct updgrp_block *blk)
{
	updgrp_block_unref(m->blk);
	m->blk = blk;
	m->off = 0;
	m->msg_left = 0;
	if (m->resync) {
		/* a refresh came while the join was on its way (updgrp_resync()): nothing of
		 * this dump has gone out; the write path joins again, for a new one */
		updgrp_block_unref(m->blk);
		m->blk = NULL;
		sess_want_write(m->s);
		return;
	}
	updgrp_local_link(w, m);
	if (m->err_afs) {
		updgrp_send_markers(m->s, m->err_afs, RR_BORR);
		m->eorr_afs = m->err_afs;
		m->err_afs = 0;
	}
	sess_want_write(m->s);
}

/* ---- the cursor ---- */

/* Moves past a block that is final and fully read, so that it can be freed. Leaving the
 * dump for the stream ends an enhanced refresh: EoRR goes out there. */
static void updgrp_cursor_settle(struct updgrp_member *m)
{
	for (;;) {
		struct updgrp_block *b = m->blk;
		struct updgrp_block *next = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE);
		if (!next || m->off < __atomic_load_n(&b->len, __ATOMIC_ACQUIRE))
			return;
		if (b->dump && !next->dump && m->eorr_afs) {
			uint8_t afs = m->eorr_afs;
			m->eorr_afs = 0;
			updgrp_send_markers(m->s, afs, RR_EORR);
		}
		updgrp_block_ref(next);
		m->off = b->next_off;
		m->blk = next;
		updgrp_block_unref(b);
	}
}

/* Accounts for k octets written from the cursor. */
static void updgrp_cursor_advance(struct updgrp_member *m, size_t k)
{
	while (k) {
		updgrp_cursor_settle(m);
		struct updgrp_block *b = m->blk;
		if (m->msg_left == 0)
			m->msg_left = get_u16(b->data + m->off + 16);
		uint32_t step = m->msg_left < k ? m->msg_left : (uint32_t)k;
		m->off += step;
		m->msg_left -= step;
		k -= step;
	}
	updgrp_cursor_settle(m);
}

/* The octets after the cursor, as iovecs; returns how many. */
static int updgrp_cursor_iov(const struct updgrp_member *m, struct iovec *iov, int max,
                             size_t *total)
{
	const struct updgrp_block *b = m->blk;
	uint32_t off = m->off;
	int n = 0;
	*total = 0;
	while (b && n < max && *total < UPDGRP_WRITE_MAX) {
		/* next first: once it is set, len is final */
		const struct updgrp_block *next = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE);
		uint32_t len = __atomic_load_n(&b->len, __ATOMIC_ACQUIRE);
		if (off < len) {
			iov[n].iov_base = (void *)(b->data + off);
			iov[n].iov_len = len - off;
			*total += len - off;
			n++;
		}
		/* an EoRR is due where the dump ends: stop there, so it goes in between */
		if (!next || (m->eorr_afs && b->dump && !next->dump))
			break;
		off = b->next_off;
		b = next;
	}
	return n;
}

static uint64_t updgrp_member_lag(const struct updgrp_member *m)
{
	uint64_t appended = __atomic_load_n(&m->g->appended, __ATOMIC_ACQUIRE);
	/* Inside a dump, the stream has been growing since the dump's join position. */
	uint64_t at = m->blk->pos + (m->blk->dump ? 0 : m->off);
	return appended > at ? appended - at : 0;
}

/* ---- detaching a member that fell too far behind, or resyncing one ---- */

/* Lets go of the stream at once. A partly written message is copied out first, so that the
 * peer still gets whole messages. The member rejoins with a dump once that is written. */
static void updgrp_member_detach(struct updgrp_member *m)
{
	if (m->blk && m->msg_left) {
		m->carry = malloc(m->msg_left);
		if (!m->carry)
			log_die("no memory for %u octets", m->msg_left);
		memcpy(m->carry, m->blk->data + m->off, m->msg_left);
		m->carry_len = m->msg_left;
		m->carry_off = 0;
	}
	updgrp_member_drop_cursor(m);
	m->resync = true;
}

void updgrp_resync(struct sess *s, uint8_t err_afs)
{
	struct updgrp_member *m = s->member;
	if (!m)
		return;
	m->err_afs |= err_afs;
	m->refresh = true;
	if (m->resync)
		return; /* a rejoin is due anyway: it takes a new dump, and brings the markers */
	if (m->joining) {
		/* The JOIN on its way may be served the last dump, taken before this request:
		 * once that one starts, the member lets it go and joins again. */
		if (!m->new_dump)
			m->resync = true;
		return;
	}
	updgrp_member_detach(m);
	sess_want_write(s);
}

/* ---- writing ---- */

static ssize_t updgrp_writev(struct sess *s, const struct iovec *iov, int n)
{
	ssize_t w = writev(s->fd, iov, n);
	if (w > 0)
		__atomic_add_fetch(&s->w->st.bytes_out, (uint64_t)w, __ATOMIC_RELAXED);
	return w;
}

/* Returns 1 when everything went, 0 when the socket is full, -1 on an error. */
static int updgrp_write_buf(struct sess *s, const uint8_t *p, size_t len, size_t *off)
{
	while (*off < len) {
		struct iovec iov = { .iov_base = (void *)(p + *off), .iov_len = len - *off };
		ssize_t w = updgrp_writev(s, &iov, 1);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		*off += (size_t)w;
	}
	return 1;
}

static int updgrp_write_carry(struct sess *s, struct updgrp_member *m)
{
	size_t off = m->carry_off;
	int r = updgrp_write_buf(s, m->carry, m->carry_len, &off);
	m->carry_off = (uint32_t)off;
	if (r == 1) {
		free(m->carry);
		m->carry = NULL;
		m->carry_len = m->carry_off = 0;
	}
	return r;
}

static int updgrp_write_ctl(struct sess *s)
{
	struct sess_ctl *c = &s->ctl;
	int r = updgrp_write_buf(s, c->buf, c->len, &c->off);
	if (r == 1)
		c->len = c->off = 0;
	return r;
}

/* One writev. Returns 1 when the stream is drained, 2 when there may be more, 0 when the
 * socket is full, -1 on an error. */
static int updgrp_write_stream(struct sess *s, struct updgrp_member *m)
{
	struct iovec iov[UPDGRP_IOV];
	size_t total;
	int n = updgrp_cursor_iov(m, iov, UPDGRP_IOV, &total);
	if (n == 0) {
		updgrp_cursor_settle(m); /* a marker may be due at a block's end */
		return s->ctl.len ? 2 : 1;
	}
	ssize_t w = updgrp_writev(s, iov, n);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	updgrp_cursor_advance(m, (size_t)w);
	return (size_t)w < total ? 0 : 2;
}

bool updgrp_member_at_boundary(const struct sess *s)
{
	const struct updgrp_member *m = s->member;
	return !m || (m->msg_left == 0 && !m->carry);
}

bool updgrp_member_idle(const struct sess *s)
{
	const struct updgrp_member *m = s->member;
	if (!m)
		return true;
	if (m->carry || m->resync)
		return false;
	if (!m->blk)
		return true;
	struct iovec iov[1];
	size_t total;
	return updgrp_cursor_iov(m, iov, 1, &total) == 0;
}

/* Control messages go between stream messages: each round writes them first when the
 * cursor is at a boundary. Bounded, so that one member does not keep the worker. */
int updgrp_member_write(struct sess *s)
{
	struct updgrp_member *m = s->member;
	int r = 1;
	for (int round = 0; round < 16; round++) {
		if (m && m->carry && (r = updgrp_write_carry(s, m)) != 1)
			return r;
		if (s->ctl.len && updgrp_member_at_boundary(s) && (r = updgrp_write_ctl(s)) != 1)
			return r;
		if (s->ctl.off) /* a control message is half out: nothing else may go */
			return 0;
		if (m && m->resync && !m->carry && !m->joining) {
			m->resync = false;
			updgrp_post_join(m);
			return 1;
		}
		if (!m || !m->blk)
			return 1;
		r = updgrp_write_stream(s, m);
		if (r != 2)
			return r;
	}
	return 0; /* more to do: come back when writable, so others get their turn */
}

/* A worker's members of g: the stream grew. Members whose sockets are full wait for their
 * write watcher, unless they have fallen so far behind that they must let go. */
void updgrp_local_ready(struct worker *w, struct updgrp *g)
{
	size_t limit = w->d->cfg->slow_peer_bytes;
	struct updgrp_member *m = g->local[w->id].members, *next;
	for (; m; m = next) {
		next = m->next_local;
		struct sess *s = m->s;
		if (!ev_is_active(&s->wio)) {
			sess_want_write(s);
			continue;
		}
		if (m->blk && updgrp_member_lag(m) > limit) {
			log_warn(
			        "%s: %llu octets behind its update group; detached, resync follows",
			        s->n->name, (unsigned long long)updgrp_member_lag(m));
			__atomic_add_fetch(&g->st_detached, 1, __ATOMIC_RELAXED);
			updgrp_member_detach(m);
		}
	}
}
