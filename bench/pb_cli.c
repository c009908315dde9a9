/* The command line: options, the scenario word and the checks that need the whole line.
 *
 * Parsing keeps going after a bad value and reports the first one, so nothing here exits:
 * prism-bench.c prints the reason and exits 2, and tests/test_bench.c calls these directly. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pb_run.h"

enum {
	OPT_PREFIX_LEN = 256,
	OPT_PREFIX_LEN6,
	OPT_IPV6,
	OPT_ATTR_SETS,
	OPT_ASN,
	OPT_REMOTE_AS,
	OPT_SOURCE,
	OPT_CLUSTER,
	OPT_LARGE,
	OPT_MAX_CONNECTING,
	OPT_HOLD,
	OPT_ADDPATH,
	OPT_EXT_MSG,
	OPT_NO_RR,
	OPT_TIMEOUT,
	OPT_SETTLE,
	OPT_CHURN_RATE,
	OPT_CHURN_FRACTION,
	OPT_CHURN_TIME,
	OPT_FLAP_INTERVAL,
	OPT_FLAP_DOWN,
	OPT_SEED,
	OPT_PID,
	OPT_JSON,
	OPT_LABEL,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_REPLAY,
	OPT_LISTEN,
	OPT_ROUTER_ID,
	OPT_STUCK,
	OPT_HOLD_UP,
};

static const struct option pb_options[] = {
	{ "scenario", required_argument, NULL, 's' },
	{ "target", required_argument, NULL, 't' },
	{ "peers", required_argument, NULL, 'n' },
	{ "feeders", required_argument, NULL, 'f' },
	{ "prefixes", required_argument, NULL, 'm' },
	{ "threads", required_argument, NULL, 'j' },
	{ "prefix-len", required_argument, NULL, OPT_PREFIX_LEN },
	{ "prefix-len6", required_argument, NULL, OPT_PREFIX_LEN6 },
	{ "ipv6", required_argument, NULL, OPT_IPV6 },
	{ "attr-sets", required_argument, NULL, OPT_ATTR_SETS },
	{ "asn", required_argument, NULL, OPT_ASN },
	{ "remote-as", required_argument, NULL, OPT_REMOTE_AS },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "cluster-id", required_argument, NULL, OPT_CLUSTER },
	{ "large-communities", no_argument, NULL, OPT_LARGE },
	{ "max-connecting", required_argument, NULL, OPT_MAX_CONNECTING },
	{ "hold-time", required_argument, NULL, OPT_HOLD },
	{ "addpath", no_argument, NULL, OPT_ADDPATH },
	{ "ext-msg", no_argument, NULL, OPT_EXT_MSG },
	{ "no-route-refresh", no_argument, NULL, OPT_NO_RR },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "churn-rate", required_argument, NULL, OPT_CHURN_RATE },
	{ "churn-fraction", required_argument, NULL, OPT_CHURN_FRACTION },
	{ "churn-time", required_argument, NULL, OPT_CHURN_TIME },
	{ "flap-interval", required_argument, NULL, OPT_FLAP_INTERVAL },
	{ "flap-down", required_argument, NULL, OPT_FLAP_DOWN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "replay", no_argument, NULL, OPT_REPLAY },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "router-id", required_argument, NULL, OPT_ROUTER_ID },
	{ "stuck", required_argument, NULL, OPT_STUCK },
	{ "hold", required_argument, NULL, OPT_HOLD_UP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

const char pb_usage[] =
        "usage: prism-bench [SCENARIO] [options]\n"
        "       prism-bench --replay --listen ADDR:PORT [SCENARIO] [options]\n"
        "\n"
        "Scenarios: calico (default), fanout, churn, restart, flap. Name it once: a bare word,\n"
        "or -s/--scenario NAME.\n"
        "\n"
        "Target and peers:\n"
        "  -t, --target ADDR:PORT   the reflector (default 127.0.0.1:1179; [::1]:PORT for IPv6)\n"
        "  -n, --peers N            synthetic peers, feeders included\n"
        "  -f, --feeders F          peers that only feed; the rest only listen (0: all do both)\n"
        "  -m, --prefixes M         prefixes per feeder\n"
        "      --prefix-len A[-B]   IPv4 prefix lengths (spread evenly)\n"
        "      --prefix-len6 A[-B]  IPv6 prefix lengths, 48..128\n"
        "      --ipv6 PCT           share of each feeder's prefixes that are IPv6\n"
        "      --attr-sets K        distinct attribute sets per feeder\n"
        "      --large-communities  add a LARGE_COMMUNITIES attribute\n"
        "      --asn N              the peers' AS (default 64512)\n"
        "      --remote-as N        the reflector's AS (default: --asn)\n"
        "      --source ADDR        first source address (default 127.0.1.1; 254 per /24)\n"
        "      --cluster-id A[,B]   the CLUSTER_LIST reflected routes must carry\n"
        "                           (default 127.0.0.1)\n"
        "      --addpath            offer ADD-PATH receive\n"
        "      --ext-msg            offer extended messages (RFC 8654)\n"
        "      --no-route-refresh   do not offer route refresh\n"
        "      --hold-time S        (default 90)\n"
        "\n"
        "Harness:\n"
        "  -j, --threads T          harness threads (default 2; at most --peers and\n"
        "                           --max-connecting)\n"
        "      --max-connecting N   handshakes in flight at once, over all threads (default 64)\n"
        "      --timeout S          per phase (default 120)\n"
        "      --settle S           pause after every session is up (default 1)\n"
        "      --churn-rate R       route changes per second, all feeders together (1000)\n"
        "      --churn-fraction F   share of each feeder's routes that churn (0.1)\n"
        "      --churn-time S       how long changes are sent (10)\n"
        "      --flap-interval S    flap: one random peer drops this often (1)\n"
        "      --flap-down S        ... and stays down this long (1)\n"
        "      --seed N             for flap's random choices (default 1; any N, 0 too)\n"
        "      --stuck N            the last N listeners (listen-only peers) stop reading once\n"
        "                           up; they are left out of verification, the rest must\n"
        "                           converge as usual\n"
        "      --hold S             keep the sessions up S seconds after the result, for a\n"
        "                           look at the reflector\n"
        "      --pid PID            the reflector's process, for CPU and peak RSS (repeatable;\n"
        "                           descendants count too)\n"
        "      --json FILE          write the result as JSON ('-': stdout, and the summary\n"
        "                           goes to stderr)\n"
        "      --label NAME         what is being measured, for the result\n"
        "      --progress, --no-progress   the live progress line (default: on a terminal)\n"
        "\n"
        "Replay server:\n"
        "      --replay             be the null reflector instead\n"
        "      --listen ADDR:PORT   where the replay server listens\n"
        "      --router-id ID       its BGP identifier (default 127.0.0.1)\n"
        "\n"
        "Exit status: 0 when every listener converged on exactly the right table, 1 when not,\n"
        "2 for bad usage, 3 when the run finished but the --json result could not be written.\n";

/* The parse in progress: the first error is kept, later ones are dropped. */
struct pb_cli {
	struct pb_cfg *c;
	char *err;
	size_t size;
	bool failed;
	bool remote_as_given;
};

