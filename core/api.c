/* The introspection API. Every handler builds one JSON document:
 *   /api/status    the daemon: identity, uptime, sessions, RIB and memory totals
 *   /api/peers     every neighbor: state, uptime, counters, last error (calicoctl-like)
 *   /api/threads   every worker: load, busy time, messages, sessions; every shard
 *   /api/groups    every update group: its key, members and stream
 *   /api/rib       per shard counts; ?prefix=P: that prefix's paths, best first
 *   /api/memory    jemalloc's totals and what each part of prismd holds */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/api.h"
#include "core/log.h"
#include "core/peer.h"
#include "core/updgrp.h"

enum { API_CALL_TIMEOUT_MS = 5000 };

struct api {
	struct daemon *d;
	struct MHD_Daemon *mhd;
};

/* jemalloc's control interface, when prismd is linked with it (not in sanitizer builds). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
        __attribute__((weak));

/* libmicrohttpd's thread reads RCU data only inside a request, and is registered only for
 * that long: it may go away at any time, and a registered thread must not. */
static void api_rcu_register(void) { rcu_register_thread(); }

static void api_rcu_unregister(void) { rcu_unregister_thread(); }

static json_t *api_ipv4(uint32_t a)
{
	char buf[INET_ADDRSTRLEN];
	uint32_t n = htonl(a);
	return json_string(inet_ntop(AF_INET, &n, buf, sizeof(buf)) ? buf : "?");
}

static double api_secs(uint64_t ns) { return (double)ns / 1e9; }

#define API_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* ---- asking the workers ---- */

struct api_call {
	struct d_call_msg m;
	json_t *out; /* filled by the worker */
};

/* Runs fn on every worker and gathers what each appended to its array. NULL on timeout:
 * the calls are then left to finish on their own (and leak), rather than be freed under a
 * worker that is merely slow. */
static json_t *api_ask_workers(struct daemon *d, void (*fn)(struct d_call_msg *, struct worker *))
{
	struct api_call *calls = calloc(d->n_workers, sizeof(*calls));
	unsigned *done = calloc(1, sizeof(*done));
	if (!calls || !done) {
		free(calls);
		free(done);
		return NULL;
	}
	for (unsigned i = 0; i < d->n_workers; i++) {
		calls[i].m.hdr.type = D_MSG_CALL;
		calls[i].m.fn = fn;
		calls[i].m.done = done;
		calls[i].out = json_array();
		mbox_post(&d->workers[i].mbox, &calls[i].m.hdr);
	}
	for (unsigned ms = 0; __atomic_load_n(done, __ATOMIC_ACQUIRE) < d->n_workers; ms++) {
		if (ms == API_CALL_TIMEOUT_MS) {
			log_warn("api: workers did not answer within %u ms", API_CALL_TIMEOUT_MS);
			return NULL;
		}
		usleep(1000);
	}
	json_t *all = json_array();
	for (unsigned i = 0; i < d->n_workers; i++) {
		json_array_extend(all, calls[i].out);
		json_decref(calls[i].out);
	}
	free(calls);
	free(done);
	return all;
}

/* ---- /api/peers ---- */

static const char *api_kind(const struct nbr *n)
{
	return n->ebgp ? "ebgp" : n->cn->rr_client ? "rr-client" : "non-client";
}

/* Routes the neighbor's current session has in the RIB, over every shard. */
static uint64_t api_nbr_routes(const struct nbr *n, const struct daemon *d)
{
	const struct sess *s = n->sess;
	const struct rib_source *src = s && s->src ? s->src : n->gr_src;
	uint64_t sum = 0;
	if (!src)
		return 0;
	for (unsigned i = 0; i < d->n_shards; i++)
		sum += __atomic_load_n(&src->paths_in[i], __ATOMIC_RELAXED);
	return sum;
}

