/* Worker threads: one libev loop each, a mailbox, and a flush before every sleep.
 *
 * Everything one loop iteration produces (RIB batches, best-path changes, encoded UPDATEs)
 * is sent from the prepare watcher, just before the loop blocks, so work is batched by
 * itself: under load an iteration handles many reads and sends few messages. A message to
 * the calling worker itself is handled at once, so one worker runs the whole pipeline in one
 * iteration without queueing. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bgp.h"
#include "core/log.h"
#include "core/peer.h"
#include "core/updgrp.h"
#include "io/listen.h"

enum { WORKER_RBUF = 256 * 1024 };

static __thread struct worker *worker_cur;

struct worker *worker_self(void) { return worker_cur; }

uint64_t d_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void worker_stop(struct worker *w)
{
	listen_stop(w);
	nbr_stop_all(w, ERR_CEASE_ADMIN_SHUTDOWN, "prismd is shutting down");
}

static void worker_dispatch(struct worker *w, struct mbox_msg *m)
{
	__atomic_add_fetch(&w->st.msgs_in, 1, __ATOMIC_RELAXED);
	switch ((enum d_msg_type)m->type) {
	case D_MSG_RIB_IN:
		rib_handle_in(w, (struct d_rib_in_msg *)m);
		break;
	case D_MSG_RIB_DROP:
		rib_handle_drop(w, (struct d_rib_drop_msg *)m);
		break;
	case D_MSG_RIB_STALE:
		rib_handle_stale(w, (struct d_rib_drop_msg *)m);
		break;
	case D_MSG_CHANGES:
		rib_handle_changes(w, (struct d_changes_msg *)m);
		break;
	case D_MSG_ACCEPT: {
		struct d_accept_msg *a = (struct d_accept_msg *)m;
		if (w->stopping)
			close(a->fd);
		else
			nbr_accepted(w, a->fd, &a->peer, &a->local, a->peer_index, a->range_index);
		free(a);
		break;
	}
	case D_MSG_GRP_JOIN:
	case D_MSG_GRP_LEAVE:
	case D_MSG_GRP_START:
	case D_MSG_GRP_READY:
		updgrp_handle(w, m);
		break;
	case D_MSG_STOP:
		__atomic_store_n(&w->stopping, true, __ATOMIC_RELEASE);
		worker_stop(w);
		free(m);
		break;
	case D_MSG_CALL: {
		struct d_call_msg *c = (struct d_call_msg *)m;
		unsigned *done = c->done;
		c->fn(c, w);
		if (done)
			__atomic_add_fetch(done, 1, __ATOMIC_RELEASE);
		break;
	}
	}
}

static void worker_dispatch_cb(struct mbox_msg *m, void *arg) { worker_dispatch(arg, m); }

void worker_post(struct worker *self, struct worker *w, struct mbox_msg *m)
{
	if (self == w)
		worker_dispatch(w, m);
	else
		mbox_post(&w->mbox, m);
}

static void worker_wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop, (void)revents;
	struct worker *w = a->data;
	mbox_drain(&w->mbox, worker_dispatch_cb, w);
}

/* One pass of everything this iteration left to send. */
static void worker_flush(struct worker *w)
{
	ingress_flush(w);
	rib_flush_drops(w);
	rib_flush_changes(w);
	updgrp_flush(w);
	sess_reap(w);
}

static void worker_prepare_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	(void)loop, (void)revents;
	struct worker *w = p->data;
	worker_flush(w);
	if (w->t_woke)
		__atomic_add_fetch(&w->st.busy_ns, d_now_ns() - w->t_woke, __ATOMIC_RELAXED);
	w->t_woke = 0;
}

static void worker_check_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	(void)loop, (void)revents;
	struct worker *w = c->data;
	w->t_woke = d_now_ns();
	__atomic_add_fetch(&w->st.loops, 1, __ATOMIC_RELAXED);
}

