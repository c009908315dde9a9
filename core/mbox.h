/* Mailboxes: the only way work crosses between worker threads. Each worker has one: a
 * cds_wfcq queue that any thread may append to, and an ev_async that wakes the worker's
 * loop. ev_async coalesces wakeups, so the worker drains the whole queue each time.
 * Messages carry batches (of routes, changes, connections), never one prefix each. */
#ifndef PRISM_CORE_MBOX_H
#define PRISM_CORE_MBOX_H

#include <ev.h>
#include <stdint.h>

#include <urcu/wfcqueue.h>

struct mbox_msg {
	struct cds_wfcq_node node;
	uint16_t type;
};

struct mbox {
	struct cds_wfcq_head head;
	struct cds_wfcq_tail tail;
	struct ev_loop *loop;
	ev_async wake;
	uint64_t posted; /* relaxed atomic */
};

typedef void (*mbox_fn)(struct mbox_msg *m, void *arg);

/* cb runs on the owner's loop when messages may be waiting; it calls mbox_drain(). */
void mbox_init(struct mbox *mb, struct ev_loop *loop, void (*cb)(struct ev_loop *, ev_async *, int),
               void *data);
void mbox_destroy(struct mbox *mb);
/* Any thread. The message belongs to the receiver from here on. */
void mbox_post(struct mbox *mb, struct mbox_msg *m);
/* Owner thread: hands every queued message to fn, in order. Returns how many. */
unsigned mbox_drain(struct mbox *mb, mbox_fn fn, void *arg);

#endif
