/* prism-bench at run time: the configuration, synthetic peers, harness threads and the run.
 *
 * Threads: the main thread drives the phases and only reads what the harness threads write,
 * through relaxed atomics. Each harness thread runs one libev loop and is the only writer of
 * its peers (sockets, timers, queues, listener tables). Feeder threads are the writers of
 * the shared expectation (want[], t_sent[]) for their own feeders' routes. */
#ifndef PRISM_BENCH_PB_RUN_H
#define PRISM_BENCH_PB_RUN_H

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "bench/pb.h"
#include "core/sess.h"

enum pb_scenario { PB_CALICO, PB_FANOUT, PB_CHURN, PB_RESTART, PB_FLAP, PB_N_SCENARIOS };

const char *pb_scenario_name(enum pb_scenario s);
int pb_scenario_parse(const char *s, enum pb_scenario *out);

enum { PB_MAX_PIDS = 8 };

struct pb_cfg {
	enum pb_scenario scenario;
	const char *label; /* what is being measured, for the result ("prism", "bird", ...) */
	struct pb_plan plan;
	struct sockaddr_storage target;
	socklen_t target_len;
	uint32_t remote_as; /* the reflector's AS */
	unsigned threads;
	unsigned max_connecting; /* handshakes in flight at once, over all threads */
	uint16_t hold_time;
	bool addpath; /* offer ADD-PATH receive */
	bool ext_msg;
	bool route_refresh;
	double timeout_s;  /* per phase */
	double settle_s;   /* pause after every session is up, before the clock starts */
	double churn_rate; /* route changes per second, over all feeders */
	double churn_fraction;
	double churn_s;
	double flap_interval_s; /* flap: one random peer drops this often ... */
	double flap_down_s;     /* ... and stays down this long */
	uint32_t seed;
	uint32_t stuck;          /* the last this many listeners stop reading once Established */
	double hold_s;           /* keep every session up this long after the result */
	pid_t pids[PB_MAX_PIDS]; /* the reflector's processes, for CPU and RSS */
	unsigned n_pids;
	const char *json_path;
	bool progress; /* the live progress line on stderr */
	bool verbose;
	/* replay server mode */
	bool replay;
	struct sockaddr_storage listen;
	socklen_t listen_len;
	uint32_t replay_id; /* the replay server's BGP identifier */
};

/* Defaults for a scenario, before command-line overrides. */
void pb_cfg_defaults(struct pb_cfg *c, enum pb_scenario s);

/* Exit statuses of prism-bench (--help and docs/prism-bench.md list them). */
enum {
	PB_EXIT_OK = 0,     /* every listener converged on exactly the right table */
	PB_EXIT_FAILED = 1, /* a phase timed out, the full check failed, or no setup */
	PB_EXIT_USAGE = 2,
	PB_EXIT_JSON = 3, /* the run finished but its --json result could not be written */
};

/* ---- pb_cli.c: the command line ---- */

extern const char pb_usage[];
/* Parses the command line into c (defaults of the scenario, then the options in order).
 * Returns 0, 1 for --help, or -1 on bad usage with the reason in err (size bytes; empty when
 * getopt already said what was wrong). */
int pb_cli_parse(int argc, char **argv, struct pb_cfg *c, char *err, size_t size);
/* The checks that need the whole command line: the plan, the transport, --stuck, --replay.
 * Caps the threads at the peers and at --max-connecting. Returns 0, or -1 with err set. */
int pb_cli_check(struct pb_cfg *c, char *err, size_t size);

enum pb_state { PB_IDLE, PB_CONNECTING, PB_OPENSENT, PB_OPENCONFIRM, PB_ESTABLISHED };

struct pb_chunk {
	const uint8_t *p;
	size_t len;
	uint8_t *owned; /* freed once written; NULL for shared bytes */
};

struct pb_outq {
	struct pb_chunk *v;
	uint32_t head, n, cap;
	size_t off; /* bytes of v[head] already written */
	size_t bytes;
};

struct pb_thread;

struct pb_peer {
	struct pb_thread *th;
	uint32_t idx;   /* peer index in the plan; for replay clients, a serial number */
	int64_t feeder; /* feeder index, or -1 */
	int fd;
	enum pb_state state;
	bool want_up; /* reconnect when the session drops */
	bool passive; /* a replay server's client: never connects out */
	bool fed;     /* the table went out on this session */
	bool queued;  /* waiting in its thread's connect queue */
	bool stuck;   /* stops reading once Established: a peer that hangs */
	ev_io rio, wio;
	ev_timer hold, keepalive, retry;
	struct sess_params sp;
	struct pb_outq out;
	uint8_t *carry; /* a partial message between reads */
	size_t carry_len;
	struct pb_table *table; /* NULL when the peer does not listen */
	uint32_t n_fail;
	double churn_credit; /* fractional route changes owed */
	uint32_t churn_cursor;
	uint32_t epoch;            /* the feeder's last announcement epoch */
	struct pb_peer *next_free; /* replay clients */
};

enum pb_cmd_type {
	PB_CMD_CONNECT,
	PB_CMD_FEED,
	PB_CMD_DROP,
	PB_CMD_FLAP,
	PB_CMD_CHECK,
	PB_CMD_STREAM,
	PB_CMD_STOP,
};