__attribute__((format(printf, 2, 3))) static void pb_cli_fail(struct pb_cli *x, const char *fmt,
                                                              ...)
{
	if (x->failed)
		return;
	x->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, x->size, fmt, ap);
	va_end(ap);
}

/* "bad --peers: 'x'": the option and the value as given. */
static void pb_cli_bad(struct pb_cli *x, const char *what, const char *arg)
{
	pb_cli_fail(x, "%s: '%s'", what, arg);
}

static unsigned long pb_ulong(struct pb_cli *x, const char *s, unsigned long min, unsigned long max,
                              const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max || s[0] == '-') {
		pb_cli_fail(x, "%s: '%s' (a number %lu..%lu)", what, s, min, max);
		return min;
	}
	return v;
}

static double pb_double(struct pb_cli *x, const char *s, double min, double max, const char *what)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= min && v <= max)) {
		pb_cli_fail(x, "%s: '%s' (%g..%g)", what, s, min, max);
		return min;
	}
	return v;
}

static void pb_range(struct pb_cli *x, const char *s, unsigned max, uint8_t *lo, uint8_t *hi,
                     const char *what)
{
	char buf[32];
	if (strlen(s) >= sizeof(buf)) {
		pb_cli_bad(x, what, s);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	char *dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	*lo = (uint8_t)pb_ulong(x, buf, 1, max, what);
	*hi = dash ? (uint8_t)pb_ulong(x, dash + 1, 1, max, what) : *lo;
}

static uint32_t pb_ipv4(struct pb_cli *x, const char *s, const char *what)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		pb_cli_bad(x, what, s);
		return 0;
	}
	return ntohl(a.s_addr);
}

