/* libFuzzer target for the whole message codec.
 *
 * Input: one octet choosing the session context, then a stream of BGP messages. Each framed
 * message goes through its decoder; what decodes cleanly must survive a round trip:
 *   OPEN, NOTIFICATION, ROUTE-REFRESH   encode(decode(x)) == x, byte for byte
 *   UPDATE (no error at all)            decode(encode(decode(x))) has the same attribute key
 *                                       and the same prefix lists as decode(x)
 * Every accepted attribute set is also interned, released and formatted as JSON, so the
 * intern table and the JSON hooks see what the decoder lets through.
 *
 * A finding already reported can be masked for a long run by building with
 * PRISM_FUZZ_EXTRA_FLAGS naming it: -DFUZZ_MASK_UNRECORDED_WORST (more than UPDATE_MAX_ERRS
 * errors leave msg_update_worst() NULL), -fno-sanitize=pointer-overflow (NULL + 0).
 *
 * Built two ways: with -fsanitize=fuzzer as fuzz-decode, and with FUZZ_REPLAY_MAIN as
 * fuzz-decode-replay, a plain program that runs the files named on its command line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <urcu.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/msg.h"

enum {
	FUZZ_CTX_AS4 = 0x01,
	FUZZ_CTX_EBGP = 0x02,
	FUZZ_CTX_ADDPATH4 = 0x04,
	FUZZ_CTX_ADDPATH6 = 0x08,
	FUZZ_CTX_EXT_MSG = 0x10,
	FUZZ_OUT_SIZE = 65535,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	struct msg_scratch *first, *second;
	struct attr_table *table;
	struct msg_update u1, u2;
	struct msg_open open;
	uint8_t out[FUZZ_OUT_SIZE];
};

static struct fuzz_state *fuzz_state_get(void)
{
	static struct fuzz_state *st;
	if (st)
		return st;
	rcu_register_thread();
	st = calloc(1, sizeof(*st));
	if (!st)
		abort();
	st->first = msg_scratch_new();
	st->second = msg_scratch_new();
	st->table = attr_table_new();
	if (!st->first || !st->second || !st->table)
		abort();
	return st;
}

/* A broken invariant: say which, show the message, and die so the fuzzer keeps the input. */
static void fuzz_fail(const char *what, const uint8_t *msg, size_t len)
{
	fprintf(stderr, "fuzz_decode: invariant broken: %s\nmessage (%zu octets):", what, len);
	for (size_t i = 0; i < len && i < 512; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", msg[i]);
	fprintf(stderr, "%s\n", len > 512 ? "\n  ..." : "");
	abort();
}

static struct msg_ctx fuzz_ctx_from(uint8_t sel)
{
	return (struct msg_ctx){
		.as4 = sel & FUZZ_CTX_AS4,
		.ebgp = sel & FUZZ_CTX_EBGP,
		.addpath = { sel & FUZZ_CTX_ADDPATH4, sel & FUZZ_CTX_ADDPATH6 },
		.ext_msg = sel & FUZZ_CTX_EXT_MSG,
	};
}

/* Error NOTIFICATIONs carry data that points into the message; encoding one reads it. */
static void fuzz_encode_err(struct fuzz_state *st, const struct msg_err *e)
{
	if (e)
		(void)msg_notification_encode_err(e, st->out, sizeof(st->out));
}

static void fuzz_expect_same_bytes(const char *what, const uint8_t *msg, size_t len,
                                   const uint8_t *out, size_t out_len)
{
	if (out_len != len || memcmp(out, msg, len) != 0)
		fuzz_fail(what, msg, len);
}

static void fuzz_open(struct fuzz_state *st, const uint8_t *msg, size_t len)
{
	struct msg_err e = { 0 };
	if (msg_open_decode(msg, len, &st->open, &e) < 0) {
		fuzz_encode_err(st, &e);
		return;
	}
	(void)msg_open_peer_as(&st->open);
	size_t n = msg_open_encode(&st->open, st->out, sizeof(st->out));
	fuzz_expect_same_bytes("OPEN: encode(decode(x)) != x", msg, len, st->out, n);
}

static void fuzz_notification(struct fuzz_state *st, const uint8_t *msg, size_t len)
{
	struct msg_notification n;
	struct msg_err e = { 0 };
	if (msg_notification_decode(msg, len, &n, &e) < 0) {
		fuzz_encode_err(st, &e);
		return;
	}
	size_t out_len = msg_notification_encode(n.code, n.subcode, n.data, n.data_len, st->out,
	                                         sizeof(st->out));
	fuzz_expect_same_bytes("NOTIFICATION: encode(decode(x)) != x", msg, len, st->out, out_len);
}

static void fuzz_refresh(struct fuzz_state *st, const uint8_t *msg, size_t len)
{
	struct msg_refresh r;
	struct msg_err e = { 0 };
	if (msg_refresh_decode(msg, len, &r, &e) < 0) {
		fuzz_encode_err(st, &e);
		return;
	}
	size_t n = msg_refresh_encode(&r, st->out, sizeof(st->out));
	fuzz_expect_same_bytes("ROUTE-REFRESH: encode(decode(x)) != x", msg, len, st->out, n);
}

static bool fuzz_same_prefixes(const struct prefix_list *a, const struct prefix_list *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (!prefix_equal(&a->v[i], &b->v[i]))
			return false;
	return true;
}

static bool fuzz_same_attrs(const struct attr *a, const struct attr *b)
{
	if (!a || !b)
		return a == b;
	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

static void fuzz_use_attrs(struct fuzz_state *st, const struct attr *a)
{
	const struct attr *held = attr_intern(st->table, a);
	if (!held || attr_intern(st->table, a) != held)
		fuzz_fail("attr_intern: equal sets interned apart", a->key, a->key_len);
	attr_unref(st->table, held);
	attr_unref(st->table, held);

	json_t *j = attr_to_json(a);
	if (!j)
		fuzz_fail("attr_to_json returned NULL", a->key, a->key_len);
	char *text = json_dumps(j, JSON_COMPACT);
	free(text);
	json_decref(j);
}

/* The encoder must write what our own decoder reads back as the same routes. */
static void fuzz_update_roundtrip(struct fuzz_state *st, const struct msg_ctx *ctx,
                                  const uint8_t *msg, size_t len)
{
	const struct msg_update *a = &st->u1;
	struct msg_update *b = &st->u2;

	size_t n = msg_update_encode(a, ctx, st->out, sizeof(st->out));
	if (n == 0)
		fuzz_fail("UPDATE: a clean decode does not re-encode", msg, len);
	if (msg_update_decode(st->out, n, ctx, st->second, b) < 0 || b->action == MSG_SESSION_RESET)
		fuzz_fail("UPDATE: re-encoded message resets the session", msg, len);
	if (!fuzz_same_attrs(a->attrs, b->attrs))
		fuzz_fail("UPDATE: attribute key changed in the round trip", msg, len);
	if (!fuzz_same_prefixes(&a->withdrawn, &b->withdrawn) ||
	    !fuzz_same_prefixes(&a->nlri, &b->nlri) || a->mp_reach.present != b->mp_reach.present ||
	    !fuzz_same_prefixes(&a->mp_reach.nlri, &b->mp_reach.nlri) ||
	    a->mp_unreach.present != b->mp_unreach.present ||
	    !fuzz_same_prefixes(&a->mp_unreach.nlri, &b->mp_unreach.nlri))
		fuzz_fail("UPDATE: prefixes changed in the round trip", msg, len);
	if (msg_update_is_eor(a) != msg_update_is_eor(b))
		fuzz_fail("UPDATE: End-of-RIB changed in the round trip", msg, len);
}

static void fuzz_update(struct fuzz_state *st, const struct msg_ctx *ctx, const uint8_t *msg,
                        size_t len)
{
	struct msg_update *u = &st->u1;
	int rc = msg_update_decode(msg, len, ctx, st->first, u);

	if ((rc < 0) != (u->action == MSG_SESSION_RESET))
		fuzz_fail("UPDATE: return code disagrees with the action", msg, len);
#ifndef FUZZ_MASK_UNRECORDED_WORST
	if (u->action != MSG_OK && !msg_update_worst(u))
		fuzz_fail("UPDATE: an action without an error", msg, len);
#endif
	fuzz_encode_err(st, msg_update_worst(u));
	(void)msg_update_is_eor(u);
	if (u->action >= MSG_SESSION_RESET)
		return;
	if (u->attrs)
		fuzz_use_attrs(st, u->attrs);
	if (u->action == MSG_OK)
		fuzz_update_roundtrip(st, ctx, msg, len);
}

static void fuzz_message(struct fuzz_state *st, const struct msg_ctx *ctx, uint8_t type,
                         const uint8_t *msg, size_t len)
{
	switch (type) {
	case BGP_OPEN:
		fuzz_open(st, msg, len);
		break;
	case BGP_UPDATE:
		fuzz_update(st, ctx, msg, len);
		break;
	case BGP_NOTIFICATION:
		fuzz_notification(st, msg, len);
		break;
	case BGP_ROUTE_REFRESH:
		fuzz_refresh(st, msg, len);
		break;
	default:
		break; /* KEEPALIVE: framing is all there is */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state *st = fuzz_state_get();
	if (size < 1)
		return 0;
	struct msg_ctx ctx = fuzz_ctx_from(data[0]);
	const uint8_t *p = data + 1;
	size_t left = size - 1;

	while (left > 0) {
		struct msg_hdr h;
		struct msg_err e = { 0 };
		int r = msg_frame(p, left, msg_max_len(&ctx), &h, &e);
		if (r < 0)
			fuzz_encode_err(st, &e);
		if (r <= 0)
			break;
		fuzz_message(st, &ctx, h.type, p, h.len);
		p += h.len;
		left -= h.len;
	}
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
static int fuzz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	bool bad = ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: read error or larger than %zu octets\n", path, sizeof(buf));
		return -1;
	}
	/* A copy of exactly n octets, so that ASan sees any read past the input. */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		abort();
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

/* Leaves nothing behind for LeakSanitizer: every set was released, so the table is empty
 * once the deferred frees have run. */
static void fuzz_state_free(void)
{
	struct fuzz_state *st = fuzz_state_get();
	rcu_barrier();
	attr_table_free(st->table);
	msg_scratch_free(st->first);
	msg_scratch_free(st->second);
	free(st);
	rcu_unregister_thread();
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++)
		failed |= fuzz_replay_file(argv[i]) < 0;
	fuzz_state_free();
	printf("fuzz-decode-replay: %d inputs, %s\n", argc - 1,
	       failed ? "read errors" : "all passed");
	return failed;
}
#endif
