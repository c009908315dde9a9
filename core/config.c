/* prismd's configuration loader. libyaml's document API builds the node tree; a table of
 * keys per mapping (one row per key: name, parser, required or not) turns it into a struct
 * cfg. Adding a key means adding a row and a small parse function.
 *
 * A mapping is read in two passes. The first matches every key against the table, so that
 * unknown and duplicate keys are found in file order before any value is looked at. The
 * second runs the rows in table order, not file order: each parser may then rely on the rows
 * above it, so the global asn is known when a peer's rr-client is checked, and a peer's
 * address is known when its local-address is. The cross-checks run where the value is, and
 * their errors point at it. */
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>
#include <yaml.h>

#include "core/bgp.h"

enum {
	CFG_KEYS_MAX = 24,        /* rows in the largest key table */
	CFG_SHOWN_MAX = 40,       /* bytes of a bad value quoted back in a message */
	CFG_HINT_MAX = 32,        /* keys longer than this get no did-you-mean */
	CFG_HINT_DISTANCE = 2,    /* edit distance of a did-you-mean */
	CFG_HTTP_PORT = 8179,     /* the introspection API's port when http names none */
	CFG_THREADS_MAX = 1024,   /* threads */
	CFG_SHARDS_MAX = 65536,   /* rib-shards */
	CFG_RETRY_MAX = 3600,     /* connect-retry */
	CFG_COALESCE_MAX = 10000, /* update-groups.coalesce-ms */
	CFG_DEFAULT_COALESCE_MS = 50,
	CFG_MAX_PEERS_MAX = 1000000, /* peer-ranges[].max-peers */
	CFG_DEFAULT_MAX_PEERS = 10000,
};

#define CFG_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A file this large is not a configuration; refusing it early keeps a mistaken -c /dev/zero
 * from eating memory. */
#define CFG_FILE_MAX ((size_t)64 << 20)

/* The smallest slow-peer-bytes is one extended message (RFC 8654), so that a member is never
 * detached for holding a single UPDATE; the largest is far beyond any real table. */
#define CFG_SLOW_MIN                ((uint64_t)64 << 10)
#define CFG_SLOW_MAX                ((uint64_t)1 << 40)
#define CFG_DEFAULT_SLOW_PEER_BYTES ((size_t)64 << 20)

const char cfg_default_text[] =
        "# prismd's built-in configuration, used when it is started without -c: a reflector\n"
        "# for BGP speakers on this host only, every one of them a route-reflector client.\n"
        "router-id: 127.0.0.1\n"
        "asn: 64512\n"
        "listen: [\"127.0.0.1:1179\"]\n"
        "peer-ranges:\n"
        "  - name: loopback\n"
        "    prefix: 127.0.0.0/8\n"
        "    asn: 64512\n"
        "    rr-client: true\n";

enum { CFG_ID_RANGE = 1U << 31 };

/* Keys seen so far, for the uniqueness checks (names across peers and ranges, peer hosts,
 * range prefixes): open addressing over copies of the keys, each with the id of its owner.
 * Comparing every peer with every other took a second for 10,000 peers. */
struct cfg_set_entry {
	uint32_t id1; /* owner's id + 1; 0: empty */
	uint8_t len;
	uint8_t key[CFG_NAME_MAX];
};

struct cfg_set {
	struct cfg_set_entry *v;
	size_t mask, used;
};

/* The state of one load: the document being read, where in it we are, and where errors go. */
struct cfg_parse {
	yaml_document_t *doc;
	struct cfg *c;
	struct cfg_err *err;
	const char *name;
	char path[sizeof(((struct cfg_err *)0)->key)];
	size_t path_len;
	uint32_t item; /* the peer or range being read: its index, with CFG_ID_RANGE for a range */
	struct cfg_set names, hosts, prefixes;
};

/* One key of a mapping. Rows run in table order (see the top of this file). A refused key
 * is one that belongs to a sibling mapping, such as passive in a peer range: it gets a reason
 * rather than "unknown key". */
struct cfg_key {
	const char *name;
	int (*parse)(struct cfg_parse *p, const yaml_node_t *v, void *obj);
	bool required;
	const char *refused;
};

struct cfg_map {
	const char *what; /* what a type error says was expected */
	const struct cfg_key *keys;
	size_t n_keys;
};

struct cfg_word {
	const char *word;
	int value;
};

/* An address reduced to what identifies a host: IPv4-mapped IPv6 becomes IPv4, ports go. */
struct cfg_ip {
	uint8_t afi;
	uint8_t b[16];
};

enum cfg_addr_fault { CFG_ADDR_OK, CFG_ADDR_BAD_HOST, CFG_ADDR_BAD_PORT, CFG_ADDR_HAS_PORT };

/* Neighbor parsers take a struct cfg_peer or a struct cfg_range and use its first member. */
_Static_assert(offsetof(struct cfg_peer, n) == 0, "cfg_peer must start with its cfg_neighbor");
_Static_assert(offsetof(struct cfg_range, n) == 0, "cfg_range must start with its cfg_neighbor");

/* ---- errors ---- */

static void cfg_err_set(struct cfg_err *err, const char *name, unsigned line, unsigned col,
                        const char *key, const char *msg)
{
	int n;

	err->line = line;
	err->col = col;
	snprintf(err->key, sizeof(err->key), "%s", key);
	if (line == 0)
		n = snprintf(err->text, sizeof(err->text), "%s: %s", name, msg);
	else if (key[0] == '\0')
		n = snprintf(err->text, sizeof(err->text), "%s:%u:%u: %s", name, line, col, msg);
	else
		n = snprintf(err->text, sizeof(err->text), "%s:%u:%u: %s: %s", name, line, col, key,
		             msg);
	if (n < 0)
		err->text[0] = '\0';
}

