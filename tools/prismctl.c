/* prismctl: prismd's state at a glance, from its introspection API (docs/api.md).
 *
 *   prismctl [-a ADDR:PORT] [--json] status | peers | threads | groups | memory
 *   prismctl [-a ADDR:PORT] [--json] route PREFIX
 *
 * The API must be on: `http: 127.0.0.1:8179` in prismd's configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CTL_MAX_RESPONSE = 64 << 20 };

static const char ctl_usage[] =
        "usage: prismctl [-a ADDR:PORT] [--json] COMMAND\n"
        "\n"
        "  status         the daemon: identity, uptime, sessions, RIB size\n"
        "  peers          every neighbor and its session state (like calicoctl node status)\n"
        "  threads        load and work per worker thread, routes per RIB shard\n"
        "  groups         update groups: key, members, stream\n"
        "  memory         what each part of prismd holds\n"
        "  route PREFIX   the paths for one prefix, best first\n"
        "\n"
        "  -a, --api ADDR:PORT  where prismd's API listens (default 127.0.0.1:8179)\n"
        "      --json           print the API's JSON as it comes\n"
        "\n"
        "Exit status: 0, 1 when prismd cannot be reached or answers with an error, 2 for bad\n"
        "usage.\n";

/* ---- one HTTP GET ---- */