static json_t *api_nbr(const struct nbr *n, const struct worker *w)
{
	char addr[INET6_ADDRSTRLEN];
	uint64_t now = d_now_ns();
	const struct sess *s = n->sess;
	nbr_format_addr(&n->addr, addr, sizeof(addr));
	json_t *o = json_pack(
	        "{s:s, s:s, s:I, s:s, s:s, s:f, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
	        "name", n->name, "address", addr, "asn", (json_int_t)n->cn->asn, "kind",
	        api_kind(n), "state", sess_state_name(n->state), "state_for_s",
	        api_secs(now - n->t_state_ns), "worker", (int)w->id, "routes",
	        (json_int_t)api_nbr_routes(n, w->d), "updates_in",
	        (json_int_t)API_LOAD(n->st.updates_in), "prefixes_in",
	        (json_int_t)API_LOAD(n->st.prefixes_in), "withdrawn_in",
	        (json_int_t)API_LOAD(n->st.withdrawn_in), "rejected_in",
	        (json_int_t)API_LOAD(n->st.rejected_in), "established",
	        (json_int_t)API_LOAD(n->st.established), "dropped",
	        (json_int_t)API_LOAD(n->st.dropped), "last_error", n->last_error);
	if (n->gr_afs) {
		/* graceful restart: routes kept stale, and for how much longer */
		json_t *fams = json_array();
		if (n->gr_afs & (1u << AF_IDX_IPV4))
			json_array_append_new(fams, json_string("ipv4"));
		if (n->gr_afs & (1u << AF_IDX_IPV6))
			json_array_append_new(fams, json_string("ipv6"));
		json_object_set_new(o, "stale_families", fams);
		json_object_set_new(
		        o, "stale_for_s",
		        json_real(n->gr_until_ns > now ? api_secs(n->gr_until_ns - now) : 0));
	}
	if (s && s->state == SESS_ESTABLISHED) {
		json_object_set_new(o, "peer_id", api_ipv4(s->sp.peer_id));
		json_object_set_new(o, "hold_time", json_integer(s->sp.hold_time));
		json_object_set_new(o, "ipv4", json_boolean(s->sp.af[AF_IDX_IPV4]));
		json_object_set_new(o, "ipv6", json_boolean(s->sp.af[AF_IDX_IPV6]));
		json_object_set_new(o, "as4", json_boolean(s->sp.tx.as4));
		/* we keep its routes across its restarts (RFC 4724 helper) */
		json_object_set_new(o, "graceful_restart",
		                    json_boolean(s->offer.graceful_restart && s->sp.peer_gr_afs &&
		                                 s->sp.peer_restart_time));
		json_object_set_new(o, "uptime_s", json_real(api_secs(now - s->t_up_ns)));
	}
	return o;
}

static void api_collect_peers(struct d_call_msg *m, struct worker *w)
{
	struct api_call *c = (struct api_call *)m;
	for (const struct nbr *n = w->nbrs; n; n = n->next)
		json_array_append_new(c->out, api_nbr(n, w));
}

/* ---- /api/status, /api/threads, /api/groups, /api/rib, /api/memory ---- */

static void api_rib_totals(const struct daemon *d, uint64_t *prefixes, uint64_t *paths)
{
	*prefixes = *paths = 0;
	for (unsigned i = 0; i < d->n_shards; i++) {
		struct rib_shard_stats st;
		rib_shard_stats(d->shards[i], &st);
		*prefixes += st.prefixes;
		*paths += st.paths;
	}
}

static json_t *api_status(struct daemon *d)
{
	uint64_t prefixes, paths, sessions = 0, established = 0;
	api_rib_totals(d, &prefixes, &paths);
	for (unsigned i = 0; i < d->n_workers; i++) {
		sessions += API_LOAD(d->workers[i].st.sessions);
		established += API_LOAD(d->workers[i].st.established);
	}
	return json_pack("{s:s, s:o, s:I, s:o, s:f, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I}",
	                 "config", d->cfg->path, "router_id", api_ipv4(d->router_id), "asn",
	                 (json_int_t)d->asn, "cluster_id", api_ipv4(d->cluster_id), "uptime_s",
	                 api_secs(d_now_ns() - d->t_start_ns), "workers", (int)d->n_workers,
	                 "rib_shards", (int)d->n_shards, "peers", (int)d->cfg->n_peers, "ranges",
	                 (int)d->cfg->n_ranges, "sessions", (json_int_t)sessions, "established",
	                 (json_int_t)established, "prefixes", (json_int_t)prefixes, "paths",
	                 (json_int_t)paths, "attribute_sets",
	                 (json_int_t)attr_table_count(d->attrs));
}

