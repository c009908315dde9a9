/* From a decoded UPDATE to the RIB, and from the RIB to the update groups.
 *
 * Ingress applies the rules that decide whether a route is kept at all (core/reflect.c:
 * RFC 4456 8 loop prevention, RFC 8212 for external peers, AS_PATH loops), interns the
 * attribute set once
 * per UPDATE, derives the set reflected to internal peers once per interned set, and sorts
 * the prefixes into one batch per shard. The shard owners apply the batches and send their
 * best-path changes, in one shared batch, to every worker, for the groups each owns. */
#include <stdlib.h>
#include <string.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/peer.h"
#include "core/reflect.h"
#include "core/updgrp.h"

static struct reflect_peer ingress_peer(const struct sess *s)
{
	const struct rib_source *src = s->src;
	return (struct reflect_peer){
		.kind = src->kind,
		.import_all = s->n->cn->import == CFG_POLICY_ALL,
		.asn = src->asn,
		.router_id = src->router_id,
		.cluster_id = src->cluster_id,
	};
}

static const char *ingress_reject(const struct sess *s, const struct attr *a)
{
	struct reflect_peer peer = ingress_peer(s);
	return reflect_ingress_reject(&s->w->d->self, &peer, a);
}

/* NULL only when memory runs out; the caller treats the route as withdrawn. */
static const struct attr *ingress_out_set(const struct sess *s, const struct attr *in)
{
	size_t size = reflect_set_room(in);
	void *buf = malloc(size);
	struct reflect_peer peer = ingress_peer(s);
	struct attr *a = buf ? reflect_internal_set(&peer, in, buf, size) : NULL;
	const struct attr *out = a ? attr_intern(s->w->d->attrs, a) : NULL;
	free(buf);
	return out;
}

/* Once per interned set: consecutive UPDATEs with the same attributes reuse it. */
static const struct attr *ingress_out(struct sess *s, const struct attr *in)
{
	struct attr_table *t = s->w->d->attrs;
	if (s->last_in == in)
		return attr_ref(s->last_out);
	const struct attr *out = ingress_out_set(s, in);
	if (!out)
		return NULL;
	if (s->last_in) {
		attr_unref(t, s->last_in);
		attr_unref(t, s->last_out);
	}
	s->last_in = attr_ref(in);
	s->last_out = attr_ref(out);
	return out;
}

enum { INGRESS_CHANGES_EARLY = 4096 };

/* ---- batches per shard ---- */

static void ingress_post(struct worker *w, unsigned shard)
{
	struct d_rib_in_msg *m = w->rib_out[shard];
	w->rib_out[shard] = NULL;
	worker_post(w, d_shard_owner(w->d, shard), &m->hdr);
}

static void ingress_push(struct worker *w, const struct prefix *pfx, const struct attr *attrs,
                         struct rib_source *src)
{
	uint64_t h = rib_prefix_hash(pfx);
	unsigned shard = rib_shard_of_hash(h, w->d->n_shards);
	struct d_rib_in_msg *m = w->rib_out[shard];
	if (!m) {
		m = malloc(sizeof(*m));
		if (!m)
			log_die("no memory for a RIB batch");
		m->hdr.type = D_MSG_RIB_IN;
		m->shard = shard;
		m->n = 0;
		w->rib_out[shard] = m;
	}
	m->v[m->n++] = (struct rib_in){ .pfx = *pfx, .hash = h, .attrs = attrs, .src = src };
	if (m->n == D_RIB_BATCH)
		ingress_post(w, shard);
}

void ingress_flush(struct worker *w)
{
	for (unsigned s = 0; s < w->d->n_shards; s++)
		if (w->rib_out[s])
			ingress_post(w, s);
}

static void ingress_withdraw_list(struct sess *s, const struct prefix_list *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		ingress_push(s->w, &l->v[i], NULL, s->src);
}

static void ingress_announce_list(struct sess *s, const struct prefix_list *l, const struct attr *a)
{
	for (uint32_t i = 0; i < l->n; i++)
		ingress_push(s->w, &l->v[i], a, s->src);
}

