/* A listener's table: every route it holds, checked against the exact attributes the
 * reflector must send, and counted against want[] as routes come and go. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bench/pb.h"
#include "core/bgp.h"
#include "core/buf.h"

static bool pb_is_own(const struct pb_table *t, const struct pb_plan *p, uint32_t r)
{
	(void)p;
	return r - t->own_lo < t->own_n;
}

/* Full recount; run by the table's thread. */
static void pb_table_recount(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x)
{
	uint32_t expect = 0, good = 0, extra = 0, wrong = 0, own = 0;
	for (uint32_t r = 0; r < t->n_routes; r++) {
		uint16_t h = t->have[r], w = PB_LOAD(x->want[r]);
		if (pb_is_own(t, p, r)) {
			own += h != PB_HAVE_NONE;
			continue;
		}
		expect += w != PB_WANT_ABSENT;
		if (h == PB_HAVE_WRONG)
			wrong++;
		else if (w != PB_WANT_ABSENT && h == w)
			good++;
		else if (w == PB_WANT_ABSENT && h != PB_HAVE_NONE)
			extra++;
	}
	PB_STORE(t->n_expect, expect);
	PB_STORE(t->n_good, good);
	PB_STORE(t->n_extra, extra);
	PB_STORE(t->n_wrong, wrong);
	PB_STORE(t->n_own, own);
}

int pb_table_init(struct pb_table *t, const struct pb_plan *p, int64_t own_feeder,
                  const struct pb_expect *x)
{
	memset(t, 0, sizeof(*t));
	t->n_routes = p->n_routes;
	t->own_feeder = own_feeder;
	t->own_lo = own_feeder >= 0 ? (uint32_t)own_feeder * p->per_feeder : 0;
	t->own_n = own_feeder >= 0 ? p->per_feeder : 0;
	t->have = calloc(p->n_routes ? p->n_routes : 1, sizeof(*t->have));
	if (!t->have)
		return -1;
	pb_table_recount(t, p, x);
	return 0;
}

void pb_table_free(struct pb_table *t)
{
	free(t->have);
	free(t->unknown);
	free(t->unknown_used);
	t->have = NULL;
	t->unknown = NULL;
	t->unknown_used = NULL;
	t->unknown_cap = 0;
}

void pb_table_reset(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x)
{
	memset(t->have, 0, sizeof(*t->have) * t->n_routes);
	if (t->unknown_cap)
		memset(t->unknown_used, 0, t->unknown_cap);
	PB_STORE(t->n_unknown, 0);
	PB_STORE(t->t_correct_ns, 0);
	pb_table_recount(t, p, x);
}

bool pb_table_correct(const struct pb_table *t)
{
	return PB_LOAD(t->n_good) == PB_LOAD(t->n_expect) && PB_LOAD(t->n_extra) == 0 &&
	       PB_LOAD(t->n_wrong) == 0 && PB_LOAD(t->n_unknown) == 0;
}

/* +1 or -1 for the counter that (have, want) falls under. */
static void pb_table_count(struct pb_table *t, uint16_t h, uint16_t w, int d)
{
	if (h == PB_HAVE_WRONG)
		PB_STORE(t->n_wrong, t->n_wrong + (uint32_t)d);
	else if (w != PB_WANT_ABSENT && h == w)
		PB_STORE(t->n_good, t->n_good + (uint32_t)d);
	else if (w == PB_WANT_ABSENT && h != PB_HAVE_NONE)
		PB_STORE(t->n_extra, t->n_extra + (uint32_t)d);
}

