/* Scenarios: bring every session up, feed, wait for every listener to hold its exact table,
 * then churn, flap or restart as the scenario says, and verify again. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pb_report.h"
#include "bench/pb_run.h"
#include "core/bgp.h"

enum { PB_OUTQ_CHURN_LIMIT = 8 << 20 };

static const char *const pb_scenario_names[PB_N_SCENARIOS] = {
	[PB_CALICO] = "calico",   [PB_FANOUT] = "fanout", [PB_CHURN] = "churn",
	[PB_RESTART] = "restart", [PB_FLAP] = "flap",
};

const char *pb_scenario_name(enum pb_scenario s)
{
	return s < PB_N_SCENARIOS ? pb_scenario_names[s] : "?";
}

int pb_scenario_parse(const char *s, enum pb_scenario *out)
{
	for (int i = 0; i < PB_N_SCENARIOS; i++) {
		if (strcmp(s, pb_scenario_names[i]) == 0) {
			*out = (enum pb_scenario)i;
			return 0;
		}
	}
	return -1;
}

void pb_cfg_defaults(struct pb_cfg *c, enum pb_scenario s)
{
	memset(c, 0, sizeof(*c));
	c->scenario = s;
	c->label = "reflector";
	c->plan = (struct pb_plan){
		.n_peers = 1000,
		.per_feeder = 4,
		.len4_min = 26,
		.len4_max = 26,
		.len6_min = 64,
		.len6_max = 64,
		.attr_sets = 1,
		.asn = 64512,
		.src_base = 0x7f000101u, /* 127.0.1.1 */
		.n_cluster = 1,
		.cluster = { 0x7f000001u },
	};
	c->remote_as = 64512;
	c->threads = 2;
	c->max_connecting = 64;
	c->hold_time = 90;
	c->route_refresh = true;
	c->timeout_s = 120;
	c->settle_s = 1;
	c->churn_rate = 1000;
	c->churn_fraction = 0.1;
	c->churn_s = 10;
	c->flap_interval_s = 1;
	c->flap_down_s = 1;
	c->seed = 1;
	c->replay_id = 0x7f000001u;
	switch (s) {
	case PB_FANOUT:
		c->plan.n_feeders = 2;
		c->plan.n_peers = 102;
		c->plan.per_feeder = 200000;
		c->plan.len4_min = c->plan.len4_max = 24;
		c->plan.attr_sets = 16;
		break;
	case PB_CHURN:
	case PB_FLAP:
		c->plan.n_peers = 100;
		c->plan.per_feeder = 100;
		c->plan.len4_min = c->plan.len4_max = 24;
		break;
	default:
		break;
	}
}

/* ---- hooks from the sessions ---- */

static void pb_send_eors(struct pb_peer *peer, struct pb_buf *b)
{
	for (int af = 0; af < AF_IDX_N; af++)
		if (peer->sp.af[af])
			pb_pack_eor(af == AF_IDX_IPV6, b);
}

void pb_feed(struct pb_peer *peer)
{
	struct pb_run *run = peer->th->run;
	struct pb_buf b = { 0 };
	pb_pack_feeder_table(&run->cfg.plan, &peer->sp.tx, (uint32_t)peer->feeder, run->expect.want,
	                     false, &b);
	pb_send_eors(peer, &b);
	peer->fed = true;
	pb_peer_queue_buf(peer, &b);
}

void pb_on_established(struct pb_peer *peer)
{
	struct pb_run *run = peer->th->run;
	if (run->cfg.replay) {
		if (PB_LOAD(run->triggered))
			pb_replay_stream(peer);
		return;
	}
	if (peer->stuck) {
		/* It still sends KEEPALIVEs, so the reflector keeps the session, but reads
		 * nothing: its socket fills and stays full. */
		ev_io_stop(peer->th->loop, &peer->rio);
		return;
	}
	if (peer->feeder < 0) {
		struct pb_buf b = { 0 };
		pb_send_eors(peer, &b);
		pb_peer_queue_buf(peer, &b);
		return;
	}
	if (PB_LOAD(run->feeding))
		pb_feed(peer);
}

void pb_on_update(struct pb_peer *peer, const struct msg_update *u, uint64_t now)
{
	struct pb_run *run = peer->th->run;
	if (run->cfg.replay) {
		if (!PB_LOAD(run->triggered) && !msg_update_is_eor(u)) {
			PB_STORE(run->triggered, true);
			pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_STREAM });
		}
		return;
	}
	if (peer->table)
		pb_table_apply(peer->table, &run->cfg.plan, &run->expect, u, now, &peer->th->hist);
}

