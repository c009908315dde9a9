/* prismd's runtime: the daemon, its worker threads, and the messages between them.
 *
 * W workers each run one libev loop. A worker owns its neighbors and their sessions
 * (sockets, FSM, timers, receive buffers, group cursors), the RIB shards s with
 * s % W == its id, and the update groups g with g->owner == its id. Work crosses threads
 * only as mailbox messages (core/mbox.h) or through RCU-protected read-mostly data: the
 * attribute intern table, the group table, the RIB shards (read by dumps and the API) and
 * the configuration. docs/threading.md names the writer of every object. */
#ifndef PRISM_CORE_DAEMON_H
#define PRISM_CORE_DAEMON_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/config.h"
#include "core/mbox.h"
#include "core/msg.h"
#include "core/reflect.h"
#include "core/sess.h"
#include "rib/rib.h"

struct updgrp;
struct updgrp_member;
struct updgrp_table;
struct nbr;
struct worker;
struct sess;

enum {
	D_RIB_BATCH = 1024, /* rib_in entries per message */
	D_MAX_WORKERS = 256,
	D_MAX_SHARDS = 65536,
};

/* ---- messages ---- */

enum d_msg_type {
	D_MSG_RIB_IN,    /* routes for one shard */
	D_MSG_RIB_DROP,  /* a source went down: drop its paths from every local shard */
	D_MSG_RIB_STALE, /* enhanced route refresh: mark a source's paths stale, or purge them */
	D_MSG_CHANGES,   /* best-path changes, for the groups a worker owns */
	D_MSG_ACCEPT,    /* a connection accepted elsewhere for a neighbor owned here */
	D_MSG_GRP_JOIN,  /* to a group's owner: a member wants the table */
	D_MSG_GRP_LEAVE, /* to a group's owner: a member is gone */
	D_MSG_GRP_START, /* to a member's worker: its cursor, once its dump is ready */
	D_MSG_GRP_READY, /* to a member's worker: the group's stream grew */
	D_MSG_STOP,      /* stop: say goodbye to every peer and leave the loop */
	D_MSG_CALL,      /* run a function on the worker (the API's queries) */
};

struct d_rib_in_msg {
	struct mbox_msg hdr;
	unsigned shard;
	uint32_t n;
	struct rib_in v[D_RIB_BATCH];
};

struct d_rib_drop_msg {
	struct mbox_msg hdr;
	struct rib_source *src;
	uint8_t afi; /* D_MSG_RIB_STALE: the family */
	bool purge;  /* D_MSG_RIB_STALE: EoRR (purge) rather than BoRR (mark) */
};

/* One batch of changes, shared by every worker (each reads it for the groups it owns);
 * the last reader frees it. Each worker gets its own small envelope. */
struct d_changes {
	unsigned readers; /* atomic */
	struct rib_changes ch;
};

struct d_changes_msg {
	struct mbox_msg hdr;
	struct d_changes *batch;
};

struct d_accept_msg {
	struct mbox_msg hdr;
	int fd;
	struct sockaddr_storage peer, local;
	int peer_index, range_index;
};

struct d_call_msg {
	struct mbox_msg hdr;
	void (*fn)(struct d_call_msg *m, struct worker *w);
	unsigned *done; /* atomic counter the caller waits on */
	void *arg;
};

/* ---- workers ---- */

struct worker_stats {
	uint64_t busy_ns; /* time spent handling events, not waiting */
	uint32_t load_pm; /* busy time over the last second, per mille */
	uint64_t loops;
	uint64_t msgs_in; /* mailbox messages handled */
	uint64_t updates_in, prefixes_in;
	uint64_t bytes_in, bytes_out;
	uint64_t sessions, established;
};

struct worker {
	struct daemon *d;
	unsigned id;
	char name[16];
	pthread_t tid;
	struct ev_loop *loop;
	struct mbox mbox;
	ev_prepare flush_w; /* before the loop sleeps: send what this iteration produced */
	ev_check wake_w;    /* after it wakes: busy-time accounting */
	ev_timer load_w;    /* once a second: the load figure */
	uint64_t t_woke, load_busy0, load_t0;
	/* ingress */
	struct msg_scratch *scratch;
	uint8_t *rbuf;
	size_t rbuf_cap;
	struct d_rib_in_msg **rib_out; /* per shard, the batch being filled */
	/* RIB: changes made by this worker's shards since the last flush, and sources whose
	 * paths go at the next flush */
	struct rib_changes changes;
	struct rib_source **drops;
	unsigned n_drops, cap_drops;
	/* neighbors and sessions */
	struct nbr *nbrs;
	struct nbr_map *dyn;   /* dynamic neighbors by address */
	struct sess *dead;     /* closed sessions, freed when the current event is done */
	uint64_t jitter_state; /* connect-retry jitter (core/peer.c) */
	/* listeners */
	unsigned n_listen;
	int *listen_fd;
	ev_io *listen_w;
	bool stopping;
	struct worker_stats st; /* relaxed atomics */
};

/* ---- the daemon ---- */

struct daemon {
	struct cfg *cfg;
	uint32_t router_id, asn, cluster_id;
	struct reflect_self self; /* with every cluster ID in use, for loop detection */
	unsigned n_workers, n_shards;
	struct worker *workers;
	struct rib_shard **shards;
	struct attr_table *attrs;
	struct updgrp_table *groups;
	struct sess_offer offer_base; /* what every OPEN offers, before per-neighbor settings */
	uint32_t next_source_id;      /* atomic */
	uint32_t *range_peers;        /* atomic: dynamic peers per range */
	uint64_t t_start_ns;
	bool stopping;
};

static inline struct worker *d_shard_owner(struct daemon *d, unsigned shard)
{
	return &d->workers[shard % d->n_workers];
}

static inline struct worker *d_worker_of(struct daemon *d, unsigned key)
{
	return &d->workers[key % d->n_workers];
}

/* ---- worker.c ---- */

int worker_init(struct daemon *d, struct worker *w, unsigned id);
int worker_start(struct worker *w);
void worker_join(struct worker *w);
void worker_free(struct worker *w);
/* Posts m to w; when w is the calling worker the message is handled at once. */
void worker_post(struct worker *self, struct worker *w, struct mbox_msg *m);
/* After the workers have left their loops: the main thread handles what is still queued,
 * for each worker in turn, until nothing is left. */
unsigned worker_drain_stopped(struct daemon *d);
/* The worker the calling thread runs, or NULL on the main thread. */
struct worker *worker_self(void);
uint64_t d_now_ns(void);

/* ---- ingress.c: from decoded UPDATE to RIB batches ---- */

void ingress_update(struct sess *s, const struct msg_update *u);
/* Sends every partly filled RIB batch (from the flush watcher). */
void ingress_flush(struct worker *w);
void ingress_drop_source(struct worker *w, struct rib_source *src);
/* RFC 7313 BoRR (purge false) or EoRR (purge true) from the session's peer for afi. */
void ingress_refresh_marker(struct worker *w, struct rib_source *src, uint8_t afi, bool purge);
/* Handlers for the RIB messages, on the shard owner. */
void rib_handle_in(struct worker *w, struct d_rib_in_msg *m);
void rib_handle_drop(struct worker *w, struct d_rib_drop_msg *m);
void rib_flush_drops(struct worker *w);
void rib_handle_stale(struct worker *w, struct d_rib_drop_msg *m);
/* Sends the changes this worker's shards made to every group owner. */
void rib_flush_changes(struct worker *w);
void rib_handle_changes(struct worker *w, struct d_changes_msg *m);

#endif