/* Moves route r to state v. Returns 1 when it changed. */
static uint32_t pb_table_set(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                             uint32_t r, uint16_t v, uint64_t now, struct pb_hist *hist)
{
	uint16_t old = t->have[r];
	if (old == v)
		return 0;
	t->have[r] = v;
	if (pb_is_own(t, p, r)) {
		PB_STORE(t->n_own, t->n_own + (v != PB_HAVE_NONE) - (old != PB_HAVE_NONE));
		return 1;
	}
	uint16_t w = PB_LOAD(x->want[r]);
	pb_table_count(t, old, w, -1);
	pb_table_count(t, v, w, +1);
	if (v == w) {
		uint64_t sent = PB_LOAD(x->t_sent[r]);
		if (sent && now > sent && hist)
			pb_hist_add(hist, (now - sent) / 1000);
	}
	return 1;
}

static bool pb_table_expected_attrs(struct pb_table *t, const struct pb_plan *p, uint32_t f,
                                    uint32_t s, uint32_t epoch, bool v6)
{
	if (t->cache_ok && t->cache_f == f && t->cache_s == s && t->cache_epoch == epoch &&
	    t->cache_v6 == v6)
		return true;
	t->cache_ok = pb_attrs_build(p, f, s, epoch, v6, true, t->cache, sizeof(t->cache)) != NULL;
	t->cache_f = f;
	t->cache_s = s;
	t->cache_epoch = epoch;
	t->cache_v6 = v6;
	return t->cache_ok;
}

/* The epoch the attributes carry, or -1 when they are not exactly what feeder f sent plus
 * the reflection attributes. An IPv4 route is compared without the MP next hop, which
 * belongs to IPv6 NLRI that may share its UPDATE. */
static int64_t pb_table_verify(struct pb_table *t, const struct pb_plan *p, uint32_t r,
                               const struct attr *a)
{
	if (!a || !attr_has(a, ATTR_MED) || a->med > PB_EPOCH_MAX)
		return -1;
	bool v6 = pb_route_v6(p, r);
	if (!pb_table_expected_attrs(t, p, pb_route_owner(p, r), pb_route_set(p, r), a->med, v6))
		return -1;
	const struct attr *want = (const struct attr *)t->cache;
	if (v6)
		return a->key_len == want->key_len && !memcmp(a->key, want->key, a->key_len)
		               ? (int64_t)a->med
		               : -1;
	size_t a_off = 1u + a->key[0], w_off = 1u + want->key[0];
	if (a->key_len - a_off != want->key_len - w_off ||
	    memcmp(a->key + a_off, want->key + w_off, want->key_len - w_off) != 0)
		return -1;
	return (int64_t)a->med;
}

static void pb_table_changed(struct pb_table *t, uint32_t changed, uint64_t now_ns)
{
	if (!changed)
		return;
	PB_STORE(t->t_change_ns, now_ns);
	if (pb_table_correct(t))
		PB_STORE(t->t_correct_ns, now_ns);
}

static uint32_t pb_unknown_hash(const struct prefix *pfx)
{
	return (uint32_t)XXH3_64bits(&pfx->afi, 18);
}

/* The slot of pfx, or of where it would go; -1 when the set has no room. */
static int64_t pb_unknown_find(const struct pb_table *t, const struct prefix *pfx)
{
	int64_t free_slot = -1;
	if (!t->unknown_cap)
		return -1;
	for (uint32_t i = pb_unknown_hash(pfx) & (t->unknown_cap - 1), n = 0; n < t->unknown_cap;
	     i = (i + 1) & (t->unknown_cap - 1), n++) {
		if (t->unknown_used[i] == 0)
			return free_slot >= 0 ? free_slot : (int64_t)i;
		if (t->unknown_used[i] == 2) {
			if (free_slot < 0)
				free_slot = i;
		} else if (prefix_equal(&t->unknown[i], pfx)) {
			return i;
		}
	}
	return free_slot;
}