void pb_on_refresh(struct pb_peer *peer)
{
	struct pb_run *run = peer->th->run;
	if (run->cfg.replay)
		pb_replay_stream(peer);
	else if (peer->feeder >= 0 && peer->fed)
		pb_feed(peer);
}

void pb_on_down(struct pb_peer *peer)
{
	struct pb_run *run = peer->th->run;
	/* With every client gone the replay server waits for the next run's first route. */
	if (run->cfg.replay && PB_LOAD(run->n_established) == 0)
		PB_STORE(run->triggered, false);
	if (peer->table)
		pb_table_reset(peer->table, &run->cfg.plan, &run->expect);
}

/* ---- churn ---- */

struct pb_churn {
	uint32_t *wd[2], *ann;
	uint32_t n_wd[2], n_ann;
};

static int pb_route_cmp_set(const void *a, const void *b, void *plan)
{
	const struct pb_plan *p = plan;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t kx = (uint64_t)pb_route_v6(p, x) << 48 | (uint64_t)pb_route_set(p, x) << 32 | x;
	uint64_t ky = (uint64_t)pb_route_v6(p, y) << 48 | (uint64_t)pb_route_set(p, y) << 32 | y;
	return kx < ky ? -1 : kx > ky;
}

/* Announcements sorted by family and set: each run packs into shared UPDATEs. */
static void pb_churn_encode(struct pb_peer *peer, struct pb_churn *c, struct pb_buf *b)
{
	const struct pb_plan *p = &peer->th->run->cfg.plan;
	for (int v6 = 0; v6 <= 1; v6++)
		pb_pack_withdraw(p, &peer->sp.tx, c->wd[v6], c->n_wd[v6], v6, b);
	qsort_r(c->ann, c->n_ann, sizeof(*c->ann), pb_route_cmp_set, (void *)p);
	for (uint32_t i = 0; i < c->n_ann;) {
		uint32_t k = 1;
		while (i + k < c->n_ann &&
		       pb_route_v6(p, c->ann[i + k]) == pb_route_v6(p, c->ann[i]) &&
		       pb_route_set(p, c->ann[i + k]) == pb_route_set(p, c->ann[i]))
			k++;
		pb_pack_announce(p, &peer->sp.tx, c->ann + i, k, peer->epoch, false, b);
		i += k;
	}
}

bool pb_churn_next_epoch(struct pb_run *run, struct pb_peer *peer)
{
	if (peer->epoch < PB_EPOCH_MAX - 1) {
		peer->epoch++;
		return true;
	}
	if (!__atomic_exchange_n(&run->epoch_capped, true, __ATOMIC_RELAXED))
		fprintf(stderr,
		        "%sprism-bench: warning: feeder %u used up its %u churn batches (route "
		        "epochs are 16 bits); it and every feeder that gets there stop churning, so "
		        "the rest of the churn time sends fewer changes\n",
		        run->cfg.progress ? "\n" : "", peer->idx, (unsigned)(PB_EPOCH_MAX - 1));
	return false;
}

/* Toggles the next n routes of the feeder's churn subset: present ones are withdrawn,
 * absent ones announced again with a new epoch. want[] and t_sent[] change before the
 * bytes go out, so a listener never sees a change before its expectation. */
static void pb_churn_feeder(struct pb_peer *peer, uint32_t n, uint64_t now)
{
	struct pb_run *run = peer->th->run;
	const struct pb_plan *p = &run->cfg.plan;
	uint32_t subset = (uint32_t)fmax(1, floor(run->cfg.churn_fraction * p->per_feeder));
	uint32_t first = (uint32_t)peer->feeder * p->per_feeder;
	struct pb_churn c = { 0 };

	if (n > subset)
		n = subset;
	if (!pb_churn_next_epoch(run, peer))
		return;
	c.wd[0] = malloc(sizeof(uint32_t) * n);
	c.wd[1] = malloc(sizeof(uint32_t) * n);
	c.ann = malloc(sizeof(uint32_t) * n);
	if (!c.wd[0] || !c.wd[1] || !c.ann)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = first + peer->churn_cursor++ % subset;
		bool present = PB_LOAD(run->expect.want[r]) != PB_WANT_ABSENT;
		PB_STORE(run->expect.t_sent[r], now);
		if (present) {
			PB_STORE(run->expect.want[r], (uint16_t)PB_WANT_ABSENT);
			bool v6 = pb_route_v6(p, r);
			c.wd[v6][c.n_wd[v6]++] = r;
		} else {
			PB_STORE(run->expect.want[r], (uint16_t)(peer->epoch + 1));
			c.ann[c.n_ann++] = r;
		}
	}
	struct pb_buf b = { 0 };
	pb_churn_encode(peer, &c, &b);
	pb_peer_queue_buf(peer, &b);
	free(c.wd[0]);
	free(c.wd[1]);
	free(c.ann);
}

