/* Measuring the reflector through /proc, and reporting a run: one human summary (on stdout,
 * or stderr when the JSON goes to stdout) and one JSON object for scripts. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench/pb_report.h"

enum { PB_MAX_PROCS = 256 };

/* ---- /proc ---- */

struct pb_stat {
	pid_t pid, ppid;
	double cpu_s;
};

/* The n-th space-separated field of s (0-based), as an unsigned number. */
static bool pb_field(const char *s, unsigned n, unsigned long long *v)
{
	for (unsigned i = 0; i < n; i++) {
		s = strchr(s, ' ');
		if (!s)
			return false;
		s++;
	}
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && end != s;
}

static bool pb_read_stat(pid_t pid, struct pb_stat *st)
{
	char path[64], buf[1024];
	unsigned long long ppid, utime, stime;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields resume after the last ')'.
	 * From there, field 0 is the state, 1 the parent, 11 and 12 user and system time. */
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !pb_field(p + 2, 1, &ppid) || !pb_field(p + 2, 11, &utime) ||
	    !pb_field(p + 2, 12, &stime))
		return false;
	st->pid = pid;
	st->ppid = (pid_t)ppid;
	st->cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	return true;
}

/* Adds the kB value of a "Key:   123 kB" line when the line starts with key. */
static void pb_status_value(const char *line, const char *key, uint64_t *sum)
{
	size_t k = strlen(key);
	if (strncmp(line, key, k) != 0)
		return;
	char *end;
	unsigned long long v = strtoull(line + k, &end, 10);
	if (end != line + k)
		*sum += v;
}

static void pb_read_status(pid_t pid, uint64_t *rss, uint64_t *hwm)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		pb_status_value(line, "VmRSS:", rss);
		pb_status_value(line, "VmHWM:", hwm);
	}
	fclose(f);
}

/* Every process on the machine, for finding descendants. */
static unsigned pb_all_procs(struct pb_stat *out, unsigned max)
{
	DIR *d = opendir("/proc");
	unsigned n = 0;
	if (!d)
		return 0;
	for (struct dirent *e = readdir(d); e && n < max; e = readdir(d)) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (pb_read_stat((pid_t)pid, &out[n]))
			n++;
	}
	closedir(d);
	return n;
}

