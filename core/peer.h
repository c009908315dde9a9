/* Neighbors and their sessions: the RFC 4271 FSM, timers, collision detection, reading and
 * writing. A neighbor (struct nbr) is a configured peer or one dynamic peer of a range; it
 * has at most two sessions at once, while a connection collision (6.8) is being resolved.
 * Both, and everything in them, belong to the neighbor's worker. */
#ifndef PRISM_CORE_PEER_H
#define PRISM_CORE_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/daemon.h"

enum sess_state {
	SESS_IDLE,
	SESS_CONNECT,
	SESS_ACTIVE,
	SESS_OPENSENT,
	SESS_OPENCONFIRM,
	SESS_ESTABLISHED,
};

const char *sess_state_name(enum sess_state s);

/* Bytes waiting to go out ahead of the group stream: OPEN, KEEPALIVE, ROUTE-REFRESH
 * markers. NOTIFICATIONs go straight to the socket, between messages. */
struct sess_ctl {
	uint8_t *buf;
	size_t len, off, cap;
};

struct sess {
	struct nbr *n;
	struct worker *w;
	int fd;
	bool outgoing;
	enum sess_state state;
	ev_io rio, wio;
	ev_timer hold, keepalive;
	struct sess_offer offer;
	struct sess_params sp;
	uint32_t peer_id; /* from its OPEN, for collision detection */
	struct sockaddr_storage local;
	uint8_t *carry; /* a partial message between reads */
	size_t carry_len;
	struct sess_ctl ctl;
	struct updgrp_member *member;
	struct rib_source *src; /* while Established */
	/* ingress memo: the last interned set and its outbound form */
	const struct attr *last_in, *last_out;
	uint64_t t_up_ns;
	uint64_t msgs_in, msgs_out, updates_in, prefixes_in;
	bool closing;
	bool lost;              /* the connection broke or closed with no NOTIFICATION either way */
	struct sess *next_dead; /* waiting to be freed */
};

struct nbr_stats {
	uint64_t established, dropped;
	uint64_t updates_in, prefixes_in, withdrawn_in, rejected_in;
	uint64_t notifications_in, notifications_out;
};

struct nbr {
	struct worker *w;
	struct nbr *next; /* in the worker's list */
	const struct cfg_neighbor *cn;
	int peer_index;  /* static peer, or -1 */
	int range_index; /* dynamic peer of a range, or -1 */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char name[128];
	bool passive;
	bool ebgp;
	struct sess *sess;     /* the current session */
	struct sess *other;    /* a second connection during a collision */
	ev_timer retry;        /* connect-retry, for active peers */
	unsigned failures;     /* in a row, for backoff */
	enum sess_state state; /* of the current session, for the API (relaxed atomic) */
	uint64_t t_state_ns;
	char last_error[128];
	struct nbr_stats st; /* relaxed atomics */
	/* RFC 4724 helper. gr_src is the source of a session that was lost: its paths stay,
	 * marked stale, in the families in gr_afs (bits AF_IDX_*). The next session takes
	 * the source on, and each End-of-RIB it sends purges what it did not send again. The
	 * timer runs for the peer's restart time while it is away, then for the stale time. */
	struct rib_source *gr_src;
	uint8_t gr_afs;
	ev_timer gr_timer;
	uint64_t gr_until_ns; /* when the timer fires, for the API */
};

/* Creates the static neighbors this worker owns, and starts the active ones. */
void nbr_start_static(struct worker *w);
/* A connection arrived for a neighbor owned by w (peer_index or range_index says which). */
void nbr_accepted(struct worker *w, int fd, const struct sockaddr_storage *peer,
                  const struct sockaddr_storage *local, int peer_index, int range_index);
/* Frees sessions closed during this loop iteration (from the flush watcher). */
void sess_reap(struct worker *w);
/* Stop: a Cease to every session, then everything is freed. */
void nbr_stop_all(struct worker *w, uint8_t subcode, const char *text);

/* Queues a control message; it goes out before further stream data, between messages. */
void sess_send_ctl(struct sess *s, const uint8_t *msg, size_t len);
/* The same, without writing now: for the write path itself. */
void sess_queue_ctl(struct sess *s, const uint8_t *msg, size_t len);
/* Arms the write watcher when there is something to write. */
void sess_want_write(struct sess *s);
/* Ends the session with a NOTIFICATION (code 0: without one). */
void sess_fail(struct sess *s, uint8_t code, uint8_t subcode, const char *why);

/* Which worker owns the neighbor for address sa: static peers by index, dynamic ones by a
 * hash of the address, so that every connection from one address meets one FSM. */
unsigned nbr_owner_of(const struct daemon *d, const struct sockaddr_storage *sa, int peer_index);

void nbr_format_addr(const struct sockaddr_storage *sa, char *buf, size_t size);

#endif
