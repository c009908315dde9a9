/* prismd: the route reflector daemon. See docs/configuration.md and docs/architecture.md. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/api.h"
#include "core/bgp.h"
#include "core/log.h"
#include "core/peer.h"
#include "core/updgrp.h"
#include "io/listen.h"

/* jemalloc reads this at start. Freed pages go back to the system within a second, by
 * jemalloc's background thread, instead of the default ten: a reflector's memory comes in
 * bursts (a table dump, a restart storm), and peak RSS is what operators size for. */
extern const char *malloc_conf;
const char *malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

static const char prismd_usage[] =
        "usage: prismd [-c FILE] [--check] [--debug]\n"
        "\n"
        "  -c, --config FILE  the YAML configuration (default: the embedded one: listen on\n"
        "                     127.0.0.1:1179, router-id 127.0.0.1, AS 64512, route-reflector\n"
        "                     clients in AS 64512 from 127.0.0.0/8)\n"
        "      --check        validate the configuration and exit\n"
        "  -d, --debug        log at debug level, whatever the configuration says\n"
        "  -h, --help\n"
        "\n"
        "prismd stays in the foreground and logs to stderr unless the configuration names a\n"
        "log file. SIGTERM or SIGINT stops it: every session gets a Cease first.\n";

struct prismd_args {
	const char *config;
	bool check;
	bool debug;
};

static void prismd_parse_args(int argc, char **argv, struct prismd_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "c:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'k':
			a->check = true;
			break;
		case 'd':
			a->debug = true;
			break;
		case 'h':
			fputs(prismd_usage, stdout);
			exit(0);
		default:
			fputs(prismd_usage, stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "prismd: unexpected argument '%s'\n%s", argv[optind], prismd_usage);
		exit(2);
	}
}

static int prismd_load(const struct prismd_args *a, struct cfg *c)
{
	struct cfg_err err;
	int rc = a->config ? cfg_load(a->config, c, &err)
	                   : cfg_load_string("<default>", cfg_default_text,
	                                     strlen(cfg_default_text), c, &err);
	if (rc < 0)
		fprintf(stderr, "prismd: %s\n", err.text);
	return rc;
}

static unsigned prismd_pow2_at_least(unsigned n)
{
	unsigned p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static void prismd_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Every cluster ID in use, once each: a route that carries any of them has looped. */
static int prismd_clusters(struct daemon *d, const struct cfg *c)
{
	uint32_t *v = calloc(1 + c->n_peers + c->n_ranges, sizeof(*v));
	unsigned n = 0;
	if (!v)
		return -1;
	v[n++] = c->cluster_id;
	for (unsigned i = 0; i < c->n_peers + c->n_ranges; i++) {
		uint32_t id = i < c->n_peers ? c->peers[i].n.cluster_id
		                             : c->ranges[i - c->n_peers].n.cluster_id;
		bool seen = id == 0;
		for (unsigned k = 0; k < n && !seen; k++)
			seen = v[k] == id;
		if (!seen)
			v[n++] = id;
	}
	d->self = (struct reflect_self){
		.router_id = c->router_id, .asn = c->asn, .clusters = v, .n_clusters = n
	};
	return 0;
}

static int prismd_setup(struct daemon *d, struct cfg *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	d->cfg = c;
	d->router_id = c->router_id;
	d->asn = c->asn;
	d->cluster_id = c->cluster_id;
	d->n_workers = c->threads ? c->threads : (unsigned)(cpus > 0 ? cpus : 1);
	if (d->n_workers > D_MAX_WORKERS)
		d->n_workers = D_MAX_WORKERS;
	d->n_shards = c->rib_shards ? c->rib_shards : prismd_pow2_at_least(4 * d->n_workers);
	d->t_start_ns = d_now_ns();
	if (prismd_clusters(d, c) < 0)
		return -1;
	d->offer_base = (struct sess_offer){
		.asn = c->asn,
		.router_id = c->router_id,
		.hold_time = c->hold_time,
		.af = { true, true },
		.route_refresh = true,
		.enhanced_rr = true,
		.ext_msg = true,
	};
	d->attrs = attr_table_new();
	d->range_peers = calloc(c->n_ranges ? c->n_ranges : 1, sizeof(*d->range_peers));
	d->shards = calloc(d->n_shards, sizeof(struct rib_shard *));
	d->workers = calloc(d->n_workers, sizeof(*d->workers));
	if (!d->attrs || !d->range_peers || !d->shards || !d->workers)
		return -1;
	for (unsigned s = 0; s < d->n_shards; s++)
		if (!(d->shards[s] = rib_shard_new(s, c->asn, d->attrs)))
			return -1;
	d->groups = updgrp_table_new(d);
	if (!d->groups)
		return -1;
	for (unsigned i = 0; i < d->n_workers; i++) {
		if (worker_init(d, &d->workers[i], i) < 0)
			return -1;
		if (listen_open(&d->workers[i]) < 0)
			return -1;
	}
	return 0;
}

static void prismd_noop(struct d_call_msg *m, struct worker *w)
{
	(void)w;
	free(m);
}

/* Wakes every worker, so that it notices a change of d->stopping. */
static void prismd_wake_all(struct daemon *d)
{
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct d_call_msg *m = calloc(1, sizeof(*m));
		if (!m)
			continue;
		m->hdr.type = D_MSG_CALL;
		m->fn = prismd_noop;
		mbox_post(&d->workers[i].mbox, &m->hdr);
	}
}