void pb_on_tick(struct pb_thread *th, uint64_t now)
{
	struct pb_run *run = th->run;
	if (!PB_LOAD(run->churning) || run->cfg.replay)
		return;
	double per_tick = run->cfg.churn_rate * 0.01 / pb_n_feeders(&run->cfg.plan);
	for (uint32_t i = 0; i < th->n_peers; i++) {
		struct pb_peer *peer = th->peers[i];
		if (peer->feeder < 0 || peer->state != PB_ESTABLISHED || !peer->fed)
			continue;
		/* A reflector that stopped reading must not make the harness buffer forever. */
		if (peer->out.bytes > PB_OUTQ_CHURN_LIMIT)
			continue;
		peer->churn_credit += per_tick;
		uint32_t n = (uint32_t)peer->churn_credit;
		if (n == 0)
			continue;
		peer->churn_credit -= n;
		pb_churn_feeder(peer, n, now);
	}
}

/* ---- the run ---- */

static int pb_run_setup(struct pb_run *run)
{
	const struct pb_plan *p = &run->cfg.plan;
	run->offer = (struct sess_offer){
		.asn = p->asn,
		.hold_time = run->cfg.hold_time,
		.af = { true, true },
		.ext_msg = run->cfg.ext_msg,
		.route_refresh = run->cfg.route_refresh,
	};
	if (run->cfg.addpath)
		run->offer.addpath[0] = run->offer.addpath[1] = ADDPATH_RECV;
	run->expect.want = malloc(sizeof(uint16_t) * p->n_routes);
	run->expect.t_sent = calloc(p->n_routes, sizeof(uint64_t));
	run->peers = calloc(p->n_peers, sizeof(*run->peers));
	if (!run->expect.want || !run->expect.t_sent || !run->peers)
		return -1;
	for (uint32_t r = 0; r < p->n_routes; r++)
		run->expect.want[r] = 1; /* epoch 0, present */
	run->n_th = run->cfg.threads;
	if (pb_threads_init(run) < 0)
		return -1;
	for (uint32_t i = 0; i < p->n_peers; i++) {
		struct pb_peer *peer = &run->peers[i];
		peer->idx = i;
		peer->feeder = pb_peer_feeder(p, i);
		peer->stuck = run->cfg.stuck && i >= p->n_peers - run->cfg.stuck &&
		              pb_peer_listens(p, i) && peer->feeder < 0;
		if (pb_peer_listens(p, i) && !peer->stuck) {
			peer->table = malloc(sizeof(*peer->table));
			if (!peer->table ||
			    pb_table_init(peer->table, p, peer->feeder, &run->expect) < 0)
				return -1;
		}
		pb_thread_add_peer(&run->th[i % run->n_th], peer);
	}
	return 0;
}

static void pb_run_free(struct pb_run *run)
{
	if (run->peers) {
		for (uint32_t i = 0; i < run->cfg.plan.n_peers; i++) {
			if (run->peers[i].table)
				pb_table_free(run->peers[i].table);
			free(run->peers[i].table);
		}
	}
	free(run->peers);
	free(run->expect.want);
	free(run->expect.t_sent);
}

/* Sums what every listener holds, for progress and convergence. */
struct pb_tally {
	uint64_t good, expect;
	uint32_t correct, listeners;
	uint64_t t_correct_max, t_change_max;
};

