/* The configuration loader: the embedded default, a file with every key, the defaults and
 * the accepted spellings of values, one table row per bad config with its exact error line,
 * and cfg_match() choosing between static peers and ranges. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/bgp.h"
#include "core/config.h"

#ifndef PRISM_FIXTURES
#error "PRISM_FIXTURES must name the fixtures directory"
#endif

#define FIXTURE(name) PRISM_FIXTURES "/config/" name

/* The two lines every bad config below starts with, so that its own lines start at 3. */
#define BASE "router-id: 10.0.0.10\nasn: 64512\n"

/* A static peer that is fine on its own, lines 4 to 6 after "peers:" on line 3. */
#define PEER_RR2 "  - name: rr2\n    address: 10.0.0.11\n    asn: 64512\n"

/* A range that is fine on its own, lines 4 to 6 after "peer-ranges:" on line 3. */
#define RANGE_NODES "  - name: nodes\n    prefix: 10.0.0.0/16\n    asn: 64512\n"

static int load(const char *text, struct cfg *c, struct cfg_err *e)
{
	return cfg_load_string("t.yaml", text, strlen(text), c, e);
}

static void load_ok(const char *text, struct cfg *c)
{
	struct cfg_err e;

	cr_assert_eq(load(text, c, &e), 0, "load failed: %s", e.text);
}

static const char *addr_str(const struct cfg_addr *a)
{
	static char buf[64];

	cfg_addr_format(a, buf, sizeof(buf));
	return buf;
}

