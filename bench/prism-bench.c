/* prism-bench: load-test a BGP route reflector with synthetic peers, and verify every route
 * it reflects. See docs/prism-bench.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

static const char pb_usage[] =
        "usage: prism-bench [SCENARIO] [options]\n"
        "       prism-bench --replay --listen ADDR:PORT [SCENARIO] [options]\n"
        "\n"
        "Scenarios: calico (default), fanout, churn, restart, flap.\n"
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
        "  -j, --threads T          harness threads (default 2)\n"
        "      --max-connecting N   handshakes in flight at once (default 64)\n"
        "      --timeout S          per phase (default 120)\n"
        "      --settle S           pause after every session is up (default 1)\n"
        "      --churn-rate R       route changes per second, all feeders together (1000)\n"
        "      --churn-fraction F   share of each feeder's routes that churn (0.1)\n"
        "      --churn-time S       how long changes are sent (10)\n"
        "      --flap-interval S    flap: one random peer drops this often (1)\n"
        "      --flap-down S        ... and stays down this long (1)\n"
        "      --seed N             for flap's random choices\n"
        "      --stuck N            the last N listeners (listen-only peers) stop reading once\n"
        "                           up; they are left out of verification, the rest must\n"
        "                           converge as usual\n"
        "      --hold S             keep the sessions up S seconds after the result, for a\n"
        "                           look at the reflector\n"
        "      --pid PID            the reflector's process, for CPU and peak RSS (repeatable;\n"
        "                           descendants count too)\n"
        "      --json FILE          write the result as JSON ('-': stdout)\n"
        "      --label NAME         what is being measured, for the result\n"
        "      --progress, --no-progress   the live progress line (default: on a terminal)\n"
        "\n"
        "Replay server:\n"
        "      --replay             be the null reflector instead\n"
        "      --listen ADDR:PORT   where the replay server listens\n"
        "      --router-id ID       its BGP identifier (default 127.0.0.1)\n"
        "\n"
        "Exit status: 0 when every listener converged on exactly the right table, 1 when not,\n"
        "2 for bad usage.\n";

static void pb_die_usage(const char *what, const char *arg)
{
	fprintf(stderr, "prism-bench: %s: '%s'\n(prism-bench --help lists the options)\n", what,
	        arg ? arg : "");
	exit(2);
}

static unsigned long pb_ulong(const char *s, unsigned long min, unsigned long max, const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max || s[0] == '-')
		pb_die_usage(what, s);
	return v;
}

static double pb_double(const char *s, double min, double max, const char *what)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s || v < min || v > max)
		pb_die_usage(what, s);
	return v;
}

static void pb_range(const char *s, unsigned max, uint8_t *lo, uint8_t *hi, const char *what)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", s);
	char *dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	*lo = (uint8_t)pb_ulong(buf, 1, max, what);
	*hi = dash ? (uint8_t)pb_ulong(dash + 1, 1, max, what) : *lo;
}

static uint32_t pb_ipv4(const char *s, const char *what)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		pb_die_usage(what, s);
	return ntohl(a.s_addr);
}

/* "1.2.3.4:179", "[::1]:179", or an address alone with port 1179. */
static void pb_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                        const char *what)
{
	char host[INET6_ADDRSTRLEN + 8];
	unsigned long port = 1179;
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= sizeof(host))
			pb_die_usage(what, s);
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof(host))
			pb_die_usage(what, s);
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (colon)
		port = pb_ulong(colon + 1, 1, 65535, what);
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
		pb_die_usage(what, s);
	}
}

static void pb_cluster(const char *s, struct pb_plan *p)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	p->n_cluster = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (p->n_cluster == PB_MAX_CLUSTER)
			pb_die_usage("at most 8 cluster IDs", s);
		p->cluster[p->n_cluster++] = pb_ipv4(tok, "bad cluster ID");
	}
}

static void pb_source(const char *s, struct pb_plan *p)
{
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, &p->src6_base) != 1)
			pb_die_usage("bad source address", s);
		p->v6_transport = true;
		return;
	}
	p->src_base = pb_ipv4(s, "bad source address");
}

/* The scenario decides the defaults, so it is found before anything else is applied. */
static enum pb_scenario pb_find_scenario(int argc, char **argv)
{
	enum pb_scenario s = PB_CALICO;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *name = NULL;
		if ((strcmp(a, "-s") == 0 || strcmp(a, "--scenario") == 0) && i + 1 < argc)
			name = argv[++i];
		else if (strncmp(a, "--scenario=", 11) == 0)
			name = a + 11;
		else if (a[0] != '-' && pb_scenario_parse(a, &s) == 0)
			continue;
		if (name && pb_scenario_parse(name, &s) < 0)
			pb_die_usage("unknown scenario", name);
	}
	return s;
}

static void pb_apply_plan_opt(struct pb_cfg *c, int opt, const char *arg)
{
	struct pb_plan *p = &c->plan;
	switch (opt) {
	case 'n':
		p->n_peers = (uint32_t)pb_ulong(arg, 1, 1000000, "bad --peers");
		break;
	case 'f':
		p->n_feeders = (uint32_t)pb_ulong(arg, 0, 1000000, "bad --feeders");
		break;
	case 'm':
		p->per_feeder = (uint32_t)pb_ulong(arg, 1, 50000000, "bad --prefixes");
		break;
	case OPT_PREFIX_LEN:
		pb_range(arg, 32, &p->len4_min, &p->len4_max, "bad --prefix-len");
		break;
	case OPT_PREFIX_LEN6:
		pb_range(arg, 128, &p->len6_min, &p->len6_max, "bad --prefix-len6");
		break;
	case OPT_IPV6:
		p->v6_pct = (uint8_t)pb_ulong(arg, 0, 100, "bad --ipv6");
		break;
	case OPT_ATTR_SETS:
		p->attr_sets = (uint32_t)pb_ulong(arg, 1, 65535, "bad --attr-sets");
		break;
	case OPT_ASN:
		p->asn = (uint32_t)pb_ulong(arg, 1, UINT32_MAX, "bad --asn");
		c->remote_as = p->asn;
		break;
	case OPT_SOURCE:
		pb_source(arg, p);
		break;
	case OPT_CLUSTER:
		pb_cluster(arg, p);
		break;
	case OPT_LARGE:
		p->large_communities = true;
		break;
	default:
		break;
	}
}

