/* Real captures: every .bgp stream in tests/fixtures (bytes one daemon sent another) is
 * framed, every message decoded with the session context its OPENs negotiated, and each
 * UPDATE's prefixes compared with tshark's independent decode in the .tshark.tsv beside it.
 * Every UPDATE must survive decode -> encode -> decode unchanged, and every OPEN must
 * encode back to its own bytes. The hand-made *.hex fixtures are checked the same way. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/msg.h"
#include "core/prefix.h"

#ifndef PRISM_FIXTURES
#error "PRISM_FIXTURES must name the fixtures directory"
#endif

static struct msg_scratch *S1, *S2;

static void fx_setup(void)
{
	S1 = msg_scratch_new();
	S2 = msg_scratch_new();
	cr_assert(S1 && S2);
}

static void fx_teardown(void)
{
	msg_scratch_free(S1);
	msg_scratch_free(S2);
}

TestSuite(fixtures, .init = fx_setup, .fini = fx_teardown);

/* ---------------------------------------------------------------- files */

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob read_file(const char *path)
{
	struct blob b = { 0 };
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	b.p = malloc((size_t)n + 1);
	cr_assert(b.p);
	b.n = fread(b.p, 1, (size_t)n, f);
	cr_assert_eq(b.n, (size_t)n, "short read of %s", path);
	b.p[b.n] = '\0';
	fclose(f);
	return b;
}

static bool file_exists(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

/* Names in the fixtures directory ending in suffix, sorted; returns the count. */
static size_t list_fixtures(const char *suffix, char names[][256], size_t max)
{
	DIR *d = opendir(PRISM_FIXTURES);
	cr_assert(d, "no fixtures directory %s", PRISM_FIXTURES);
	size_t n = 0, sl = strlen(suffix);
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		size_t l = strlen(de->d_name);
		if (l > sl && l < 256 && strcmp(de->d_name + l - sl, suffix) == 0)
			strcpy(names[n++], de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	return n;
}

/* ---------------------------------------------------------------- session context */

/* The ADD-PATH mode the OPEN announced for afi/safi, or 0. */
static uint8_t open_addpath_mode(const struct msg_open *o, uint16_t afi, uint8_t safi)
{
	for (unsigned i = 0; i < o->parsed.addpath.n; i++)
		if (o->parsed.addpath.af[i].afi == afi && o->parsed.addpath.af[i].safi == safi)
			return o->parsed.addpath.af[i].mode;
	return 0;
}

/* What applies to the messages `from` sends to `to` (RFC 6793 4.1, RFC 8654 3, RFC 7911 4:
 * path identifiers flow when the sender can send and the receiver can receive). */
static struct msg_ctx session_ctx(const struct msg_open *from, const struct msg_open *to)
{
	struct msg_ctx c = {
		.as4 = from->parsed.has_as4 && to->parsed.has_as4,
		.ext_msg = from->parsed.ext_msg && to->parsed.ext_msg,
		.ebgp = msg_open_peer_as(from) != msg_open_peer_as(to),
	};
	static const uint16_t afis[AF_IDX_N] = {
		[AF_IDX_IPV4] = AFI_IPV4, [AF_IDX_IPV6] = AFI_IPV6
	};
	for (int i = 0; i < AF_IDX_N; i++)
		c.addpath[i] = (open_addpath_mode(from, afis[i], SAFI_UNICAST) & ADDPATH_SEND) &&
		               (open_addpath_mode(to, afis[i], SAFI_UNICAST) & ADDPATH_RECV);
	return c;
}

/* The first message of a stream, which must be its OPEN. */
static void stream_open(const struct blob *b, const char *name, struct msg_open *o)
{
	struct msg_hdr h;
	struct msg_err e = { 0 };
	cr_assert_eq(msg_frame(b->p, b->n, BGP_MAX_LEN, &h, &e), 1, "%s: first message", name);
	cr_assert_eq(h.type, BGP_OPEN, "%s: does not start with an OPEN", name);
	cr_assert_eq(msg_open_decode(b->p, h.len, o, &e), 0, "%s: OPEN: %s", name,
	             e.reason ? e.reason : "");
}

/* ---------------------------------------------------------------- the tshark oracle */

enum { TSV_COLS = 9 };

/* Splits line (modified in place) into exactly TSV_COLS tab-separated fields. */
static void tsv_split(char *line, char *col[TSV_COLS], const char *where)
{
	int n = 0;
	col[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p == '\t') {
			*p = '\0';
			cr_assert_lt(n, TSV_COLS, "%s: more than %d fields", where, TSV_COLS);
			col[n++] = p + 1;
		}
	}
	cr_assert_eq(n, TSV_COLS, "%s: %d fields", where, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A list of prefix strings: "address/len", or "address/len#id" with a path identifier. */
struct strlist {
	char **v;
	size_t n, cap;
};

static void strlist_add(struct strlist *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(char *));
		cr_assert(l->v);
	}
	l->v[l->n++] = strdup(s);
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct strlist){ 0 };
}