static const char *prefix_str(const struct prefix *p)
{
	static char buf[64];

	cr_assert_eq(prefix_format(p, buf, sizeof(buf)), 0);
	return buf;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

/* ---- good configs ---- */

Test(config, embedded_default)
{
	struct cfg c;
	struct cfg_err e;

	cr_assert_eq(
	        cfg_load_string("<default>", cfg_default_text, strlen(cfg_default_text), &c, &e), 0,
	        "%s", e.text);
	cr_expect_str_eq(c.path, "<default>");
	cr_expect_eq(c.router_id, ip4("127.0.0.1"));
	cr_expect_eq(c.asn, 64512);
	cr_expect_eq(c.cluster_id, c.router_id);
	cr_expect(c.client_to_client);
	cr_assert_eq(c.n_listen, 1);
	cr_expect_str_eq(addr_str(&c.listen[0]), "127.0.0.1:1179");
	cr_expect_eq(c.threads, 0);
	cr_expect_eq(c.rib_shards, 0);
	cr_expect_eq(c.hold_time, CFG_DEFAULT_HOLD);
	cr_expect_eq(c.connect_retry, CFG_DEFAULT_CONNECT_RETRY);
	cr_expect_eq(c.coalesce_ms, 50);
	cr_expect_eq(c.slow_peer_bytes, (size_t)64 << 20);
	cr_expect_eq(c.log_level, CFG_LOG_INFO);
	cr_expect_null(c.log_file);
	cr_expect_eq(c.http.len, 0);
	cr_expect_eq(c.n_peers, 0);
	cr_assert_eq(c.n_ranges, 1);
	cr_assert_not_null(c.ranges);
	const struct cfg_range *r = &c.ranges[0];
	cr_expect_str_eq(r->n.name, "loopback");
	cr_expect_str_eq(prefix_str(&r->prefix), "127.0.0.0/8");
	cr_expect_eq(r->n.asn, 64512);
	cr_expect(r->n.rr_client);
	cr_expect_eq(r->max_peers, 10000);
	cfg_free(&c);
}

Test(config, full_file)
{
	struct cfg c;
	struct cfg_err e;

	cr_assert_eq(cfg_load(FIXTURE("full.yaml"), &c, &e), 0, "%s", e.text);
	cr_expect_str_eq(c.path, FIXTURE("full.yaml"));
	cr_expect_eq(c.router_id, ip4("10.0.0.10"));
	cr_expect_eq(c.asn, 64512);
	cr_expect_eq(c.cluster_id, ip4("244.0.0.1"));
	cr_expect_not(c.client_to_client);
	cr_assert_eq(c.n_listen, 2);
	cr_expect_str_eq(addr_str(&c.listen[0]), "0.0.0.0:179");
	cr_expect_str_eq(addr_str(&c.listen[1]), "[::]:1179");
	cr_expect_eq(c.threads, 8);
	cr_expect_eq(c.rib_shards, 64);
	cr_expect_eq(c.hold_time, 180);
	cr_expect_eq(c.connect_retry, 10);
	cr_expect_eq(c.coalesce_ms, 100);
	cr_expect_eq(c.slow_peer_bytes, (size_t)1 << 30);
	cr_expect_eq(c.log_level, CFG_LOG_DEBUG);
	cr_expect_str_eq(c.log_file, "/var/log/prismd.log");
	cr_expect_str_eq(addr_str(&c.http), "127.0.0.1:8180");

	cr_assert_eq(c.n_peers, 2);
	cr_assert_not_null(c.peers);
	const struct cfg_peer *rr2 = &c.peers[0];
	cr_expect_str_eq(rr2->n.name, "rr2");
	cr_expect_str_eq(addr_str(&rr2->addr), "10.0.0.11:179");
	cr_expect_eq(rr2->n.asn, 64512);
	cr_expect_not(rr2->n.rr_client);
	cr_expect(rr2->passive);
	cr_expect_str_eq(addr_str(&rr2->local), "10.0.0.10:0");
	cr_expect_eq(rr2->n.cluster_id, ip4("1.2.3.4"));
	cr_expect(rr2->n.client_to_client);
	cr_expect_eq(rr2->n.hold_time, 30);
	cr_expect_eq(rr2->n.import, CFG_POLICY_ALL);
	cr_expect_eq(rr2->n.export, CFG_POLICY_ALL);
	cr_expect(rr2->n.addpath_rx);
	cr_expect(rr2->n.ipv4);
	cr_expect_not(rr2->n.ipv6);
	cr_expect_not(rr2->n.graceful_restart);

	const struct cfg_peer *edge = &c.peers[1];
	cr_expect_str_eq(edge->n.name, "edge1");
	cr_expect_str_eq(addr_str(&edge->addr), "[2001:db8::1]:1179");
	cr_expect_eq(edge->n.asn, 65001);
	cr_expect_not(edge->n.rr_client);
	cr_expect_not(edge->passive);
	cr_expect_eq(edge->local.len, 0);
	cr_expect_eq(edge->n.cluster_id, 0);
	cr_expect_not(edge->n.client_to_client, "the global client-to-client is the default");
	cr_expect_eq(edge->n.hold_time, 180, "the global hold-time is the default");
	cr_expect_eq(edge->n.import, CFG_POLICY_ALL);
	cr_expect_eq(edge->n.export, CFG_POLICY_NONE);
	cr_expect_not(edge->n.addpath_rx);
	cr_expect_not(edge->n.ipv4);
	cr_expect(edge->n.ipv6);
	cr_expect(edge->n.graceful_restart, "graceful restart helper is on by default");

	cr_assert_eq(c.n_ranges, 2);
	cr_assert_not_null(c.ranges);
	const struct cfg_range *nodes = &c.ranges[0];
	cr_expect_str_eq(nodes->n.name, "calico-nodes");
	cr_expect_str_eq(prefix_str(&nodes->prefix), "10.0.0.0/16");
	cr_expect_eq(nodes->n.asn, 64512);
	cr_expect(nodes->n.rr_client);
	cr_expect_eq(nodes->max_peers, 5000);
	cr_expect_eq(nodes->n.cluster_id, ip4("5.6.7.8"));
	cr_expect(nodes->n.client_to_client);
	cr_expect_eq(nodes->n.hold_time, 0);
	cr_expect_eq(nodes->n.import, CFG_POLICY_ALL);
	cr_expect_eq(nodes->n.export, CFG_POLICY_NONE);
	cr_expect(nodes->n.addpath_rx);
	cr_expect(nodes->n.ipv4);
	cr_expect(nodes->n.ipv6);

	const struct cfg_range *v6 = &c.ranges[1];
	cr_expect_str_eq(v6->n.name, "calico-v6");
	cr_expect_str_eq(prefix_str(&v6->prefix), "2001:db8:100::/48");
	cr_expect_eq(v6->prefix.afi, AFI_IPV6);
	cr_expect_not(v6->n.rr_client);
	cr_expect_eq(v6->max_peers, 10000);
	cr_expect_eq(v6->n.hold_time, 180);
	cr_expect_not(v6->n.client_to_client);
	cr_expect_eq(v6->n.import, CFG_POLICY_NONE);
	cr_expect(v6->n.ipv4 && v6->n.ipv6);
	cfg_free(&c);
}

Test(config, defaults)
{
	struct cfg c;

	load_ok(BASE, &c);
	cr_expect_str_eq(c.path, "t.yaml");
	cr_expect_eq(c.cluster_id, ip4("10.0.0.10"), "cluster-id defaults to router-id");
	cr_expect(c.client_to_client);
	cr_assert_eq(c.n_listen, 2);
	cr_expect_str_eq(addr_str(&c.listen[0]), "0.0.0.0:179");
	cr_expect_str_eq(addr_str(&c.listen[1]), "[::]:179");
	cr_expect_eq(c.threads, 0);
	cr_expect_eq(c.rib_shards, 0);
	cr_expect_eq(c.hold_time, 90);
	cr_expect_eq(c.connect_retry, 5);
	cr_expect_eq(c.coalesce_ms, 50);
	cr_expect_eq(c.slow_peer_bytes, (size_t)64 << 20);
	cr_expect_eq(c.log_level, CFG_LOG_INFO);
	cr_expect_null(c.log_file);
	cr_expect_eq(c.http.len, 0);
	cr_expect_eq(c.n_peers, 0);
	cr_expect_eq(c.n_ranges, 0);
	cfg_free(&c);
}

Test(config, neighbor_defaults)
{
	struct cfg c;

	load_ok(BASE "peers:\n" PEER_RR2 "peer-ranges:\n" RANGE_NODES, &c);
	cr_assert_eq(c.n_peers, 1);
	cr_assert_not_null(c.peers);
	const struct cfg_neighbor *n = &c.peers[0].n;
	cr_expect_str_eq(addr_str(&c.peers[0].addr), "10.0.0.11:179");
	cr_expect_not(c.peers[0].passive);
	cr_expect_eq(c.peers[0].local.len, 0);
	cr_expect_not(n->rr_client);
	cr_expect_eq(n->cluster_id, 0);
	cr_expect(n->client_to_client);
	cr_expect_eq(n->hold_time, 90);
	cr_expect_eq(n->import, CFG_POLICY_NONE);
	cr_expect_eq(n->export, CFG_POLICY_NONE);
	cr_expect_not(n->addpath_rx);
	cr_expect(n->ipv4 && n->ipv6);
	cr_expect(n->graceful_restart);
	cr_assert_eq(c.n_ranges, 1);
	cr_assert_not_null(c.ranges);
	cr_expect_eq(c.ranges[0].max_peers, 10000);
	cr_expect_not(c.ranges[0].n.rr_client);
	cfg_free(&c);
}

/* Global settings are defaults for neighbors wherever they appear in the file. */
Test(config, globals_after_peers)
{
	struct cfg c;

	load_ok("peers:\n" PEER_RR2 "hold-time: 30\nclient-to-client: false\n" BASE, &c);
	cr_assert_eq(c.n_peers, 1);
	cr_assert_not_null(c.peers);
	cr_expect_eq(c.peers[0].n.hold_time, 30);
	cr_expect_not(c.peers[0].n.client_to_client);
	cfg_free(&c);
}

Test(config, value_spellings)
{
	struct cfg c;

	load_ok("router-id: 10.0.0.10\n"
	        "asn: 1.10\n" /* asdot */
	        "client-to-client: no\n"
	        "listen: \"::1\"\n" /* one string, bare IPv6: no port */
	        "threads: 1024\n"
	        "rib-shards: 65536\n"
	        "hold-time: 3\n"
	        "connect-retry: 3600\n"
	        "update-groups: {coalesce-ms: 0, slow-peer-bytes: 64 KiB}\n"
	        "log: {level: warn}\n"
	        "http: \"[::1]\"\n"
	        "peers:\n"
	        "  - name: A-z_0.9-\n"
	        "    address: 2001:db8::1\n"
	        "    asn: \"65536\"\n"
	        "    families: ipv6\n"
	        "    hold-time: 0\n"
	        "    passive: yes\n",
	        &c);
	cr_expect_eq(c.asn, 65546);
	cr_expect_not(c.client_to_client);
	cr_assert_eq(c.n_listen, 1);
	cr_expect_str_eq(addr_str(&c.listen[0]), "[::1]:179");
	cr_expect_eq(c.threads, 1024);
	cr_expect_eq(c.rib_shards, 65536);
	cr_expect_eq(c.hold_time, 3);
	cr_expect_eq(c.connect_retry, 3600);
	cr_expect_eq(c.coalesce_ms, 0);
	cr_expect_eq(c.slow_peer_bytes, 65536);
	cr_expect_eq(c.log_level, CFG_LOG_WARN);
	cr_expect_str_eq(addr_str(&c.http), "[::1]:8179", "http's port defaults to 8179");
	cr_assert_eq(c.n_peers, 1);
	cr_assert_not_null(c.peers);
	cr_expect_str_eq(c.peers[0].n.name, "A-z_0.9-");
	cr_expect_str_eq(addr_str(&c.peers[0].addr), "[2001:db8::1]:179");
	cr_expect_eq(c.peers[0].n.asn, 65536);
	cr_expect(!c.peers[0].n.ipv4 && c.peers[0].n.ipv6);
	cr_expect_eq(c.peers[0].n.hold_time, 0);
	cr_expect(c.peers[0].passive);
	cfg_free(&c);
}

/* YAML's null (an empty value, ~, null) means "not set": the default applies. */
Test(config, null_is_default)
{
	struct cfg c;

	load_ok(BASE "cluster-id:\nlisten: ~\nthreads: null\nupdate-groups:\nlog: {level: ~}\n"
	             "http: ~\npeers:\npeer-ranges: []\n",
	        &c);
	cr_expect_eq(c.cluster_id, c.router_id);
	cr_expect_eq(c.n_listen, 2);
	cr_expect_eq(c.threads, 0);
	cr_expect_eq(c.coalesce_ms, 50);
	cr_expect_eq(c.log_level, CFG_LOG_INFO);
	cr_expect_eq(c.http.len, 0);
	cr_expect_eq(c.n_peers, 0);
	cr_expect_eq(c.n_ranges, 0);
	cfg_free(&c);
}

Test(config, sizes)
{
	static const struct {
		const char *text;
		size_t bytes;
	} sizes[] = {
		{ "65536", 65536 },
		{ "64KiB", 64 << 10 },
		{ "512 KiB", 512 << 10 },
		{ "64MiB", (size_t)64 << 20 },
		{ "67108864B", (size_t)64 << 20 },
		{ "1GiB", (size_t)1 << 30 },
		{ "1TiB", (size_t)1 << 40 },
	};
	char text[256];
	struct cfg c;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(text, sizeof(text), BASE "update-groups:\n  slow-peer-bytes: %s\n",
		         sizes[i].text);
		load_ok(text, &c);
		cr_expect_eq(c.slow_peer_bytes, sizes[i].bytes, "%s", sizes[i].text);
		cfg_free(&c);
	}
}