void ingress_update(struct sess *s, const struct msg_update *u)
{
	struct worker *w = s->w;
	struct nbr *n = s->n;
	const struct prefix_list none = { 0 };
	const struct prefix_list *v4 = &u->nlri;
	const struct prefix_list *v6 = u->mp_reach.present ? &u->mp_reach.nlri : &none;
	uint32_t n_ann = v4->n + v6->n;
	const char *why = NULL;

	ingress_withdraw_list(s, &u->withdrawn);
	if (u->mp_unreach.present)
		ingress_withdraw_list(s, &u->mp_unreach.nlri);
	uint64_t wd = u->withdrawn.n + (u->mp_unreach.present ? u->mp_unreach.nlri.n : 0);
	if (n_ann && (u->action == MSG_TREAT_AS_WITHDRAW || !u->attrs ||
	              (why = ingress_reject(s, u->attrs)) != NULL)) {
		if (why)
			log_debug("%s: %u prefixes not accepted: %s", n->name, n_ann, why);
		ingress_withdraw_list(s, v4);
		ingress_withdraw_list(s, v6);
		__atomic_add_fetch(&n->st.rejected_in, n_ann, __ATOMIC_RELAXED);
		wd += n_ann;
		n_ann = 0;
	}
	/* The RIB keeps only the internal form of the set; the received one lives on in the
	 * session's memo until a different set comes. */
	const struct attr *a = n_ann ? attr_intern(w->d->attrs, u->attrs) : NULL;
	const struct attr *o = a ? ingress_out(s, a) : NULL;
	if (a)
		attr_unref(w->d->attrs, a);
	if (n_ann && !o) {
		log_warn("%s: out of memory for an attribute set; %u prefixes treated as withdrawn",
		         n->name, n_ann);
		ingress_withdraw_list(s, v4);
		ingress_withdraw_list(s, v6);
		n_ann = 0;
	}
	if (n_ann) {
		attr_ref_n(o, n_ann - 1); /* one reference per path; ingress_out gave one */
		ingress_announce_list(s, v4, o);
		ingress_announce_list(s, v6, o);
	}
	s->prefixes_in += n_ann + wd;
	__atomic_add_fetch(&n->st.updates_in, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n->st.prefixes_in, n_ann, __ATOMIC_RELAXED);
	__atomic_add_fetch(&n->st.withdrawn_in, wd, __ATOMIC_RELAXED);
	__atomic_add_fetch(&w->st.updates_in, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&w->st.prefixes_in, n_ann + wd, __ATOMIC_RELAXED);
}

/* The source's routes still in batches go first, so the drop comes after them everywhere. */
/* One copy of msg to every worker that owns a shard, after this worker's batches (so that
 * it comes after every path of the source that is still on its way). */
static void ingress_post_owners(struct worker *w, const struct d_rib_drop_msg *msg)
{
	struct daemon *d = w->d;
	ingress_flush(w);
	unsigned owners = d->n_shards < d->n_workers ? d->n_shards : d->n_workers;
	for (unsigned i = 0; i < owners; i++) {
		struct d_rib_drop_msg *m = malloc(sizeof(*m));
		if (!m)
			log_die("no memory for a RIB drop or refresh marker");
		*m = *msg;
		worker_post(w, &d->workers[i], &m->hdr);
	}
}

void ingress_drop_source(struct worker *w, struct rib_source *src)
{
	ingress_post_owners(w, &(struct d_rib_drop_msg){ .hdr.type = D_MSG_RIB_DROP, .src = src });
}

void ingress_refresh_marker(struct worker *w, struct rib_source *src, uint8_t afi, bool purge)
{
	ingress_post_owners(
	        w, &(struct d_rib_drop_msg){
	                   .hdr.type = D_MSG_RIB_STALE, .src = src, .afi = afi, .purge = purge });
}

/* ---- on the shard owners ---- */