/* tshark's prefixes and, where the column is filled, their path identifiers. */
static void oracle_list(char *prefixes, char *ids, struct strlist *out, const char *where)
{
	char *psave = NULL, *isave = NULL;
	char *id = *ids ? strtok_r(ids, ",", &isave) : NULL;
	for (char *p = strtok_r(prefixes, ",", &psave); p; p = strtok_r(NULL, ",", &psave)) {
		char buf[96];
		if (id) {
			snprintf(buf, sizeof(buf), "%s#%s", p, id);
			id = strtok_r(NULL, ",", &isave);
		} else {
			cr_assert(!*ids || !id, "%s: fewer path ids than prefixes", where);
			snprintf(buf, sizeof(buf), "%s", p);
		}
		strlist_add(out, buf);
	}
}

/* prism's prefixes in the same spelling; path identifiers shown exactly when the session
 * carries them, 0 included. */
static void prism_list(const struct prefix_list *l, bool addpath, struct strlist *out)
{
	for (uint32_t i = 0; i < l->n; i++) {
		struct prefix p = l->v[i];
		char addr[64], buf[96];
		p.path_id = 0;
		cr_assert_eq(prefix_format(&p, addr, sizeof(addr)), 0);
		if (addpath)
			snprintf(buf, sizeof(buf), "%s#%u", addr, l->v[i].path_id);
		else
			snprintf(buf, sizeof(buf), "%s", addr);
		strlist_add(out, buf);
	}
}

static void expect_same_set(struct strlist *got, struct strlist *want, const char *where,
                            const char *what)
{
	if (got->n)
		qsort(got->v, got->n, sizeof(char *), cmp_str);
	if (want->n)
		qsort(want->v, want->n, sizeof(char *), cmp_str);
	bool same = got->n == want->n;
	for (size_t i = 0; same && i < got->n; i++)
		same = strcmp(got->v[i], want->v[i]) == 0;
	cr_expect(same, "%s %s: prism has %zu prefixes (first %s), tshark %zu (first %s)", where,
	          what, got->n, got->n ? got->v[0] : "-", want->n, want->n ? want->v[0] : "-");
	strlist_free(got);
	strlist_free(want);
}

static bool af_addpath(const struct msg_ctx *c, uint16_t afi)
{
	return c->addpath[afi == AFI_IPV6 ? AF_IDX_IPV6 : AF_IDX_IPV4];
}

static void compare_with_oracle(const struct msg_update *u, const struct msg_ctx *c,
                                char *col[TSV_COLS], const char *where)
{
	struct strlist got = { 0 }, want = { 0 };

	prism_list(&u->withdrawn, c->addpath[AF_IDX_IPV4], &got);
	oracle_list(col[1], col[5], &want, where);
	expect_same_set(&got, &want, where, "withdrawn");

	prism_list(&u->nlri, c->addpath[AF_IDX_IPV4], &got);
	oracle_list(col[2], col[6], &want, where);
	expect_same_set(&got, &want, where, "NLRI");

	if (u->mp_reach.present)
		prism_list(&u->mp_reach.nlri, af_addpath(c, u->mp_reach.afi), &got);
	oracle_list(col[3], col[7], &want, where);
	expect_same_set(&got, &want, where, "MP_REACH_NLRI");

	if (u->mp_unreach.present)
		prism_list(&u->mp_unreach.nlri, af_addpath(c, u->mp_unreach.afi), &got);
	oracle_list(col[4], col[8], &want, where);
	expect_same_set(&got, &want, where, "MP_UNREACH_NLRI");
}

/* ---------------------------------------------------------------- round trips */

static bool same_list(const struct prefix_list *a, const struct prefix_list *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (!prefix_equal(&a->v[i], &b->v[i]))
			return false;
	return true;
}