Test(config, addr_format)
{
	struct cfg c;
	char buf[8];

	load_ok(BASE "listen: [\"192.0.2.1:65535\", \"[2001:db8::1]:1\"]\n", &c);
	cr_expect_str_eq(addr_str(&c.listen[0]), "192.0.2.1:65535");
	cr_expect_str_eq(addr_str(&c.listen[1]), "[2001:db8::1]:1");
	cr_expect_str_eq(addr_str(&c.http), "", "an unset address formats as nothing");
	cfg_addr_format(&c.listen[0], buf, sizeof(buf));
	cr_expect_str_eq(buf, "192.0.2", "output is cut to the buffer");
	cfg_free(&c);
}

/* ---- bad configs: the whole error line of each ---- */

struct bad_case {
	const char *name;
	const char *yaml;
	const char *text; /* the expected cfg_err.text, from which line, col and key follow */
};

static const struct bad_case bad_cases[] = {
	{ "empty file", "", "t.yaml:1:1: no configuration" },
	{ "only comments", "# nothing here\n\n", "t.yaml:1:1: no configuration" },
	{ "top level is a list", "- router-id\n- asn\n",
	  "t.yaml:1:1: expected a mapping of settings, got a list" },
	{ "second document", BASE "---\nasn: 1\n",
	  "t.yaml:4:1: expected one YAML document, found another" },

	/* YAML itself */
	{ "syntax: unclosed flow list", BASE "listen: [\"0.0.0.0:179\"\n",
	  "t.yaml:4:1: did not find expected ',' or ']' (while parsing a flow sequence at 3:9)" },
	{ "syntax: bad indentation", BASE "log:\n    level: info\n  file: x\n",
	  "t.yaml:5:3: did not find expected key (while parsing a block mapping at 1:1)" },
	{ "syntax: undefined alias", BASE "hold-time: *h\n", "t.yaml:3:12: found undefined alias" },
	{ "syntax: bad UTF-8", BASE "log:\n  file: \"/var/log/\xff\"\n",
	  "t.yaml:4:19: invalid leading UTF-8 octet" },

	/* keys */
	{ "unknown top-level key", BASE "colour: red\n", "t.yaml:3:1: colour: unknown key" },
	{ "unknown top-level key, did you mean", BASE "hold_time: 90\n",
	  "t.yaml:3:1: hold_time: unknown key; did you mean 'hold-time'?" },
	{ "unknown peer key, did you mean", BASE "peers:\n" PEER_RR2 "    rr-clinet: true\n",
	  "t.yaml:7:5: peers[0].rr-clinet: unknown key; did you mean 'rr-client'?" },
	{ "unknown nested key, did you mean", BASE "update-groups:\n  colesce-ms: 10\n",
	  "t.yaml:4:3: update-groups.colesce-ms: unknown key; did you mean 'coalesce-ms'?" },
	{ "duplicate top-level key", BASE "asn: 64513\n",
	  "t.yaml:3:1: asn: duplicate key (first at 2:1)" },
	{ "duplicate key in a peer", BASE "peers:\n" PEER_RR2 "    asn: 64513\n",
	  "t.yaml:7:5: peers[0].asn: duplicate key (first at 6:5)" },
	{ "key is a list", BASE "[a, b]: 1\n", "t.yaml:3:1: expected a key name, got a list" },
	{ "missing router-id", "asn: 64512\n", "t.yaml:1:1: router-id: required key is missing" },
	{ "missing asn", "router-id: 10.0.0.10\n", "t.yaml:1:1: asn: required key is missing" },
	{ "peer missing address", BASE "peers:\n  - name: rr2\n    asn: 64512\n",
	  "t.yaml:4:5: peers[0].address: required key is missing" },
	{ "range missing prefix", BASE "peer-ranges:\n  - {name: nodes, asn: 64512}\n",
	  "t.yaml:4:5: peer-ranges[0].prefix: required key is missing" },
	{ "max-peers on a peer", BASE "peers:\n" PEER_RR2 "    max-peers: 5\n",
	  "t.yaml:7:5: peers[0].max-peers: not allowed here: max-peers belongs to peer-ranges" },
	{ "passive on a range", BASE "peer-ranges:\n" RANGE_NODES "    passive: true\n",
	  "t.yaml:7:5: peer-ranges[0].passive: not allowed here: peer ranges are always passive" },

	/* wrong types */
	{ "asn is a list", "router-id: 10.0.0.10\nasn: [64512]\n",
	  "t.yaml:2:6: asn: expected an AS number from 1 to 4294967295, got a list" },
	{ "peers is a mapping", BASE "peers:\n  name: rr2\n",
	  "t.yaml:4:3: peers: expected a list of peers, got a mapping" },
	{ "peer is a single value", BASE "peers:\n  - rr2\n",
	  "t.yaml:4:5: peers[0]: expected a mapping of peer settings, got a single value" },
	{ "log is a list", BASE "log: [info]\n",
	  "t.yaml:3:6: log: expected a mapping of log settings, got a list" },
	{ "name with a NUL",
	  BASE "peers:\n  - name: \"r\\0r\"\n    address: 10.0.0.11\n    asn: 1\n",
	  "t.yaml:4:11: peers[0].name: expected a name of 1 to 63 letters, digits, '_', '.' or '-', "
	  "got a value with a NUL character" },

	/* global values */
	{ "bad router-id", "router-id: 10.0.0.256\nasn: 64512\n",
	  "t.yaml:1:12: router-id: expected a nonzero IPv4 address, got \"10.0.0.256\"" },
	{ "router-id 0.0.0.0", "router-id: 0.0.0.0\nasn: 64512\n",
	  "t.yaml:1:12: router-id: expected a nonzero IPv4 address, got \"0.0.0.0\"" },
	{ "cluster-id IPv6", BASE "cluster-id: \"::1\"\n",
	  "t.yaml:3:13: cluster-id: expected a nonzero IPv4 address, got \"::1\"" },
	{ "asn 0", "router-id: 10.0.0.10\nasn: 0\n",
	  "t.yaml:2:6: asn: expected an AS number from 1 to 4294967295, got \"0\"" },
	{ "asn negative", "router-id: 10.0.0.10\nasn: -1\n",
	  "t.yaml:2:6: asn: expected an AS number from 1 to 4294967295, got \"-1\"" },
	{ "asdot out of range", "router-id: 10.0.0.10\nasn: 1.65536\n",
	  "t.yaml:2:6: asn: expected an AS number from 1 to 4294967295, got \"1.65536\"" },
	{ "asn AS_TRANS", "router-id: 10.0.0.10\nasn: 23456\n",
	  "t.yaml:2:6: asn: AS 23456 is AS_TRANS (RFC 6793) and cannot be a real AS" },
	{ "client-to-client not a bool", BASE "client-to-client: 1\n",
	  "t.yaml:3:19: client-to-client: expected true or false, got \"1\"" },
	{ "listen port 0", BASE "listen: 0.0.0.0:0\n",
	  "t.yaml:3:9: listen: expected a port from 1 to 65535, got \"0\"" },
	{ "listen empty list", BASE "listen: []\n",
	  "t.yaml:3:9: listen: expected at least one address" },
	{ "listen twice the same", BASE "listen: [\"0.0.0.0:179\", \"0.0.0.0\"]\n",
	  "t.yaml:3:25: listen[1]: the same address as listen[0]" },
	{ "listen 17 addresses",
	  BASE "listen:\n"
	       "  - 127.0.0.1:1001\n  - 127.0.0.1:1002\n  - 127.0.0.1:1003\n  - 127.0.0.1:1004\n"
	       "  - 127.0.0.1:1005\n  - 127.0.0.1:1006\n  - 127.0.0.1:1007\n  - 127.0.0.1:1008\n"
	       "  - 127.0.0.1:1009\n  - 127.0.0.1:1010\n  - 127.0.0.1:1011\n  - 127.0.0.1:1012\n"
	       "  - 127.0.0.1:1013\n  - 127.0.0.1:1014\n  - 127.0.0.1:1015\n  - 127.0.0.1:1016\n"
	       "  - 127.0.0.1:1017\n",
	  "t.yaml:20:5: listen[16]: at most 16 listen addresses are allowed" },
	{ "threads 0", BASE "threads: 0\n",
	  "t.yaml:3:10: threads: expected auto or a number from 1 to 1024, got \"0\"" },
	{ "threads 1025", BASE "threads: 1025\n",
	  "t.yaml:3:10: threads: expected auto or a number from 1 to 1024, got \"1025\"" },
	{ "rib-shards 3", BASE "rib-shards: 3\n",
	  "t.yaml:3:13: rib-shards: expected auto or a power of two from 1 to 65536, got \"3\"" },
	{ "rib-shards 131072", BASE "rib-shards: 131072\n",
	  "t.yaml:3:13: rib-shards: expected auto or a power of two from 1 to 65536, got \"131072\"" },
	{ "hold-time 2", BASE "hold-time: 2\n",
	  "t.yaml:3:12: hold-time: expected 0 or a hold time from 3 to 65535 seconds, got \"2\"" },
	{ "hold-time 65536", BASE "hold-time: 65536\n",
	  "t.yaml:3:12: hold-time: expected 0 or a hold time from 3 to 65535 seconds, got \"65536\"" },
	{ "connect-retry 0", BASE "connect-retry: 0\n",
	  "t.yaml:3:16: connect-retry: expected a number of seconds from 1 to 3600, got \"0\"" },
	{ "coalesce-ms 10001", BASE "update-groups:\n  coalesce-ms: 10001\n",
	  "t.yaml:4:16: update-groups.coalesce-ms: expected a number of milliseconds from 0 to "
	  "10000, got \"10001\"" },
	{ "slow-peer-bytes decimal suffix", BASE "update-groups:\n  slow-peer-bytes: 64MB\n",
	  "t.yaml:4:20: update-groups.slow-peer-bytes: expected a size from 64KiB to 1TiB, such as "
	  "64MiB, got \"64MB\"" },
	{ "slow-peer-bytes too small", BASE "update-groups:\n  slow-peer-bytes: 4096\n",
	  "t.yaml:4:20: update-groups.slow-peer-bytes: expected a size from 64KiB to 1TiB, such as "
	  "64MiB, got \"4096\"" },
	{ "bad log level", BASE "log:\n  level: verbose\n",
	  "t.yaml:4:10: log.level: expected error, warn, info or debug, got \"verbose\"" },
	{ "empty log file", BASE "log:\n  file: \"\"\n",
	  "t.yaml:4:9: log.file: expected a file path, got \"\"" },
	{ "http by name", BASE "http: localhost:8179\n",
	  "t.yaml:3:7: http: expected an IPv4 or IPv6 address, got \"localhost:8179\"" },

	/* peers */
	{ "bad peer IPv4", BASE "peers:\n  - name: rr2\n    address: 10.0.0\n    asn: 64512\n",
	  "t.yaml:5:14: peers[0].address: expected an IPv4 or IPv6 address, got \"10.0.0\"" },
	{ "IPv4 in brackets",
	  BASE "peers:\n  - name: rr2\n    address: \"[10.0.0.11]:179\"\n    asn: 1\n",
	  "t.yaml:5:14: peers[0].address: expected an IPv4 or IPv6 address, got \"[10.0.0.11]:179\"" },
	{ "bad peer port",
	  BASE "peers:\n  - name: rr2\n    address: 10.0.0.11:70000\n    asn: 64512\n",
	  "t.yaml:5:14: peers[0].address: expected a port from 1 to 65535, got \"70000\"" },
	{ "bad IPv6 port",
	  BASE "peers:\n  - name: rr2\n    address: \"[2001:db8::1]:x\"\n    asn: 1\n",
	  "t.yaml:5:14: peers[0].address: expected a port from 1 to 65535, got \"x\"" },
	{ "peer asn too large",
	  BASE "peers:\n  - name: rr2\n    address: 10.0.0.11\n    asn: 4294967296\n",
	  "t.yaml:6:10: peers[0].asn: expected an AS number from 1 to 4294967295, got "
	  "\"4294967296\"" },
	{ "bad peer name", BASE "peers:\n  - name: rr 2\n    address: 10.0.0.11\n    asn: 64512\n",
	  "t.yaml:4:11: peers[0].name: expected a name of 1 to 63 letters, digits, '_', '.' or '-', "
	  "got \"rr 2\"" },
	{ "peer name 64 characters",
	  BASE
	  "peers:\n  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	  "    address: 10.0.0.11\n    asn: 64512\n",
	  "t.yaml:4:11: peers[0].name: expected a name of 1 to 63 letters, digits, '_', '.' or '-', "
	  "got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"" },
	{ "duplicate peer name",
	  BASE "peers:\n" PEER_RR2 "  - name: rr2\n    address: 10.0.0.12\n    asn: 64512\n",
	  "t.yaml:7:11: peers[1].name: name \"rr2\" is already used by peers[0]" },
	{ "range named like a peer",
	  BASE "peers:\n" PEER_RR2 "peer-ranges:\n  - name: rr2\n    prefix: 10.0.0.0/16\n"
	       "    asn: 64512\n",
	  "t.yaml:8:11: peer-ranges[0].name: name \"rr2\" is already used by peers[0]" },
	{ "two peers, one address",
	  BASE "peers:\n" PEER_RR2 "  - name: rr3\n    address: \"[::ffff:10.0.0.11]:1179\"\n"
	       "    asn: 64512\n",
	  "t.yaml:8:14: peers[1].address: address \"[::ffff:10.0.0.11]:1179\" is already used by "
	  "peers[0] (rr2)" },
	{ "rr-client on eBGP",
	  BASE
	  "peers:\n  - name: edge\n    address: 10.0.0.11\n    asn: 65001\n    rr-client: true\n",
	  "t.yaml:7:16: peers[0].rr-client: rr-client needs an iBGP neighbor, but asn 65001 is not "
	  "our asn 64512" },
	{ "next-hop-ipv4 on iBGP", BASE "peers:\n" PEER_RR2 "    next-hop-ipv4: 10.0.0.10\n",
	  "t.yaml:7:20: peers[0].next-hop-ipv4: next-hop-ipv4 needs an eBGP neighbor: asn 64512 "
	  "is our asn, and reflection to iBGP peers leaves the next hop alone" },
	{ "next-hop-ipv6 of IPv4",
	  BASE "peers:\n  - name: edge\n    address: 10.0.0.11\n    asn: 65001\n"
	       "    next-hop-ipv6: 10.0.0.10\n",
	  "t.yaml:7:20: peers[0].next-hop-ipv6: next-hop-ipv6 is IPv4, not IPv6" },
	{ "next-hop-ipv6 link-local",
	  BASE "peer-ranges:\n  - name: sites\n    prefix: 192.0.2.0/24\n    asn: 65001\n"
	       "    next-hop-ipv6: fe80::1\n",
	  "t.yaml:7:20: peer-ranges[0].next-hop-ipv6: next-hop-ipv6 must be a global unicast "
	  "address (RFC 2545 3)" },
	{ "passive not a bool", BASE "peers:\n" PEER_RR2 "    passive: maybe\n",
	  "t.yaml:7:14: peers[0].passive: expected true or false, got \"maybe\"" },
	{ "local-address of another family",
	  BASE "peers:\n" PEER_RR2 "    local-address: 2001:db8::10\n",
	  "t.yaml:7:20: peers[0].local-address: local-address is IPv6 but address is IPv4" },
	{ "local-address with a port",
	  BASE "peers:\n" PEER_RR2 "    local-address: 10.0.0.10:179\n",
	  "t.yaml:7:20: peers[0].local-address: expected an address without a port, got "
	  "\"10.0.0.10:179\"" },
	{ "peer cluster-id 0.0.0.0", BASE "peers:\n" PEER_RR2 "    cluster-id: 0.0.0.0\n",
	  "t.yaml:7:17: peers[0].cluster-id: expected a nonzero IPv4 address, got \"0.0.0.0\"" },
	{ "peer hold-time 1", BASE "peers:\n" PEER_RR2 "    hold-time: 1\n",
	  "t.yaml:7:16: peers[0].hold-time: expected 0 or a hold time from 3 to 65535 seconds, got "
	  "\"1\"" },
	{ "bad import", BASE "peers:\n" PEER_RR2 "    import: some\n",
	  "t.yaml:7:13: peers[0].import: expected none or all, got \"some\"" },
	{ "bad export", BASE "peers:\n" PEER_RR2 "    export: [all]\n",
	  "t.yaml:7:13: peers[0].export: expected none or all, got a list" },
	{ "bad add-path", BASE "peers:\n" PEER_RR2 "    add-path: send\n",
	  "t.yaml:7:15: peers[0].add-path: expected none or receive, got \"send\"" },
	{ "bad graceful-restart", BASE "peers:\n" PEER_RR2 "    graceful-restart: helper\n",
	  "t.yaml:7:23: peers[0].graceful-restart: expected true or false, got \"helper\"" },
	{ "bad families entry", BASE "peers:\n" PEER_RR2 "    families: [ipv4, vpnv4]\n",
	  "t.yaml:7:22: peers[0].families[1]: expected ipv4 or ipv6, got \"vpnv4\"" },
	{ "families empty", BASE "peers:\n" PEER_RR2 "    families: []\n",
	  "t.yaml:7:15: peers[0].families: expected at least one address family" },
	{ "families twice", BASE "peers:\n" PEER_RR2 "    families: [ipv6, ipv6]\n",
	  "t.yaml:7:22: peers[0].families[1]: ipv6 is listed twice" },

	/* peer ranges */
	{ "range host bits set",
	  BASE "peer-ranges:\n  - name: nodes\n    prefix: 10.0.0.1/16\n    asn: 64512\n",
	  "t.yaml:5:13: peer-ranges[0].prefix: host bits are set; did you mean 10.0.0.0/16?" },
	{ "range IPv6 host bits set",
	  BASE "peer-ranges:\n  - name: nodes\n    prefix: 2001:db8::1/32\n    asn: 64512\n",
	  "t.yaml:5:13: peer-ranges[0].prefix: host bits are set; did you mean 2001:db8::/32?" },
	{ "range of IPv4-mapped addresses",
	  BASE
	  "peer-ranges:\n  - name: nodes\n    prefix: \"::ffff:10.0.0.0/104\"\n    asn: 64512\n",
	  "t.yaml:5:13: peer-ranges[0].prefix: an IPv4-mapped prefix never matches; did you mean "
	  "10.0.0.0/8?" },
	{ "range prefix without length",
	  BASE "peer-ranges:\n  - name: nodes\n    prefix: 10.0.0.0\n    asn: 64512\n",
	  "t.yaml:5:13: peer-ranges[0].prefix: expected a prefix such as 10.0.0.0/16, got "
	  "\"10.0.0.0\"" },
	{ "range prefix /33",
	  BASE "peer-ranges:\n  - name: nodes\n    prefix: 10.0.0.0/33\n    asn: 64512\n",
	  "t.yaml:5:13: peer-ranges[0].prefix: expected a prefix such as 10.0.0.0/16, got "
	  "\"10.0.0.0/33\"" },
	{ "two ranges, one prefix",
	  BASE "peer-ranges:\n" RANGE_NODES
	       "  - name: more\n    prefix: 10.0.0.0/16\n    asn: 64512\n",
	  "t.yaml:8:13: peer-ranges[1].prefix: prefix 10.0.0.0/16 is already used by "
	  "peer-ranges[0] (nodes)" },
	{ "max-peers 0", BASE "peer-ranges:\n" RANGE_NODES "    max-peers: 0\n",
	  "t.yaml:7:16: peer-ranges[0].max-peers: expected a number from 1 to 1000000, got \"0\"" },
	{ "max-peers 1000001", BASE "peer-ranges:\n" RANGE_NODES "    max-peers: 1000001\n",
	  "t.yaml:7:16: peer-ranges[0].max-peers: expected a number from 1 to 1000000, got "
	  "\"1000001\"" },
	{ "range rr-client on eBGP",
	  BASE
	  "peer-ranges:\n  - {name: edge, prefix: 192.0.2.0/24, asn: 65001, rr-client: true}\n",
	  "t.yaml:4:63: peer-ranges[0].rr-client: rr-client needs an iBGP neighbor, but asn 65001 "
	  "is not our asn 64512" },
};

enum { N_BAD = sizeof(bad_cases) / sizeof(bad_cases[0]) };

/* "t.yaml:LINE:COL: KEY: MESSAGE" gives the line, column and key the error must carry. */
static void expect_fields(const struct bad_case *bc, const struct cfg_err *e)
{
	const char *s = bc->text + strlen("t.yaml:");
	char *end;
	unsigned long line = strtoul(s, &end, 10), col = strtoul(end + 1, &end, 10);

	cr_assert(strncmp(end, ": ", 2) == 0, "%s: bad row", bc->name);
	cr_expect_eq(e->line, line, "%s: line %u, want %lu", bc->name, e->line, line);
	cr_expect_eq(e->col, col, "%s: column %u, want %lu", bc->name, e->col, col);
	const char *rest = end + 2;
	size_t klen = strlen(e->key);
	if (klen)
		cr_expect(strncmp(rest, e->key, klen) == 0 && rest[klen] == ':',
		          "%s: key \"%s\" is not the one in the text", bc->name, e->key);
}

/* Rows are passed by index: the test runs in a fresh process, where only this file's own
 * static table (not pointers taken in the parent) is valid. */
ParameterizedTestParameters(config, bad)
{
	unsigned *idx = cr_malloc(sizeof(unsigned) * N_BAD);
	for (unsigned i = 0; i < N_BAD; i++)
		idx[i] = i;
	return cr_make_param_array(unsigned, idx, N_BAD);
}

ParameterizedTest(const unsigned *row, config, bad)
{
	const struct bad_case *bc = &bad_cases[*row];
	struct cfg c;
	struct cfg_err e;

	cr_assert_eq(load(bc->yaml, &c, &e), -1, "%s: loaded", bc->name);
	cr_expect_str_eq(e.text, bc->text, "%s:\n  got  %s\n  want %s", bc->name, e.text, bc->text);
	expect_fields(bc, &e);
	cr_expect_null(c.peers, "%s: a failed load leaves nothing to free", bc->name);
	cr_expect_null(c.path);
}

Test(config, next_hops)
{
	struct cfg c;

	load_ok(BASE "peers:\n  - name: edge\n    address: 192.0.2.1\n    asn: 65001\n"
	             "    next-hop-ipv6: 2001:db8::a\npeer-ranges:\n  - name: sites\n"
	             "    prefix: \"2001:db8:1::/48\"\n    asn: 65002\n"
	             "    next-hop-ipv4: 192.0.2.10\n",
	        &c);
	const struct cfg_neighbor *edge = &c.peers[0].n, *sites = &c.ranges[0].n;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
	static const uint8_t v4[4] = { 192, 0, 2, 10 };
	cr_expect(edge->has_nh6 && !edge->has_nh4);
	cr_expect_arr_eq(edge->nh6, v6, 16);
	cr_expect(sites->has_nh4 && !sites->has_nh6);
	cr_expect_arr_eq(sites->nh4, v4, 4);
	cfg_free(&c);
}

Test(config, bad_table_is_big_enough) { cr_expect_geq(N_BAD, 20); }

Test(config, bad_file_names_the_file)
{
	struct cfg c;
	struct cfg_err e;

	cr_assert_eq(cfg_load(FIXTURE("bad-hold-time.yaml"), &c, &e), -1);
	cr_expect_str_eq(e.text, FIXTURE("bad-hold-time.yaml") ":4:12: hold-time: expected 0 or a "
	                                                       "hold time from 3 to 65535 seconds, "
	                                                       "got \"2\"");
	cr_expect_str_eq(e.key, "hold-time");
}

Test(config, unreadable_file)
{
	struct cfg c;
	struct cfg_err e;

	cr_assert_eq(cfg_load(FIXTURE("no-such-file.yaml"), &c, &e), -1);
	cr_expect_str_eq(e.text, FIXTURE("no-such-file.yaml") ": cannot read: No such file or "
	                                                      "directory");
	cr_expect_eq(e.line, 0);
	cr_expect_eq(e.col, 0);
	cr_expect_str_eq(e.key, "");
}

/* More than the first read buffer, and enough peers that the uniqueness checks must not be
 * quadratic; the last peer is the seventh again, as an IPv4-mapped address. */
Test(config, many_peers_file)
{
	char path[] = "/tmp/prism-test-config-XXXXXX", want[256];
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	struct cfg c;
	struct cfg_err e;

	fputs(BASE "peers:\n", f);
	for (unsigned i = 0; i < 3000; i++)
		fprintf(f, "  - {name: p%u, address: 10.0.%u.%u, asn: 64512}\n", i, i >> 8,
		        i & 255);
	cr_assert_eq(fflush(f), 0);
	int rc = cfg_load(path, &c, &e);
	cr_expect_eq(rc, 0, "%s", e.text);
	cr_expect_eq(c.n_peers, 3000);
	cfg_free(&c);

	fputs("  - {name: last, address: \"::ffff:10.0.0.7\", asn: 64512}\n", f);
	cr_assert_eq(fclose(f), 0);
	rc = cfg_load(path, &c, &e);
	unlink(path);
	cr_assert_eq(rc, -1);
	snprintf(want, sizeof(want),
	         "%s:3004:27: peers[3000].address: address \"::ffff:10.0.0.7\" is already used by "
	         "peers[7] (p7)",
	         path);
	cr_expect_str_eq(e.text, want);
}

Test(config, no_err_and_free_twice)
{
	struct cfg c;

	cr_expect_eq(load("asn: 1\n", &c, NULL), -1);
	cr_expect_eq(cfg_load_string(NULL, BASE, strlen(BASE), &c, NULL), 0);
	cr_expect_str_eq(c.path, "<string>");
	cfg_free(&c);
	cfg_free(&c);
	cfg_free(NULL);
}

/* ---- cfg_match ---- */

static const char match_yaml[] =
        BASE "peers:\n"
             "  - {name: static, address: 10.0.1.5, asn: 64512}\n"
             "  - {name: v6, address: \"[2001:db8::5]:1179\", asn: 64512}\n"
             "peer-ranges:\n"
             "  - {name: wide, prefix: 10.0.0.0/8, asn: 64512}\n"
             "  - {name: narrow, prefix: 10.0.1.0/24, asn: 64512}\n"
             "  - {name: mid, prefix: 10.0.0.0/16, asn: 64512}\n"
             "  - {name: v6r, prefix: \"2001:db8::/32\", asn: 64512}\n"
             "  - {name: host, prefix: 10.9.9.9/32, asn: 64512}\n";

static struct sockaddr_storage sa_of(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET, addr, &in->sin_addr), 1);
	}
	return ss;
}

