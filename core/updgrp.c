/* Update groups: the group table, keys, membership, and dumps for joining members. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "core/log.h"
#include "core/updgrp_int.h"

enum {
	UPDGRP_BLOCK = 64 * 1024,
	UPDGRP_BLOCK_EXT = 256 * 1024,
	UPDGRP_DUMP_FRESH_MIN = 64 * 1024, /* stream growth under which a dump is reused */
	UPDGRP_DUMP_FRESH_NS = 10,         /* seconds */
	UPDGRP_PENDING_EARLY = 16384,
};

/* ---- keys ---- */

void updgrp_key_init(struct updgrp_key *k) { memset(k, 0, sizeof(*k)); }

void updgrp_key_make(const struct updgrp_key_src *in, struct updgrp_key *k)
{
	updgrp_key_init(k);
	k->kind = in->ebgp ? UPDGRP_EBGP : in->rr_client ? UPDGRP_CLIENT : UPDGRP_NONCLIENT;
	k->af[AF_IDX_IPV4] = in->sp->af[AF_IDX_IPV4];
	k->af[AF_IDX_IPV6] = in->sp->af[AF_IDX_IPV6];
	k->as4 = in->sp->tx.as4;
	k->ext_msg = in->sp->tx.ext_msg;
	if (k->kind == UPDGRP_CLIENT) {
		k->cluster_id = in->cluster_id;
		k->c2c = in->client_to_client;
	}
	if (k->kind != UPDGRP_EBGP)
		return;
	k->export_all = in->export_all;
	const struct sockaddr_storage *l = in->local;
	if (l->ss_family == AF_INET) {
		memcpy(k->nh4, &((const struct sockaddr_in *)l)->sin_addr, 4);
		/* an IPv6 next hop over an IPv4 session: the IPv4-mapped address */
		k->nh6[10] = k->nh6[11] = 0xff;
		memcpy(k->nh6 + 12, k->nh4, 4);
	} else if (l->ss_family == AF_INET6) {
		memcpy(k->nh6, &((const struct sockaddr_in6 *)l)->sin6_addr, 16);
	}
	if (in->nh4)
		memcpy(k->nh4, in->nh4, 4);
	if (in->nh6)
		memcpy(k->nh6, in->nh6, 16);
}

static const char *updgrp_kind_name(uint8_t kind)
{
	return kind == UPDGRP_CLIENT ? "client" : kind == UPDGRP_NONCLIENT ? "non-client" : "ebgp";
}

void updgrp_key_format(const struct updgrp_key *k, char *buf, size_t size)
{
	char cl[INET_ADDRSTRLEN] = "", nh4[INET_ADDRSTRLEN] = "", nh6[INET6_ADDRSTRLEN] = "";
	uint32_t c = htonl(k->cluster_id);
	inet_ntop(AF_INET, &c, cl, sizeof(cl));
	inet_ntop(AF_INET, k->nh4, nh4, sizeof(nh4));
	inet_ntop(AF_INET6, k->nh6, nh6, sizeof(nh6));
	int n = snprintf(buf, size, "%s%s%s%s %s %s", updgrp_kind_name(k->kind),
	                 k->af[AF_IDX_IPV4] ? " ipv4" : "", k->af[AF_IDX_IPV6] ? " ipv6" : "",
	                 k->as4 ? " as4" : " as2", k->ext_msg ? "65535" : "4096",
	                 k->kind == UPDGRP_EBGP ? (k->export_all ? "export-all" : "export-none")
	                                        : "");
	if (n < 0 || (size_t)n >= size)
		return;
	if (k->kind == UPDGRP_CLIENT)
		snprintf(buf + n, size - (size_t)n, "cluster %s c2c %s", cl, k->c2c ? "on" : "off");
	else if (k->kind == UPDGRP_EBGP)
		snprintf(buf + n, size - (size_t)n, " next-hop %s %s", nh4, nh6);
}

/* ---- the table ---- */

static int updgrp_match(struct cds_lfht_node *node, const void *key)
{
	const struct updgrp *g = caa_container_of(node, struct updgrp, node);
	return memcmp(&g->key, key, sizeof(g->key)) == 0;
}

struct updgrp_table *updgrp_table_new(struct daemon *d)
{
	struct updgrp_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->d = d;
	t->ht = cds_lfht_new(16, 16, 0, PRISM_LFHT_FLAGS, NULL);
	t->owned = calloc(d->n_workers, sizeof(struct updgrp *));
	if (!t->ht || !t->owned) {
		free(t->owned);
		free(t);
		return NULL;
	}
	return t;
}