static bool same_key(const struct attr *a, const struct attr *b)
{
	if (!a || !b)
		return a == b;
	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

/* decode -> encode -> decode gives the same set and prefixes; returns whether the encoding
 * was byte-identical to the original. */
static bool update_roundtrip(const uint8_t *msg, size_t len, const struct msg_update *u,
                             const struct msg_ctx *c, const char *where)
{
	static uint8_t out[65536];
	struct msg_update u2;
	size_t n = msg_update_encode(u, c, out, sizeof(out));
	cr_assert_gt(n, 0, "%s: encode failed", where);
	int rc = msg_update_decode(out, n, c, S2, &u2);
	cr_assert(rc == 0 && u2.action == MSG_OK, "%s: re-decode failed", where);
	cr_expect(same_key(u->attrs, u2.attrs), "%s: attribute set changed in a round trip", where);
	cr_expect(same_list(&u->withdrawn, &u2.withdrawn) && same_list(&u->nlri, &u2.nlri),
	          "%s: IPv4 prefixes changed in a round trip", where);
	cr_expect(u->mp_reach.present == u2.mp_reach.present &&
	                  u->mp_unreach.present == u2.mp_unreach.present,
	          "%s: MP attributes changed in a round trip", where);
	if (u->mp_reach.present && u2.mp_reach.present)
		cr_expect(u->mp_reach.afi == u2.mp_reach.afi &&
		                  u->mp_reach.nh_len == u2.mp_reach.nh_len &&
		                  memcmp(u->mp_reach.nh, u2.mp_reach.nh, u->mp_reach.nh_len) == 0 &&
		                  same_list(&u->mp_reach.nlri, &u2.mp_reach.nlri),
		          "%s: MP_REACH_NLRI changed in a round trip", where);
	if (u->mp_unreach.present && u2.mp_unreach.present)
		cr_expect(u->mp_unreach.afi == u2.mp_unreach.afi &&
		                  same_list(&u->mp_unreach.nlri, &u2.mp_unreach.nlri),
		          "%s: MP_UNREACH_NLRI changed in a round trip", where);
	return n == len && memcmp(out, msg, len) == 0;
}

static void open_roundtrip(const uint8_t *msg, size_t len, const char *where)
{
	static struct msg_open o;
	static uint8_t out[4096];
	struct msg_err e = { 0 };
	cr_assert_eq(msg_open_decode(msg, len, &o, &e), 0, "%s: OPEN: %s", where,
	             e.reason ? e.reason : "");
	size_t n = msg_open_encode(&o, out, sizeof(out));
	cr_expect(n == len && memcmp(out, msg, len) == 0, "%s: OPEN does not re-encode to itself",
	          where);
}

/* ---------------------------------------------------------------- one stream */

struct stream_stats {
	unsigned msgs, updates, canonical, eor, prefixes;
};

static void decode_one(const uint8_t *msg, const struct msg_hdr *h, const struct msg_ctx *c,
                       char *col[TSV_COLS], const char *where, struct stream_stats *st)
{
	struct msg_err e = { 0 };
	struct msg_update u;
	struct msg_notification nt;
	struct msg_refresh rr;

	switch (h->type) {
	case BGP_OPEN:
		open_roundtrip(msg, h->len, where);
		break;
	case BGP_UPDATE: {
		int rc = msg_update_decode(msg, h->len, c, S1, &u);
		const struct msg_err *w = u.n_errs ? &u.errs[0] : NULL;
		cr_expect(rc == 0 && u.action == MSG_OK && u.n_errs == 0,
		          "%s: UPDATE rc %d, %u errors, first \"%s\" (attr %u) at %u", where, rc,
		          u.n_errs, w && w->reason ? w->reason : "", w ? w->attr_code : 0,
		          w ? w->offset : 0);
		if (rc != 0)
			break;
		st->updates++;
		st->eor += msg_update_is_eor(&u);
		st->prefixes += u.withdrawn.n + u.nlri.n + u.mp_reach.nlri.n + u.mp_unreach.nlri.n;
		compare_with_oracle(&u, c, col, where);
		st->canonical += update_roundtrip(msg, h->len, &u, c, where);
		break;
	}
	case BGP_NOTIFICATION:
		cr_expect_eq(msg_notification_decode(msg, h->len, &nt, &e), 0,
		             "%s: NOTIFICATION: %s", where, e.reason ? e.reason : "");
		break;
	case BGP_ROUTE_REFRESH:
		cr_expect_eq(msg_refresh_decode(msg, h->len, &rr, &e), 0, "%s: ROUTE-REFRESH",
		             where);
		break;
	case BGP_KEEPALIVE:
		break;
	default:
		cr_expect_fail("%s: unexpected message type %u", where, h->type);
	}
}

/* "a-to-b.bgp" -> "b-to-a.bgp" */
static void reverse_name(const char *name, char *out, size_t size)
{
	const char *to = strstr(name, "-to-");
	cr_assert(to, "%s: stream name is not A-to-B.bgp", name);
	const char *b = to + 4, *dot = strstr(b, ".bgp");
	cr_assert(dot);
	snprintf(out, size, "%.*s-to-%.*s.bgp", (int)(dot - b), b, (int)(to - name), name);
}

static void check_stream(const char *name, struct stream_stats *st)
{
	char path[1024], peer[256], tsv[1024];
	snprintf(path, sizeof(path), "%s/%s", PRISM_FIXTURES, name);
	reverse_name(name, peer, sizeof(peer));
	struct blob b = read_file(path);

	/* the session context needs both OPENs: ours, and the peer's from the reverse stream */
	static struct msg_open mine, theirs;
	stream_open(&b, name, &mine);
	snprintf(tsv, sizeof(tsv), "%s/%s", PRISM_FIXTURES, peer);
	cr_assert(file_exists(tsv), "%s: no reverse stream %s for the peer's OPEN", name, peer);
	struct blob rb = read_file(tsv);
	stream_open(&rb, peer, &theirs);
	free(rb.p);
	struct msg_ctx c = session_ctx(&mine, &theirs);

	snprintf(tsv, sizeof(tsv), "%s/%.*s.tshark.tsv", PRISM_FIXTURES,
	         (int)(strlen(name) - strlen(".bgp")), name);
	struct blob oracle = read_file(tsv);
	char *line_save = NULL;
	char *line = strtok_r((char *)oracle.p, "\n", &line_save);

	size_t off = 0;
	while (off < b.n) {
		struct msg_hdr h;
		struct msg_err e = { 0 };
		char where[320];
		snprintf(where, sizeof(where), "%s message %u", name, st->msgs + 1);
		int rc = msg_frame(b.p + off, b.n - off, msg_max_len(&c), &h, &e);
		cr_assert_eq(rc, 1, "%s: framing gave %d (%s)", where, rc,
		             e.reason ? e.reason : "");
		cr_assert(line, "%s: the oracle has fewer lines than the stream", where);
		char *col[TSV_COLS];
		tsv_split(line, col, where);
		cr_assert_eq(strtol(col[0], NULL, 10), h.type, "%s: type %u, oracle says %s", where,
		             h.type, col[0]);
		decode_one(b.p + off, &h, &c, col, where, st);
		off += h.len;
		st->msgs++;
		line = strtok_r(NULL, "\n", &line_save);
	}
	cr_expect_null(line, "%s: the oracle has more lines than the stream", name);
	free(oracle.p);
	free(b.p);
}

Test(fixtures, captured_streams)
{
	static char names[64][256];
	size_t n = list_fixtures(".bgp", names, 64);
	cr_assert_gt(n, 0, "no .bgp captures in %s (tools/capture-fixtures.sh makes them)",
	             PRISM_FIXTURES);
	unsigned all_updates = 0, all_canonical = 0;
	for (size_t i = 0; i < n; i++) {
		struct stream_stats st = { 0 };
		check_stream(names[i], &st);
		cr_expect_gt(st.updates, 0, "%s: no UPDATEs", names[i]);
		cr_log_info("%s: %u messages, %u UPDATEs (%u End-of-RIB, %u prefixes), %u of them "
		            "byte-canonical",
		            names[i], st.msgs, st.updates, st.eor, st.prefixes, st.canonical);
		all_updates += st.updates;
		all_canonical += st.canonical;
	}
	cr_log_info("%zu streams: %u UPDATEs, %u byte-canonical", n, all_updates, all_canonical);
}

/* The session contexts the README describes, so a wrong derivation cannot hide. */
Test(fixtures, session_contexts)
{
	static const struct {
		const char *stream;
		bool ebgp, ext_msg, ap4, ap6;
	} want[] = {
		{ "bird-to-frr.bgp", false, true, true, true },
		{ "frr-to-bird.bgp", false, true, true, true },
		{ "gobgp-to-bird.bgp", true, false, true, true },
		{ "bird-to-gobgp.bgp", true, false, true, true },
		{ "openbgpd-to-frr.bgp", true, false, false, false },
		{ "frr-to-openbgpd.bgp", true, false, true, true },
	};
	unsigned checked = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char path[1024], peer[256];
		snprintf(path, sizeof(path), "%s/%s", PRISM_FIXTURES, want[i].stream);
		if (!file_exists(path))
			continue;
		reverse_name(want[i].stream, peer, sizeof(peer));
		struct blob a = read_file(path);
		snprintf(path, sizeof(path), "%s/%s", PRISM_FIXTURES, peer);
		struct blob b = read_file(path);
		static struct msg_open oa, ob;
		stream_open(&a, want[i].stream, &oa);
		stream_open(&b, peer, &ob);
		struct msg_ctx c = session_ctx(&oa, &ob);
		cr_expect(c.as4, "%s: 4-octet AS", want[i].stream);
		cr_expect_eq(c.ebgp, want[i].ebgp, "%s: ebgp", want[i].stream);
		cr_expect_eq(c.ext_msg, want[i].ext_msg, "%s: extended messages", want[i].stream);
		cr_expect_eq(c.addpath[AF_IDX_IPV4], want[i].ap4, "%s: ADD-PATH IPv4",
		             want[i].stream);
		cr_expect_eq(c.addpath[AF_IDX_IPV6], want[i].ap6, "%s: ADD-PATH IPv6",
		             want[i].stream);
		free(a.p);
		free(b.p);
		checked++;
	}
	cr_expect_gt(checked, 0, "none of the described captures is present");
}