static void pb_tally(const struct pb_run *run, struct pb_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < run->cfg.plan.n_peers; i++) {
		const struct pb_table *tab = run->peers[i].table;
		if (!tab)
			continue;
		t->listeners++;
		t->good += PB_LOAD(tab->n_good);
		t->expect += PB_LOAD(tab->n_expect);
		if (pb_table_correct(tab))
			t->correct++;
		uint64_t tc = PB_LOAD(tab->t_correct_ns), tch = PB_LOAD(tab->t_change_ns);
		if (tc > t->t_correct_max)
			t->t_correct_max = tc;
		if (tch > t->t_change_max)
			t->t_change_max = tch;
	}
}

static uint64_t pb_rx_prefixes(const struct pb_run *run)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < run->n_th; i++)
		n += PB_LOAD(run->th[i].rx_prefixes);
	return n;
}

static void pb_progress(struct pb_run *run, struct pb_phase *ph, uint64_t t0, bool force)
{
	static uint64_t last_ns, last_rx;
	uint64_t now = pb_now_ns();
	if (!run->cfg.progress || (!force && now - last_ns < 250000000u))
		return;
	struct pb_tally t;
	pb_tally(run, &t);
	uint64_t rx = pb_rx_prefixes(run);
	double rate = last_ns && now > last_ns
	                      ? (double)(rx - last_rx) * 1e9 / (double)(now - last_ns)
	                      : 0;
	last_ns = now;
	last_rx = rx;
	fprintf(stderr, "\r%-9s %6.1fs  sessions %u/%u up  routes %llu/%llu  %.0f prefixes/s   ",
	        ph->name, (double)(now - t0) / 1e9, PB_LOAD(run->n_established),
	        run->cfg.plan.n_peers, (unsigned long long)t.good, (unsigned long long)t.expect,
	        rate);
}

static void pb_progress_end(struct pb_run *run)
{
	if (run->cfg.progress)
		fprintf(stderr, "\n");
}

static void pb_sleep_ms(unsigned ms) { usleep(ms * 1000u); }

/* Waits for every session to be Established. */
static bool pb_wait_established(struct pb_run *run, struct pb_phase *ph, uint64_t t0)
{
	uint64_t deadline = t0 + (uint64_t)(run->cfg.timeout_s * 1e9);
	while (PB_LOAD(run->n_established) < run->cfg.plan.n_peers) {
		if (pb_now_ns() > deadline)
			return false;
		pb_progress(run, ph, t0, false);
		pb_sleep_ms(5);
	}
	uint64_t last = PB_LOAD(run->t_last_established);
	ph->seconds = last > t0 ? (double)(last - t0) / 1e9 : 0;
	return true;
}

/* Waits until every listener holds exactly what want[] says, by the incremental counts. */
static bool pb_wait_correct(struct pb_run *run, struct pb_phase *ph, uint64_t t0)
{
	uint64_t deadline = t0 + (uint64_t)(run->cfg.timeout_s * 1e9);
	struct pb_tally t;
	for (;;) {
		pb_tally(run, &t);
		if (t.correct == t.listeners &&
		    PB_LOAD(run->n_established) == run->cfg.plan.n_peers)
			break;
		if (pb_now_ns() > deadline)
			return false;
		pb_progress(run, ph, t0, false);
		pb_sleep_ms(2);
	}
	ph->seconds = t.t_correct_max > t0 ? (double)(t.t_correct_max - t0) / 1e9 : 0;
	ph->routes = t.expect;
	return true;
}

/* A full check of every table on its own thread, merged. */
static bool pb_check_all(struct pb_run *run, struct pb_verdict *v)
{
	memset(v, 0, sizeof(*v));
	PB_STORE(run->acks, 0);
	pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_CHECK });
	if (!pb_wait_acks(run, 60))
		return false;
	for (unsigned i = 0; i < run->n_th; i++)
		pb_verdict_merge(v, &run->th[i].check);
	return true;
}

/* After churn: every session back up, then full checks until one passes. */
static bool pb_wait_verified(struct pb_run *run, struct pb_phase *ph, uint64_t t0,
                             struct pb_verdict *v)
{
	uint64_t deadline = t0 + (uint64_t)(run->cfg.timeout_s * 1e9);
	for (;;) {
		bool up = PB_LOAD(run->n_established) == run->cfg.plan.n_peers;
		if (up && pb_check_all(run, v) && pb_verdict_ok(v))
			break;
		if (pb_now_ns() > deadline)
			return false;
		pb_progress(run, ph, t0, false);
		pb_sleep_ms(50);
	}
	struct pb_tally t;
	pb_tally(run, &t);
	ph->seconds = t.t_change_max > t0 ? (double)(t.t_change_max - t0) / 1e9 : 0;
	ph->routes = t.expect;
	return true;
}