void rib_handle_in(struct worker *w, struct d_rib_in_msg *m)
{
	struct rib_shard *s = w->d->shards[m->shard];
	rib_shard_apply(s, m->v, m->n, &w->changes);
	rib_shard_flush(s);
	free(m);
	/* Under a flood, pass changes on as they pile up rather than at the end of the loop
	 * iteration: it keeps the batches, and the memory they hold, small. */
	if (w->changes.n >= INGRESS_CHANGES_EARLY)
		rib_flush_changes(w);
}

/* Drops are gathered and done at the flush, all at once: when a thousand sessions go down
 * together, each shard is walked once, not a thousand times. */
void rib_handle_drop(struct worker *w, struct d_rib_drop_msg *m)
{
	if (w->n_drops == w->cap_drops) {
		unsigned cap = w->cap_drops ? w->cap_drops * 2 : 64;
		struct rib_source **v = realloc(w->drops, sizeof(struct rib_source *) * cap);
		if (!v)
			log_die("no memory for %u drops", cap);
		w->drops = v;
		w->cap_drops = cap;
	}
	w->drops[w->n_drops++] = m->src;
	free(m);
}

void rib_handle_stale(struct worker *w, struct d_rib_drop_msg *m)
{
	struct daemon *d = w->d;
	for (unsigned s = w->id; s < d->n_shards; s += d->n_workers) {
		if (m->purge)
			rib_shard_purge_stale(d->shards[s], m->src, m->afi, &w->changes);
		else
			rib_shard_mark_stale(d->shards[s], m->src, m->afi);
		rib_shard_flush(d->shards[s]);
	}
	free(m);
}

/* The shards this worker owns let go of the sources dropped since the last flush. Sending
 * the withdrawals early may close a session here, in this worker (a member that fails its
 * write), whose source then joins a fresh list: the list being walked is taken off the
 * worker first, and the new one is walked in the next round. */
void rib_flush_drops(struct worker *w)
{
	struct daemon *d = w->d;
	for (unsigned round = 0; w->n_drops && round < 16; round++) {
		struct rib_source **drops = w->drops;
		unsigned n_drops = w->n_drops, cap = w->cap_drops;
		w->drops = NULL;
		w->n_drops = w->cap_drops = 0;
		struct rib_source **gone = malloc(sizeof(struct rib_source *) * n_drops);
		if (!gone)
			log_die("no memory for %u drops", n_drops);
		for (unsigned s = w->id; s < d->n_shards; s += d->n_workers) {
			unsigned n =
			        rib_shard_drop(d->shards[s], drops, n_drops, &w->changes, gone);
			for (unsigned i = 0; i < n; i++)
				prism_call_rcu(&gone[i]->rcu, rib_source_free_rcu);
			rib_shard_flush(d->shards[s]);
			/* A big table going: its withdrawals leave shard by shard. */
			if (w->changes.n >= INGRESS_CHANGES_EARLY)
				rib_flush_changes(w);
		}
		free(gone);
		if (!w->drops) { /* nothing new: the array serves again */
			w->drops = drops;
			w->cap_drops = cap;
		} else {
			free(drops);
		}
	}
}

void rib_flush_changes(struct worker *w)
{
	struct daemon *d = w->d;
	if (!w->changes.n || !d->n_workers)
		return;
	struct d_changes *b = malloc(sizeof(*b));
	if (!b)
		log_die("no memory for a change batch");
	b->readers = d->n_workers;
	b->ch = w->changes;
	w->changes = (struct rib_changes){ 0 };
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct d_changes_msg *m = malloc(sizeof(*m));
		if (!m)
			log_die("no memory for a change batch");
		m->hdr.type = D_MSG_CHANGES;
		m->batch = b;
		worker_post(w, &d->workers[i], &m->hdr);
	}
}

void rib_handle_changes(struct worker *w, struct d_changes_msg *m)
{
	struct d_changes *b = m->batch;
	free(m);
	updgrp_handle_changes(w, &b->ch);
	if (__atomic_sub_fetch(&b->readers, 1, __ATOMIC_ACQ_REL) == 0) {
		rib_changes_free(&b->ch, w->d->attrs);
		free(b);
	}
}