static void updgrp_free(struct updgrp *g)
{
	struct attr_table *at = g->d->attrs;
	updgrp_pending_free(&g->pend, at);
	updgrp_memo_free(g);
	for (uint32_t i = 0; i < g->n_joiners; i++)
		updgrp_member_unref(g->joiners[i]);
	free(g->joiners);
	updgrp_block_unref(g->dump);
	updgrp_block_unref(g->tail);
	free(g->local);
	free(g);
}

/* After the workers have stopped: no member and no message is left. */
void updgrp_table_free(struct updgrp_table *t)
{
	struct cds_lfht_iter it;
	struct updgrp *g;
	prism_rcu_read_lock();
	cds_lfht_for_each_entry (t->ht, &it, g, node)
		cds_lfht_del(t->ht, &g->node);
	prism_rcu_read_unlock();
	for (unsigned w = 0; w < t->d->n_workers; w++) {
		while (t->owned[w]) {
			g = t->owned[w];
			t->owned[w] = g->next_owned;
			updgrp_free(g);
		}
	}
	cds_lfht_destroy(t->ht, NULL);
	free(t->owned);
	free(t);
}

static void updgrp_coalesce_cb(struct ev_loop *loop, ev_timer *tw, int revents);

static struct updgrp *updgrp_create(struct updgrp_table *t, const struct updgrp_key *k,
                                    uint64_t hash)
{
	struct daemon *d = t->d;
	struct updgrp *g = calloc(1, sizeof(*g));
	if (!g)
		log_die("no memory for an update group");
	g->key = *k;
	g->hash = hash;
	g->d = d;
	g->id = __atomic_add_fetch(&t->next_id, 1, __ATOMIC_RELAXED);
	g->owner = d_worker_of(d, g->id);
	g->ctx = (struct msg_ctx){ .as4 = k->as4,
		                   .ext_msg = k->ext_msg,
		                   .ebgp = k->kind == UPDGRP_EBGP };
	g->block_size = k->ext_msg ? UPDGRP_BLOCK_EXT : UPDGRP_BLOCK;
	g->tail = updgrp_block_new(g->block_size, 0, false);
	updgrp_pending_init(&g->pend);
	g->local = calloc(d->n_workers, sizeof(*g->local));
	if (!g->local)
		log_die("no memory for an update group");
	for (unsigned i = 0; i < d->n_workers; i++) {
		g->local[i].g = g;
		g->local[i].ready_msg.type = D_MSG_GRP_READY;
	}
	ev_timer_init(&g->coalesce, updgrp_coalesce_cb, 0, 0);
	g->coalesce.data = g;
	return g;
}

/* Finds the group for k, making it when no member has needed it yet. Any worker. */
static struct updgrp *updgrp_get(struct updgrp_table *t, const struct updgrp_key *k)
{
	uint64_t h = XXH3_64bits(k, sizeof(*k));
	struct cds_lfht_iter it;
	prism_rcu_read_lock();
	cds_lfht_lookup(t->ht, h, updgrp_match, k, &it);
	struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
	prism_rcu_read_unlock();
	if (n) {
		prism_rcu_subscribe(n);
		return caa_container_of(n, struct updgrp, node);
	}
	struct updgrp *g = updgrp_create(t, k, h);
	prism_rcu_publish(g);
	prism_rcu_read_lock();
	n = cds_lfht_add_unique(t->ht, h, updgrp_match, k, &g->node);
	prism_rcu_read_unlock();
	if (n != &g->node) { /* another worker made it first */
		prism_rcu_subscribe(n);
		updgrp_block_unref(g->tail);
		free(g->local);
		free(g);
		return caa_container_of(n, struct updgrp, node);
	}
	char key[160];
	updgrp_key_format(k, key, sizeof(key));
	log_info("update group %u: %s (owner w%u)", g->id, key, g->owner->id);
	return g;
}

/* The owner links a group into its list the first time it hears of it. */
static void updgrp_adopt(struct updgrp *g)
{
	struct updgrp_table *t = g->d->groups;
	for (struct updgrp *x = t->owned[g->owner->id]; x; x = x->next_owned)
		if (x == g)
			return;
	g->next_owned = t->owned[g->owner->id];
	t->owned[g->owner->id] = g;
}