/* ---------------------------------------------------------------- *.hex */

static int hex_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex text with whitespace anywhere between octets and '#' comments to the end of line. */
static size_t hex_parse(const char *s, uint8_t *out, size_t cap, const char *name)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == '#') {
			while (*s && *s != '\n')
				s++;
			if (!*s)
				break;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		int v = hex_nibble((unsigned char)*s);
		cr_assert_geq(v, 0, "%s: bad hex character '%c'", name, *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		cr_assert_lt(n, cap, "%s: too long", name);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	cr_assert_lt(hi, 0, "%s: odd number of hex digits", name);
	return n;
}

Test(fixtures, hand_made_hex)
{
	static char names[64][256];
	size_t n = list_fixtures(".hex", names, 64);
	if (n == 0) {
		cr_log_info("no .hex fixtures");
		return;
	}
	static const struct msg_ctx ctx = { .as4 = true };
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		static uint8_t msg[65536];
		snprintf(path, sizeof(path), "%s/%s", PRISM_FIXTURES, names[i]);
		struct blob b = read_file(path);
		size_t len = hex_parse((const char *)b.p, msg, sizeof(msg), names[i]);
		free(b.p);
		struct msg_hdr h;
		struct msg_err e = { 0 };
		cr_assert_eq(msg_frame(msg, len, BGP_MAX_LEN, &h, &e), 1, "%s: framing", names[i]);
		cr_expect_eq(h.len, len, "%s: holds %zu octets, header says %u", names[i], len,
		             h.len);
		char *cols[TSV_COLS] = { "", "", "", "", "", "", "", "", "" };
		struct stream_stats st = { 0 };
		if (h.type == BGP_UPDATE) {
			/* no oracle line: check the prefixes are sane instead */
			struct msg_update u;
			cr_assert_eq(msg_update_decode(msg, h.len, &ctx, S1, &u), 0, "%s",
			             names[i]);
			cr_expect_eq(u.n_errs, 0, "%s: %u errors", names[i], u.n_errs);
			st.updates++;
			st.canonical += update_roundtrip(msg, h.len, &u, &ctx, names[i]);
			cr_expect_eq(st.canonical, 1, "%s: not byte-canonical", names[i]);
			if (strstr(names[i], "eor"))
				cr_expect(msg_update_is_eor(&u), "%s: not End-of-RIB", names[i]);
			if (strstr(names[i], "one-prefix")) {
				char s[64];
				cr_assert_eq(u.nlri.n, 1);
				prefix_format(&u.nlri.v[0], s, sizeof(s));
				cr_expect_str_eq(s, "198.51.100.0/24");
			}
			continue;
		}
		decode_one(msg, &h, &ctx, cols, names[i], &st);
	}
}
