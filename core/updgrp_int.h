/* Update group internals shared by updgrp.c (groups, membership, dumps), updgrp_out.c
 * (pending changes, buckets, encoding into blocks) and updgrp_member.c (cursors, writes).
 * Not for use outside those files. */
#ifndef PRISM_CORE_UPDGRP_INT_H
#define PRISM_CORE_UPDGRP_INT_H

#include "core/peer.h"
#include "core/updgrp.h"

/* One pending change: the latest state a prefix must reach in the group's stream. */
struct updgrp_pend {
	struct prefix pfx;
	const struct attr *attrs; /* held; NULL: withdraw */
};

/* Prefixes waiting to be encoded, deduplicated: a newer change to a queued prefix replaces
 * the older one, so a flap that settles within one flush sends nothing twice. */
struct updgrp_pending {
	struct updgrp_pend *v;
	uint32_t n, cap;
	uint32_t *slot; /* open addressing: index + 1 into v, 0 when empty */
	uint32_t n_slots;
};

/* eBGP groups: received set -> set as sent, computed once per set. */
struct updgrp_memo_entry {
	const struct attr *in, *out; /* both held */
};

enum { UPDGRP_MEMO = 4096 };

/* Per worker, within a group: written only by that worker (ready) or the owner (n_members). */
struct updgrp_local {
	struct updgrp_member *members; /* this worker's members with a cursor */
	bool ready_pending;            /* atomic: a READY message is on its way */
	uint32_t n_members;            /* owner: members with a cursor on this worker */
	struct mbox_msg ready_msg;     /* reused: at most one in flight */
	struct updgrp *g;
};

struct updgrp {
	struct cds_lfht_node node;
	struct updgrp_key key;
	uint64_t hash;
	uint32_t id;
	struct worker *owner;
	struct daemon *d;
	struct msg_ctx ctx; /* how members read what the group writes */
	size_t block_size;
	struct updgrp *next_owned; /* in the owner's list */
	/* owner only */
	struct updgrp_block *tail; /* held */
	uint32_t tail_len;         /* written but not yet published */
	uint64_t appended;         /* atomic: stream octets published */
	struct updgrp_pending pend;
	struct updgrp_memo_entry *memo; /* eBGP groups */
	struct updgrp_member **joiners;
	uint32_t n_joiners, cap_joiners;
	ev_timer coalesce;
	struct updgrp_block *dump; /* the latest dump's first block, held; NULL: none */
	uint64_t dump_pos;         /* the stream position it joins */
	uint64_t dump_bytes;
	uint64_t dump_ns;
	uint32_t n_members;
	struct updgrp_local *local; /* [n_workers] */
	/* statistics (relaxed atomics) */
	uint64_t st_updates, st_prefixes, st_dumps, st_detached;
};

struct updgrp_member {
	struct sess *s;
	struct updgrp *g;
	uint32_t refcnt; /* atomic: the session, a pending join, a START in flight */
	bool dead;       /* atomic: the session left */
	unsigned worker; /* the member's worker: fixed */
	bool counted;    /* owner only: counted in local[worker].n_members */
	/* the member's worker only */
	struct updgrp_block *blk; /* held; NULL without a cursor */
	uint32_t off;
	uint32_t msg_left; /* octets of the current message still to write */
	bool joining;      /* a JOIN is on its way or waiting for a dump */
	bool resync;       /* rejoin once the carry is out */
	uint8_t err_afs;   /* enhanced refresh asked for these families: BoRR at the next start */
	bool refresh;      /* a ROUTE-REFRESH asked for the table: the next join takes a new dump */
	uint8_t eorr_afs;  /* ... and EoRR once the cursor leaves the dump */
	/* written before a JOIN goes, read by the owner: a refresh needs a dump taken now, not
	 * the last one (the last would announce again routes withdrawn since, until the
	 * stream after it withdraws them; and an enhanced refresh's EoRR would purge what
	 * came since) */
	bool new_dump;
	uint8_t *carry; /* the rest of a partly written message, once detached */
	uint32_t carry_len, carry_off;
	struct updgrp_member *next_local, *prev_local;
	bool on_local;
};

struct updgrp_msg {
	struct mbox_msg hdr;
	struct updgrp *g;
	struct updgrp_member *m;
	struct updgrp_block *blk; /* START: the cursor, held */
};

struct updgrp_table {
	struct daemon *d;
	struct cds_lfht *ht;
	uint32_t next_id;      /* atomic */
	struct updgrp **owned; /* [n_workers]: the groups each worker owns, its list head */
};

/* updgrp_out.c */
void updgrp_pending_init(struct updgrp_pending *p);
void updgrp_pending_free(struct updgrp_pending *p, struct attr_table *t);
/* Queues the state pfx must reach; attrs is held by the pending entry (a new reference). */
void updgrp_pending_put(struct updgrp *g, const struct prefix *pfx, const struct attr *attrs);
/* The set a change is sent with in group g, or NULL when g must not have the route. The
 * returned set is not held for the caller. */
const struct attr *updgrp_export(struct updgrp *g, const struct rib_change *ch);
void updgrp_memo_free(struct updgrp *g);
/* Encodes the pending changes into the stream and publishes them. Returns true when the
 * stream grew. */
bool updgrp_encode_pending(struct updgrp *g);
/* Encodes a set of (prefix, attrs) into a fresh chain of blocks, withdrawals first (there are
 * none in a dump), ending with End-of-RIB. */
struct updgrp_block *updgrp_encode_dump(struct updgrp *g, struct updgrp_pending *p,
                                        uint64_t *bytes);
struct updgrp_block *updgrp_block_new(size_t cap, uint64_t pos, bool dump);
void updgrp_block_ref(struct updgrp_block *b);
void updgrp_block_unref(struct updgrp_block *b);

/* updgrp_member.c */
void updgrp_member_ref(struct updgrp_member *m);
void updgrp_member_unref(struct updgrp_member *m);
/* The member's worker: a cursor arrived; start writing. */
void updgrp_member_start(struct worker *w, struct updgrp_member *m, struct updgrp_block *blk);
/* The member's worker: the group's stream grew. */
void updgrp_local_ready(struct worker *w, struct updgrp *g);
void updgrp_member_drop_cursor(struct updgrp_member *m);

/* updgrp.c */
void updgrp_post_join(struct updgrp_member *m);

#endif