static int ctl_connect(const char *api)
{
	char host[256], *port;
	snprintf(host, sizeof(host), "%s", api);
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		if (!close || close[1] != ':')
			return -1;
		*close = '\0';
		port = close + 2;
		memmove(host, host + 1, strlen(host));
	} else {
		port = strrchr(host, ':');
		if (!port)
			return -1;
		*port++ = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static char *ctl_read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (n + 1 == cap) {
			char *b = cap < CTL_MAX_RESPONSE ? realloc(buf, cap * 2) : NULL;
			if (!b) {
				free(buf);
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The JSON body of GET path, or NULL with the reason printed. */
static json_t *ctl_get(const char *api, const char *path)
{
	int fd = ctl_connect(api);
	if (fd < 0) {
		fprintf(stderr,
		        "prismctl: cannot reach prismd's API at %s: %s\n"
		        "prismctl: is `http:` set in prismd's configuration?\n",
		        api, strerror(errno));
		return NULL;
	}
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: prismd\r\n\r\n", path);
	size_t len = 0;
	char *resp = NULL;
	if (n > 0 && write(fd, req, (size_t)n) == n)
		resp = ctl_read_all(fd, &len);
	close(fd);
	char *body = resp ? strstr(resp, "\r\n\r\n") : NULL;
	if (!body) {
		fprintf(stderr, "prismctl: no answer from %s\n", api);
		free(resp);
		return NULL;
	}
	json_error_t err;
	json_t *doc = json_loads(body + 4, 0, &err);
	int status = 0;
	sscanf(resp, "HTTP/%*s %d", &status); /* NOLINT(cert-err34-c): a bad line reads as 0 */
	free(resp);
	if (!doc) {
		fprintf(stderr, "prismctl: prismd sent no JSON: %s\n", err.text);
		return NULL;
	}
	if (status != 200) {
		json_t *e = json_object_get(doc, "error");
		fprintf(stderr, "prismctl: prismd answered %d: %s\n", status,
		        json_is_string(e) ? json_string_value(e) : "error");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- printing ---- */

static const char *ctl_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long ctl_int(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static double ctl_real(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void ctl_duration(double secs, char *buf, size_t size)
{
	long s = (long)secs;
	if (s < 120)
		snprintf(buf, size, "%lds", s);
	else if (s < 7200)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%ldd%02ldh", s / 86400, s / 3600 % 24);
}

static void ctl_status(json_t *d)
{
	char up[32];
	ctl_duration(ctl_real(d, "uptime_s"), up, sizeof(up));
	printf("prismd: router-id %s, AS %lld, cluster-id %s, up %s\n", ctl_str(d, "router_id"),
	       ctl_int(d, "asn"), ctl_str(d, "cluster_id"), up);
	printf("config:   %s (%lld peers, %lld ranges)\n", ctl_str(d, "config"),
	       ctl_int(d, "peers"), ctl_int(d, "ranges"));
	printf("threads:  %lld workers, %lld RIB shards\n", ctl_int(d, "workers"),
	       ctl_int(d, "rib_shards"));
	printf("sessions: %lld Established\n", ctl_int(d, "established"));
	printf("RIB:      %lld prefixes, %lld paths, %lld attribute sets\n", ctl_int(d, "prefixes"),
	       ctl_int(d, "paths"), ctl_int(d, "attribute_sets"));
}

static int ctl_peer_cmp(const void *a, const void *b)
{
	return strcmp(ctl_str(*(json_t *const *)a, "name"), ctl_str(*(json_t *const *)b, "name"));
}

static void ctl_peers(json_t *d)
{
	size_t n = json_array_size(d);
	json_t **v = calloc(n ? n : 1, sizeof(json_t *));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(d, i);
	qsort(v, n, sizeof(json_t *), ctl_peer_cmp);
	printf("%-32s %-15s %-10s %-10s %-11s %-8s %8s %s\n", "PEER", "ADDRESS", "ASN", "TYPE",
	       "STATE", "SINCE", "ROUTES", "INFO");
	for (size_t i = 0; i < n; i++) {
		char since[32];
		ctl_duration(ctl_real(v[i], "state_for_s"), since, sizeof(since));
		printf("%-32s %-15s %-10lld %-10s %-11s %-8s %8lld %s\n", ctl_str(v[i], "name"),
		       ctl_str(v[i], "address"), ctl_int(v[i], "asn"), ctl_str(v[i], "kind"),
		       ctl_str(v[i], "state"), since, ctl_int(v[i], "routes"),
		       ctl_str(v[i], "last_error"));
	}
	printf("%zu peers\n", n);
	free(v);
}

static void ctl_threads(json_t *d)
{
	size_t i;
	json_t *w;
	printf("%-6s %6s %10s %12s %12s %8s\n", "WORKER", "LOAD", "BUSY", "MESSAGES", "UPDATES IN",
	       "PEERS");
	json_array_foreach(json_object_get(d, "workers"), i, w)
	        printf("%-6s %5.1f%% %9.1fs %12lld %12lld %8lld\n", ctl_str(w, "name"),
	               100 * ctl_real(w, "load"), ctl_real(w, "busy_s"), ctl_int(w, "messages"),
	               ctl_int(w, "updates_in"), ctl_int(w, "established"));
	printf("\n%-6s %-6s %10s %10s %14s\n", "SHARD", "OWNER", "PREFIXES", "PATHS",
	       "BEST CHANGES");
	json_array_foreach(json_object_get(d, "shards"), i, w) printf(
	        "%-6lld w%-5lld %10lld %10lld %14lld\n", ctl_int(w, "id"), ctl_int(w, "owner"),
	        ctl_int(w, "prefixes"), ctl_int(w, "paths"), ctl_int(w, "best_changes"));
}

static void ctl_groups(json_t *d)
{
	size_t i;
	json_t *g;
	printf("%-5s %-6s %8s %12s %10s %10s %6s %9s  %s\n", "GROUP", "OWNER", "MEMBERS", "STREAM",
	       "UPDATES", "PREFIXES", "DUMPS", "DETACHED", "KEY");
	json_array_foreach(d, i, g)
	        printf("%-5lld w%-5lld %8lld %12lld %10lld %10lld %6lld %9lld  %s\n",
	               ctl_int(g, "id"), ctl_int(g, "owner"), ctl_int(g, "members"),
	               ctl_int(g, "stream_octets"), ctl_int(g, "updates"), ctl_int(g, "prefixes"),
	               ctl_int(g, "dumps"), ctl_int(g, "detached"), ctl_str(g, "key"));
}

static void ctl_route(json_t *d)
{
	size_t i;
	json_t *p;
	json_t *paths = json_object_get(d, "paths");
	if (!json_array_size(paths)) {
		printf("%s: not in the RIB\n", ctl_str(d, "prefix"));
		return;
	}
	printf("%s: %zu paths\n", ctl_str(d, "prefix"), json_array_size(paths));
	json_array_foreach(paths, i, p)
	{
		char *attrs = json_dumps(json_object_get(p, "attrs"), JSON_COMPACT);
		printf("  %s from %s (id %s, path-id %lld)\n      %s\n",
		       json_is_true(json_object_get(p, "best")) ? "*" : " ", ctl_str(p, "from"),
		       ctl_str(p, "peer_id"), ctl_int(p, "path_id"), attrs ? attrs : "");
		free(attrs);
	}
}

static void ctl_memory(json_t *d)
{
	json_t *je = json_object_get(d, "jemalloc"), *rib = json_object_get(d, "rib");
	json_t *at = json_object_get(d, "attributes"), *ug = json_object_get(d, "update_groups");
	if (json_is_object(je))
		printf("jemalloc:       %.1f MB allocated, %.1f MB resident\n",
		       (double)ctl_int(je, "allocated") / 1e6,
		       (double)ctl_int(je, "resident") / 1e6);
	printf("RIB:            %.1f MB (estimated, %lld paths)\n",
	       (double)ctl_int(rib, "estimated_bytes") / 1e6, ctl_int(rib, "paths"));
	printf("attributes:     %.1f MB in %lld interned sets\n",
	       (double)ctl_int(at, "bytes") / 1e6, ctl_int(at, "sets"));
	printf("update groups:  %.1f MB of stream blocks\n",
	       (double)ctl_int(ug, "block_bytes") / 1e6);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "api", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *api = "127.0.0.1:8179";
	bool raw = false;
	int c;
	while ((c = getopt_long(argc, argv, "a:h", opts, NULL)) != -1) {
		if (c == 'a')
			api = optarg;
		else if (c == 'j')
			raw = true;
		else if (c == 'h') {
			fputs(ctl_usage, stdout);
			return 0;
		} else {
			fputs(ctl_usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(ctl_usage, stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	char path[512];
	void (*show)(json_t *) = NULL;
	static const struct {
		const char *cmd, *path;
		void (*show)(json_t *);
	} table[] = {
		{ "status", "/api/status", ctl_status },    { "peers", "/api/peers", ctl_peers },
		{ "threads", "/api/threads", ctl_threads }, { "groups", "/api/groups", ctl_groups },
		{ "memory", "/api/memory", ctl_memory },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(cmd, table[i].cmd) == 0) {
			snprintf(path, sizeof(path), "%s", table[i].path);
			show = table[i].show;
		}
	}
	if (strcmp(cmd, "route") == 0 && optind + 1 < argc &&
	    strspn(argv[optind + 1], "0123456789abcdefABCDEF.:/") == strlen(argv[optind + 1])) {
		snprintf(path, sizeof(path), "/api/rib?prefix=%s", argv[optind + 1]);
		show = ctl_route;
	}
	if (!show) {
		fprintf(stderr, "prismctl: unknown command '%s'\n%s", cmd, ctl_usage);
		return 2;
	}
	json_t *doc = ctl_get(api, path);
	if (!doc)
		return 1;
	if (raw) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		putchar('\n');
	} else {
		show(doc);
	}
	json_decref(doc);
	return 0;
}
