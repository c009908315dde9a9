/* prismd's configuration: the YAML file (read with libyaml), its defaults, and validation.
 *
 * cfg_load() fills a struct cfg from a file, cfg_load_string() from text in memory (the
 * embedded default, tests). Every error names the file, line, column and key, for example
 *   prismd.yaml:7:11: peers[0].asn: expected an AS number from 1 to 4294967295, got "x"
 * and unknown keys are errors. A struct cfg owns all its memory; cfg_free() releases it.
 * docs/configuration.md documents every key. */
#ifndef PRISM_CORE_CONFIG_H
#define PRISM_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/prefix.h"

enum {
	CFG_NAME_MAX = 64,
	CFG_MAX_LISTEN = 16,
	CFG_DEFAULT_PORT = 179,
	CFG_DEFAULT_HOLD = 90,
	CFG_DEFAULT_CONNECT_RETRY = 5,
};

/* RFC 8212: with no policy an eBGP session exchanges nothing. iBGP ignores these. */
enum cfg_policy { CFG_POLICY_NONE = 0, CFG_POLICY_ALL = 1 };

enum cfg_log_level { CFG_LOG_ERROR, CFG_LOG_WARN, CFG_LOG_INFO, CFG_LOG_DEBUG };

/* A socket address as written in the file: "10.0.0.1", "10.0.0.1:179", "[::1]:1179". */
struct cfg_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* What a static peer and a peer range share. */
struct cfg_neighbor {
	char name[CFG_NAME_MAX];
	uint32_t asn;
	bool rr_client;         /* iBGP only: a route-reflector client */
	uint32_t cluster_id;    /* 0: the global cluster-id */
	bool client_to_client;  /* reflect between clients of this cluster (default true) */
	uint16_t hold_time;     /* seconds offered in our OPEN; 0 or 3..65535 */
	enum cfg_policy import; /* eBGP only */
	enum cfg_policy export; /* eBGP only */
	bool addpath_rx;        /* offer ADD-PATH receive for IPv4 and IPv6 unicast */
	bool ipv4, ipv6;        /* address families offered (default both) */
	bool graceful_restart; /* RFC 4724 helper: keep a restarting peer's routes (default true) */
	/* eBGP only: the next hop we set, instead of the session's local address */
	bool has_nh4, has_nh6;
	uint8_t nh4[4], nh6[16];
};

struct cfg_peer {
	struct cfg_neighbor n;
	struct cfg_addr addr;  /* port defaults to 179 */
	bool passive;          /* wait for the peer to connect */
	struct cfg_addr local; /* source address for outgoing connections; len 0 = any */
};

struct cfg_range {
	struct cfg_neighbor n;
	struct prefix prefix; /* any source inside may connect */
	uint32_t max_peers;   /* default 10000 */
};

struct cfg {
	char *path;         /* "<default>" for the embedded default */
	uint32_t router_id; /* host byte order */
	uint32_t asn;
	uint32_t cluster_id; /* default: router_id */
	bool client_to_client;
	unsigned n_listen;
	struct cfg_addr listen[CFG_MAX_LISTEN];
	unsigned threads;    /* 0: auto (online CPUs) */
	unsigned rib_shards; /* 0: auto; otherwise a power of two */
	uint16_t hold_time;
	uint16_t connect_retry; /* seconds between outgoing connection attempts */
	/* update groups */
	unsigned coalesce_ms;   /* how long a new group waits for more members */
	size_t slow_peer_bytes; /* a member this far behind its group is detached */
	/* logging */
	enum cfg_log_level log_level;
	char *log_file; /* NULL: stderr */
	/* introspection HTTP API (libmicrohttpd); len 0: off */
	struct cfg_addr http;
	unsigned n_peers;
	struct cfg_peer *peers;
	unsigned n_ranges;
	struct cfg_range *ranges;
};

/* The error of a failed load: "file:line:col: key: message" in text. */
struct cfg_err {
	unsigned line, col; /* 1-based; 0 when the error has no position (file unreadable) */
	char key[128];      /* "peers[1].asn", or "" */
	char text[512];
};

/* The configuration prismd runs with when it is given no -c. */
extern const char cfg_default_text[];

/* Both return 0, or -1 with *err filled in and *out zeroed (cfg_free() on it is harmless). */
int cfg_load(const char *path, struct cfg *out, struct cfg_err *err);
int cfg_load_string(const char *name, const char *text, size_t len, struct cfg *out,
                    struct cfg_err *err);
void cfg_free(struct cfg *c);

/* The neighbor settings that apply to a connection from sa, and whether it is a static peer
 * (index in *peer) or in a range (index in *range); the other index is set to -1. Returns
 * false when no peer and no range matches: the connection is refused. Static peers win over
 * ranges; among ranges, the longest prefix wins. */
bool cfg_match(const struct cfg *c, const struct sockaddr *sa, int *peer, int *range);

/* Formats a cfg_addr as "10.0.0.1:179" or "[::1]:179"; an unset one (len 0) as "". */
void cfg_addr_format(const struct cfg_addr *a, char *buf, size_t size);

#endif