/* Stop: every worker says goodbye to its peers and keeps serving messages; once all have,
 * they leave their loops, and what is still queued is drained here. */
static void prismd_stop(struct daemon *d)
{
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct mbox_msg *m = calloc(1, sizeof(*m));
		if (!m)
			continue;
		m->type = D_MSG_STOP;
		mbox_post(&d->workers[i].mbox, m);
	}
	/* Give the workers a moment to exchange the drops the stop caused. */
	for (unsigned tries = 0; tries < 200; tries++) {
		bool all = true;
		for (unsigned i = 0; i < d->n_workers; i++)
			all &= __atomic_load_n(&d->workers[i].stopping, __ATOMIC_ACQUIRE);
		if (all)
			break;
		usleep(5000);
	}
	usleep(20000);
	__atomic_store_n(&d->stopping, true, __ATOMIC_RELEASE);
	prismd_wake_all(d);
	for (unsigned i = 0; i < d->n_workers; i++)
		worker_join(&d->workers[i]);
	worker_drain_stopped(d);
}

static void prismd_free(struct daemon *d)
{
	if (d->groups)
		updgrp_table_free(d->groups);
	for (unsigned s = 0; d->shards && s < d->n_shards; s++)
		if (d->shards[s])
			rib_shard_free(d->shards[s]);
	for (unsigned i = 0; d->workers && i < d->n_workers; i++)
		worker_free(&d->workers[i]);
	rcu_barrier(); /* every deferred free has run */
	if (d->attrs) {
		unsigned long left = attr_table_count(d->attrs);
		if (left)
			log_warn("%lu attribute sets still referenced at exit", left);
		attr_table_free(d->attrs);
	}
	free(d->shards);
	free(d->workers);
	free(d->range_peers);
	free((void *)d->self.clusters);
}

/* SIGUSR1: one log line of RIB totals (prefixes, paths, attribute sets), for a quick look
 * without the API. */
static void prismd_log_stats(struct daemon *d)
{
	uint64_t prefixes = 0, paths = 0;
	for (unsigned s = 0; s < d->n_shards; s++) {
		struct rib_shard_stats st;
		rib_shard_stats(d->shards[s], &st);
		prefixes += st.prefixes;
		paths += st.paths;
	}
	log_info("RIB: %llu prefixes, %llu paths in %u shards; %lu attribute sets",
	         (unsigned long long)prefixes, (unsigned long long)paths, d->n_shards,
	         attr_table_count(d->attrs));
}

/* Signals are taken here, by sigwait, and by no other thread. */
static int prismd_wait_for_stop(struct daemon *d)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			prismd_log_stats(d);
			continue;
		}
		if (sig == SIGHUP) {
			log_warn(
			        "SIGHUP: reloading is not supported yet; restart prismd to apply a new "
			        "configuration");
			continue;
		}
		return sig;
	}
}

static void prismd_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct prismd_args args;
	struct cfg cfg;
	struct daemon d;
	int rc = 1;

	prismd_parse_args(argc, argv, &args);
	if (prismd_load(&args, &cfg) < 0)
		return 1;
	if (args.check) {
		printf("%s: configuration OK (%u peers, %u ranges)\n", cfg.path, cfg.n_peers,
		       cfg.n_ranges);
		cfg_free(&cfg);
		return 0;
	}
	log_open(args.debug ? CFG_LOG_DEBUG : cfg.log_level, cfg.log_file);
	prismd_raise_nofile();
	prismd_block_signals();
	rcu_register_thread();
	memset(&d, 0, sizeof(d));
	if (prismd_setup(&d, &cfg) < 0) {
		log_error("cannot start: %s", errno ? strerror(errno) : "out of memory");
		goto out;
	}
	log_info("prismd starting: router-id %u.%u.%u.%u, AS %u, %u workers, %u RIB shards, "
	         "%u peers, %u ranges (%s)",
	         cfg.router_id >> 24, (cfg.router_id >> 16) & 255, (cfg.router_id >> 8) & 255,
	         cfg.router_id & 255, cfg.asn, d.n_workers, d.n_shards, cfg.n_peers, cfg.n_ranges,
	         cfg.path);
	for (unsigned i = 0; i < d.n_workers; i++) {
		if (worker_start(&d.workers[i]) < 0) {
			log_error("cannot start worker %u", i);
			goto out;
		}
	}
	struct api *api = cfg.http.len ? api_start(&d) : NULL;
	int sig = prismd_wait_for_stop(&d);
	log_info("signal %d: stopping", sig);
	api_stop(api);
	prismd_stop(&d);
	rc = 0;
	log_info("stopped");
out:
	prismd_free(&d);
	rcu_unregister_thread();
	cfg_free(&cfg);
	log_close();
	return rc;
}