static bool pb_pid_in(const pid_t *v, unsigned n, pid_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

/* The given processes and all their descendants: OpenBGPD, for one, is three processes. */
static unsigned pb_proc_tree(const pid_t *pids, unsigned n, pid_t *tree, unsigned max)
{
	static struct pb_stat all[8192];
	unsigned n_all = pb_all_procs(all, 8192), n_tree = 0;
	for (unsigned i = 0; i < n && n_tree < max; i++)
		tree[n_tree++] = pids[i];
	for (bool grew = true; grew;) {
		grew = false;
		for (unsigned i = 0; i < n_all && n_tree < max; i++) {
			if (pb_pid_in(tree, n_tree, all[i].ppid) &&
			    !pb_pid_in(tree, n_tree, all[i].pid)) {
				tree[n_tree++] = all[i].pid;
				grew = true;
			}
		}
	}
	return n_tree;
}

bool pb_proc_read(const pid_t *pids, unsigned n, struct pb_proc *out)
{
	pid_t tree[PB_MAX_PROCS];
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return false;
	unsigned n_tree = pb_proc_tree(pids, n, tree, PB_MAX_PROCS);
	for (unsigned i = 0; i < n_tree; i++) {
		struct pb_stat st;
		if (!pb_read_stat(tree[i], &st))
			continue;
		out->cpu_s += st.cpu_s;
		pb_read_status(tree[i], &out->rss_kb, &out->hwm_kb);
		out->n_procs++;
	}
	return out->n_procs > 0;
}

double pb_self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the result ---- */

void pb_result_init(struct pb_result *r, const struct pb_cfg *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->status = "ok";
}

struct pb_phase *pb_result_phase(struct pb_result *r, const char *name)
{
	if (r->n_phases == PB_MAX_PHASES)
		abort();
	struct pb_phase *ph = &r->phases[r->n_phases++];
	ph->name = name;
	return ph;
}

void pb_result_fail(struct pb_result *r, const char *status, const char *reason)
{
	if (r->failed)
		return;
	r->failed = true;
	r->status = status;
	r->reason = reason;
}

static const struct pb_phase *pb_find_phase(const struct pb_result *r, const char *name)
{
	for (unsigned i = 0; i < r->n_phases; i++)
		if (strcmp(r->phases[i].name, name) == 0)
			return &r->phases[i];
	return NULL;
}

static void pb_target_text(const struct pb_cfg *c, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (c->target.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&c->target;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
		snprintf(buf, size, "[%s]:%u", a, port);
		return;
	}
	const struct sockaddr_in *s = (const struct sockaddr_in *)&c->target;
	inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
	port = ntohs(s->sin_port);
	snprintf(buf, size, "%s:%u", a, port);
}

static double pb_rate(uint64_t n, double secs) { return secs > 0 ? (double)n / secs : 0; }

static void pb_print_phase(const struct pb_phase *ph, FILE *out)
{
	fprintf(out, "  %-10s %8.3f s", ph->name, ph->seconds);
	if (ph->routes)
		fprintf(out, "  %llu routes  %.0f prefixes/s", (unsigned long long)ph->routes,
		        pb_rate(ph->routes, ph->seconds));
	if (ph->established_s > 0)
		fprintf(out, "  (sessions back in %.3f s)", ph->established_s);
	if (ph->churn_s > 0)
		fprintf(out, "  (after %.1f s of changes%s)", ph->churn_s,
		        ph->flaps ? ", flaps" : "");
	fprintf(out, "  reflector CPU %.2f s  harness CPU %.2f s%s\n", ph->reflector_cpu_s,
	        ph->harness_cpu_s, ph->ok ? "" : "  [incomplete]");
}

static void pb_print_examples(FILE *out, const char *what, uint64_t n, const struct prefix *ex,
                              const uint32_t *exl)
{
	if (!n)
		return;
	fprintf(out, "    %s: %llu, e.g.", what, (unsigned long long)n);
	for (uint64_t i = 0; i < n && i < PB_MAX_EXAMPLES; i++) {
		char s[64];
		prefix_format(&ex[i], s, sizeof(s));
		fprintf(out, " %s@peer%u", s, exl[i]);
	}
	fprintf(out, "\n");
}

static void pb_print_verdict(const struct pb_verdict *v, FILE *out)
{
	fprintf(out, "  verify     %s: %llu routes exact", pb_verdict_ok(v) ? "OK" : "FAILED",
	        (unsigned long long)v->ok);
	if (v->own)
		fprintf(out, "; %llu own routes sent back (RFC 4456 8; counted, not failed)",
		        (unsigned long long)v->own);
	fprintf(out, "\n");
	pb_print_examples(out, "missing", v->missing, v->ex_missing, v->exl_missing);
	pb_print_examples(out, "extra", v->extra, v->ex_extra, v->exl_extra);
	pb_print_examples(out, "stale", v->stale, v->ex_stale, v->exl_stale);
	pb_print_examples(out, "wrong attributes", v->wrong, v->ex_wrong, v->exl_wrong);
	pb_print_examples(out, "unknown prefixes", v->unknown, v->ex_unknown, v->exl_unknown);
}

void pb_result_print(const struct pb_result *r, FILE *out)
{
	const struct pb_cfg *c = &r->cfg;
	char target[80];
	pb_target_text(c, target, sizeof(target));
	fprintf(out, "prism-bench %s against %s at %s: %u peers (%u feed, %u listen",
	        pb_scenario_name(c->scenario), c->label, target, c->plan.n_peers,
	        pb_n_feeders(&c->plan), pb_n_listeners(&c->plan) - c->stuck);
	if (c->stuck)
		fprintf(out, ", %u stuck", c->stuck);
	fprintf(out, "), %u routes\n", c->plan.n_routes);
	for (unsigned i = 0; i < r->n_phases; i++)
		pb_print_phase(&r->phases[i], out);
	if (r->latency.count)
		fprintf(out,
		        "  latency    p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%llu changes seen)\n",
		        (double)pb_hist_quantile(&r->latency, 0.5) / 1e3,
		        (double)pb_hist_quantile(&r->latency, 0.99) / 1e3,
		        (double)r->latency.max_us / 1e3, (unsigned long long)r->latency.count);
	if (r->proc_ok)
		fprintf(out, "  reflector  CPU %.2f s, peak RSS %.1f MB (%u processes)\n",
		        r->proc_end.cpu_s - r->proc_start.cpu_s, (double)r->proc_end.hwm_kb / 1024,
		        r->proc_end.n_procs);
	fprintf(out,
	        "  harness    CPU %.2f s on %u threads; %llu session failures, %llu "
	        "NOTIFICATIONs received\n",
	        r->harness_cpu_s, c->threads, (unsigned long long)r->session_failures,
	        (unsigned long long)r->notifications);
	pb_print_verdict(&r->verdict, out);
	fprintf(out, "  result     %s%s%s\n", r->status, r->reason ? ": " : "",
	        r->reason ? r->reason : "");
}

/* ---- JSON ---- */

static json_t *pb_json_examples(uint64_t n, const struct prefix *ex, const uint32_t *exl)
{
	json_t *a = json_array();
	for (uint64_t i = 0; i < n && i < PB_MAX_EXAMPLES; i++) {
		char s[64];
		prefix_format(&ex[i], s, sizeof(s));
		json_array_append_new(
		        a, json_pack("{s:s, s:i}", "prefix", s, "peer", (json_int_t)exl[i]));
	}
	return a;
}

static json_t *pb_json_verdict(const struct pb_verdict *v)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:o, s:o, s:o, s:o, s:o}}",
	                 "ok", pb_verdict_ok(v), "routes_ok", (json_int_t)v->ok, "missing",
	                 (json_int_t)v->missing, "extra", (json_int_t)v->extra, "stale",
	                 (json_int_t)v->stale, "wrong", (json_int_t)v->wrong, "own",
	                 (json_int_t)v->own, "unknown", (json_int_t)v->unknown, "examples",
	                 "missing", pb_json_examples(v->missing, v->ex_missing, v->exl_missing),
	                 "extra", pb_json_examples(v->extra, v->ex_extra, v->exl_extra), "stale",
	                 pb_json_examples(v->stale, v->ex_stale, v->exl_stale), "wrong",
	                 pb_json_examples(v->wrong, v->ex_wrong, v->exl_wrong), "unknown",
	                 pb_json_examples(v->unknown, v->ex_unknown, v->exl_unknown));
}