void updgrp_each(struct updgrp_table *t, void (*fn)(const struct updgrp_stats *, void *), void *arg)
{
	struct cds_lfht_iter it;
	struct updgrp *g;
	prism_rcu_read_lock();
	cds_lfht_for_each_entry (t->ht, &it, g, node) {
		struct updgrp_stats st = {
			.id = g->id,
			.owner = g->owner->id,
			.members = __atomic_load_n(&g->n_members, __ATOMIC_RELAXED),
			.appended = __atomic_load_n(&g->appended, __ATOMIC_RELAXED),
			.updates = __atomic_load_n(&g->st_updates, __ATOMIC_RELAXED),
			.prefixes = __atomic_load_n(&g->st_prefixes, __ATOMIC_RELAXED),
			.dumps = __atomic_load_n(&g->st_dumps, __ATOMIC_RELAXED),
			.detached = __atomic_load_n(&g->st_detached, __ATOMIC_RELAXED),
		};
		updgrp_key_format(&g->key, st.key, sizeof(st.key));
		fn(&st, arg);
	}
	prism_rcu_read_unlock();
}

/* ---- membership ---- */

static struct updgrp_msg *updgrp_msg_new(uint16_t type, struct updgrp *g, struct updgrp_member *m)
{
	struct updgrp_msg *msg = calloc(1, sizeof(*msg));
	if (!msg)
		log_die("no memory for a group message");
	msg->hdr.type = type;
	msg->g = g;
	msg->m = m;
	return msg;
}

void updgrp_post_join(struct updgrp_member *m)
{
	struct worker *self = &m->g->d->workers[m->worker];
	m->joining = true;
	m->new_dump = m->refresh || m->err_afs != 0;
	m->refresh = false;
	updgrp_member_ref(m); /* the joiner list's reference */
	worker_post(self, m->g->owner, &updgrp_msg_new(D_MSG_GRP_JOIN, m->g, m)->hdr);
}

void updgrp_join(struct sess *s, const struct updgrp_key *k)
{
	struct updgrp_member *m = calloc(1, sizeof(*m));
	if (!m)
		log_die("no memory for a group member");
	m->s = s;
	m->worker = s->w->id;
	m->g = updgrp_get(s->w->d->groups, k);
	m->refcnt = 1; /* the session's */
	s->member = m;
	updgrp_post_join(m);
}

void updgrp_leave(struct sess *s)
{
	struct updgrp_member *m = s->member;
	if (!m)
		return;
	s->member = NULL;
	__atomic_store_n(&m->dead, true, __ATOMIC_RELEASE);
	updgrp_member_drop_cursor(m);
	free(m->carry);
	m->carry = NULL;
	/* The session's reference goes with the message; the owner lets go of it. */
	worker_post(s->w, m->g->owner, &updgrp_msg_new(D_MSG_GRP_LEAVE, m->g, m)->hdr);
}

static bool updgrp_dump_fresh(const struct updgrp *g, uint64_t now)
{
	if (!g->dump)
		return false;
	uint64_t grown = g->appended - g->dump_pos;
	uint64_t limit =
	        g->dump_bytes > UPDGRP_DUMP_FRESH_MIN ? g->dump_bytes : UPDGRP_DUMP_FRESH_MIN;
	return grown <= limit && now - g->dump_ns < UPDGRP_DUMP_FRESH_NS * 1000000000ull;
}

struct updgrp_walk {
	struct updgrp *g;
	struct updgrp_pending *p;
};

/* Under RCU: a set seen here may be on its way out; then the prefix is changing and its
 * change will follow in the stream, so it is left out of the dump. */
static void updgrp_walk_one(const struct rib_prefix *rp, void *arg)
{
	struct updgrp_walk *wk = arg;
	const struct rib_path *best = &rp->paths[0];
	struct rib_change ch = {
		.attrs = best->attrs,
		.src_id = best->src->id,
		.src_cluster = best->src->cluster_id,
		.src_kind = (uint8_t)best->src->kind,
		.src_c2c = best->src->client_to_client,
	};
	rib_prefix_get(rp, &ch.pfx);
	if (!wk->g->key.af[ch.pfx.afi == AFI_IPV6 ? AF_IDX_IPV6 : AF_IDX_IPV4])
		return;
	if (wk->g->key.kind == UPDGRP_EBGP && !attr_ref_live(ch.attrs))
		return;
	const struct attr *a = updgrp_export(wk->g, &ch);
	if (wk->g->key.kind == UPDGRP_EBGP)
		attr_unref(wk->g->d->attrs, ch.attrs);
	if (!a || !attr_ref_live(a))
		return;
	struct updgrp_pending *p = wk->p;
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 4096;
		struct updgrp_pend *v = realloc(p->v, sizeof(*v) * cap);
		if (!v)
			log_die("no memory for a dump of %u prefixes", cap);
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct updgrp_pend){ .pfx = ch.pfx, .attrs = a };
}

