/* Update-group keys, core/updgrp.h: updgrp_key_make() and updgrp_key_format().
 *
 * Peers share a group exactly when their keys are equal as bytes, so a key must change with
 * everything that changes what a member is sent, and with nothing else (or peers that could
 * share a group would not). Each row starts from a base session and changes one thing; it
 * says whether the key must change. The base is an iBGP client with IPv4 and IPv6 unicast,
 * 4-octet ASNs, no extended messages, cluster 10.0.0.1 and client-to-client reflection on;
 * the non-client and eBGP bases differ from it only in the peer's kind.
 *
 * What changes output, and so the key: the peer's kind (RFC 4456 6 sends clients, non-clients
 * and eBGP peers different routes; RFC 4271 5.1 different attributes), the families (RFC 4760),
 * 4-octet AS (RFC 6793 changes the AS_PATH encoding), extended messages (RFC 8654 changes how
 * many prefixes fit), a client's cluster ID and client-to-client setting (which client routes
 * it gets), and for eBGP the export policy (RFC 8212) and the local address (next hop self,
 * RFC 4271 5.1.3). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/updgrp.h"

enum { FMT_LEN = 256 };

/* One session's key inputs, owned together so that a row can change any of them. */
struct key_in {
	struct updgrp_key_src src;
	struct sess_params sp;
	struct sockaddr_storage local;
};

enum base { BASE_CLIENT, BASE_NONCLIENT, BASE_EBGP };

static void set_local4(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	v4->sin_family = AF_INET;
	v4->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, addr, &v4->sin_addr), 1);
}

static void set_local6(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET6, addr, &v6->sin6_addr), 1);
}

static void key_in_base(struct key_in *in, enum base base)
{
	memset(in, 0, sizeof(*in));
	bool ebgp = base == BASE_EBGP;
	in->sp = (struct sess_params){
		.rx = { .as4 = true, .ebgp = ebgp },
		.tx = { .as4 = true, .ebgp = ebgp },
		.peer_as = ebgp ? 65001 : 65000,
		.peer_id = 0x0a000002,
		.hold_time = 90,
		.keepalive = 30,
		.af = { true, true },
		.route_refresh = true,
	};
	set_local4(&in->local, "10.0.0.254", 179);
	in->src = (struct updgrp_key_src){
		.ebgp = ebgp,
		.rr_client = base == BASE_CLIENT,
		.sp = &in->sp,
		.cluster_id = 0x0a000001,
		.client_to_client = true,
		.export_all = false,
		.local = &in->local,
	};
}

/* The key for in, made into a buffer full of garbage so that anything make leaves unset
 * shows up in the memcmp. */
static void key_of(const struct key_in *in, struct updgrp_key *k, uint8_t garbage)
{
	memset(k, garbage, sizeof(*k));
	updgrp_key_make(&in->src, k);
}

/* ---- the changes, one function each */