static json_t *pb_json_phase(const struct pb_phase *ph)
{
	json_t *o = json_pack("{s:s, s:b, s:f, s:I, s:f, s:f, s:f, s:f}", "name", ph->name, "ok",
	                      ph->ok, "seconds", ph->seconds, "routes", (json_int_t)ph->routes,
	                      "prefixes_per_s", pb_rate(ph->routes, ph->seconds), "wall_s",
	                      ph->wall_s, "harness_cpu_s", ph->harness_cpu_s, "reflector_cpu_s",
	                      ph->reflector_cpu_s);
	if (ph->established_s > 0)
		json_object_set_new(o, "established_s", json_real(ph->established_s));
	if (ph->churn_s > 0)
		json_object_set_new(o, "churn_s", json_real(ph->churn_s));
	if (ph->flaps)
		json_object_set_new(o, "flaps", json_integer(ph->flaps));
	return o;
}

static void pb_addr4_text(uint32_t a, char *buf, size_t size)
{
	struct in_addr in = { .s_addr = htonl(a) };
	if (!inet_ntop(AF_INET, &in, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

/* The plan's address options: --source (the first transport address; with IPv6 transport
 * also source4, the first IPv4 address, which numbers the router IDs) and --cluster-id. */
static void pb_json_addrs(json_t *o, const struct pb_plan *p)
{
	char a[INET6_ADDRSTRLEN];
	pb_addr4_text(p->src_base, a, sizeof(a));
	if (p->v6_transport) {
		json_object_set_new(o, "source4", json_string(a));
		if (!inet_ntop(AF_INET6, &p->src6_base, a, sizeof(a)))
			snprintf(a, sizeof(a), "?");
	}
	json_object_set_new(o, "source", json_string(a));
	json_t *cl = json_array();
	for (uint32_t i = 0; i < p->n_cluster; i++) {
		pb_addr4_text(p->cluster[i], a, sizeof(a));
		json_array_append_new(cl, json_string(a));
	}
	json_object_set_new(o, "cluster_id", cl);
}

static json_t *pb_json_params(const struct pb_cfg *c)
{
	const struct pb_plan *p = &c->plan;
	char target[80];
	pb_target_text(c, target, sizeof(target));
	json_t *o = json_pack(
	        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:[i,i], s:[i,i], s:i, s:I, s:b, s:I, s:I}",
	        "target", target, "peers", (json_int_t)p->n_peers, "feeders",
	        (json_int_t)pb_n_feeders(p), "listeners",
	        (json_int_t)(pb_n_listeners(p) - c->stuck), "stuck", (json_int_t)c->stuck,
	        "prefixes_per_feeder", (json_int_t)p->per_feeder, "routes", (json_int_t)p->n_routes,
	        "prefix_len4", p->len4_min, p->len4_max, "prefix_len6", p->len6_min, p->len6_max,
	        "ipv6_pct", p->v6_pct, "attr_sets", (json_int_t)p->attr_sets, "large_communities",
	        p->large_communities, "asn", (json_int_t)p->asn, "remote_as",
	        (json_int_t)c->remote_as);
	if (!o)
		return NULL;
	pb_json_addrs(o, p);
	json_t *run = json_pack(
	        "{s:i, s:I, s:i, s:b, s:b, s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
	        "s:I}",
	        "threads", c->threads, "max_connecting", (json_int_t)c->max_connecting, "hold_time",
	        c->hold_time, "addpath", c->addpath, "ext_msg", c->ext_msg, "route_refresh",
	        c->route_refresh, "timeout_s", c->timeout_s, "settle_s", c->settle_s, "churn_rate",
	        c->churn_rate, "churn_fraction", c->churn_fraction, "churn_s", c->churn_s,
	        "flap_interval_s", c->flap_interval_s, "flap_down_s", c->flap_down_s, "seed",
	        (json_int_t)c->seed);
	if (!run || json_object_update(o, run) < 0) {
		json_decref(run);
		json_decref(o);
		return NULL;
	}
	json_decref(run);
	return o;
}

static json_t *pb_json_machine(void)
{
	struct utsname u;
	char model[128] = "", line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	return json_pack("{s:i, s:s, s:s}", "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
	                 "model", model, "kernel", u.release);
}

static json_t *pb_json_reflector(const struct pb_result *r)
{
	json_t *pids = json_array();
	for (unsigned i = 0; i < r->cfg.n_pids; i++)
		json_array_append_new(pids, json_integer(r->cfg.pids[i]));
	if (!r->proc_ok)
		return json_pack("{s:o}", "pids", pids);
	return json_pack("{s:o, s:f, s:I, s:i}", "pids", pids, "cpu_s",
	                 r->proc_end.cpu_s - r->proc_start.cpu_s, "peak_rss_kb",
	                 (json_int_t)r->proc_end.hwm_kb, "processes", r->proc_end.n_procs);
}

int pb_result_write_json(const struct pb_result *r, const char *path)
{
	const struct pb_phase *est = pb_find_phase(r, "establish");
	const struct pb_phase *conv = pb_find_phase(r, "converge");
	json_t *phases = json_array();
	for (unsigned i = 0; i < r->n_phases; i++)
		json_array_append_new(phases, pb_json_phase(&r->phases[i]));
	json_t *o = json_pack(
	        "{s:s, s:i, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, "
	        "s:{s:f, s:i}, s:o, s:I, s:I}",
	        "tool", "prism-bench", "version", 1, "label", r->cfg.label, "scenario",
	        pb_scenario_name(r->cfg.scenario), "status", r->status, "params",
	        pb_json_params(&r->cfg), "machine", pb_json_machine(), "phases", phases,
	        "latency_us", "count", (json_int_t)r->latency.count, "p50",
	        (json_int_t)pb_hist_quantile(&r->latency, 0.5), "p99",
	        (json_int_t)pb_hist_quantile(&r->latency, 0.99), "max",
	        (json_int_t)r->latency.max_us, "reflector", pb_json_reflector(r), "harness",
	        "cpu_s", r->harness_cpu_s, "threads", r->cfg.threads, "verify",
	        pb_json_verdict(&r->verdict), "session_failures", (json_int_t)r->session_failures,
	        "notifications", (json_int_t)r->notifications);
	if (!o)
		return -1;
	if (r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	if (est)
		json_object_set_new(o, "established_s", json_real(est->seconds));
	if (conv && conv->ok) {
		json_object_set_new(o, "converged_s", json_real(conv->seconds));
		json_object_set_new(o, "prefixes_per_s",
		                    json_real(pb_rate(conv->routes, conv->seconds)));
	}
	/* The scenario's own headline: its last phase (restart, churn and flap add one). */
	const struct pb_phase *last = r->n_phases ? &r->phases[r->n_phases - 1] : NULL;
	if (last && last->ok)
		json_object_set_new(o, "headline_s", json_real(last->seconds));
	bool to_stdout = strcmp(path, "-") == 0;
	errno = 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	int rc = -1;
	if (f) {
		/* One JSON document ending in a newline, on stdout as in a file. */
		rc = json_dumpf(o, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF ? 0 : -1;
		if (fflush(f) != 0 || ferror(f))
			rc = -1;
		if (!to_stdout && fclose(f) != 0)
			rc = -1;
	}
	int err = errno;
	json_decref(o);
	errno = err;
	return rc;
}
