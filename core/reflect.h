/* The rules of route reflection (RFC 4456), external peers (RFC 4271, RFC 8212) and what each
 * kind of peer is sent, as pure functions of attribute sets. ingress.c and the update groups
 * call them; tests/test_reflect.c checks them rule by rule. */
#ifndef PRISM_CORE_REFLECT_H
#define PRISM_CORE_REFLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "rib/rib.h"

/* This reflector. */
struct reflect_self {
	uint32_t router_id;
	uint32_t asn;
	const uint32_t *clusters; /* every cluster ID we use: the global one and overrides */
	unsigned n_clusters;
};

/* The peer a route came from. */
struct reflect_peer {
	enum rib_src_kind kind;
	bool import_all; /* eBGP: an import policy lets routes in (RFC 8212) */
	uint32_t asn;
	uint32_t router_id;  /* its BGP Identifier */
	uint32_t cluster_id; /* the cluster it belongs to */
};

/* Why a route from peer must not enter the RIB, or NULL when it may. Such a route is
 * treated as withdrawn. */
const char *reflect_ingress_reject(const struct reflect_self *me, const struct reflect_peer *peer,
                                   const struct attr *a);

/* The set sent on to internal peers, built into buf (size octets), not interned; NULL when it
 * does not fit (reflect_set_room() octets are always enough). A route from an internal peer
 * gets ORIGINATOR_ID (when absent: the peer's BGP Identifier) and the peer's cluster ID
 * prepended to CLUSTER_LIST (RFC 4456 8); an external route gets the default LOCAL_PREF.
 * Everything else, the next hop included, is left alone. */
struct attr *reflect_internal_set(const struct reflect_peer *peer, const struct attr *in, void *buf,
                                  size_t size);

/* The set sent to an external peer: our AS prepended, next hop self (nh4, and nh6 for IPv6
 * NLRI), and LOCAL_PREF, MED, ORIGINATOR_ID and CLUSTER_LIST removed. */
struct attr *reflect_external_set(uint32_t local_as, const uint8_t nh4[4], const uint8_t nh6[16],
                                  const struct attr *in, void *buf, size_t size);

/* Room for either derived set of in: the reflection attributes, a prepended AS and a new
 * next hop add at most this much. */
static inline size_t reflect_set_room(const struct attr *in) { return attr_size(in->key_len + 64); }

/* The kinds of receiving peer, as update groups see them. */
enum reflect_to { REFLECT_TO_CLIENT, REFLECT_TO_NONCLIENT, REFLECT_TO_EBGP };

struct reflect_dest {
	enum reflect_to kind;
	uint32_t cluster_id;   /* clients: their cluster */
	bool client_to_client; /* clients: reflection between clients of that cluster */
	bool export_all;       /* eBGP: an export policy lets routes out (RFC 8212) */
};

/* Whether a best route from a peer of src_kind (in src_cluster, whose own client-to-client
 * setting is src_c2c) goes to dest at all (RFC 4456 6). */
bool reflect_eligible(const struct reflect_dest *dest, enum rib_src_kind src_kind,
                      uint32_t src_cluster, bool src_c2c);

#endif