static void c_to_nonclient(struct key_in *in) { in->src.rr_client = false; }
static void c_to_client(struct key_in *in) { in->src.rr_client = true; }
static void c_to_ebgp(struct key_in *in)
{
	in->src.ebgp = true;
	in->sp.rx.ebgp = in->sp.tx.ebgp = true;
	in->sp.peer_as = 65001;
}
static void c_no_ipv4(struct key_in *in) { in->sp.af[AF_IDX_IPV4] = false; }
static void c_no_ipv6(struct key_in *in) { in->sp.af[AF_IDX_IPV6] = false; }
static void c_as2(struct key_in *in) { in->sp.rx.as4 = in->sp.tx.as4 = false; }
static void c_ext_msg(struct key_in *in) { in->sp.rx.ext_msg = in->sp.tx.ext_msg = true; }
static void c_rx_ext_msg_only(struct key_in *in) { in->sp.rx.ext_msg = true; }
static void c_cluster(struct key_in *in) { in->src.cluster_id = 0x0a0000ff; }
static void c_c2c_off(struct key_in *in) { in->src.client_to_client = false; }
static void c_export_all(struct key_in *in) { in->src.export_all = true; }
static void c_local_other4(struct key_in *in) { set_local4(&in->local, "10.0.0.253", 179); }
static void c_local_port(struct key_in *in) { set_local4(&in->local, "10.0.0.254", 40001); }
static void c_local_v6(struct key_in *in) { set_local6(&in->local, "2001:db8::fe", 179); }
static void c_local_v6_other(struct key_in *in) { set_local6(&in->local, "2001:db8::fd", 179); }
static const uint8_t conf_nh4[4] = { 192, 0, 2, 10 };
static const uint8_t conf_nh6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a };
static void c_conf_nh4(struct key_in *in) { in->src.nh4 = conf_nh4; }
static void c_conf_nh6(struct key_in *in) { in->src.nh6 = conf_nh6; }
static void c_peer_as(struct key_in *in) { in->sp.peer_as += 7; }
static void c_peer_id(struct key_in *in) { in->sp.peer_id = 0x0a000063; }
static void c_hold(struct key_in *in)
{
	in->sp.hold_time = 9;
	in->sp.keepalive = 3;
}
static void c_no_hold(struct key_in *in) { in->sp.hold_time = in->sp.keepalive = 0; }
static void c_no_route_refresh(struct key_in *in) { in->sp.route_refresh = false; }
static void c_enhanced_rr(struct key_in *in) { in->sp.enhanced_rr = true; }
static void c_graceful_restart(struct key_in *in)
{
	in->sp.peer_gr = true;
	in->sp.peer_restart_time = 120;
	in->sp.peer_gr_restarting = true;
}
static void c_rx_addpath(struct key_in *in)
{
	in->sp.rx.addpath[AF_IDX_IPV4] = in->sp.rx.addpath[AF_IDX_IPV6] = true;
}
static void c_tx_ebgp_flag(struct key_in *in) { in->sp.tx.ebgp = in->sp.rx.ebgp = true; }

struct key_case {
	const char *name;
	enum base base;
	void (*change)(struct key_in *in);
	bool changes_key;
};