/* "1.2.3.4:179", "[::1]:179", or an address alone with port 1179. */
static void pb_sockaddr(struct pb_cli *x, const char *s, struct sockaddr_storage *ss,
                        socklen_t *len, const char *what)
{
	char host[INET6_ADDRSTRLEN + 8];
	unsigned long port = 1179;
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= sizeof(host)) {
			pb_cli_bad(x, what, s);
			return;
		}
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof(host)) {
			pb_cli_bad(x, what, s);
			return;
		}
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (colon)
		port = pb_ulong(x, colon + 1, 1, 65535, what);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		pb_cli_bad(x, what, s);
	}
}

static void pb_cluster(struct pb_cli *x, const char *s, struct pb_plan *p)
{
	char buf[256];
	if (strlen(s) >= sizeof(buf)) {
		pb_cli_bad(x, "bad --cluster-id", s);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	p->n_cluster = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (p->n_cluster == PB_MAX_CLUSTER) {
			pb_cli_bad(x, "--cluster-id takes at most 8 IDs", s);
			return;
		}
		p->cluster[p->n_cluster++] = pb_ipv4(x, tok, "bad --cluster-id");
	}
}

static void pb_source(struct pb_cli *x, const char *s, struct pb_plan *p)
{
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, &p->src6_base) != 1)
			pb_cli_bad(x, "bad --source", s);
		p->v6_transport = true;
		return;
	}
	p->src_base = pb_ipv4(x, s, "bad --source");
}

static void pb_apply_plan_opt(struct pb_cli *x, int opt, const char *arg)
{
	struct pb_plan *p = &x->c->plan;
	switch (opt) {
	case 'n':
		p->n_peers = (uint32_t)pb_ulong(x, arg, 1, 1000000, "bad --peers");
		break;
	case 'f':
		p->n_feeders = (uint32_t)pb_ulong(x, arg, 0, 1000000, "bad --feeders");
		break;
	case 'm':
		p->per_feeder = (uint32_t)pb_ulong(x, arg, 1, 50000000, "bad --prefixes");
		break;
	case OPT_PREFIX_LEN:
		pb_range(x, arg, 32, &p->len4_min, &p->len4_max, "bad --prefix-len");
		break;
	case OPT_PREFIX_LEN6:
		pb_range(x, arg, 128, &p->len6_min, &p->len6_max, "bad --prefix-len6");
		break;
	case OPT_IPV6:
		p->v6_pct = (uint8_t)pb_ulong(x, arg, 0, 100, "bad --ipv6");
		break;
	case OPT_ATTR_SETS:
		p->attr_sets = (uint32_t)pb_ulong(x, arg, 1, 65535, "bad --attr-sets");
		break;
	case OPT_ASN:
		p->asn = (uint32_t)pb_ulong(x, arg, 1, UINT32_MAX, "bad --asn");
		break;
	case OPT_SOURCE:
		pb_source(x, arg, p);
		break;
	case OPT_CLUSTER:
		pb_cluster(x, arg, p);
		break;
	case OPT_LARGE:
		p->large_communities = true;
		break;
	default:
		break;
	}
}