static void pb_apply_run_opt(struct pb_cfg *c, int opt, const char *arg)
{
	switch (opt) {
	case 't':
		pb_sockaddr(arg, &c->target, &c->target_len, "bad --target");
		break;
	case 'j':
		c->threads = (unsigned)pb_ulong(arg, 1, 256, "bad --threads");
		break;
	case OPT_REMOTE_AS:
		c->remote_as = (uint32_t)pb_ulong(arg, 1, UINT32_MAX, "bad --remote-as");
		break;
	case OPT_MAX_CONNECTING:
		c->max_connecting = (unsigned)pb_ulong(arg, 1, 1000000, "bad --max-connecting");
		break;
	case OPT_HOLD:
		c->hold_time = (uint16_t)pb_ulong(arg, 0, 65535, "bad --hold-time");
		if (c->hold_time == 1 || c->hold_time == 2)
			pb_die_usage("hold time must be 0 or at least 3", arg);
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
		c->timeout_s = pb_double(arg, 0.1, 86400, "bad --timeout");
		break;
	case OPT_SETTLE:
		c->settle_s = pb_double(arg, 0, 3600, "bad --settle");
		break;
	case OPT_CHURN_RATE:
		c->churn_rate = pb_double(arg, 0, 1e9, "bad --churn-rate");
		break;
	case OPT_CHURN_FRACTION:
		c->churn_fraction = pb_double(arg, 0, 1, "bad --churn-fraction");
		break;
	case OPT_CHURN_TIME:
		c->churn_s = pb_double(arg, 0, 86400, "bad --churn-time");
		break;
	case OPT_FLAP_INTERVAL:
		c->flap_interval_s = pb_double(arg, 0.01, 3600, "bad --flap-interval");
		break;
	case OPT_FLAP_DOWN:
		c->flap_down_s = pb_double(arg, 0, 3600, "bad --flap-down");
		break;
	case OPT_SEED:
		c->seed = (uint32_t)pb_ulong(arg, 0, UINT32_MAX, "bad --seed");
		break;
	case OPT_STUCK:
		c->stuck = (uint32_t)pb_ulong(arg, 0, 1000000, "bad --stuck");
		break;
	case OPT_HOLD_UP:
		c->hold_s = pb_double(arg, 0, 86400, "bad --hold");
		break;
	default:
		break;
	}
}

static void pb_apply_out_opt(struct pb_cfg *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_PID:
		if (c->n_pids == PB_MAX_PIDS)
			pb_die_usage("at most 8 --pid", arg);
		c->pids[c->n_pids++] = (pid_t)pb_ulong(arg, 1, INT_MAX, "bad --pid");
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
		pb_sockaddr(arg, &c->listen, &c->listen_len, "bad --listen");
		break;
	case OPT_ROUTER_ID:
		c->replay_id = pb_ipv4(arg, "bad --router-id");
		break;
	default:
		break;
	}
}

static void pb_parse(int argc, char **argv, struct pb_cfg *c)
{
	pb_cfg_defaults(c, pb_find_scenario(argc, argv));
	pb_sockaddr("127.0.0.1:1179", &c->target, &c->target_len, "target");
	c->progress = isatty(STDERR_FILENO);
	int opt;
	while ((opt = getopt_long(argc, argv, "s:t:n:f:m:j:h", pb_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(pb_usage, stdout);
			exit(0);
		}
		if (opt == '?')
			exit(2);
		pb_apply_plan_opt(c, opt, optarg);
		pb_apply_run_opt(c, opt, optarg);
		pb_apply_out_opt(c, opt, optarg);
	}
	for (int i = optind; i < argc; i++) {
		enum pb_scenario s;
		if (pb_scenario_parse(argv[i], &s) < 0)
			pb_die_usage("unknown scenario", argv[i]);
	}
}

static void pb_check_cfg(struct pb_cfg *c)
{
	const char *why;
	if (pb_plan_init(&c->plan, &why) < 0)
		pb_die_usage(why, "");
	if (c->replay && c->listen_len == 0)
		pb_die_usage("--replay needs --listen", "");
	if (!c->replay && c->plan.v6_transport != (c->target.ss_family == AF_INET6))
		pb_die_usage("an IPv6 --source needs an IPv6 --target, and the other way round",
		             "");
	if (c->stuck && c->stuck >= pb_n_listeners(&c->plan))
		pb_die_usage("--stuck must leave at least one listener that reads", "");
	if (c->stuck && !c->plan.n_feeders)
		pb_die_usage("--stuck needs listen-only peers: give --feeders", "");
	if (c->threads > c->plan.n_peers && !c->replay)
		c->threads = c->plan.n_peers;
}

/* Thousands of sessions need thousands of descriptors. */
static void pb_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct pb_cfg cfg;
	pb_parse(argc, argv, &cfg);
	pb_check_cfg(&cfg);
	pb_raise_nofile();
	return cfg.replay ? pb_run_replay(&cfg) : pb_run_bench(&cfg);
}