/* The whole table for g, read from every shard under RCU. */
static void updgrp_build_dump(struct updgrp *g)
{
	struct daemon *d = g->d;
	struct updgrp_pending p;
	struct updgrp_walk wk = { .g = g, .p = &p };
	uint64_t t0 = d_now_ns();

	updgrp_pending_init(&p);
	for (unsigned s = 0; s < d->n_shards; s++) {
		prism_rcu_read_lock();
		rib_shard_walk(d->shards[s], updgrp_walk_one, &wk);
		prism_rcu_read_unlock();
	}
	updgrp_block_unref(g->dump);
	g->dump_pos = g->appended;
	g->dump = updgrp_encode_dump(g, &p, &g->dump_bytes);
	g->dump_ns = d_now_ns();
	__atomic_store_n(&g->st_dumps, g->st_dumps + 1, __ATOMIC_RELAXED);
	log_debug("group %u: dump of %u prefixes, %llu octets, in %.1f ms", g->id, p.n,
	          (unsigned long long)g->dump_bytes, (double)(g->dump_ns - t0) / 1e6);
	updgrp_pending_free(&p, d->attrs);
}

/* ---- members counted per worker (owner side) ---- */

static void updgrp_count(struct updgrp *g, unsigned worker, int delta)
{
	g->local[worker].n_members += (uint32_t)delta;
	__atomic_store_n(&g->n_members, g->n_members + (uint32_t)delta, __ATOMIC_RELAXED);
}

/* Tells every worker with members that the stream grew, the owner too (through its own
 * mailbox: its members write after this flush). */
static void updgrp_notify(struct updgrp *g)
{
	struct daemon *d = g->d;
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct updgrp_local *l = &g->local[i];
		if (!l->n_members || __atomic_exchange_n(&l->ready_pending, true, __ATOMIC_ACQ_REL))
			continue;
		worker_post(g->owner, &d->workers[i], &l->ready_msg);
	}
}

static void updgrp_send_starts(struct updgrp *g)
{
	for (uint32_t i = 0; i < g->n_joiners; i++) {
		struct updgrp_member *m = g->joiners[i];
		if (__atomic_load_n(&m->dead, __ATOMIC_ACQUIRE)) {
			updgrp_member_unref(m);
			continue;
		}
		if (!m->counted) {
			m->counted = true;
			updgrp_count(g, m->worker, +1);
		}
		struct updgrp_msg *msg = updgrp_msg_new(D_MSG_GRP_START, g, m);
		updgrp_block_ref(g->dump);
		msg->blk = g->dump;
		/* the joiner list's reference on m goes with the message; m->s may be going away
		 * on its own worker, so only the fixed worker index is used here */
		worker_post(g->owner, &g->d->workers[m->worker], &msg->hdr);
	}
	g->n_joiners = 0;
}

static void updgrp_serve_joiners(struct updgrp *g)
{
	if (!g->n_joiners)
		return;
	/* Everything processed so far goes into the stream first, so the dump and the stream
	 * after it miss nothing. */
	if (updgrp_encode_pending(g))
		updgrp_notify(g);
	bool fresh = updgrp_dump_fresh(g, d_now_ns());
	for (uint32_t i = 0; i < g->n_joiners && fresh; i++)
		fresh = !g->joiners[i]->new_dump;
	if (!fresh)
		updgrp_build_dump(g);
	log_debug(
	        "group %u: %u joiners get %s dump (%llu octets at %llu; stream at %llu, %u members)",
	        g->id, g->n_joiners, fresh ? "the last" : "a new",
	        (unsigned long long)g->dump_bytes, (unsigned long long)g->dump_pos,
	        (unsigned long long)g->appended, g->n_members);
	updgrp_send_starts(g);
}

static void updgrp_coalesce_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	(void)loop, (void)revents;
	updgrp_serve_joiners(tw->data);
}