static void pb_apply_run_opt(struct pb_cli *x, int opt, const char *arg)
{
	struct pb_cfg *c = x->c;
	switch (opt) {
	case 't':
		pb_sockaddr(x, arg, &c->target, &c->target_len, "bad --target");
		break;
	case 'j':
		c->threads = (unsigned)pb_ulong(x, arg, 1, 256, "bad --threads");
		break;
	case OPT_REMOTE_AS:
		c->remote_as = (uint32_t)pb_ulong(x, arg, 1, UINT32_MAX, "bad --remote-as");
		x->remote_as_given = true;
		break;
	case OPT_MAX_CONNECTING:
		c->max_connecting = (unsigned)pb_ulong(x, arg, 1, 1000000, "bad --max-connecting");
		break;
	case OPT_HOLD:
		c->hold_time = (uint16_t)pb_ulong(x, arg, 0, 65535, "bad --hold-time");
		if (c->hold_time == 1 || c->hold_time == 2)
			pb_cli_bad(x, "bad --hold-time (0, or at least 3)", arg);
		break;
	case OPT_ADDPATH:
		c->addpath = true;
		break;
	case OPT_EXT_MSG:
		c->ext_msg = true;
		break;
	case OPT_NO_RR:
		c->route_refresh = false;
		break;
	case OPT_TIMEOUT:
		c->timeout_s = pb_double(x, arg, 0.1, 86400, "bad --timeout");
		break;
	case OPT_SETTLE:
		c->settle_s = pb_double(x, arg, 0, 3600, "bad --settle");
		break;
	case OPT_CHURN_RATE:
		c->churn_rate = pb_double(x, arg, 0, 1e9, "bad --churn-rate");
		break;
	case OPT_CHURN_FRACTION:
		c->churn_fraction = pb_double(x, arg, 0, 1, "bad --churn-fraction");
		break;
	case OPT_CHURN_TIME:
		c->churn_s = pb_double(x, arg, 0, 86400, "bad --churn-time");
		break;
	case OPT_FLAP_INTERVAL:
		c->flap_interval_s = pb_double(x, arg, 0.01, 3600, "bad --flap-interval");
		break;
	case OPT_FLAP_DOWN:
		c->flap_down_s = pb_double(x, arg, 0, 3600, "bad --flap-down");
		break;
	case OPT_SEED:
		c->seed = (uint32_t)pb_ulong(x, arg, 0, UINT32_MAX, "bad --seed");
		break;
	case OPT_STUCK:
		c->stuck = (uint32_t)pb_ulong(x, arg, 0, 1000000, "bad --stuck");
		break;
	case OPT_HOLD_UP:
		c->hold_s = pb_double(x, arg, 0, 86400, "bad --hold");
		break;
	default:
		break;
	}
}

static void pb_apply_out_opt(struct pb_cli *x, int opt, const char *arg)
{
	struct pb_cfg *c = x->c;
	switch (opt) {
	case OPT_PID:
		if (c->n_pids == PB_MAX_PIDS) {
			pb_cli_bad(x, "--pid may be given at most 8 times", arg);
			break;
		}
		c->pids[c->n_pids++] = (pid_t)pb_ulong(x, arg, 1, INT_MAX, "bad --pid");
		break;
	case OPT_JSON:
		c->json_path = arg;
		break;
	case OPT_LABEL:
		c->label = arg;
		break;
	case OPT_PROGRESS:
		c->progress = true;
		break;
	case OPT_NO_PROGRESS:
		c->progress = false;
		break;
	case OPT_REPLAY:
		c->replay = true;
		break;
	case OPT_LISTEN:
		pb_sockaddr(x, arg, &c->listen, &c->listen_len, "bad --listen");
		break;
	case OPT_ROUTER_ID:
		c->replay_id = pb_ipv4(x, arg, "bad --router-id");
		break;
	default:
		break;
	}
}

struct pb_cli_opt {
	int opt;
	const char *arg;
};

/* The scenario: named at most once, by -s/--scenario or by a positional word. Option values
 * never count, whatever they say (--label fanout is a label). */
static enum pb_scenario pb_cli_scenario(struct pb_cli *x, const char *const *names, unsigned n)
{
	enum pb_scenario s = PB_CALICO;
	if (n > 1) {
		pb_cli_fail(x, "more than one scenario: '%s' and '%s' (name it once)", names[0],
		            names[1]);
		return s;
	}
	if (n == 1 && pb_scenario_parse(names[0], &s) < 0)
		pb_cli_fail(x, "unknown scenario: '%s' (calico, fanout, churn, restart or flap)",
		            names[0]);
	return s;
}