static void pb_unknown_grow(struct pb_table *t)
{
	uint32_t cap = t->unknown_cap ? t->unknown_cap * 2 : 64;
	struct prefix *old = t->unknown;
	uint8_t *old_used = t->unknown_used;
	uint32_t old_cap = t->unknown_cap;
	t->unknown = calloc(cap, sizeof(*t->unknown));
	t->unknown_used = calloc(cap, 1);
	if (!t->unknown || !t->unknown_used)
		abort();
	t->unknown_cap = cap;
	for (uint32_t i = 0; i < old_cap; i++) {
		if (old_used[i] != 1)
			continue;
		int64_t k = pb_unknown_find(t, &old[i]);
		t->unknown[k] = old[i];
		t->unknown_used[k] = 1;
	}
	free(old);
	free(old_used);
}

static void pb_table_unknown(struct pb_table *t, const struct prefix *pfx)
{
	struct prefix k = *pfx;
	k.path_id = 0;
	if ((t->n_unknown + 1) * 2 > t->unknown_cap)
		pb_unknown_grow(t);
	int64_t i = pb_unknown_find(t, &k);
	if (t->unknown_used[i] == 1)
		return;
	t->unknown[i] = k;
	t->unknown_used[i] = 1;
	PB_STORE(t->n_unknown, t->n_unknown + 1);
}

static void pb_table_unknown_gone(struct pb_table *t, const struct prefix *pfx)
{
	struct prefix k = *pfx;
	k.path_id = 0;
	int64_t i = pb_unknown_find(t, &k);
	if (i < 0 || t->unknown_used[i] != 1)
		return;
	t->unknown_used[i] = 2;
	PB_STORE(t->n_unknown, t->n_unknown - 1);
}

struct pb_apply {
	struct pb_table *t;
	const struct pb_plan *p;
	const struct pb_expect *x;
	const struct msg_update *u;
	uint64_t now;
	struct pb_hist *hist;
	/* the verdict for the last (feeder, set, family) seen in this UPDATE */
	bool have_last;
	uint32_t last_f, last_s;
	bool last_v6;
	int64_t last_epoch;
};

static uint32_t pb_apply_withdraw(struct pb_apply *ap, const struct prefix_list *l)
{
	uint32_t changed = 0;
	for (uint32_t i = 0; i < l->n; i++) {
		int64_t r = pb_route_of(ap->p, &l->v[i]);
		if (r >= 0)
			changed += pb_table_set(ap->t, ap->p, ap->x, (uint32_t)r, PB_HAVE_NONE,
			                        ap->now, ap->hist);
		else if (ap->t->n_unknown)
			pb_table_unknown_gone(ap->t, &l->v[i]);
	}
	return changed;
}

static uint16_t pb_apply_verdict(struct pb_apply *ap, uint32_t r)
{
	uint32_t f = pb_route_owner(ap->p, r), s = pb_route_set(ap->p, r);
	bool v6 = pb_route_v6(ap->p, r);
	if (!ap->have_last || f != ap->last_f || s != ap->last_s || v6 != ap->last_v6) {
		ap->last_epoch = pb_table_verify(ap->t, ap->p, r, ap->u->attrs);
		ap->last_f = f;
		ap->last_s = s;
		ap->last_v6 = v6;
		ap->have_last = true;
	}
	return ap->last_epoch < 0 ? PB_HAVE_WRONG : (uint16_t)(ap->last_epoch + 1);
}

static uint32_t pb_apply_announce(struct pb_apply *ap, const struct prefix_list *l)
{
	uint32_t changed = 0;
	for (uint32_t i = 0; i < l->n; i++) {
		int64_t r = pb_route_of(ap->p, &l->v[i]);
		if (r < 0) {
			pb_table_unknown(ap->t, &l->v[i]);
			continue;
		}
		uint16_t v = pb_apply_verdict(ap, (uint32_t)r);
		changed += pb_table_set(ap->t, ap->p, ap->x, (uint32_t)r, v, ap->now, ap->hist);
	}
	return changed;
}