static void worker_load_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct worker *w = t->data;
	uint64_t now = d_now_ns(), busy = __atomic_load_n(&w->st.busy_ns, __ATOMIC_RELAXED);
	if (w->load_t0 && now > w->load_t0) {
		uint64_t pm = (busy - w->load_busy0) * 1000 / (now - w->load_t0);
		__atomic_store_n(&w->st.load_pm, (uint32_t)(pm > 1000 ? 1000 : pm),
		                 __ATOMIC_RELAXED);
	}
	w->load_t0 = now;
	w->load_busy0 = busy;
}

int worker_init(struct daemon *d, struct worker *w, unsigned id)
{
	memset(w, 0, sizeof(*w));
	w->d = d;
	w->id = id;
	snprintf(w->name, sizeof(w->name), "w%u", id);
	w->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	w->scratch = msg_scratch_new();
	w->rbuf_cap = WORKER_RBUF + BGP_EXT_MAX_LEN;
	w->rbuf = malloc(w->rbuf_cap);
	w->rib_out = calloc(d->n_shards, sizeof(struct d_rib_in_msg *));
	if (!w->loop || !w->scratch || !w->rbuf || !w->rib_out)
		return -1;
	mbox_init(&w->mbox, w->loop, worker_wake_cb, w);
	ev_prepare_init(&w->flush_w, worker_prepare_cb);
	w->flush_w.data = w;
	ev_prepare_start(w->loop, &w->flush_w);
	ev_check_init(&w->wake_w, worker_check_cb);
	w->wake_w.data = w;
	ev_check_start(w->loop, &w->wake_w);
	ev_timer_init(&w->load_w, worker_load_cb, 1, 1);
	w->load_w.data = w;
	ev_timer_start(w->loop, &w->load_w);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	worker_cur = w;
	rcu_register_thread();
	log_thread_name(w->name);
	pthread_setname_np(pthread_self(), w->name);
	listen_start(w);
	nbr_start_static(w);
	while (!w->stopping)
		ev_run(w->loop, EVRUN_ONCE);
	/* Stopping: keep serving messages (drops, changes) until the main thread says go. */
	while (!__atomic_load_n(&w->d->stopping, __ATOMIC_ACQUIRE))
		ev_run(w->loop, EVRUN_ONCE);
	worker_flush(w);
	rcu_unregister_thread();
	worker_cur = NULL;
	return NULL;
}

int worker_start(struct worker *w)
{
	return pthread_create(&w->tid, NULL, worker_main, w) == 0 ? 0 : -1;
}

void worker_join(struct worker *w) { pthread_join(w->tid, NULL); }

/* After every worker has stopped: what is still queued is handled here, by the main thread
 * acting for each worker in turn, until nothing is left. Returns messages handled. */
unsigned worker_drain_stopped(struct daemon *d)
{
	unsigned total = 0;
	for (unsigned round = 0; round < 1000; round++) {
		unsigned n = 0;
		for (unsigned i = 0; i < d->n_workers; i++) {
			struct worker *w = &d->workers[i];
			worker_cur = w;
			n += mbox_drain(&w->mbox, worker_dispatch_cb, w);
			worker_flush(w);
			n += w->n_drops !=
			     0; /* a flush that dropped more sources goes round again */
		}
		worker_cur = NULL;
		total += n;
		if (!n)
			break;
	}
	return total;
}

void worker_free(struct worker *w)
{
	rib_changes_free(&w->changes, w->d->attrs);
	if (w->loop) {
		ev_prepare_stop(w->loop, &w->flush_w);
		ev_check_stop(w->loop, &w->wake_w);
		ev_timer_stop(w->loop, &w->load_w);
		mbox_destroy(&w->mbox);
		ev_loop_destroy(w->loop);
	}
	msg_scratch_free(w->scratch);
	free(w->rbuf);
	free(w->rib_out);
	free(w->drops);
	free(w->listen_fd);
	free(w->listen_w);
}
