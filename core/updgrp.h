/* Update groups: peers whose outbound UPDATEs would be byte-identical share one group, and
 * every UPDATE is encoded once per group.
 *
 * A group's output is a stream: a chain of refcounted blocks of whole messages. Its owner
 * (one worker) buckets changed prefixes by outbound attributes, withdrawals first, packs them
 * into as few UPDATEs as fit, and appends them to the tail block. Each member has a cursor
 * into the stream, and the member's own worker writes the blocks to its socket with writev.
 * A block is freed when the last cursor has passed it.
 *
 * A member joining gets a dump: the whole table encoded for the group into a chain of its
 * own, which ends by linking into the stream where the dump was taken. Joiners within a short
 * coalescing window, and later ones while the dump is still fresh, share one dump. A member
 * that falls more than slow-peer-bytes behind lets go of the stream and is resynced with a
 * dump once it drains, so a stuck peer neither stalls the others nor pins memory.
 *
 * Threads: the group's owner writes the stream, its pending changes and its member counts;
 * each member's worker writes that member's cursor. Blocks are read by member workers while
 * the owner appends: a block's published length and next link are release stores. */
#ifndef PRISM_CORE_UPDGRP_H
#define PRISM_CORE_UPDGRP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/daemon.h"

enum updgrp_kind { UPDGRP_CLIENT, UPDGRP_NONCLIENT, UPDGRP_EBGP };

/* Everything that changes what a member is sent. Compared as bytes: fill with
 * updgrp_key_init() so that padding is zero. */
struct updgrp_key {
	uint8_t kind; /* enum updgrp_kind */
	bool af[AF_IDX_N];
	bool as4;
	bool ext_msg;
	bool export_all; /* eBGP: RFC 8212 export policy */
	bool c2c;        /* client groups: reflect between clients of the cluster */
	uint8_t pad;
	uint32_t cluster_id; /* client groups */
	uint8_t nh4[4];      /* eBGP: next-hop-self, the session's local address */
	uint8_t nh6[16];
};

void updgrp_key_init(struct updgrp_key *k);

/* What a session's key is made of. Settings that cannot change a member's output (a cluster
 * ID for a non-client, a local address for an internal peer) are left out of the key, so
 * that such peers still share a group. */
struct updgrp_key_src {
	bool ebgp, rr_client;
	const struct sess_params *sp;
	uint32_t cluster_id;   /* the peer's cluster, resolved (override or global) */
	bool client_to_client; /* resolved: global and per-neighbor setting */
	bool export_all;       /* eBGP export policy */
	const struct sockaddr_storage *local; /* the session's local address */
	const uint8_t *nh4, *nh6; /* eBGP: configured next hops, NULL for the local address */
};
void updgrp_key_make(const struct updgrp_key_src *in, struct updgrp_key *k);
/* A one-line description of a key, for logs and the API (the debug dump). */
void updgrp_key_format(const struct updgrp_key *k, char *buf, size_t size);

struct updgrp_block {
	uint32_t refcnt; /* atomic: cursors here, the link from the previous block, the tail */
	uint32_t cap;
	uint32_t len;              /* published octets: atomic, release/acquire */
	struct updgrp_block *next; /* atomic, set once the block is final */
	uint32_t next_off;         /* where reading continues in next */
	uint64_t pos;              /* stream position of data[0]; for a dump block, the
	                                   position where the dump joins the stream */
	bool dump;
	uint8_t data[];
};

struct updgrp_member;

struct updgrp_table *updgrp_table_new(struct daemon *d);
void updgrp_table_free(struct updgrp_table *t);

/* At Established: the session joins its group (made on first use). */
void updgrp_join(struct sess *s, const struct updgrp_key *k);
/* The session is going away: its member lets go. Safe at any point after join. */
void updgrp_leave(struct sess *s);
/* ROUTE-REFRESH: send the session the whole table again. err_afs (bit AF_IDX_IPV4 /
 * AF_IDX_IPV6) asks for RFC 7313 framing: BoRR before the table, EoRR after it. */
void updgrp_resync(struct sess *s, uint8_t err_afs);

/* Writes what the member's cursor has to the socket, after any control message the session
 * has queued (those go between messages only). Returns -1 on a socket error. */
int updgrp_member_write(struct sess *s);
/* True when the member's stream is between messages, so a control message may go. */
bool updgrp_member_at_boundary(const struct sess *s);
/* True when the member has nothing left to write. */
bool updgrp_member_idle(const struct sess *s);

/* Message handlers on the owner and member workers. */
void updgrp_handle(struct worker *w, struct mbox_msg *m);
void updgrp_handle_changes(struct worker *w, const struct rib_changes *ch);
/* From the flush watcher: encode pending changes of the groups w owns, then write members
 * of groups with new data. */
void updgrp_flush(struct worker *w);

struct updgrp_stats {
	uint32_t id;
	char key[160];
	unsigned owner;
	uint32_t members;
	uint64_t appended, updates, prefixes, dumps, detached;
};
/* Octets held in stream blocks, over every group. */
uint64_t updgrp_blocks_bytes(void);
/* Calls fn for every group (any thread). */
void updgrp_each(struct updgrp_table *t, void (*fn)(const struct updgrp_stats *, void *),
                 void *arg);

#endif