static void updgrp_handle_join(struct worker *w, struct updgrp_member *m)
{
	struct updgrp *g = m->g;
	updgrp_adopt(g);
	if (g->n_joiners == g->cap_joiners) {
		uint32_t cap = g->cap_joiners ? g->cap_joiners * 2 : 16;
		struct updgrp_member **v =
		        realloc(g->joiners, sizeof(struct updgrp_member *) * cap);
		if (!v)
			log_die("no memory for joiners");
		g->joiners = v;
		g->cap_joiners = cap;
	}
	g->joiners[g->n_joiners++] = m;
	if (ev_is_active(&g->coalesce))
		return;
	/* A fresh dump can be served at once; the first one waits for company. */
	double delay = updgrp_dump_fresh(g, d_now_ns()) ? 0 : w->d->cfg->coalesce_ms / 1000.0;
	ev_timer_set(&g->coalesce, delay, 0);
	ev_timer_start(w->loop, &g->coalesce);
}

void updgrp_handle_changes(struct worker *w, const struct rib_changes *ch)
{
	for (struct updgrp *g = w->d->groups->owned[w->id]; g; g = g->next_owned) {
		if (!g->n_members) {
			/* A member that joins later gets a dump, and not the last one: the stream
			 * after it misses these changes. */
			log_debug("group %u: %u changes skipped, no members%s", g->id, ch->n,
			          g->dump ? "; last dump dropped" : "");
			updgrp_block_unref(g->dump);
			g->dump = NULL;
			continue;
		}
		for (uint32_t i = 0; i < ch->n; i++) {
			const struct rib_change *c = &ch->v[i];
			if (!g->key.af[c->pfx.afi == AFI_IPV6 ? AF_IDX_IPV6 : AF_IDX_IPV4])
				continue;
			updgrp_pending_put(g, &c->pfx, updgrp_export(g, c));
		}
		/* A flood is encoded as it comes, in chunks, so pending stays small. */
		if (g->pend.n >= UPDGRP_PENDING_EARLY && updgrp_encode_pending(g))
			updgrp_notify(g);
	}
}

void updgrp_flush(struct worker *w)
{
	uint64_t now = d_now_ns();
	for (struct updgrp *g = w->d->groups->owned[w->id]; g; g = g->next_owned) {
		if (updgrp_encode_pending(g))
			updgrp_notify(g);
		/* The last dump holds the stream from where it was taken on: once it is too old
		 * to serve again, it goes, and the members' cursors alone hold the stream. */
		if (g->dump && !updgrp_dump_fresh(g, now)) {
			updgrp_block_unref(g->dump);
			g->dump = NULL;
		}
	}
}

/* ---- messages ---- */

static void updgrp_handle_start(struct worker *w, struct updgrp_msg *msg)
{
	struct updgrp_member *m = msg->m;
	if (__atomic_load_n(&m->dead, __ATOMIC_ACQUIRE)) {
		updgrp_block_unref(msg->blk);
		updgrp_member_unref(m);
		return;
	}
	m->joining = false;
	/* the message's reference on m is the counted membership's; LEAVE drops it */
	updgrp_member_unref(m);
	updgrp_member_start(w, m, msg->blk);
}

/* LEAVE on the owner: a member that was sent a cursor is counted no more. A joiner still
 * waiting is dead now and dropped when the dump is ready. */
static void updgrp_handle_leave(struct updgrp_member *m)
{
	if (m->counted) {
		m->counted = false;
		updgrp_count(m->g, m->worker, -1);
	}
	updgrp_member_unref(m);
}

void updgrp_handle(struct worker *w, struct mbox_msg *m)
{
	if (m->type == D_MSG_GRP_READY) {
		struct updgrp_local *l = caa_container_of(m, struct updgrp_local, ready_msg);
		__atomic_store_n(&l->ready_pending, false, __ATOMIC_RELEASE);
		updgrp_local_ready(w, l->g);
		return;
	}
	struct updgrp_msg *msg = (struct updgrp_msg *)m;
	switch (m->type) {
	case D_MSG_GRP_JOIN:
		updgrp_handle_join(w, msg->m);
		break;
	case D_MSG_GRP_START:
		updgrp_handle_start(w, msg);
		break;
	case D_MSG_GRP_LEAVE:
		updgrp_handle_leave(msg->m);
		break;
	default:
		break;
	}
	free(msg);
}