static const struct key_case cases[] = {
	/* ---- from the client base: what must change the key */
	/* RFC 4456 6: a non-client is not sent other non-clients' routes */
	{ "client -> non-client", BASE_CLIENT, c_to_nonclient, true },
	/* RFC 4271 5.1.2, 5.1.3: an external peer gets our AS prepended and next hop self */
	{ "client -> eBGP", BASE_CLIENT, c_to_ebgp, true },
	/* RFC 4760: only negotiated families are sent */
	{ "client without IPv4 unicast", BASE_CLIENT, c_no_ipv4, true },
	{ "client without IPv6 unicast", BASE_CLIENT, c_no_ipv6, true },
	/* RFC 6793 4.2.2: a 2-octet peer gets AS_TRANS and AS4_PATH */
	{ "client without 4-octet AS", BASE_CLIENT, c_as2, true },
	/* RFC 8654: with extended messages, more prefixes fit in an UPDATE */
	{ "client with extended messages", BASE_CLIENT, c_ext_msg, true },
	/* RFC 4456 6: which client routes a client gets depends on its cluster */
	{ "client in another cluster", BASE_CLIENT, c_cluster, true },
	/* RFC 4456 6: and on client-to-client reflection */
	{ "client with client-to-client off", BASE_CLIENT, c_c2c_off, true },

	/* ---- from the client base: what must not */
	/* RFC 8212 is about external peers; an internal peer's export setting is not used */
	{ "client with export all", BASE_CLIENT, c_export_all, false },
	/* RFC 4456 10: a reflector does not change the next hop for internal peers, so the
	 * local address never reaches the wire */
	{ "client on another local IPv4 address", BASE_CLIENT, c_local_other4, false },
	{ "client on a local IPv6 address", BASE_CLIENT, c_local_v6, false },
	/* nothing in an UPDATE names the peer's AS, identifier or timers */
	{ "client with a configured next hop", BASE_CLIENT, c_conf_nh6, false },
	{ "client with another AS number", BASE_CLIENT, c_peer_as, false },
	{ "client with another router ID", BASE_CLIENT, c_peer_id, false },
	{ "client with a 9 s hold time", BASE_CLIENT, c_hold, false },
	{ "client with no hold time", BASE_CLIENT, c_no_hold, false },
	/* RFC 2918, RFC 7313: refresh changes when a table is sent, not what is in it */
	{ "client without route refresh", BASE_CLIENT, c_no_route_refresh, false },
	{ "client with enhanced route refresh", BASE_CLIENT, c_enhanced_rr, false },
	/* RFC 4724: helper mode keeps no state per peer in what is sent */
	{ "client restarting gracefully", BASE_CLIENT, c_graceful_restart, false },
	/* RFC 7911: receiving path identifiers does not change what we send */
	{ "client sending us ADD-PATH", BASE_CLIENT, c_rx_addpath, false },
	/* how we read the peer's messages is not how we write ours */
	{ "client whose messages we read as extended", BASE_CLIENT, c_rx_ext_msg_only, false },
	/* the kind comes from the configuration (src.ebgp), not from the context flag */
	{ "client with the context's eBGP flag set", BASE_CLIENT, c_tx_ebgp_flag, false },

	/* ---- from the non-client base */
	/* RFC 4456 6: a non-client gets every client and external route, whatever its cluster */
	{ "non-client in another cluster", BASE_NONCLIENT, c_cluster, false },
	/* client-to-client reflection is about clients only */
	{ "non-client with client-to-client off", BASE_NONCLIENT, c_c2c_off, false },
	/* RFC 8212 is about external peers */
	{ "non-client with export all", BASE_NONCLIENT, c_export_all, false },
	/* RFC 4456 10: the next hop is not ours to change towards an internal peer */
	{ "non-client on another local address", BASE_NONCLIENT, c_local_other4, false },
	{ "non-client with another router ID", BASE_NONCLIENT, c_peer_id, false },
	/* RFC 4456 6: a client is sent other non-clients' routes */
	{ "non-client -> client", BASE_NONCLIENT, c_to_client, true },
	/* RFC 8654 */
	{ "non-client with extended messages", BASE_NONCLIENT, c_ext_msg, true },
	/* RFC 6793 */
	{ "non-client without 4-octet AS", BASE_NONCLIENT, c_as2, true },

	/* ---- from the eBGP base */
	/* RFC 8212 3: no export policy, nothing sent */
	{ "eBGP with export all", BASE_EBGP, c_export_all, true },
	/* RFC 4271 5.1.3: the NEXT_HOP sent is our address on the session */
	{ "eBGP on another local IPv4 address", BASE_EBGP, c_local_other4, true },
	/* RFC 2545 3, RFC 4760: and the MP_REACH next hop too */
	{ "eBGP on a local IPv6 address", BASE_EBGP, c_local_v6, true },
	/* next-hop-ipv4 and next-hop-ipv6 set what the NEXT_HOP and MP_REACH next hop say */
	{ "eBGP with a configured IPv4 next hop", BASE_EBGP, c_conf_nh4, true },
	{ "eBGP with a configured IPv6 next hop", BASE_EBGP, c_conf_nh6, true },
	/* the port is not part of a next hop */
	{ "eBGP on another local port", BASE_EBGP, c_local_port, false },
	/* RFC 4760 */
	{ "eBGP without IPv6 unicast", BASE_EBGP, c_no_ipv6, true },
	/* RFC 6793 */
	{ "eBGP without 4-octet AS", BASE_EBGP, c_as2, true },
	/* RFC 8654 */
	{ "eBGP with extended messages", BASE_EBGP, c_ext_msg, true },
	/* an external peer has no cluster */
	{ "eBGP in another cluster", BASE_EBGP, c_cluster, false },
	{ "eBGP with client-to-client off", BASE_EBGP, c_c2c_off, false },
	/* an eBGP peer is external whatever else its configuration says */
	{ "eBGP marked as a client", BASE_EBGP, c_to_client, false },
	/* our AS is what is prepended (RFC 4271 5.1.2), not the peer's */
	{ "eBGP with another AS number", BASE_EBGP, c_peer_as, false },
	{ "eBGP with another router ID", BASE_EBGP, c_peer_id, false },
	{ "eBGP without route refresh", BASE_EBGP, c_no_route_refresh, false },
};

enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

static void case_key(const struct key_case *c, struct updgrp_key *k)
{
	struct key_in in;
	key_in_base(&in, c->base);
	c->change(&in);
	key_of(&in, k, 0xa5);
}

static void base_key(enum base base, struct updgrp_key *k)
{
	struct key_in in;
	key_in_base(&in, base);
	key_of(&in, k, 0x5a);
}

Test(updgrp_key, one_change_at_a_time)
{
	for (size_t i = 0; i < N_CASES; i++) {
		const struct key_case *c = &cases[i];
		struct updgrp_key base, k;
		base_key(c->base, &base);
		case_key(c, &k);
		bool changed = memcmp(&base, &k, sizeof(k)) != 0;
		cr_expect_eq(changed, c->changes_key, "%s: the key %s", c->name,
		             changed ? "changed" : "did not change");
	}
}

/* A configured next hop replaces the local address's, family by family: over an IPv4
 * session, IPv6 routes get next-hop-ipv6 rather than the IPv4-mapped address, and over an
 * IPv6 session IPv4 routes get next-hop-ipv4 rather than none. */
Test(updgrp_key, configured_next_hops)
{
	static const uint8_t local4[4] = { 10, 0, 0, 254 }, mapped[16] = {
		[10] = 0xff, [11] = 0xff, [12] = 10, [13] = 0, [14] = 0, [15] = 254
	};
	static const uint8_t none4[4] = { 0 };
	struct key_in in;
	struct updgrp_key k;

	key_in_base(&in, BASE_EBGP);
	key_of(&in, &k, 0);
	cr_expect_arr_eq(k.nh4, local4, 4);
	cr_expect_arr_eq(k.nh6, mapped, 16);
	in.src.nh6 = conf_nh6;
	key_of(&in, &k, 0);
	cr_expect_arr_eq(k.nh4, local4, 4);
	cr_expect_arr_eq(k.nh6, conf_nh6, 16);

	key_in_base(&in, BASE_EBGP);
	set_local6(&in.local, "2001:db8::fe", 179);
	key_of(&in, &k, 0);
	cr_expect_arr_eq(k.nh4, none4, 4);
	in.src.nh4 = conf_nh4;
	key_of(&in, &k, 0);
	cr_expect_arr_eq(k.nh4, conf_nh4, 4);
}

/* make writes every byte: keys made over different garbage are equal */
Test(updgrp_key, make_fills_every_byte)
{
	static const enum base bases[] = { BASE_CLIENT, BASE_NONCLIENT, BASE_EBGP };
	for (unsigned b = 0; b < 3; b++) {
		struct key_in in;
		struct updgrp_key k1, k2;
		key_in_base(&in, bases[b]);
		key_of(&in, &k1, 0x00);
		key_of(&in, &k2, 0xff);
		cr_expect(memcmp(&k1, &k2, sizeof(k1)) == 0, "base %u: bytes left unset", b);
	}
}

/* The three bases are three groups. */
Test(updgrp_key, bases_differ)
{
	struct updgrp_key k[3];
	base_key(BASE_CLIENT, &k[0]);
	base_key(BASE_NONCLIENT, &k[1]);
	base_key(BASE_EBGP, &k[2]);
	cr_expect(memcmp(&k[0], &k[1], sizeof(k[0])) != 0);
	cr_expect(memcmp(&k[0], &k[2], sizeof(k[0])) != 0);
	cr_expect(memcmp(&k[1], &k[2], sizeof(k[0])) != 0);
}

/* The debug dump tells groups apart: over every key of the table and the bases, two keys
 * format the same exactly when they are equal. */
