/* Route reflection rules. */
#include <stdlib.h>
#include <string.h>

#include "core/bgp.h"
#include "core/buf.h"
#include "core/reflect.h"

enum { REFLECT_DEFAULT_LOCAL_PREF = 100, REFLECT_MAX_PATH = 1100 };

static bool reflect_cluster_is_ours(const struct reflect_self *me, uint32_t id)
{
	for (unsigned i = 0; i < me->n_clusters; i++)
		if (me->clusters[i] == id)
			return true;
	return false;
}

static bool reflect_cluster_loop(const struct reflect_self *me, const struct attr *a)
{
	uint16_t len;
	const uint8_t *v = attr_get(a, ATTR_CLUSTER_LIST, &len);
	for (uint16_t off = 0; v && off + 4 <= len; off += 4)
		if (reflect_cluster_is_ours(me, get_u32(v + off)))
			return true;
	return false;
}

static bool reflect_aspath_has(const uint8_t *v, uint16_t len, uint32_t asn)
{
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)v[off + 1] * 4)
		for (unsigned i = 0; i < v[off + 1] && off + 6 + 4 * (size_t)i <= len; i++)
			if (get_u32(v + off + 2 + 4 * (size_t)i) == asn)
				return true;
	return false;
}

const char *reflect_ingress_reject(const struct reflect_self *me, const struct reflect_peer *peer,
                                   const struct attr *a)
{
	bool ebgp = peer->kind == RIB_SRC_EBGP;
	if (ebgp && !peer->import_all)
		return "external route without an import policy (RFC 8212)";
	/* RFC 4456 8: our own route, or one that has been through our cluster, is a loop. */
	if (attr_has(a, ATTR_ORIGINATOR_ID) && a->originator_id == me->router_id)
		return "ORIGINATOR_ID is our router ID";
	if (attr_has(a, ATTR_CLUSTER_LIST) && reflect_cluster_loop(me, a))
		return "CLUSTER_LIST holds our cluster ID";
	if (!ebgp)
		return NULL;
	uint16_t len;
	const uint8_t *path = attr_get(a, ATTR_AS_PATH, &len);
	if (path && reflect_aspath_has(path, len, me->asn))
		return "AS_PATH holds our AS";
	/* RFC 4271 6.3 lets a speaker check the leftmost AS; RFC 7606 makes a failure a
	 * withdrawal. */
	if (!path || aspath_first_as(path, len) != peer->asn)
		return "the first AS of the AS_PATH is not the peer's";
	return NULL;
}

static struct attr_builder *reflect_builder(const struct attr *in)
{
	struct attr_builder *b = malloc(sizeof(*b));
	if (b)
		attr_builder_from(b, in);
	return b;
}

struct attr *reflect_internal_set(const struct reflect_peer *peer, const struct attr *in, void *buf,
                                  size_t size)
{
	uint8_t orig[4], lp[4];
	uint8_t *clist = NULL;
	struct attr_builder *b = reflect_builder(in);
	if (!b)
		return NULL;
	if (peer->kind == RIB_SRC_EBGP) {
		if (!attr_has(in, ATTR_LOCAL_PREF)) {
			put_u32(lp, REFLECT_DEFAULT_LOCAL_PREF);
			attr_builder_set(b, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, lp, 4);
		}
	} else {
		if (!attr_has(in, ATTR_ORIGINATOR_ID)) {
			put_u32(orig, peer->router_id);
			attr_builder_set(b, ATTR_FLAG_OPTIONAL, ATTR_ORIGINATOR_ID, orig, 4);
		}
		uint16_t len = 0;
		const uint8_t *old = attr_get(in, ATTR_CLUSTER_LIST, &len);
		clist = len <= UINT16_MAX - 4 ? malloc((size_t)len + 4) : NULL;
		if (!clist) {
			free(b);
			return NULL;
		}
		put_u32(clist, peer->cluster_id);
		if (old)
			memcpy(clist + 4, old, len);
		attr_builder_set(b, ATTR_FLAG_OPTIONAL, ATTR_CLUSTER_LIST, clist,
		                 (uint16_t)(len + 4));
	}
	struct attr *a = attr_builder_finish(b, buf, size);
	free(clist);
	free(b);
	return a;
}

/* Prepends asn into a leading AS_SEQUENCE that has room, or starts a new one. */
static size_t reflect_prepend(uint32_t asn, const uint8_t *old, uint16_t len, uint8_t *out,
                              size_t size)
{
	struct wbuf w = wbuf_make(out, size);
	bool into = old && len >= 2 && old[0] == ASPATH_SEQUENCE && old[1] < 255;
	wbuf_u8(&w, ASPATH_SEQUENCE);
	wbuf_u8(&w, into ? (uint8_t)(old[1] + 1) : 1);
	wbuf_u32(&w, asn);
	if (into)
		wbuf_bytes(&w, old + 2, len - 2u);
	else if (old)
		wbuf_bytes(&w, old, len);
	return w.overflow ? 0 : w.len;
}

struct attr *reflect_external_set(uint32_t local_as, const uint8_t nh4[4], const uint8_t nh6[16],
                                  const struct attr *in, void *buf, size_t size)
{
	uint8_t path[REFLECT_MAX_PATH];
	uint16_t len = 0;
	const uint8_t *old = attr_get(in, ATTR_AS_PATH, &len);
	size_t n = reflect_prepend(local_as, old, len, path, sizeof(path));
	if (!n)
		return NULL;
	struct attr_builder *b = reflect_builder(in);
	if (!b)
		return NULL;
	attr_builder_remove(b, ATTR_LOCAL_PREF);
	attr_builder_remove(b, ATTR_MED);
	attr_builder_remove(b, ATTR_ORIGINATOR_ID);
	attr_builder_remove(b, ATTR_CLUSTER_LIST);
	attr_builder_set(b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, path, (uint16_t)n);
	attr_builder_set(b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh4, 4);
	if (b->nh_len) {
		b->nh_len = 16;
		memcpy(b->nh, nh6, 16);
	}
	struct attr *a = attr_builder_finish(b, buf, size);
	free(b);
	return a;
}

bool reflect_eligible(const struct reflect_dest *dest, enum rib_src_kind src_kind,
                      uint32_t src_cluster, bool src_c2c)
{
	switch (dest->kind) {
	case REFLECT_TO_CLIENT:
		/* client routes go to other clusters' clients always, to their own cluster's only
		 * with client-to-client reflection on */
		if (src_kind == RIB_SRC_CLIENT && src_cluster == dest->cluster_id)
			return dest->client_to_client && src_c2c;
		return true;
	case REFLECT_TO_NONCLIENT:
		/* a route from a non-client never goes to another non-client */
		return src_kind != RIB_SRC_NONCLIENT;
	case REFLECT_TO_EBGP:
		return dest->export_all;
	}
	return false;
}