uint32_t pb_table_apply(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                        const struct msg_update *u, uint64_t now_ns, struct pb_hist *h)
{
	struct pb_apply ap = { .t = t, .p = p, .x = x, .u = u, .now = now_ns, .hist = h };
	uint32_t changed = 0;
	bool withdraw_all = u->action == MSG_TREAT_AS_WITHDRAW;

	if (u->action != MSG_OK)
		t->n_errors++;
	changed += pb_apply_withdraw(&ap, &u->withdrawn);
	if (u->mp_unreach.present)
		changed += pb_apply_withdraw(&ap, &u->mp_unreach.nlri);
	if (withdraw_all) {
		changed += pb_apply_withdraw(&ap, &u->nlri);
		if (u->mp_reach.present)
			changed += pb_apply_withdraw(&ap, &u->mp_reach.nlri);
	} else {
		changed += pb_apply_announce(&ap, &u->nlri);
		if (u->mp_reach.present)
			changed += pb_apply_announce(&ap, &u->mp_reach.nlri);
	}
	pb_table_changed(t, changed, now_ns);
	return changed;
}

/* ---- the fast path ---- */

static const uint8_t pb_mask[8] = { 0xff, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe };

/* Reads one IPv4 prefix; false when it runs past end or is longer than /32. */
static bool pb_read_v4(const uint8_t **pp, const uint8_t *end, struct prefix *out)
{
	const uint8_t *p = *pp;
	if (p >= end || *p > 32)
		return false;
	unsigned bits = *p++, n = (bits + 7) >> 3;
	if ((size_t)(end - p) < n)
		return false;
	memset(out, 0, sizeof(*out));
	out->afi = AFI_IPV4;
	out->len = (uint8_t)bits;
	memcpy(out->addr, p, n);
	if (bits & 7)
		out->addr[n - 1] &= pb_mask[bits & 7];
	*pp = p + n;
	return true;
}

static bool pb_v4_list_ok(const uint8_t *p, const uint8_t *end)
{
	struct prefix pfx;
	while (p < end)
		if (!pb_read_v4(&p, end, &pfx))
			return false;
	return true;
}

/* Both caches are 4-way set associative: a thousand feeders' blocks would collide often in
 * a direct-mapped one, and a collision in the middle of a dump costs every listener a full
 * decode. */
static struct pb_vcache_entry *pb_vcache_set(struct pb_vcache *c, uint64_t h)
{
	return &c->e[((h >> 20) & (PB_VCACHE_N / PB_VCACHE_WAYS - 1)) * PB_VCACHE_WAYS];
}

static const struct pb_vcache_entry *pb_vcache_find(struct pb_vcache *c, const uint8_t *a,
                                                    uint16_t alen)
{
	if (alen == 0 || alen > PB_VCACHE_BYTES)
		return NULL;
	uint64_t h = XXH3_64bits(a, alen);
	const struct pb_vcache_entry *e = pb_vcache_set(c, h);
	for (unsigned w = 0; w < PB_VCACHE_WAYS; w++)
		if (e[w].len == alen && e[w].hash == h && memcmp(e[w].bytes, a, alen) == 0)
			return &e[w];
	return NULL;
}

static struct pb_mcache_entry *pb_mcache_set(struct pb_vcache *c, uint64_t h)
{
	return &c->m[((h >> 17) & (PB_MCACHE_N / PB_VCACHE_WAYS - 1)) * PB_VCACHE_WAYS];
}

static struct pb_mcache_entry *pb_mcache_find(struct pb_vcache *c, uint64_t h, const uint8_t *msg,
                                              size_t len)
{
	struct pb_mcache_entry *m = pb_mcache_set(c, h);
	for (unsigned w = 0; w < PB_VCACHE_WAYS; w++)
		if (m[w].len == len && m[w].hash == h && memcmp(m[w].msg, msg, len) == 0)
			return &m[w];
	return NULL;
}

/* The way to fill: an empty one, else the next in turn. */
static unsigned pb_victim(struct pb_vcache *c, bool empty0, bool empty1, bool empty2, bool empty3)
{
	if (empty0)
		return 0;
	if (empty1)
		return 1;
	if (empty2)
		return 2;
	if (empty3)
		return 3;
	return c->next_way++ % PB_VCACHE_WAYS;
}