static __attribute__((format(printf, 3, 4))) int cfg_fail_at(struct cfg_parse *p, yaml_mark_t m,
                                                             const char *fmt, ...)
{
	char msg[sizeof(p->err->text)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_err_set(p->err, p->name, (unsigned)m.line + 1, (unsigned)m.column + 1, p->path, msg);
	return -1;
}

static const char *cfg_node_kind(const yaml_node_t *v)
{
	if (v->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (v->type == YAML_MAPPING_NODE)
		return "a mapping";
	return "a single value";
}

/* A bad value quoted back: cut short, with control characters shown as '?' so that the
 * message stays on one line. */
static void cfg_shown(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s), cut = n < CFG_SHOWN_MAX ? n : CFG_SHOWN_MAX;

	while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--; /* never split a UTF-8 sequence */
	snprintf(buf, size, "%.*s%s", (int)cut, s, cut < n ? "..." : "");
	for (char *q = buf; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
}

static int cfg_bad_text(struct cfg_parse *p, const yaml_node_t *v, const char *expected,
                        const char *text)
{
	char shown[CFG_SHOWN_MAX + 8];

	cfg_shown(text, shown, sizeof(shown));
	return cfg_fail_at(p, v->start_mark, "expected %s, got \"%s\"", expected, shown);
}

static int cfg_bad_value(struct cfg_parse *p, const yaml_node_t *v, const char *expected)
{
	return cfg_bad_text(p, v, expected, (const char *)v->data.scalar.value);
}

/* ---- key paths: "peers[1].asn" ---- */

static size_t cfg_path_push_key(struct cfg_parse *p, const char *key)
{
	size_t old = p->path_len, room = sizeof(p->path) - old;
	int n = snprintf(p->path + old, room, "%s%s", old ? "." : "", key);

	p->path_len = n < 0 ? old : old + ((size_t)n < room ? (size_t)n : room - 1);
	return old;
}

static size_t cfg_path_push_index(struct cfg_parse *p, size_t i)
{
	size_t old = p->path_len, room = sizeof(p->path) - old;
	int n = snprintf(p->path + old, room, "[%zu]", i);

	p->path_len = n < 0 ? old : old + ((size_t)n < room ? (size_t)n : room - 1);
	return old;
}

static void cfg_path_pop(struct cfg_parse *p, size_t old)
{
	p->path_len = old;
	p->path[old] = '\0';
}

/* ---- scalars ---- */

static const yaml_node_t *cfg_node(const struct cfg_parse *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

/* YAML's null: an absent value means "use the default", as if the key were not there. */
static bool cfg_is_null(const yaml_node_t *v)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < CFG_LEN(nulls); i++)
		if (strcmp((const char *)v->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

/* The text of a scalar, or NULL with the error set when v is a list or a mapping. A NUL
 * (possible in a double-quoted "\0") would cut the C string short, so it is refused. */
static const char *cfg_scalar(struct cfg_parse *p, const yaml_node_t *v, const char *expected)
{
	if (v->type != YAML_SCALAR_NODE) {
		cfg_fail_at(p, v->start_mark, "expected %s, got %s", expected, cfg_node_kind(v));
		return NULL;
	}
	const char *s = (const char *)v->data.scalar.value;
	if (strlen(s) != v->data.scalar.length) {
		cfg_fail_at(p, v->start_mark, "expected %s, got a value with a NUL character",
		            expected);
		return NULL;
	}
	return s;
}

/* Decimal digits from *s, stopping at the first non-digit; false on none or on overflow. */
static bool cfg_digits(const char **s, uint64_t *out)
{
	const char *q = *s;
	uint64_t v = 0;

	for (; *q >= '0' && *q <= '9'; q++) {
		unsigned d = (unsigned)(*q - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (q == *s)
		return false;
	*s = q;
	*out = v;
	return true;
}

/* A whole scalar that is a decimal number: no sign, no spaces, nothing after it. */
static bool cfg_number(const char *s, uint64_t *out) { return cfg_digits(&s, out) && *s == '\0'; }

static int cfg_uint(struct cfg_parse *p, const yaml_node_t *v, const char *expected, uint64_t lo,
                    uint64_t hi, uint64_t *out)
{
	const char *s = cfg_scalar(p, v, expected);

	if (!s)
		return -1;
	if (!cfg_number(s, out) || *out < lo || *out > hi)
		return cfg_bad_value(p, v, expected);
	return 0;
}

static int cfg_bool(struct cfg_parse *p, const yaml_node_t *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s = cfg_scalar(p, v, "true or false");

	if (!s)
		return -1;
	for (size_t i = 0; i < CFG_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return cfg_bad_value(p, v, "true or false");
}

static int cfg_enum(struct cfg_parse *p, const yaml_node_t *v, const char *expected,
                    const struct cfg_word *words, size_t n, int *out)
{
	const char *s = cfg_scalar(p, v, expected);

	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, words[i].word) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return cfg_bad_value(p, v, expected);
}

/* "auto" (stored as 0) or a number from 1 to hi. */
static int cfg_auto_uint(struct cfg_parse *p, const yaml_node_t *v, const char *expected,
                         uint64_t hi, unsigned *out)
{
	const char *s = cfg_scalar(p, v, expected);
	uint64_t n;

	if (!s)
		return -1;
	if (strcmp(s, "auto") == 0) {
		*out = 0;
		return 0;
	}
	if (!cfg_number(s, &n) || n < 1 || n > hi)
		return cfg_bad_value(p, v, expected);
	*out = (unsigned)n;
	return 0;
}

/* A BGP identifier (router-id, cluster-id): a dotted quad, never 0.0.0.0. */
static int cfg_bgp_id(struct cfg_parse *p, const yaml_node_t *v, uint32_t *out)
{
	static const char expected[] = "a nonzero IPv4 address";
	const char *s = cfg_scalar(p, v, expected);
	struct in_addr a;

	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, &a) != 1 || a.s_addr == 0)
		return cfg_bad_value(p, v, expected);
	*out = ntohl(a.s_addr);
	return 0;
}

/* asplain ("65546") or asdot ("1.10", RFC 5396). AS_TRANS stands in for a 4-octet AS in
 * 2-octet fields (RFC 6793); a speaker that owned it would be indistinguishable from one
 * that does not speak 4-octet AS. */
static int cfg_asn(struct cfg_parse *p, const yaml_node_t *v, uint32_t *out)
{
	static const char expected[] = "an AS number from 1 to 4294967295";
	const char *s = cfg_scalar(p, v, expected), *q = s;
	uint64_t hi, lo = 0, as;

	if (!s)
		return -1;
	if (!cfg_digits(&q, &hi))
		return cfg_bad_value(p, v, expected);
	if (*q == '.') {
		q++;
		if (hi > UINT16_MAX || !cfg_digits(&q, &lo) || lo > UINT16_MAX)
			return cfg_bad_value(p, v, expected);
		as = hi << 16 | lo;
	} else {
		as = hi;
	}
	if (*q != '\0' || as == 0 || as > UINT32_MAX)
		return cfg_bad_value(p, v, expected);
	if (as == BGP_AS_TRANS)
		return cfg_fail_at(p, v->start_mark,
		                   "AS %u is AS_TRANS (RFC 6793) and cannot be a real AS",
		                   BGP_AS_TRANS);
	*out = (uint32_t)as;
	return 0;
}

/* 0 turns keepalives off (RFC 4271 4.2); 1 and 2 are not allowed. */
static int cfg_hold_time(struct cfg_parse *p, const yaml_node_t *v, uint16_t *out)
{
	static const char expected[] = "0 or a hold time from 3 to 65535 seconds";
	uint64_t n;

	if (cfg_uint(p, v, expected, 0, UINT16_MAX, &n) != 0)
		return -1;
	if (n == 1 || n == 2)
		return cfg_bad_value(p, v, expected);
	*out = (uint16_t)n;
	return 0;
}

/* A byte count with an optional binary suffix: "67108864", "64MiB", "64 MiB", "1GiB". */
static bool cfg_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = { { "", 0 },     { "B", 0 },    { "KiB", 10 },
		      { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 } };
	uint64_t n;

	if (!cfg_digits(&s, &n))
		return false;
	if (s[0] == ' ' && s[1] != '\0')
		s++;
	for (size_t i = 0; i < CFG_LEN(units); i++) {
		if (strcmp(s, units[i].suffix) != 0)
			continue;
		if (n > UINT64_MAX >> units[i].shift)
			return false;
		*out = n << units[i].shift;
		return true;
	}
	return false;
}

/* ---- addresses ---- */

/* The port after the host, 1 to 65535. */
static bool cfg_port(const char *s, uint16_t *out)
{
	uint64_t n;

	if (!cfg_number(s, &n) || n < 1 || n > UINT16_MAX)
		return false;
	*out = (uint16_t)n;
	return true;
}

static void cfg_addr_fill(struct cfg_addr *a, int family, const void *host, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, host, sizeof(in->sin_addr));
		a->len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, host, sizeof(in6->sin6_addr));
		a->len = sizeof(*in6);
	}
}