/* The name of the peer or range that a connection from addr gets, or NULL. */
static const char *match_name(const struct cfg *c, const char *addr)
{
	struct sockaddr_storage ss = sa_of(addr, 40000);
	int peer = 7, range = 7;

	if (!cfg_match(c, (const struct sockaddr *)&ss, &peer, &range)) {
		cr_expect(peer == -1 && range == -1, "%s: no match must leave -1, -1", addr);
		return NULL;
	}
	cr_expect((peer >= 0) != (range >= 0), "%s: exactly one index", addr);
	cr_expect(peer < 0 || range == -1);
	cr_expect(range < 0 || peer == -1);
	return peer >= 0 ? c->peers[peer].n.name : c->ranges[range].n.name;
}

Test(config, match)
{
	static const struct {
		const char *addr, *name;
	} cases[] = {
		{ "10.0.1.5", "static" }, /* the static peer wins over narrow, any port */
		{ "10.0.1.6", "narrow" }, /* the longest prefix wins ... */
		{ "10.0.2.1", "mid" },    /* ... whatever the order of the ranges */
		{ "10.200.0.1", "wide" },
		{ "10.9.9.9", "host" },          /* a /32 range */
		{ "::ffff:10.0.1.5", "static" }, /* IPv4-mapped IPv6 matches IPv4 peers */
		{ "::ffff:10.0.2.1", "mid" },    /* ... and IPv4 ranges */
		{ "2001:db8::5", "v6" },         /* the peer's port 1179 is not compared */
		{ "2001:db8:ffff::1", "v6r" },
		{ "192.0.2.1", NULL },
		{ "11.0.0.1", NULL },
		{ "::ffff:192.0.2.1", NULL },
		{ "2001:db9::1", NULL },
		{ "::a00:105", NULL }, /* IPv4-compatible is not IPv4-mapped */
	};
	struct cfg c;

	load_ok(match_yaml, &c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = match_name(&c, cases[i].addr);
		if (cases[i].name)
			cr_expect(got && strcmp(got, cases[i].name) == 0, "%s: matched %s, want %s",
			          cases[i].addr, got ? got : "nothing", cases[i].name);
		else
			cr_expect_null(got, "%s: matched %s, want nothing", cases[i].addr,
			               got ? got : "");
	}
	cfg_free(&c);
}

Test(config, match_unknown_family)
{
	struct cfg c;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int peer = 7, range = 7;

	load_ok(match_yaml, &c);
	cr_expect_not(cfg_match(&c, (const struct sockaddr *)&un, &peer, &range));
	cr_expect(peer == -1 && range == -1);
	cfg_free(&c);
}

Test(config, match_default_loopback)
{
	struct cfg c;

	load_ok(cfg_default_text, &c);
	cr_expect_str_eq(match_name(&c, "127.0.0.2"), "loopback");
	cr_expect_str_eq(match_name(&c, "::ffff:127.0.0.1"), "loopback");
	cr_expect_null(match_name(&c, "::1"), "the default range is IPv4 only");
	cfg_free(&c);
}