static void pb_phase_begin(struct pb_run *run, struct pb_phase *ph, const char *name)
{
	ph->name = name;
	ph->t_start = pb_now_ns();
	ph->harness_cpu0 = pb_self_cpu_s();
	ph->rx0 = pb_rx_prefixes(run);
	ph->have_proc0 = pb_proc_read(run->cfg.pids, run->cfg.n_pids, &ph->proc0);
}

static void pb_phase_end(struct pb_run *run, struct pb_phase *ph, bool ok)
{
	struct pb_proc now;
	ph->ok = ok;
	ph->harness_cpu_s = pb_self_cpu_s() - ph->harness_cpu0;
	ph->wall_s = (double)(pb_now_ns() - ph->t_start) / 1e9;
	ph->rx_prefixes = pb_rx_prefixes(run) - ph->rx0;
	if (ph->have_proc0 && pb_proc_read(run->cfg.pids, run->cfg.n_pids, &now))
		ph->reflector_cpu_s = now.cpu_s - ph->proc0.cpu_s;
	pb_progress(run, ph, ph->t_start, true);
	pb_progress_end(run);
}

static bool pb_phase_establish(struct pb_run *run, struct pb_result *res)
{
	struct pb_phase *ph = pb_result_phase(res, "establish");
	pb_phase_begin(run, ph, "establish");
	PB_STORE(run->acks, 0);
	pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_CONNECT });
	bool ok = pb_wait_established(run, ph, ph->t_start);
	pb_phase_end(run, ph, ok);
	if (!ok)
		pb_result_fail(res, "timeout", "not every session reached Established");
	return ok;
}

static bool pb_phase_converge(struct pb_run *run, struct pb_result *res)
{
	struct pb_phase *ph = pb_result_phase(res, "converge");
	pb_phase_begin(run, ph, "converge");
	PB_STORE(run->feeding, true);
	pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_FEED });
	bool ok = pb_wait_correct(run, ph, ph->t_start);
	pb_phase_end(run, ph, ok);
	if (!ok)
		pb_result_fail(res, "timeout", "listeners did not converge on their full tables");
	return ok;
}

static bool pb_phase_restart(struct pb_run *run, struct pb_result *res)
{
	struct pb_phase *ph = pb_result_phase(res, "restart");
	pb_phase_begin(run, ph, "restart");
	/* Every table must be empty before the poll starts, or the last phase's state would
	 * read as converged. */
	PB_STORE(run->acks, 0);
	pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_DROP });
	pb_wait_acks(run, 60);
	pb_send_cmd(run, NULL, (struct pb_cmd){ .type = PB_CMD_CONNECT });
	struct pb_phase est = { .name = "restart" };
	bool ok = pb_wait_established(run, &est, ph->t_start) &&
	          pb_wait_correct(run, ph, ph->t_start);
	ph->established_s = est.seconds;
	pb_phase_end(run, ph, ok);
	if (!ok)
		pb_result_fail(res, "timeout", "tables were not complete again after the restart");
	return ok;
}

uint32_t pb_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* Churn for churn_s seconds; in the flap scenario a random peer also drops now and then. */
static void pb_churn_run(struct pb_run *run, struct pb_phase *ph, bool flap)
{
	uint64_t end = ph->t_start + (uint64_t)(run->cfg.churn_s * 1e9);
	uint64_t next_flap = ph->t_start + (uint64_t)(run->cfg.flap_interval_s * 1e9);
	uint64_t seed = run->cfg.seed;

	PB_STORE(run->churning, true);
	while (pb_now_ns() < end) {
		uint64_t now = pb_now_ns();
		if (flap && now >= next_flap) {
			uint32_t victim = pb_rand(&seed) % run->cfg.plan.n_peers;
			pb_send_cmd(run, &run->th[victim % run->n_th],
			            (struct pb_cmd){ .type = PB_CMD_FLAP,
			                             .peer = victim,
			                             .secs = run->cfg.flap_down_s });
			ph->flaps++;
			next_flap = now + (uint64_t)(run->cfg.flap_interval_s * 1e9);
		}
		pb_progress(run, ph, ph->t_start, false);
		pb_sleep_ms(5);
	}
	PB_STORE(run->churning, false);
}