static json_t *api_threads(struct daemon *d)
{
	json_t *workers = json_array(), *shards = json_array();
	for (unsigned i = 0; i < d->n_workers; i++) {
		const struct worker_stats *st = &d->workers[i].st;
		json_array_append_new(
		        workers, json_pack("{s:i, s:s, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I}",
		                           "id", (int)i, "name", d->workers[i].name, "load",
		                           API_LOAD(st->load_pm) / 1000.0, "busy_s",
		                           api_secs(API_LOAD(st->busy_ns)), "loops",
		                           (json_int_t)API_LOAD(st->loops), "messages",
		                           (json_int_t)API_LOAD(st->msgs_in), "updates_in",
		                           (json_int_t)API_LOAD(st->updates_in), "bytes_in",
		                           (json_int_t)API_LOAD(st->bytes_in), "bytes_out",
		                           (json_int_t)API_LOAD(st->bytes_out), "established",
		                           (json_int_t)API_LOAD(st->established)));
	}
	unsigned nw = d->n_workers ? d->n_workers : 1;
	for (unsigned i = 0; i < d->n_shards; i++) {
		struct rib_shard_stats st;
		rib_shard_stats(d->shards[i], &st);
		json_array_append_new(shards, json_pack("{s:i, s:i, s:I, s:I, s:I, s:I}", "id",
		                                        (int)i, "owner", (int)(i % nw), "prefixes",
		                                        (json_int_t)st.prefixes, "paths",
		                                        (json_int_t)st.paths, "applied",
		                                        (json_int_t)st.applied, "best_changes",
		                                        (json_int_t)st.best_changes));
	}
	return json_pack("{s:o, s:o}", "workers", workers, "shards", shards);
}

static void api_group_one(const struct updgrp_stats *st, void *arg)
{
	json_array_append_new(
	        arg,
	        json_pack("{s:i, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I}", "id", (int)st->id, "key",
	                  st->key, "owner", (int)st->owner, "members", (int)st->members,
	                  "stream_octets", (json_int_t)st->appended, "updates",
	                  (json_int_t)st->updates, "prefixes", (json_int_t)st->prefixes, "dumps",
	                  (json_int_t)st->dumps, "detached", (json_int_t)st->detached));
}

static json_t *api_groups(struct daemon *d)
{
	json_t *a = json_array();
	api_rcu_register();
	updgrp_each(d->groups, api_group_one, a);
	api_rcu_unregister();
	return a;
}

static json_t *api_paths(const struct rib_prefix *p)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < p->n_paths; i++) {
		const struct rib_path *path = &p->paths[i];
		json_array_append_new(a, json_pack("{s:b, s:s, s:o, s:I, s:o}", "best", i == 0,
		                                   "from", path->src->name, "peer_id",
		                                   api_ipv4(path->src->router_id), "path_id",
		                                   (json_int_t)path->path_id, "attrs",
		                                   attr_to_json(path->attrs)));
	}
	return a;
}

static json_t *api_rib(struct daemon *d, const char *pfx_text, bool *bad)
{
	if (!pfx_text) {
		uint64_t prefixes, paths;
		api_rib_totals(d, &prefixes, &paths);
		return json_pack("{s:I, s:I, s:i}", "prefixes", (json_int_t)prefixes, "paths",
		                 (json_int_t)paths, "shards", (int)d->n_shards);
	}
	struct prefix pfx;
	if (prefix_parse(pfx_text, &pfx) < 0) {
		*bad = true;
		return json_pack("{s:s}", "error",
		                 "prefix must look like 10.0.0.0/24 or 2001:db8::/32");
	}
	api_rcu_register();
	prism_rcu_read_lock();
	const struct rib_prefix *p =
	        rib_shard_lookup(d->shards[rib_shard_of(&pfx, d->n_shards)], &pfx);
	json_t *paths = p ? api_paths(p) : json_array();
	prism_rcu_read_unlock();
	api_rcu_unregister();
	return json_pack("{s:s, s:o}", "prefix", pfx_text, "paths", paths);
}