int pb_cli_parse(int argc, char **argv, struct pb_cfg *c, char *err, size_t size)
{
	struct pb_cli x = { .c = c, .err = err, .size = size };
	/* argc bounds both the options and the scenario words */
	struct pb_cli_opt *opts = calloc((size_t)argc + 1, sizeof(*opts));
	const char **names = calloc((size_t)argc + 1, sizeof(*names));
	unsigned n_opts = 0, n_names = 0;
	int opt;

	if (size)
		err[0] = '\0';
	if (!opts || !names) {
		free(opts);
		free(names);
		pb_cli_fail(&x, "out of memory");
		return -1;
	}
	/* The scenario decides the defaults, so the options are collected first and applied,
	 * in order, over the scenario's defaults. */
	optind = 0; /* a fresh scan (GNU), also when called again */
	while ((opt = getopt_long(argc, argv, "s:t:n:f:m:j:h", pb_options, NULL)) != -1) {
		if (opt == 'h' || opt == '?') {
			free(opts);
			free(names);
			if (opt == 'h')
				return 1;
			pb_cli_fail(&x, "%s", ""); /* getopt said what */
			return -1;
		}
		if (opt == 's')
			names[n_names++] = optarg;
		else
			opts[n_opts++] = (struct pb_cli_opt){ opt, optarg };
	}
	for (int i = optind; i < argc; i++)
		names[n_names++] = argv[i];

	pb_cfg_defaults(c, pb_cli_scenario(&x, names, n_names));
	pb_sockaddr(&x, "127.0.0.1:1179", &c->target, &c->target_len, "target");
	c->progress = isatty(STDERR_FILENO);
	for (unsigned i = 0; i < n_opts; i++) {
		pb_apply_plan_opt(&x, opts[i].opt, opts[i].arg);
		pb_apply_run_opt(&x, opts[i].opt, opts[i].arg);
		pb_apply_out_opt(&x, opts[i].opt, opts[i].arg);
	}
	/* The remote AS follows --asn wherever it stands, unless --remote-as was given. */
	if (!x.remote_as_given)
		c->remote_as = c->plan.asn;
	free(opts);
	free(names);
	return x.failed ? -1 : 0;
}

static void pb_cli_addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(s->sin6_port));
		return;
	}
	const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
	inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
	snprintf(buf, size, "%s:%u", a, ntohs(s->sin_port));
}

static int pb_cli_check_transport(struct pb_cli *x)
{
	const struct pb_cfg *c = x->c;
	bool v6_target = c->target.ss_family == AF_INET6;
	if (c->replay || c->plan.v6_transport == v6_target)
		return 0;
	char target[INET6_ADDRSTRLEN + 16], source[INET6_ADDRSTRLEN];
	pb_cli_addr_text(&c->target, target, sizeof(target));
	if (c->plan.v6_transport) {
		inet_ntop(AF_INET6, &c->plan.src6_base, source, sizeof(source));
		pb_cli_fail(x, "--source %s is IPv6, so --target must be IPv6 too (it is %s)",
		            source, target);
	} else {
		struct in_addr a = { .s_addr = htonl(c->plan.src_base) };
		inet_ntop(AF_INET, &a, source, sizeof(source));
		pb_cli_fail(x, "--target %s is IPv6, so --source must be IPv6 too (it is %s)",
		            target, source);
	}
	return -1;
}

int pb_cli_check(struct pb_cfg *c, char *err, size_t size)
{
	struct pb_cli x = { .c = c, .err = err, .size = size };
	if (size)
		err[0] = '\0';
	if (pb_plan_init(&c->plan, err, size) < 0)
		return -1;
	if (c->replay && c->listen_len == 0) {
		pb_cli_fail(&x, "--replay needs --listen ADDR:PORT");
		return -1;
	}
	if (pb_cli_check_transport(&x) < 0)
		return -1;
	if (c->stuck && !c->plan.n_feeders) {
		pb_cli_fail(&x, "--stuck %u needs listen-only peers: give --feeders", c->stuck);
		return -1;
	}
	if (c->stuck && c->stuck >= pb_n_listeners(&c->plan)) {
		pb_cli_fail(&x,
		            "--stuck %u must leave at least one listener that reads (--peers %u "
		            "with --feeders %u has %u listeners)",
		            c->stuck, c->plan.n_peers, c->plan.n_feeders, pb_n_listeners(&c->plan));
		return -1;
	}
	/* Every thread connects its own peers and needs at least one handshake at a time. */
	if (!c->replay) {
		if (c->threads > c->plan.n_peers)
			c->threads = c->plan.n_peers;
		if (c->threads > c->max_connecting)
			c->threads = c->max_connecting;
	}
	return 0;
}
