/* The replay server: a null reflector. It keeps no RIB; at start it encodes, once, every
 * route of the scenario as a reflector would send it, and streams those bytes to every
 * client as fast as the kernel takes them. Run against it, a scenario measures what the
 * harness and loopback can carry: the limit any reflector is compared with.
 *
 * Streaming starts when any client sends its first route (the start of the measured
 * phase), and from then on at once for every client that comes up. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pb_run.h"
#include "core/bgp.h"

static struct pb_peer *pb_replay_slot(struct pb_thread *th)
{
	for (uint32_t i = 0; i < th->n_peers; i++) {
		struct pb_peer *p = th->peers[i];
		if (p->fd < 0 && p->state == PB_IDLE)
			return p;
	}
	struct pb_peer *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	pb_thread_add_peer(th, p);
	return p;
}

static void pb_replay_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	struct pb_thread *th = w->data;
	for (int i = 0; i < 64; i++) {
		int fd = accept4(th->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pb_log_limited(th->run, "replay: accept: %s", strerror(errno));
			return;
		}
		struct pb_peer *peer = pb_replay_slot(th);
		peer->idx = th->next_client++ * th->run->n_th + th->id;
		peer->feeder = -1;
		peer->fed = false;
		pb_peer_accepted(peer, fd);
	}
}

/* One listening socket per thread; SO_REUSEPORT spreads the connections over them. */
int pb_replay_listen(struct pb_thread *th)
{
	const struct pb_cfg *c = &th->run->cfg;
	int one = 1;
	int fd = socket(c->listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&c->listen, c->listen_len) < 0 ||
	    listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	th->listen_fd = fd;
	ev_io_init(&th->lio, pb_replay_accept_cb, fd, EV_READ);
	th->lio.data = th;
	ev_io_start(th->loop, &th->lio);
	return 0;
}

/* The stream was encoded for one session context; a client that negotiated another would
 * misread it. */
static bool pb_replay_ctx_ok(const struct pb_run *run, const struct pb_peer *peer)
{
	const struct msg_ctx *tx = &peer->sp.tx;
	return tx->as4 && tx->ext_msg == run->cfg.ext_msg && !tx->addpath[0] && !tx->addpath[1];
}

void pb_replay_stream(struct pb_peer *peer)
{
	struct pb_run *run = peer->th->run;
	if (peer->state != PB_ESTABLISHED)
		return;
	if (!pb_replay_ctx_ok(run, peer)) {
		pb_log_limited(run,
		               "replay: client %u negotiated a session the stream does not fit "
		               "(4-octet AS, ADD-PATH or extended messages differ)",
		               peer->idx);
		return;
	}
	peer->fed = true;
	pb_peer_queue(peer, run->stream.data, run->stream.len, NULL);
	pb_peer_queue(peer, run->stream_eor.data, run->stream_eor.len, NULL);
}

static int pb_replay_encode(struct pb_run *run)
{
	const struct pb_plan *p = &run->cfg.plan;
	struct msg_ctx ctx = { .as4 = true, .ext_msg = run->cfg.ext_msg };
	run->expect.want = malloc(sizeof(uint16_t) * p->n_routes);
	if (!run->expect.want)
		return -1;
	for (uint32_t r = 0; r < p->n_routes; r++)
		run->expect.want[r] = 1;
	for (uint32_t f = 0; f < pb_n_feeders(p); f++)
		run->stream_routes +=
		        pb_pack_feeder_table(p, &ctx, f, run->expect.want, true, &run->stream);
	pb_pack_eor(false, &run->stream_eor);
	pb_pack_eor(true, &run->stream_eor);
	return 0;
}

static void pb_replay_free(struct pb_run *run)
{
	pb_buf_free(&run->stream);
	pb_buf_free(&run->stream_eor);
	free(run->expect.want);
	free(run);
}

static int pb_replay_setup(struct pb_run *run)
{
	const struct pb_cfg *cfg = &run->cfg;
	run->offer = (struct sess_offer){
		.asn = cfg->plan.asn,
		.hold_time = cfg->hold_time,
		.af = { true, true },
		.ext_msg = cfg->ext_msg,
		.route_refresh = cfg->route_refresh,
	};
	run->n_th = cfg->threads;
	if (pb_replay_encode(run) < 0 || pb_threads_init(run) < 0) {
		fprintf(stderr, "prism-bench: replay: out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < run->n_th; i++) {
		if (pb_replay_listen(&run->th[i]) < 0) {
			fprintf(stderr, "prism-bench: replay: cannot listen: %s\n",
			        strerror(errno));
			return -1;
		}
	}
	return 0;
}

int pb_run_replay(struct pb_cfg *cfg)
{
	struct pb_run *run = calloc(1, sizeof(*run));
	sigset_t stop;
	int sig = 0;

	if (!run)
		return 1;
	run->cfg = *cfg;
	/* Signals go to the main thread only: block them before the threads start. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	if (pb_replay_setup(run) < 0 || pb_threads_start(run) < 0) {
		pb_replay_free(run);
		return 1;
	}
	fprintf(stderr, "prism-bench: replay: serving %u routes in %zu octets to every client\n",
	        run->stream_routes, run->stream.len);
	sigwait(&stop, &sig);
	uint64_t tx = 0;
	for (unsigned i = 0; i < run->n_th; i++)
		tx += PB_LOAD(run->th[i].tx_bytes);
	pb_threads_stop(run);
	fprintf(stderr, "prism-bench: replay: stopped by signal %d after sending %llu octets\n",
	        sig, (unsigned long long)tx);
	pb_replay_free(run);
	return 0;
}