/* Splits "10.0.0.1:179", "[::1]:179", "10.0.0.1" or "::1" into host and port text. A bare
 * IPv6 address cannot carry a port: "::1:179" is itself an address. */
static bool cfg_addr_split(const char *s, char *host, size_t size, const char **port)
{
	const char *end;

	*port = NULL;
	if (s[0] == '[') {
		s++;
		end = strchr(s, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return false;
		if (end[1] == ':')
			*port = end + 2;
	} else {
		end = strchr(s, ':');
		if (end && !strchr(end + 1, ':'))
			*port = end + 1;
		else
			end = s + strlen(s);
	}
	if ((size_t)(end - s) >= size)
		return false;
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	return true;
}

static enum cfg_addr_fault cfg_addr_parse(const char *s, uint16_t port, bool port_ok,
                                          struct cfg_addr *a, const char **port_text)
{
	char host[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];

	if (!cfg_addr_split(s, host, sizeof(host), port_text))
		return CFG_ADDR_BAD_HOST;
	/* brackets are for IPv6 only */
	int family = s[0] == '[' || strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, host, bin) != 1)
		return CFG_ADDR_BAD_HOST;
	if (*port_text && !port_ok)
		return CFG_ADDR_HAS_PORT;
	if (*port_text && !cfg_port(*port_text, &port))
		return CFG_ADDR_BAD_PORT;
	cfg_addr_fill(a, family, bin, port);
	return CFG_ADDR_OK;
}

static int cfg_addr_value(struct cfg_parse *p, const yaml_node_t *v, uint16_t port, bool port_ok,
                          struct cfg_addr *a)
{
	static const char expected[] = "an IPv4 or IPv6 address";
	const char *s = cfg_scalar(p, v, expected), *port_text;

	if (!s)
		return -1;
	switch (cfg_addr_parse(s, port, port_ok, a, &port_text)) {
	case CFG_ADDR_OK:
		return 0;
	case CFG_ADDR_BAD_PORT:
		return cfg_bad_text(p, v, "a port from 1 to 65535", port_text);
	case CFG_ADDR_HAS_PORT:
		return cfg_bad_value(p, v, "an address without a port");
	case CFG_ADDR_BAD_HOST:
		break;
	}
	return cfg_bad_value(p, v, expected);
}

static void cfg_ip_from_sa(const struct sockaddr *sa, struct cfg_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		ip->afi = AFI_IPV4;
		memcpy(ip->b, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			ip->afi = AFI_IPV4;
			memcpy(ip->b, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			ip->afi = AFI_IPV6;
			memcpy(ip->b, &in6->sin6_addr, 16);
		}
	}
}