static json_t *api_jemalloc(void)
{
	static const char *const keys[] = { "stats.allocated", "stats.active", "stats.resident",
		                            "stats.mapped", "stats.retained" };
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);
	if (!mallctl)
		return json_null();
	mallctl("epoch", &epoch, &len, &epoch, len);
	json_t *o = json_object();
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t v = 0;
		len = sizeof(v);
		if (mallctl(keys[i], &v, &len, NULL, 0) == 0)
			json_object_set_new(o, keys[i] + 6, json_integer((json_int_t)v));
	}
	return o;
}

static json_t *api_memory(struct daemon *d)
{
	uint64_t prefixes, paths;
	api_rib_totals(d, &prefixes, &paths);
	/* entries are one 48-octet jemalloc class for an IPv4 prefix with one path; each path
	 * beyond the first adds one struct rib_path, and the slot arrays 16 per prefix */
	uint64_t rib = prefixes * (48 + 16) +
	               (paths > prefixes ? (paths - prefixes) * sizeof(struct rib_path) : 0);
	return json_pack("{s:o, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I}}", "jemalloc", api_jemalloc(),
	                 "rib", "estimated_bytes", (json_int_t)rib, "paths", (json_int_t)paths,
	                 "attributes", "bytes", (json_int_t)attr_table_bytes(d->attrs), "sets",
	                 (json_int_t)attr_table_count(d->attrs), "update_groups", "block_bytes",
	                 (json_int_t)updgrp_blocks_bytes());
}

/* ---- HTTP ---- */

static enum MHD_Result api_send(struct MHD_Connection *c, unsigned status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(doc);
	if (!text) {
		text = strdup("{\"error\": \"workers busy or out of memory\"}");
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		if (!text)
			return MHD_NO;
	}
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room for the NUL, which becomes a newline */
	struct MHD_Response *r =
	        MHD_create_response_from_buffer(len + 1, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result api_handle(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, /* NOLINT(readability-non-const-parameter) */
                                  void **state)
{
	struct api *a = cls;
	(void)version, (void)upload, (void)upload_size, (void)state;
	if (strcmp(method, "GET") != 0)
		return api_send(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		                json_pack("{s:s}", "error", "only GET is served"));
	bool bad = false;
	json_t *doc;
	if (strcmp(url, "/api/status") == 0)
		doc = api_status(a->d);
	else if (strcmp(url, "/api/peers") == 0)
		doc = api_ask_workers(a->d, api_collect_peers);
	else if (strcmp(url, "/api/threads") == 0)
		doc = api_threads(a->d);
	else if (strcmp(url, "/api/groups") == 0)
		doc = api_groups(a->d);
	else if (strcmp(url, "/api/rib") == 0)
		doc = api_rib(a->d, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "prefix"),
		              &bad);
	else if (strcmp(url, "/api/memory") == 0)
		doc = api_memory(a->d);
	else
		return api_send(c, MHD_HTTP_NOT_FOUND,
		                json_pack("{s:s, s:[s,s,s,s,s,s]}", "error", "no such endpoint",
		                          "endpoints", "/api/status", "/api/peers", "/api/threads",
		                          "/api/groups", "/api/rib", "/api/memory"));
	return api_send(c, bad ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_OK, doc);
}

struct api *api_start(struct daemon *d)
{
	const struct cfg_addr *addr = &d->cfg->http;
	char text[80];
	struct api *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->d = d;
	cfg_addr_format(addr, text, sizeof(text));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	if (addr->sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port = ntohs(addr->sa.ss_family == AF_INET6
	                              ? ((const struct sockaddr_in6 *)&addr->sa)->sin6_port
	                              : ((const struct sockaddr_in *)&addr->sa)->sin_port);
	a->mhd = MHD_start_daemon(flags, port, NULL, NULL, api_handle, a, MHD_OPTION_SOCK_ADDR,
	                          (const struct sockaddr *)&addr->sa, MHD_OPTION_CONNECTION_LIMIT,
	                          (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	                          MHD_OPTION_END);
	if (!a->mhd) {
		log_error("api: cannot listen on %s", text);
		free(a);
		return NULL;
	}
	log_info("api: serving on http://%s/api/status", text);
	return a;
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->mhd);
	free(a);
}