static uint32_t pb_replay(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                          const struct pb_mcache_entry *m, uint64_t now_ns, struct pb_hist *h)
{
	uint32_t changed = 0;
	const uint32_t *r = (const uint32_t *)(m->msg + ((m->len + 3u) & ~3u));
	for (uint32_t i = 0; i < m->n_wd; i++)
		changed += pb_table_set(t, p, x, r[i], PB_HAVE_NONE, now_ns, h);
	for (uint32_t i = 0; i < m->n_ann; i++)
		changed += pb_table_set(t, p, x, r[m->n_wd + i], m->v, now_ns, h);
	return changed;
}

/* Parses msg's prefixes into routes, or false when one is unknown or does not fit the
 * attribute block's verdict (then the UPDATE is applied prefix by prefix instead). */
static bool pb_parse_routes(const struct pb_plan *p, const struct pb_vcache_entry *e,
                            const uint8_t *wd, const uint8_t *wd_end, const uint8_t *nlri,
                            const uint8_t *end, uint32_t *out, uint32_t *n_wd, uint32_t *n_ann)
{
	struct prefix pfx;
	uint32_t n = 0;
	for (const uint8_t *q = wd; q < wd_end;) {
		pb_read_v4(&q, wd_end, &pfx);
		int64_t r = pb_route_of(p, &pfx);
		if (r < 0)
			return false;
		out[n++] = (uint32_t)r;
	}
	*n_wd = n;
	for (const uint8_t *q = nlri; q < end;) {
		pb_read_v4(&q, end, &pfx);
		int64_t r = pb_route_of(p, &pfx);
		uint32_t f, s;
		bool v6;
		if (r < 0)
			return false;
		pb_route_info(p, (uint32_t)r, &f, &s, &v6);
		if (f != e->f || s != e->s || v6)
			return false;
		out[n++] = (uint32_t)r;
	}
	*n_ann = n - *n_wd;
	return true;
}

static void pb_mcache_store(struct pb_mcache_entry *m, uint64_t hash, const uint8_t *msg,
                            size_t len, const uint32_t *routes, uint32_t n_wd, uint32_t n_ann,
                            uint16_t v)
{
	size_t at = (len + 3u) & ~(size_t)3u;
	uint8_t *buf = realloc(m->msg, at + sizeof(uint32_t) * (n_wd + n_ann));
	if (!buf)
		return;
	memcpy(buf, msg, len);
	memcpy(buf + at, routes, sizeof(uint32_t) * (n_wd + n_ann));
	m->msg = buf;
	m->hash = hash;
	m->len = (uint32_t)len;
	m->n_wd = n_wd;
	m->n_ann = n_ann;
	m->v = v;
}

/* Prefix by prefix, for an UPDATE that cannot be cached. */
static uint32_t pb_apply_each(struct pb_table *t, const struct pb_plan *p,
                              const struct pb_expect *x, const struct pb_vcache_entry *e,
                              const uint8_t *wd, const uint8_t *wd_end, const uint8_t *nlri,
                              const uint8_t *end, uint64_t now_ns, struct pb_hist *h)
{
	uint32_t changed = 0;
	struct prefix pfx;
	for (const uint8_t *q = wd; q < wd_end;) {
		pb_read_v4(&q, wd_end, &pfx);
		int64_t r = pb_route_of(p, &pfx);
		if (r >= 0)
			changed += pb_table_set(t, p, x, (uint32_t)r, PB_HAVE_NONE, now_ns, h);
		else if (t->n_unknown)
			pb_table_unknown_gone(t, &pfx);
	}
	for (const uint8_t *q = nlri; q < end;) {
		pb_read_v4(&q, end, &pfx);
		int64_t r = pb_route_of(p, &pfx);
		if (r < 0) {
			pb_table_unknown(t, &pfx);
			continue;
		}
		/* The block is right for its feeder and set only. */
		uint32_t f, s;
		bool v6;
		pb_route_info(p, (uint32_t)r, &f, &s, &v6);
		bool fits = f == e->f && s == e->s && !v6;
		uint16_t v = fits ? (uint16_t)(e->epoch + 1) : PB_HAVE_WRONG;
		changed += pb_table_set(t, p, x, (uint32_t)r, v, now_ns, h);
	}
	return changed;
}