static bool cfg_ip_equal(const struct cfg_ip *a, const struct cfg_ip *b)
{
	return a->afi == b->afi && memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static bool cfg_prefix_contains(const struct prefix *pf, const struct cfg_ip *ip)
{
	unsigned full = pf->len / 8, rest = pf->len % 8;

	if (pf->afi != ip->afi || memcmp(pf->addr, ip->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (pf->addr[full] & mask) == (ip->b[full] & mask);
}

/* ---- sets of seen keys ---- */

static struct cfg_set_entry *cfg_set_slot(struct cfg_set_entry *v, size_t mask, const void *key,
                                          size_t len)
{
	for (size_t i = XXH3_64bits(key, len) & mask;; i = (i + 1) & mask) {
		struct cfg_set_entry *e = &v[i];
		if (e->id1 == 0 || (e->len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

/* Kept at most half full, so that probes stay short and always end at an empty slot. */
static bool cfg_set_grow(struct cfg_set *s)
{
	size_t cap = s->v ? (s->mask + 1) * 2 : 64;
	struct cfg_set_entry *v = calloc(cap, sizeof(*v));

	if (!v)
		return false;
	for (size_t i = 0; s->v && i <= s->mask; i++)
		if (s->v[i].id1 != 0)
			*cfg_set_slot(v, cap - 1, s->v[i].key, s->v[i].len) = s->v[i];
	free(s->v);
	s->v = v;
	s->mask = cap - 1;
	return true;
}

/* Adds key for id. Returns 0, 1 with *owner set when the key is already there, or -1 when
 * out of memory. */
static int cfg_set_add(struct cfg_set *s, const void *key, size_t len, uint32_t id, uint32_t *owner)
{
	if (len > sizeof(s->v->key) || ((!s->v || s->used * 2 >= s->mask + 1) && !cfg_set_grow(s)))
		return -1;
	struct cfg_set_entry *e = cfg_set_slot(s->v, s->mask, key, len);
	if (e->id1 != 0) {
		*owner = e->id1 - 1;
		return 1;
	}
	e->id1 = id + 1;
	e->len = (uint8_t)len;
	memcpy(e->key, key, len);
	s->used++;
	return 0;
}

static void cfg_set_free(struct cfg_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- mappings and lists ---- */

static unsigned cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[CFG_HINT_MAX + 1];

	if (la > CFG_HINT_MAX || lb > CFG_HINT_MAX)
		return UINT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The known key closest to a mistyped one, or NULL when none is close enough to be a typo. */
static const char *cfg_hint(const struct cfg_map *map, const char *key)
{
	const char *best = NULL;
	unsigned best_d = CFG_HINT_DISTANCE + 1;

	for (size_t i = 0; i < map->n_keys; i++) {
		unsigned d = cfg_edit_distance(key, map->keys[i].name);
		if (!map->keys[i].refused && d < best_d && d < strlen(key)) {
			best = map->keys[i].name;
			best_d = d;
		}
	}
	return best;
}

static int cfg_unknown_key(struct cfg_parse *p, const struct cfg_map *map, const yaml_node_t *k,
                           const char *key)
{
	const char *hint = cfg_hint(map, key);
	size_t old = cfg_path_push_key(p, key);
	int rc = hint ? cfg_fail_at(p, k->start_mark, "unknown key; did you mean '%s'?", hint)
	              : cfg_fail_at(p, k->start_mark, "unknown key");

	cfg_path_pop(p, old);
	return rc;
}

static int cfg_find_key(const struct cfg_map *map, const char *key)
{
	for (size_t i = 0; i < map->n_keys; i++)
		if (strcmp(map->keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

/* Pass one: every key of v found in the table, each at most once. */
static int cfg_map_index(struct cfg_parse *p, const yaml_node_t *v, const struct cfg_map *map,
                         const yaml_node_t **keys, const yaml_node_t **vals)
{
	for (const yaml_node_pair_t *pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = cfg_node(p, pair->key);
		const char *key = cfg_scalar(p, k, "a key name");
		if (!key)
			return -1;
		int i = cfg_find_key(map, key);
		if (i < 0)
			return cfg_unknown_key(p, map, k, key);
		if (keys[i]) {
			size_t old = cfg_path_push_key(p, key);
			cfg_fail_at(p, k->start_mark, "duplicate key (first at %u:%u)",
			            (unsigned)keys[i]->start_mark.line + 1,
			            (unsigned)keys[i]->start_mark.column + 1);
			cfg_path_pop(p, old);
			return -1;
		}
		keys[i] = k;
		vals[i] = cfg_node(p, pair->value);
	}
	return 0;
}

/* Pass two for one row. */
static int cfg_map_row(struct cfg_parse *p, const yaml_node_t *v, const struct cfg_key *row,
                       const yaml_node_t *key, const yaml_node_t *val, void *obj)
{
	size_t old = cfg_path_push_key(p, row->name);
	int rc = 0;

	if (!val && row->required)
		rc = cfg_fail_at(p, v->start_mark, "required key is missing");
	else if (val && row->refused)
		rc = cfg_fail_at(p, key->start_mark, "not allowed here: %s", row->refused);
	else if (val && (row->required || !cfg_is_null(val)))
		rc = row->parse(p, val, obj);
	cfg_path_pop(p, old);
	return rc;
}

static int cfg_map_parse(struct cfg_parse *p, const yaml_node_t *v, const struct cfg_map *map,
                         void *obj)
{
	const yaml_node_t *keys[CFG_KEYS_MAX] = { 0 }, *vals[CFG_KEYS_MAX] = { 0 };

	if (v->type != YAML_MAPPING_NODE)
		return cfg_fail_at(p, v->start_mark, "expected %s, got %s", map->what,
		                   cfg_node_kind(v));
	if (cfg_map_index(p, v, map, keys, vals) != 0)
		return -1;
	for (size_t i = 0; i < map->n_keys; i++)
		if (cfg_map_row(p, v, &map->keys[i], keys[i], vals[i], obj) != 0)
			return -1;
	return 0;
}

/* The items of a list, or of a single value standing for a list of one. */
static const yaml_node_item_t *cfg_items(struct cfg_parse *p, const yaml_node_t *v,
                                         const char *expected, bool scalar_ok, size_t *n)
{
	static const yaml_node_item_t none;

	if (v->type == YAML_SEQUENCE_NODE) {
		*n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		return *n ? v->data.sequence.items.start : &none;
	}
	if (v->type == YAML_SCALAR_NODE && scalar_ok) {
		*n = 1;
		return NULL; /* the caller reads v itself */
	}
	cfg_fail_at(p, v->start_mark, "expected %s, got %s", expected, cfg_node_kind(v));
	*n = SIZE_MAX;
	return NULL;
}

static const yaml_node_t *cfg_item(const struct cfg_parse *p, const yaml_node_t *v,
                                   const yaml_node_item_t *items, size_t i)
{
	return items ? cfg_node(p, items[i]) : v;
}

/* ---- neighbor keys: shared by peers and peer-ranges ---- */

static bool cfg_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (; *s; s++) {
		char ch = *s;
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '_' && ch != '.' && ch != '-')
			return false;
	}
	return true;
}

/* Names are unique across peers and peer-ranges: logs, metrics and the API key on them. */
static int cfg_name_unique(struct cfg_parse *p, const yaml_node_t *v, const char *name)
{
	uint32_t owner;
	int rc = cfg_set_add(&p->names, name, strlen(name), p->item, &owner);

	if (rc < 0)
		return cfg_fail_at(p, v->start_mark, "out of memory");
	if (rc > 0)
		return cfg_fail_at(p, v->start_mark, "name \"%s\" is already used by %s[%u]", name,
		                   owner & CFG_ID_RANGE ? "peer-ranges" : "peers",
		                   owner & ~CFG_ID_RANGE);
	return 0;
}

static int cfg_key_name(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	static const char expected[] = "a name of 1 to 63 letters, digits, '_', '.' or '-'";
	struct cfg_neighbor *n = obj;
	const char *s = cfg_scalar(p, v, expected);

	if (!s)
		return -1;
	if (!cfg_name_valid(s))
		return cfg_bad_value(p, v, expected);
	if (cfg_name_unique(p, v, s) != 0)
		return -1;
	snprintf(n->name, sizeof(n->name), "%s", s);
	return 0;
}

static int cfg_key_n_asn(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_asn(p, v, &n->asn);
}

/* The asn row runs first and is required, so n->asn is known here. */
static int cfg_key_rr_client(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	if (cfg_bool(p, v, &n->rr_client) != 0)
		return -1;
	if (n->rr_client && n->asn != p->c->asn)
		return cfg_fail_at(p, v->start_mark,
		                   "rr-client needs an iBGP neighbor, but asn %u is not our asn %u",
		                   n->asn, p->c->asn);
	return 0;
}

static int cfg_key_n_cluster_id(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_bgp_id(p, v, &n->cluster_id);
}

static int cfg_key_n_client_to_client(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_bool(p, v, &n->client_to_client);
}

static int cfg_key_n_hold_time(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_hold_time(p, v, &n->hold_time);
}

static const char *cfg_family_name(const struct cfg_addr *a)
{
	return a->sa.ss_family == AF_INET6 ? "IPv6" : "IPv4";
}

/* next-hop-ipv4 and next-hop-ipv6: where next hop self points, for an external neighbor
 * whose session's own address is of the other family or is not the one to use. The asn row
 * runs first and is required, so n->asn is known here. */
static int cfg_next_hop(struct cfg_parse *p, const yaml_node_t *v, struct cfg_neighbor *n,
                        int family)
{
	const char *key = family == AF_INET ? "next-hop-ipv4" : "next-hop-ipv6";
	struct cfg_addr a;

	memset(&a, 0, sizeof(a));
	if (n->asn == p->c->asn)
		return cfg_fail_at(
		        p, v->start_mark,
		        "%s needs an eBGP neighbor: asn %u is our asn, and reflection to "
		        "iBGP peers leaves the next hop alone",
		        key, n->asn);
	if (cfg_addr_value(p, v, 0, false, &a) != 0)
		return -1;
	if (a.sa.ss_family != family)
		return cfg_fail_at(p, v->start_mark, "%s is %s, not %s", key, cfg_family_name(&a),
		                   family == AF_INET ? "IPv4" : "IPv6");
	if (family == AF_INET) {
		const struct in_addr *in = &((const struct sockaddr_in *)&a.sa)->sin_addr;
		if (in->s_addr == 0)
			return cfg_fail_at(p, v->start_mark, "%s: 0.0.0.0 is no next hop", key);
		memcpy(n->nh4, in, 4);
		n->has_nh4 = true;
	} else {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)&a.sa)->sin6_addr;
		if (IN6_IS_ADDR_UNSPECIFIED(in6) || IN6_IS_ADDR_LINKLOCAL(in6) ||
		    IN6_IS_ADDR_MULTICAST(in6))
			return cfg_fail_at(p, v->start_mark,
			                   "%s must be a global unicast address (RFC 2545 3)", key);
		memcpy(n->nh6, in6, 16);
		n->has_nh6 = true;
	}
	return 0;
}

static int cfg_key_next_hop_ipv4(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	return cfg_next_hop(p, v, obj, AF_INET);
}

static int cfg_key_next_hop_ipv6(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	return cfg_next_hop(p, v, obj, AF_INET6);
}

static int cfg_policy(struct cfg_parse *p, const yaml_node_t *v, enum cfg_policy *out)
{
	static const struct cfg_word words[] = { { "none", CFG_POLICY_NONE },
		                                 { "all", CFG_POLICY_ALL } };
	int val = 0;

	if (cfg_enum(p, v, "none or all", words, CFG_LEN(words), &val) != 0)
		return -1;
	*out = (enum cfg_policy)val;
	return 0;
}

static int cfg_key_import(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_policy(p, v, &n->import);
}

static int cfg_key_export(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_policy(p, v, &n->export);
}

static int cfg_key_add_path(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	static const struct cfg_word words[] = { { "none", 0 }, { "receive", 1 } };
	struct cfg_neighbor *n = obj;
	int val = 0;

	if (cfg_enum(p, v, "none or receive", words, CFG_LEN(words), &val) != 0)
		return -1;
	n->addpath_rx = val != 0;
	return 0;
}

static int cfg_key_graceful_restart(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;

	return cfg_bool(p, v, &n->graceful_restart);
}

static int cfg_family(struct cfg_parse *p, const yaml_node_t *v, struct cfg_neighbor *n)
{
	static const struct cfg_word words[] = { { "ipv4", AFI_IPV4 }, { "ipv6", AFI_IPV6 } };
	int afi = 0;

	if (cfg_enum(p, v, "ipv4 or ipv6", words, CFG_LEN(words), &afi) != 0)
		return -1;
	bool *on = afi == AFI_IPV4 ? &n->ipv4 : &n->ipv6;
	if (*on)
		return cfg_fail_at(p, v->start_mark, "%s is listed twice",
		                   afi == AFI_IPV4 ? "ipv4" : "ipv6");
	*on = true;
	return 0;
}

static int cfg_key_families(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_neighbor *n = obj;
	size_t count;
	const yaml_node_item_t *items = cfg_items(p, v, "a list of address families", true, &count);

	if (count == SIZE_MAX)
		return -1;
	if (count == 0)
		return cfg_fail_at(p, v->start_mark, "expected at least one address family");
	n->ipv4 = n->ipv6 = false;
	for (size_t i = 0; i < count; i++) {
		size_t old = items ? cfg_path_push_index(p, i) : p->path_len;
		int rc = cfg_family(p, cfg_item(p, v, items, i), n);
		cfg_path_pop(p, old);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- peers ---- */

/* Connections are matched by host alone, so two peers on one host would be ambiguous even
 * with different ports. */
static int cfg_peer_addr_unique(struct cfg_parse *p, const yaml_node_t *v, const struct cfg_addr *a)
{
	struct cfg_ip ip;
	uint32_t owner;

	cfg_ip_from_sa((const struct sockaddr *)&a->sa, &ip);
	int rc = cfg_set_add(&p->hosts, &ip, sizeof(ip), p->item, &owner);
	if (rc < 0)
		return cfg_fail_at(p, v->start_mark, "out of memory");
	if (rc > 0)
		return cfg_fail_at(
		        p, v->start_mark, "address \"%s\" is already used by peers[%u] (%s)",
		        (const char *)v->data.scalar.value, owner, p->c->peers[owner].n.name);
	return 0;
}

static int cfg_key_address(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_peer *peer = obj;

	if (cfg_addr_value(p, v, CFG_DEFAULT_PORT, true, &peer->addr) != 0)
		return -1;
	return cfg_peer_addr_unique(p, v, &peer->addr);
}

static int cfg_key_passive(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_peer *peer = obj;

	return cfg_bool(p, v, &peer->passive);
}

/* The address row runs first and is required, so peer->addr is known here. */
static int cfg_key_local_address(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_peer *peer = obj;

	if (cfg_addr_value(p, v, 0, false, &peer->local) != 0)
		return -1;
	if (peer->local.sa.ss_family != peer->addr.sa.ss_family)
		return cfg_fail_at(p, v->start_mark, "local-address is %s but address is %s",
		                   cfg_family_name(&peer->local), cfg_family_name(&peer->addr));
	return 0;
}

static const struct cfg_key cfg_peer_keys[] = {
	{ "name", cfg_key_name, true, NULL },
	{ "address", cfg_key_address, true, NULL },
	{ "asn", cfg_key_n_asn, true, NULL },
	{ "rr-client", cfg_key_rr_client, false, NULL },
	{ "passive", cfg_key_passive, false, NULL },
	{ "local-address", cfg_key_local_address, false, NULL },
	{ "cluster-id", cfg_key_n_cluster_id, false, NULL },
	{ "client-to-client", cfg_key_n_client_to_client, false, NULL },
	{ "hold-time", cfg_key_n_hold_time, false, NULL },
	{ "import", cfg_key_import, false, NULL },
	{ "export", cfg_key_export, false, NULL },
	{ "next-hop-ipv4", cfg_key_next_hop_ipv4, false, NULL },
	{ "next-hop-ipv6", cfg_key_next_hop_ipv6, false, NULL },
	{ "add-path", cfg_key_add_path, false, NULL },
	{ "families", cfg_key_families, false, NULL },
	{ "graceful-restart", cfg_key_graceful_restart, false, NULL },
	{ "max-peers", NULL, false, "max-peers belongs to peer-ranges" },
	{ "prefix", NULL, false, "a peer has an address; a prefix belongs to peer-ranges" },
};

static const struct cfg_map cfg_peer_map = { "a mapping of peer settings", cfg_peer_keys,
	                                     CFG_LEN(cfg_peer_keys) };

/* ---- peer ranges ---- */

/* prefix_parse() refuses host bits without saying so; this finds out whether that was the
 * reason, and what the operator most likely meant. */
static bool cfg_prefix_masked(const char *s, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct prefix pf = { 0 };
	uint64_t len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return false;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	pf.afi = strchr(addr, ':') ? AFI_IPV6 : AFI_IPV4;
	if (inet_pton(pf.afi == AFI_IPV6 ? AF_INET6 : AF_INET, addr, pf.addr) != 1 ||
	    !cfg_number(slash + 1, &len) || len > (pf.afi == AFI_IPV6 ? 128U : 32U))
		return false;
	pf.len = (uint8_t)len;
	for (unsigned i = pf.len; i < 128; i++)
		pf.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return prefix_format(&pf, buf, size) == 0;
}

static int cfg_range_prefix_unique(struct cfg_parse *p, const yaml_node_t *v,
                                   const struct prefix *pf)
{
	uint8_t key[2 + sizeof(pf->addr)] = { pf->afi, pf->len };
	uint32_t owner;

	memcpy(key + 2, pf->addr, sizeof(pf->addr));
	int rc = cfg_set_add(&p->prefixes, key, sizeof(key), p->item & ~CFG_ID_RANGE, &owner);
	if (rc < 0)
		return cfg_fail_at(p, v->start_mark, "out of memory");
	if (rc > 0)
		return cfg_fail_at(
		        p, v->start_mark, "prefix %s is already used by peer-ranges[%u] (%s)",
		        (const char *)v->data.scalar.value, owner, p->c->ranges[owner].n.name);
	return 0;
}

/* cfg_match() sees an IPv4-mapped source (::ffff:10.0.0.5) as IPv4, so a range inside
 * ::ffff:0:0/96 could never match anything; when pf is one, buf gets the IPv4 prefix meant. */
static bool cfg_prefix_v4_mapped(const struct prefix *pf, char *buf, size_t size)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct prefix v4 = { .afi = AFI_IPV4 };

	if (pf->afi != AFI_IPV6 || pf->len < 96 || memcmp(pf->addr, mapped, 12) != 0)
		return false;
	v4.len = (uint8_t)(pf->len - 96);
	memcpy(v4.addr, &pf->addr[12], 4);
	return prefix_format(&v4, buf, size) == 0;
}

static int cfg_key_prefix(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	static const char expected[] = "a prefix such as 10.0.0.0/16";
	struct cfg_range *r = obj;
	const char *s = cfg_scalar(p, v, expected);
	char meant[INET6_ADDRSTRLEN + 8];

	if (!s)
		return -1;
	if (prefix_parse(s, &r->prefix) != 0) {
		if (cfg_prefix_masked(s, meant, sizeof(meant)))
			return cfg_fail_at(p, v->start_mark, "host bits are set; did you mean %s?",
			                   meant);
		return cfg_bad_value(p, v, expected);
	}
	if (cfg_prefix_v4_mapped(&r->prefix, meant, sizeof(meant)))
		return cfg_fail_at(p, v->start_mark,
		                   "an IPv4-mapped prefix never matches; did you mean %s?", meant);
	return cfg_range_prefix_unique(p, v, &r->prefix);
}

static int cfg_key_max_peers(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg_range *r = obj;
	uint64_t n;

	if (cfg_uint(p, v, "a number from 1 to 1000000", 1, CFG_MAX_PEERS_MAX, &n) != 0)
		return -1;
	r->max_peers = (uint32_t)n;
	return 0;
}

static const struct cfg_key cfg_range_keys[] = {
	{ "name", cfg_key_name, true, NULL },
	{ "prefix", cfg_key_prefix, true, NULL },
	{ "asn", cfg_key_n_asn, true, NULL },
	{ "rr-client", cfg_key_rr_client, false, NULL },
	{ "max-peers", cfg_key_max_peers, false, NULL },
	{ "cluster-id", cfg_key_n_cluster_id, false, NULL },
	{ "client-to-client", cfg_key_n_client_to_client, false, NULL },
	{ "hold-time", cfg_key_n_hold_time, false, NULL },
	{ "import", cfg_key_import, false, NULL },
	{ "export", cfg_key_export, false, NULL },
	{ "next-hop-ipv4", cfg_key_next_hop_ipv4, false, NULL },
	{ "next-hop-ipv6", cfg_key_next_hop_ipv6, false, NULL },
	{ "add-path", cfg_key_add_path, false, NULL },
	{ "families", cfg_key_families, false, NULL },
	{ "graceful-restart", cfg_key_graceful_restart, false, NULL },
	{ "address", NULL, false, "a peer range has a prefix, not an address" },
	{ "passive", NULL, false, "peer ranges are always passive" },
	{ "local-address", NULL, false, "peer ranges are always passive and never connect" },
};

static const struct cfg_map cfg_range_map = { "a mapping of peer-range settings", cfg_range_keys,
	                                      CFG_LEN(cfg_range_keys) };

/* ---- peers and peer-ranges lists ---- */

/* The global rows above peers and peer-ranges have run, so their values are the defaults. */
static void cfg_neighbor_defaults(const struct cfg *c, struct cfg_neighbor *n)
{
	memset(n, 0, sizeof(*n));
	n->client_to_client = c->client_to_client;
	n->hold_time = c->hold_time;
	n->import = CFG_POLICY_NONE;
	n->export = CFG_POLICY_NONE;
	n->ipv4 = true;
	n->ipv6 = true;
	n->graceful_restart = true;
}

static int cfg_key_peers(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;
	size_t count;
	const yaml_node_item_t *items = cfg_items(p, v, "a list of peers", false, &count);

	if (count == SIZE_MAX)
		return -1;
	c->peers = calloc(count ? count : 1, sizeof(*c->peers));
	if (!c->peers)
		return cfg_fail_at(p, v->start_mark, "out of memory");
	for (size_t i = 0; i < count; i++) {
		struct cfg_peer *peer = &c->peers[i];
		size_t old = cfg_path_push_index(p, i);
		p->item = (uint32_t)i;
		cfg_neighbor_defaults(c, &peer->n);
		int rc = cfg_map_parse(p, cfg_node(p, items[i]), &cfg_peer_map, peer);
		cfg_path_pop(p, old);
		if (rc != 0)
			return -1;
		c->n_peers++;
	}
	return 0;
}

static int cfg_key_ranges(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;
	size_t count;
	const yaml_node_item_t *items = cfg_items(p, v, "a list of peer ranges", false, &count);

	if (count == SIZE_MAX)
		return -1;
	c->ranges = calloc(count ? count : 1, sizeof(*c->ranges));
	if (!c->ranges)
		return cfg_fail_at(p, v->start_mark, "out of memory");
	for (size_t i = 0; i < count; i++) {
		struct cfg_range *r = &c->ranges[i];
		size_t old = cfg_path_push_index(p, i);
		p->item = (uint32_t)i | CFG_ID_RANGE;
		cfg_neighbor_defaults(c, &r->n);
		r->max_peers = CFG_DEFAULT_MAX_PEERS;
		int rc = cfg_map_parse(p, cfg_node(p, items[i]), &cfg_range_map, r);
		cfg_path_pop(p, old);
		if (rc != 0)
			return -1;
		c->n_ranges++;
	}
	return 0;
}

/* ---- update-groups and log ---- */

static int cfg_key_coalesce_ms(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;
	uint64_t n;

	if (cfg_uint(p, v, "a number of milliseconds from 0 to 10000", 0, CFG_COALESCE_MAX, &n) !=
	    0)
		return -1;
	c->coalesce_ms = (unsigned)n;
	return 0;
}

static int cfg_key_slow_peer_bytes(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	static const char expected[] = "a size from 64KiB to 1TiB, such as 64MiB";
	struct cfg *c = obj;
	const char *s = cfg_scalar(p, v, expected);
	uint64_t n;

	if (!s)
		return -1;
	if (!cfg_size(s, &n) || n < CFG_SLOW_MIN || n > CFG_SLOW_MAX || n > SIZE_MAX)
		return cfg_bad_value(p, v, expected);
	c->slow_peer_bytes = (size_t)n;
	return 0;
}

static const struct cfg_key cfg_updgrp_keys[] = {
	{ "coalesce-ms", cfg_key_coalesce_ms, false, NULL },
	{ "slow-peer-bytes", cfg_key_slow_peer_bytes, false, NULL },
};

static const struct cfg_map cfg_updgrp_map = { "a mapping of update-group settings",
	                                       cfg_updgrp_keys,
	                                       sizeof(cfg_updgrp_keys) /
	                                               sizeof(cfg_updgrp_keys[0]) };

static int cfg_key_log_level(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	static const struct cfg_word words[] = { { "error", CFG_LOG_ERROR },
		                                 { "warn", CFG_LOG_WARN },
		                                 { "info", CFG_LOG_INFO },
		                                 { "debug", CFG_LOG_DEBUG } };
	struct cfg *c = obj;
	int level = 0;

	if (cfg_enum(p, v, "error, warn, info or debug", words, CFG_LEN(words), &level) != 0)
		return -1;
	c->log_level = (enum cfg_log_level)level;
	return 0;
}

static int cfg_key_log_file(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;
	const char *s = cfg_scalar(p, v, "a file path");

	if (!s)
		return -1;
	if (s[0] == '\0')
		return cfg_bad_value(p, v, "a file path");
	c->log_file = strdup(s);
	if (!c->log_file)
		return cfg_fail_at(p, v->start_mark, "out of memory");
	return 0;
}

static const struct cfg_key cfg_log_keys[] = {
	{ "level", cfg_key_log_level, false, NULL },
	{ "file", cfg_key_log_file, false, NULL },
};

static const struct cfg_map cfg_log_map = { "a mapping of log settings", cfg_log_keys,
	                                    CFG_LEN(cfg_log_keys) };

/* ---- top level ---- */

static int cfg_key_router_id(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_bgp_id(p, v, &c->router_id);
}

static int cfg_key_asn(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_asn(p, v, &c->asn);
}

static int cfg_key_cluster_id(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_bgp_id(p, v, &c->cluster_id);
}

static int cfg_key_client_to_client(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_bool(p, v, &c->client_to_client);
}

static int cfg_listen_one(struct cfg_parse *p, const yaml_node_t *v, struct cfg *c)
{
	if (c->n_listen == CFG_MAX_LISTEN)
		return cfg_fail_at(p, v->start_mark, "at most %d listen addresses are allowed",
		                   CFG_MAX_LISTEN);
	struct cfg_addr *a = &c->listen[c->n_listen];
	if (cfg_addr_value(p, v, CFG_DEFAULT_PORT, true, a) != 0)
		return -1;
	for (unsigned i = 0; i < c->n_listen; i++)
		if (c->listen[i].len == a->len && memcmp(&c->listen[i].sa, &a->sa, a->len) == 0)
			return cfg_fail_at(p, v->start_mark, "the same address as listen[%u]", i);
	c->n_listen++;
	return 0;
}

static int cfg_key_listen(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;
	size_t count;
	const yaml_node_item_t *items = cfg_items(p, v, "a list of addresses", true, &count);

	if (count == SIZE_MAX)
		return -1;
	if (count == 0)
		return cfg_fail_at(p, v->start_mark, "expected at least one address");
	for (size_t i = 0; i < count; i++) {
		size_t old = items ? cfg_path_push_index(p, i) : p->path_len;
		int rc = cfg_listen_one(p, cfg_item(p, v, items, i), c);
		cfg_path_pop(p, old);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int cfg_key_threads(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_auto_uint(p, v, "auto or a number from 1 to 1024", CFG_THREADS_MAX, &c->threads);
}

/* Shards map to workers by a hash mask, hence the power of two. */
static int cfg_key_rib_shards(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	static const char expected[] = "auto or a power of two from 1 to 65536";
	struct cfg *c = obj;

	if (cfg_auto_uint(p, v, expected, CFG_SHARDS_MAX, &c->rib_shards) != 0)
		return -1;
	if ((c->rib_shards & (c->rib_shards - 1)) != 0)
		return cfg_bad_value(p, v, expected);
	return 0;
}

static int cfg_key_hold_time(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_hold_time(p, v, &c->hold_time);
}

static int cfg_key_connect_retry(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;
	uint64_t n;

	if (cfg_uint(p, v, "a number of seconds from 1 to 3600", 1, CFG_RETRY_MAX, &n) != 0)
		return -1;
	c->connect_retry = (uint16_t)n;
	return 0;
}

static int cfg_key_update_groups(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	return cfg_map_parse(p, v, &cfg_updgrp_map, obj);
}

static int cfg_key_log(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	return cfg_map_parse(p, v, &cfg_log_map, obj);
}

static int cfg_key_http(struct cfg_parse *p, const yaml_node_t *v, void *obj)
{
	struct cfg *c = obj;

	return cfg_addr_value(p, v, CFG_HTTP_PORT, true, &c->http);
}

/* The rows peers and peer-ranges read (asn, client-to-client, hold-time) come first. */
static const struct cfg_key cfg_top_keys[] = {
	{ "router-id", cfg_key_router_id, true, NULL },
	{ "asn", cfg_key_asn, true, NULL },
	{ "cluster-id", cfg_key_cluster_id, false, NULL },
	{ "client-to-client", cfg_key_client_to_client, false, NULL },
	{ "listen", cfg_key_listen, false, NULL },
	{ "threads", cfg_key_threads, false, NULL },
	{ "rib-shards", cfg_key_rib_shards, false, NULL },
	{ "hold-time", cfg_key_hold_time, false, NULL },
	{ "connect-retry", cfg_key_connect_retry, false, NULL },
	{ "update-groups", cfg_key_update_groups, false, NULL },
	{ "log", cfg_key_log, false, NULL },
	{ "http", cfg_key_http, false, NULL },
	{ "peers", cfg_key_peers, false, NULL },
	{ "peer-ranges", cfg_key_ranges, false, NULL },
};

static const struct cfg_map cfg_top_map = { "a mapping of settings", cfg_top_keys,
	                                    CFG_LEN(cfg_top_keys) };

_Static_assert(CFG_LEN(cfg_top_keys) <= CFG_KEYS_MAX, "CFG_KEYS_MAX");
_Static_assert(CFG_LEN(cfg_peer_keys) <= CFG_KEYS_MAX, "CFG_KEYS_MAX");
_Static_assert(CFG_LEN(cfg_range_keys) <= CFG_KEYS_MAX, "CFG_KEYS_MAX");

/* ---- loading ---- */

static void cfg_defaults(struct cfg *c)
{
	c->client_to_client = true;
	c->hold_time = CFG_DEFAULT_HOLD;
	c->connect_retry = CFG_DEFAULT_CONNECT_RETRY;
	c->coalesce_ms = CFG_DEFAULT_COALESCE_MS;
	c->slow_peer_bytes = CFG_DEFAULT_SLOW_PEER_BYTES;
	c->log_level = CFG_LOG_INFO;
}

/* Defaults that depend on other keys, once every key is read. */
static void cfg_finish(struct cfg *c)
{
	static const uint8_t any6[16] = { 0 };
	const uint32_t any4 = 0;

	if (c->cluster_id == 0)
		c->cluster_id = c->router_id;
	if (c->n_listen == 0) {
		cfg_addr_fill(&c->listen[0], AF_INET, &any4, CFG_DEFAULT_PORT);
		cfg_addr_fill(&c->listen[1], AF_INET6, any6, CFG_DEFAULT_PORT);
		c->n_listen = 2;
	}
}

static int cfg_parse_root(struct cfg_parse *p)
{
	const yaml_node_t *root = yaml_document_get_root_node(p->doc);
	yaml_mark_t start = { 0, 0, 0 };

	if (!root || cfg_is_null(root))
		return cfg_fail_at(p, root ? root->start_mark : start, "no configuration");
	cfg_defaults(p->c);
	if (cfg_map_parse(p, root, &cfg_top_map, p->c) != 0)
		return -1;
	cfg_finish(p->c);
	return 0;
}

/* libyaml counts lines for its scanner, but a reader error (bad UTF-8, a control character)
 * has only a byte offset; the line and column come from the text itself. */
static void cfg_offset_mark(const char *text, size_t len, size_t offset, yaml_mark_t *m)
{
	m->line = 0;
	m->column = 0;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			m->line++;
			m->column = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			m->column++;
		}
	}
}

static int cfg_yaml_error(struct cfg_parse *p, const yaml_parser_t *y, const char *text, size_t len)
{
	yaml_mark_t m = y->problem_mark;
	const char *problem = y->problem ? y->problem : "cannot be parsed";

	if (y->error == YAML_MEMORY_ERROR)
		return cfg_fail_at(p, y->mark, "out of memory");
	if (y->error == YAML_READER_ERROR) {
		cfg_offset_mark(text, len, y->problem_offset, &m);
		return cfg_fail_at(p, m, "%s", problem);
	}
	if (y->context)
		return cfg_fail_at(p, m, "%s (%s at %u:%u)", problem, y->context,
		                   (unsigned)y->context_mark.line + 1,
		                   (unsigned)y->context_mark.column + 1);
	return cfg_fail_at(p, m, "%s", problem);
}

/* A second document would be silently ignored, which is worse than refusing it. */
static int cfg_only_document(struct cfg_parse *p, yaml_parser_t *y, const char *text, size_t len)
{
	yaml_document_t next;

	if (!yaml_parser_load(y, &next))
		return cfg_yaml_error(p, y, text, len);
	const yaml_node_t *root = yaml_document_get_root_node(&next);
	int rc = 0;
	if (root)
		rc = cfg_fail_at(p, root->start_mark, "expected one YAML document, found another");
	yaml_document_delete(&next);
	return rc;
}

static int cfg_load_parser(struct cfg_parse *p, yaml_parser_t *y, const char *text, size_t len)
{
	yaml_document_t doc;

	if (!yaml_parser_load(y, &doc))
		return cfg_yaml_error(p, y, text, len);
	p->doc = &doc;
	int rc = cfg_parse_root(p);
	if (rc == 0)
		rc = cfg_only_document(p, y, text, len);
	p->doc = NULL;
	yaml_document_delete(&doc);
	return rc;
}

int cfg_load_string(const char *name, const char *text, size_t len, struct cfg *out,
                    struct cfg_err *err)
{
	struct cfg_err scratch;
	struct cfg_parse p = { 0 };
	yaml_parser_t y;
	int rc;

	if (!err)
		err = &scratch;
	if (!text) {
		text = ""; /* libyaml asserts on a NULL input, even an empty one */
		len = 0;
	}
	memset(err, 0, sizeof(*err));
	memset(out, 0, sizeof(*out));
	p.c = out;
	p.err = err;
	p.name = name ? name : "<string>";
	out->path = strdup(p.name);
	if (!out->path || !yaml_parser_initialize(&y)) {
		free(out->path);
		out->path = NULL;
		cfg_err_set(err, p.name, 0, 0, "", "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	rc = cfg_load_parser(&p, &y, text, len);
	yaml_parser_delete(&y);
	cfg_set_free(&p.names);
	cfg_set_free(&p.hosts);
	cfg_set_free(&p.prefixes);
	if (rc != 0)
		cfg_free(out);
	return rc;
}

/* Doubles buf when it is full; false (errno set) at CFG_FILE_MAX or out of memory. */
static bool cfg_grow(char **buf, size_t *cap)
{
	if (*cap >= CFG_FILE_MAX) {
		errno = EFBIG;
		return false;
	}
	char *grown = realloc(*buf, *cap * 2);
	if (!grown) {
		errno = ENOMEM;
		return false;
	}
	*buf = grown;
	*cap *= 2;
	return true;
}

static char *cfg_read_stream(FILE *f, size_t *len)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	*len = 0;
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		if (*len == cap && !cfg_grow(&buf, &cap))
			break;
		size_t n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0 && !ferror(f))
			return buf;
		if (n == 0)
			break;
	}
	free(buf);
	return NULL;
}

/* The whole file in memory, so that reader errors can be placed by line (cfg_offset_mark). */
static char *cfg_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	char *text = cfg_read_stream(f, len);
	int saved = errno;
	fclose(f);
	errno = saved;
	return text;
}

int cfg_load(const char *path, struct cfg *out, struct cfg_err *err)
{
	struct cfg_err scratch;
	size_t len;
	char msg[256];

	if (!err)
		err = &scratch;
	char *text = cfg_read_file(path, &len);
	if (!text) {
		memset(out, 0, sizeof(*out));
		memset(err, 0, sizeof(*err));
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		cfg_err_set(err, path, 0, 0, "", msg);
		return -1;
	}
	int rc = cfg_load_string(path, text, len, out, err);
	free(text);
	return rc;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->log_file);
	free(c->peers);
	free(c->ranges);
	memset(c, 0, sizeof(*c));
}

/* ---- matching connections ---- */

static int cfg_match_peer(const struct cfg *c, const struct cfg_ip *ip)
{
	struct cfg_ip other;

	for (unsigned i = 0; i < c->n_peers; i++) {
		cfg_ip_from_sa((const struct sockaddr *)&c->peers[i].addr.sa, &other);
		if (cfg_ip_equal(ip, &other))
			return (int)i;
	}
	return -1;
}

static int cfg_match_range(const struct cfg *c, const struct cfg_ip *ip)
{
	int best = -1;

	for (unsigned i = 0; i < c->n_ranges; i++) {
		const struct prefix *pf = &c->ranges[i].prefix;
		if (cfg_prefix_contains(pf, ip) &&
		    (best < 0 || pf->len > c->ranges[best].prefix.len))
			best = (int)i;
	}
	return best;
}

bool cfg_match(const struct cfg *c, const struct sockaddr *sa, int *peer, int *range)
{
	struct cfg_ip ip;

	*peer = -1;
	*range = -1;
	cfg_ip_from_sa(sa, &ip);
	if (ip.afi == 0)
		return false;
	*peer = cfg_match_peer(c, &ip);
	if (*peer >= 0)
		return true;
	*range = cfg_match_range(c, &ip);
	return *range >= 0;
}

void cfg_addr_format(const struct cfg_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "";

	if (size == 0)
		return;
	buf[0] = '\0';
	if (a->len == 0)
		return;
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	}
}
