/* Mailboxes over cds_wfcq. The queue's own atomics are liburcu's, which ThreadSanitizer cannot
 * see, so under TSan posting releases the message and draining acquires it: the same order
 * the queue guarantees. */
#include "core/mbox.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define MBOX_RELEASE(p) __tsan_release(p)
#define MBOX_ACQUIRE(p) __tsan_acquire(p)
#else
#define MBOX_RELEASE(p) ((void)(p))
#define MBOX_ACQUIRE(p) ((void)(p))
#endif

void mbox_init(struct mbox *mb, struct ev_loop *loop, void (*cb)(struct ev_loop *, ev_async *, int),
               void *data)
{
	cds_wfcq_init(&mb->head, &mb->tail);
	mb->loop = loop;
	mb->posted = 0;
	ev_async_init(&mb->wake, cb);
	mb->wake.data = data;
	ev_async_start(loop, &mb->wake);
}

void mbox_destroy(struct mbox *mb)
{
	ev_async_stop(mb->loop, &mb->wake);
	cds_wfcq_destroy(&mb->head, &mb->tail);
}

void mbox_post(struct mbox *mb, struct mbox_msg *m)
{
	cds_wfcq_node_init(&m->node);
	MBOX_RELEASE(m);
	cds_wfcq_enqueue(&mb->head, &mb->tail, &m->node);
	__atomic_add_fetch(&mb->posted, 1, __ATOMIC_RELAXED);
	ev_async_send(mb->loop, &mb->wake);
}

unsigned mbox_drain(struct mbox *mb, mbox_fn fn, void *arg)
{
	struct cds_wfcq_head head;
	struct cds_wfcq_tail tail;
	struct cds_wfcq_node *node, *next;
	unsigned n = 0;

	cds_wfcq_init(&head, &tail);
	/* One splice takes everything queued so far; what arrives meanwhile wakes us again. */
	if (__cds_wfcq_splice_blocking(&head, &tail, &mb->head, &mb->tail) ==
	    CDS_WFCQ_RET_SRC_EMPTY) {
		cds_wfcq_destroy(&head, &tail);
		return 0;
	}
	__cds_wfcq_for_each_blocking_safe (&head, &tail, node, next) {
		struct mbox_msg *m = caa_container_of(node, struct mbox_msg, node);
		MBOX_ACQUIRE(m);
		fn(m, arg);
		n++;
	}
	cds_wfcq_destroy(&head, &tail);
	return n;
}