int64_t pb_table_apply_fast(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                            struct pb_vcache *c, const uint8_t *msg, size_t len, uint64_t now_ns,
                            struct pb_hist *h)
{
	uint64_t hash = XXH3_64bits(msg, len);
	struct pb_mcache_entry *m = pb_mcache_find(c, hash, msg, len);
	if (m) {
		c->replays++;
		pb_table_changed(t, pb_replay(t, p, x, m, now_ns, h), now_ns);
		return m->n_wd + m->n_ann;
	}
	if (len < 23)
		return -1;
	const uint8_t *end = msg + len, *wd = msg + 21;
	uint16_t wlen = get_u16(msg + 19);
	if ((size_t)wlen + 23 > len)
		return -1;
	uint16_t alen = get_u16(wd + wlen);
	const uint8_t *attrs = wd + wlen + 2, *nlri = attrs + alen;
	if (nlri > end || (alen == 0) != (nlri == end))
		return -1; /* NLRI without attributes, or an MP-only or End-of-RIB UPDATE */
	static const struct pb_vcache_entry none = { 0 };
	const struct pb_vcache_entry *e = &none;
	if (alen && !(e = pb_vcache_find(c, attrs, alen))) {
		c->misses++;
		return -1;
	}
	if (!pb_v4_list_ok(wd, wd + wlen) || !pb_v4_list_ok(nlri, end))
		return -1;
	c->hits++;
	uint32_t routes[BGP_EXT_MAX_LEN / 2], n_wd, n_ann;
	if (pb_parse_routes(p, e, wd, wd + wlen, nlri, end, routes, &n_wd, &n_ann)) {
		m = pb_mcache_set(c, hash);
		m += pb_victim(c, !m[0].len, !m[1].len, !m[2].len, !m[3].len);
		pb_mcache_store(m, hash, msg, len, routes, n_wd, n_ann, (uint16_t)(e->epoch + 1));
		pb_table_changed(t, pb_replay(t, p, x, m, now_ns, h), now_ns);
		return n_wd + n_ann;
	}
	uint32_t changed = pb_apply_each(t, p, x, e, wd, wd + wlen, nlri, end, now_ns, h);
	pb_table_changed(t, changed, now_ns);
	return 0;
}

void pb_vcache_free(struct pb_vcache *c)
{
	for (unsigned i = 0; i < PB_MCACHE_N; i++)
		free(c->m[i].msg);
	free(c);
}

void pb_vcache_learn(struct pb_vcache *c, struct pb_table *t, const struct pb_plan *p,
                     const uint8_t *msg, size_t len, const struct msg_update *u)
{
	if (u->action != MSG_OK || !u->attrs || !u->nlri.n || u->mp_reach.present || len < 23)
		return;
	uint16_t wlen = get_u16(msg + 19);
	if ((size_t)wlen + 23 > len)
		return;
	uint16_t alen = get_u16(msg + 21 + wlen);
	const uint8_t *attrs = msg + 23 + wlen;
	if (alen == 0 || alen > PB_VCACHE_BYTES || attrs + alen > msg + len)
		return;
	int64_t r = pb_route_of(p, &u->nlri.v[0]);
	if (r < 0)
		return;
	int64_t epoch = pb_table_verify(t, p, (uint32_t)r, u->attrs);
	if (epoch < 0)
		return; /* wrong attributes are never cached: each such UPDATE is decoded */
	uint64_t hash = XXH3_64bits(attrs, alen);
	struct pb_vcache_entry *e = pb_vcache_set(c, hash);
	e += pb_victim(c, !e[0].len, !e[1].len, !e[2].len, !e[3].len);
	e->hash = hash;
	e->len = alen;
	e->f = pb_route_owner(p, (uint32_t)r);
	e->s = (uint16_t)pb_route_set(p, (uint32_t)r);
	e->epoch = (uint32_t)epoch;
	memcpy(e->bytes, attrs, alen);
}