struct pb_cmd {
	enum pb_cmd_type type;
	uint32_t peer;
	double secs;
};

enum { PB_MAX_CMDS = 64 };

struct pb_run;

struct pb_thread {
	struct pb_run *run;
	unsigned id;
	pthread_t tid;
	struct ev_loop *loop;
	ev_async wake;
	ev_timer tick;
	pthread_mutex_t mu;
	struct pb_cmd cmds[PB_MAX_CMDS];
	unsigned n_cmds;
	struct pb_peer **peers;
	uint32_t n_peers, cap_peers;
	struct pb_peer **connq; /* peers waiting to connect, FIFO */
	uint32_t connq_head, connq_n;
	unsigned handshaking;
	unsigned max_handshaking;
	struct msg_scratch *scratch;
	struct pb_vcache *vcache; /* verified attribute blocks */
	uint8_t *rbuf;            /* read buffer shared by this thread's peers */
	size_t rbuf_cap;
	struct pb_hist hist;     /* propagation latency */
	struct pb_verdict check; /* result of the last PB_CMD_CHECK */
	/* counters (relaxed atomics) */
	uint64_t rx_updates, rx_prefixes, rx_bytes, tx_bytes;
	uint64_t n_notifications, n_failures;
	/* replay server */
	int listen_fd;
	ev_io lio;
	uint32_t next_client;
};

struct pb_run {
	struct pb_cfg cfg;
	struct sess_offer offer;
	struct pb_expect expect;
	struct pb_peer *peers; /* one per plan peer; NULL in replay mode */
	struct pb_thread *th;
	unsigned n_th;
	/* shared state (relaxed atomics) */
	uint32_t n_established;
	uint64_t t_last_established;
	bool feeding; /* feeders send their table once Established */
	bool churning;
	unsigned acks; /* threads done with the last command that wants one */
	/* replay */
	bool triggered;
	struct pb_buf stream; /* every reflected route, pre-encoded */
	struct pb_buf stream_eor;
	uint32_t stream_routes;
	unsigned n_errors_logged;
	bool epoch_capped; /* a feeder ran out of epochs (logged once) */
};

/* ---- pb_peer.c ---- */

/* Share i of total split over parts as evenly as whole numbers allow: the first total % parts
 * shares get one more, so the shares sum to exactly total. */
unsigned pb_share(unsigned total, unsigned parts, unsigned i);

/* Creates the harness threads' loops (run->n_th of them); then peers can be added. */
int pb_threads_init(struct pb_run *run);
int pb_threads_start(struct pb_run *run);
void pb_threads_stop(struct pb_run *run);
/* Queues a command for one thread (or every thread when th is NULL). */
void pb_send_cmd(struct pb_run *run, struct pb_thread *th, struct pb_cmd c);
/* Waits until every thread acknowledged a command that acks; false on timeout. */
bool pb_wait_acks(struct pb_run *run, double timeout_s);
void pb_peer_queue(struct pb_peer *peer, const uint8_t *p, size_t len, uint8_t *owned);
/* Appends b's bytes to the peer's queue, handing b's memory over. */
void pb_peer_queue_buf(struct pb_peer *peer, struct pb_buf *b);
void pb_thread_add_peer(struct pb_thread *th, struct pb_peer *peer);
/* The replay server's side of a connection it has just accepted. */
void pb_peer_accepted(struct pb_peer *peer, int fd);
/* Logs a problem, only the first few times over the whole run. */
void pb_log_limited(struct pb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- pb_run.c: hooks the sessions call ---- */

void pb_on_established(struct pb_peer *peer);
void pb_on_update(struct pb_peer *peer, const struct msg_update *u, uint64_t now);
void pb_on_refresh(struct pb_peer *peer);
void pb_on_down(struct pb_peer *peer);
void pb_on_tick(struct pb_thread *th, uint64_t now);
/* Sends feeder peer's current table (as want[] says) and End-of-RIB. */
void pb_feed(struct pb_peer *peer);
/* Raises a feeder's epoch for its next churn batch. False once the epochs (PB_EPOCH_MAX - 1
 * batches) are used up: the feeder stops churning, and the first feeder to get there in a
 * run logs a warning. */
bool pb_churn_next_epoch(struct pb_run *run, struct pb_peer *peer);
/* flap's random numbers: any seed, 0 included, gives its own sequence (splitmix64). */
uint32_t pb_rand(uint64_t *state);

int pb_run_bench(struct pb_cfg *cfg);

/* ---- pb_replay.c ---- */

int pb_run_replay(struct pb_cfg *cfg);
int pb_replay_listen(struct pb_thread *th);
void pb_replay_stream(struct pb_peer *peer);

/* ---- pb_report.c ---- */

struct pb_proc {
	double cpu_s;    /* user + system of every process */
	uint64_t rss_kb; /* VmRSS, summed */
	uint64_t hwm_kb; /* VmHWM, summed: the peak */
	unsigned n_procs;
};
/* Reads the processes and their descendants; false when none could be read. */
bool pb_proc_read(const pid_t *pids, unsigned n, struct pb_proc *out);
double pb_self_cpu_s(void);

#endif