Test(updgrp_key, format_tells_every_pair_apart)
{
	enum { N = N_CASES + 3 };
	struct updgrp_key k[N];
	static char f[N][FMT_LEN];
	const char *name[N];
	for (size_t i = 0; i < N_CASES; i++) {
		case_key(&cases[i], &k[i]);
		name[i] = cases[i].name;
	}
	base_key(BASE_CLIENT, &k[N_CASES]);
	base_key(BASE_NONCLIENT, &k[N_CASES + 1]);
	base_key(BASE_EBGP, &k[N_CASES + 2]);
	name[N_CASES] = "client base";
	name[N_CASES + 1] = "non-client base";
	name[N_CASES + 2] = "eBGP base";
	for (size_t i = 0; i < N; i++) {
		updgrp_key_format(&k[i], f[i], sizeof(f[i]));
		cr_expect(strlen(f[i]) > 0 && strlen(f[i]) < FMT_LEN - 1, "%s: \"%s\"", name[i],
		          f[i]);
	}
	for (size_t i = 0; i < N; i++)
		for (size_t j = i + 1; j < N; j++) {
			bool same_key = memcmp(&k[i], &k[j], sizeof(k[i])) == 0;
			bool same_fmt = strcmp(f[i], f[j]) == 0;
			cr_expect_eq(same_fmt, same_key,
			             "%s / %s: keys %s but formats %s:\n  \"%s\"\n  \"%s\"",
			             name[i], name[j], same_key ? "equal" : "differ",
			             same_fmt ? "equal" : "differ", f[i], f[j]);
		}
}

/* The dump names each field that a row changes. */
struct format_case {
	const char *name;
	enum base base;
	void (*change)(struct key_in *in); /* NULL: the base itself */
	const char *has[4];
	const char *lacks; /* NULL: nothing checked */
};

static const struct format_case format_cases[] = {
	{ "client base", BASE_CLIENT, NULL, { "client", "ipv4 ipv6", "as4", "10.0.0.1" }, NULL },
	{ "client c2c off", BASE_CLIENT, c_c2c_off, { "c2c off" }, "c2c on" },
	{ "client in another cluster", BASE_CLIENT, c_cluster, { "10.0.0.255" }, NULL },
	{ "client, 2-octet AS", BASE_CLIENT, c_as2, { "as2" }, "as4" },
	{ "client, extended messages", BASE_CLIENT, c_ext_msg, { "65535" }, NULL },
	{ "client, IPv6 only", BASE_CLIENT, c_no_ipv4, { "ipv6" }, "ipv4" },
	{ "non-client base", BASE_NONCLIENT, NULL, { "non-client" }, NULL },
	{ "eBGP base", BASE_EBGP, NULL, { "ebgp", "export-none", "10.0.0.254" }, NULL },
	{ "eBGP export all", BASE_EBGP, c_export_all, { "export-all" }, "export-none" },
	{ "eBGP on IPv6", BASE_EBGP, c_local_v6, { "2001:db8::fe" }, NULL },
	{ "eBGP on another IPv6 address", BASE_EBGP, c_local_v6_other, { "2001:db8::fd" }, NULL },
};

Test(updgrp_key, format_names_the_fields)
{
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];
		struct key_in in;
		struct updgrp_key k;
		char f[FMT_LEN];
		key_in_base(&in, c->base);
		if (c->change)
			c->change(&in);
		key_of(&in, &k, 0);
		updgrp_key_format(&k, f, sizeof(f));
		for (unsigned j = 0; j < 4 && c->has[j]; j++)
			cr_expect(strstr(f, c->has[j]), "%s: \"%s\" lacks \"%s\"", c->name, f,
			          c->has[j]);
		cr_expect(!c->lacks || !strstr(f, c->lacks), "%s: \"%s\" has \"%s\"", c->name, f,
		          c->lacks);
	}
}

/* A short buffer is cut, never overrun (ASan checks). */
Test(updgrp_key, format_into_a_short_buffer)
{
	struct updgrp_key k;
	base_key(BASE_EBGP, &k);
	for (size_t size = 1; size < 64; size++) {
		char *buf = malloc(size);
		cr_assert(buf);
		updgrp_key_format(&k, buf, size);
		cr_expect_lt(strlen(buf), size);
		free(buf);
	}
}