static bool pb_phase_churn(struct pb_run *run, struct pb_result *res, bool flap)
{
	struct pb_phase *ph = pb_result_phase(res, flap ? "flap" : "churn");
	pb_phase_begin(run, ph, ph->name);
	pb_churn_run(run, ph, flap);
	ph->churn_s = (double)(pb_now_ns() - ph->t_start) / 1e9;
	struct pb_phase settle = { .name = "settle" };
	uint64_t t_end = pb_now_ns();
	bool ok = pb_wait_verified(run, &settle, t_end, &res->verdict);
	ph->seconds = settle.seconds;
	ph->routes = settle.routes;
	pb_phase_end(run, ph, ok);
	if (!ok)
		pb_result_fail(res, "timeout", "listeners were not exactly right after churn");
	return ok;
}

static void pb_collect_latency(struct pb_run *run, struct pb_result *res)
{
	memset(&res->latency, 0, sizeof(res->latency));
	for (unsigned i = 0; i < run->n_th; i++)
		pb_hist_merge(&res->latency, &run->th[i].hist);
	for (unsigned i = 0; i < run->n_th; i++) {
		res->notifications += PB_LOAD(run->th[i].n_notifications);
		res->session_failures += PB_LOAD(run->th[i].n_failures);
	}
}

static bool pb_run_scenario(struct pb_run *run, struct pb_result *res)
{
	if (!pb_phase_establish(run, res))
		return false;
	if (run->cfg.settle_s > 0)
		pb_sleep_ms((unsigned)(run->cfg.settle_s * 1000));
	if (!pb_phase_converge(run, res))
		return false;
	switch (run->cfg.scenario) {
	case PB_RESTART:
		return pb_phase_restart(run, res);
	case PB_CHURN:
		return pb_phase_churn(run, res, false);
	case PB_FLAP:
		return pb_phase_churn(run, res, true);
	default:
		return true;
	}
}

int pb_run_bench(struct pb_cfg *cfg)
{
	struct pb_run *run = calloc(1, sizeof(*run));
	struct pb_result *res = calloc(1, sizeof(*res));
	int rc = 1;

	if (!run || !res) {
		free(run);
		free(res);
		return 1;
	}
	run->cfg = *cfg;
	pb_result_init(res, cfg);
	if (pb_run_setup(run) < 0 || pb_threads_start(run) < 0) {
		fprintf(stderr, "prism-bench: cannot set up the run (out of memory?)\n");
		goto out;
	}
	res->proc_ok = pb_proc_read(cfg->pids, cfg->n_pids, &res->proc_start);
	res->harness_cpu0 = pb_self_cpu_s();
	bool ok = pb_run_scenario(run, res);
	/* The final word is a full check of every table, whatever happened. */
	if (pb_check_all(run, &res->verdict) && ok && !pb_verdict_ok(&res->verdict))
		pb_result_fail(res, "failed", "the tables are not exactly what the feeders sent");
	pb_collect_latency(run, res);
	res->harness_cpu_s = pb_self_cpu_s() - res->harness_cpu0;
	if (res->proc_ok)
		res->proc_ok = pb_proc_read(cfg->pids, cfg->n_pids, &res->proc_end);
	/* With --json -, stdout carries the JSON alone and the summary goes to stderr. */
	FILE *text = cfg->json_path && strcmp(cfg->json_path, "-") == 0 ? stderr : stdout;
	if (cfg->hold_s > 0) {
		/* The result first, then the sessions stay up for a look at the reflector. */
		pb_result_print(res, text);
		fflush(text);
		pb_sleep_ms((unsigned)(cfg->hold_s * 1000));
	}
	pb_threads_stop(run);
	if (cfg->hold_s <= 0)
		pb_result_print(res, text);
	rc = res->failed ? PB_EXIT_FAILED : PB_EXIT_OK;
	if (cfg->json_path && pb_result_write_json(res, cfg->json_path) < 0) {
		fprintf(stderr, "prism-bench: cannot write the JSON result to %s: %s\n",
		        strcmp(cfg->json_path, "-") == 0 ? "stdout" : cfg->json_path,
		        errno ? strerror(errno) : "write error");
		rc = PB_EXIT_JSON;
	}
out:
	pb_run_free(run);
	free(run);
	free(res);
	return rc;
}