static void pb_example(uint64_t *count, struct prefix *ex, uint32_t *exl, const struct prefix *pfx,
                       uint32_t listener)
{
	if (*count < PB_MAX_EXAMPLES) {
		ex[*count] = *pfx;
		exl[*count] = listener;
	}
	(*count)++;
}

void pb_table_check(struct pb_table *t, const struct pb_plan *p, const struct pb_expect *x,
                    uint32_t listener, struct pb_verdict *v)
{
	struct prefix pfx;
	for (uint32_t r = 0; r < t->n_routes; r++) {
		uint16_t h = t->have[r], w = PB_LOAD(x->want[r]);
		if (pb_is_own(t, p, r)) {
			v->own += h != PB_HAVE_NONE;
			continue;
		}
		if (h == w) {
			v->ok += w != PB_WANT_ABSENT;
			continue;
		}
		pb_route_prefix(p, r, &pfx);
		if (h == PB_HAVE_WRONG)
			pb_example(&v->wrong, v->ex_wrong, v->exl_wrong, &pfx, listener);
		else if (w == PB_WANT_ABSENT)
			pb_example(&v->extra, v->ex_extra, v->exl_extra, &pfx, listener);
		else if (h == PB_HAVE_NONE)
			pb_example(&v->missing, v->ex_missing, v->exl_missing, &pfx, listener);
		else
			pb_example(&v->stale, v->ex_stale, v->exl_stale, &pfx, listener);
	}
	for (uint32_t i = 0; i < t->unknown_cap; i++)
		if (t->unknown_used[i] == 1)
			pb_example(&v->unknown, v->ex_unknown, v->exl_unknown, &t->unknown[i],
			           listener);
	pb_table_recount(t, p, x);
}

bool pb_verdict_ok(const struct pb_verdict *v)
{
	return !v->missing && !v->extra && !v->stale && !v->wrong && !v->unknown;
}

static void pb_merge_examples(uint64_t *into_n, struct prefix *into_ex, uint32_t *into_l,
                              uint64_t from_n, const struct prefix *from_ex, const uint32_t *from_l)
{
	for (uint64_t i = 0; i < from_n && i < PB_MAX_EXAMPLES; i++) {
		if (*into_n + i < PB_MAX_EXAMPLES) {
			into_ex[*into_n + i] = from_ex[i];
			into_l[*into_n + i] = from_l[i];
		}
	}
	*into_n += from_n;
}

void pb_verdict_merge(struct pb_verdict *into, const struct pb_verdict *from)
{
	into->ok += from->ok;
	into->own += from->own;
	pb_merge_examples(&into->missing, into->ex_missing, into->exl_missing, from->missing,
	                  from->ex_missing, from->exl_missing);
	pb_merge_examples(&into->extra, into->ex_extra, into->exl_extra, from->extra,
	                  from->ex_extra, from->exl_extra);
	pb_merge_examples(&into->stale, into->ex_stale, into->exl_stale, from->stale,
	                  from->ex_stale, from->exl_stale);
	pb_merge_examples(&into->wrong, into->ex_wrong, into->exl_wrong, from->wrong,
	                  from->ex_wrong, from->exl_wrong);
	pb_merge_examples(&into->unknown, into->ex_unknown, into->exl_unknown, from->unknown,
	                  from->ex_unknown, from->exl_unknown);
}
