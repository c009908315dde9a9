/* Accepting connections. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/peer.h"
#include "io/listen.h"

enum { LISTEN_BACKLOG = 4096, LISTEN_ACCEPTS_PER_WAKE = 64, LISTEN_REFUSED_LOGGED = 20 };

static int listen_socket(const struct cfg_addr *a)
{
	int one = 1;
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* "[::]" and "0.0.0.0" may both be configured: keep them apart. */
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void listen_accept_cb(struct ev_loop *loop, ev_io *io, int revents);

int listen_open(struct worker *w)
{
	const struct cfg *c = w->d->cfg;
	w->n_listen = c->n_listen;
	w->listen_fd = calloc(c->n_listen ? c->n_listen : 1, sizeof(*w->listen_fd));
	w->listen_w = calloc(c->n_listen ? c->n_listen : 1, sizeof(*w->listen_w));
	if (!w->listen_fd || !w->listen_w)
		return -1;
	for (unsigned i = 0; i < c->n_listen; i++) {
		char a[80];
		cfg_addr_format(&c->listen[i], a, sizeof(a));
		w->listen_fd[i] = listen_socket(&c->listen[i]);
		if (w->listen_fd[i] < 0) {
			int e = errno;
			log_error("cannot listen on %s: %s", a, strerror(e));
			for (unsigned k = 0; k < i; k++)
				close(w->listen_fd[k]);
			w->n_listen = 0;
			errno = e;
			return -1;
		}
		if (w->id == 0)
			log_info("listening on %s", a);
		ev_io_init(&w->listen_w[i], listen_accept_cb, w->listen_fd[i], EV_READ);
		w->listen_w[i].data = w;
	}
	return 0;
}

void listen_start(struct worker *w)
{
	for (unsigned i = 0; i < w->n_listen; i++)
		ev_io_start(w->loop, &w->listen_w[i]);
}

void listen_stop(struct worker *w)
{
	for (unsigned i = 0; i < w->n_listen; i++) {
		ev_io_stop(w->loop, &w->listen_w[i]);
		close(w->listen_fd[i]);
	}
	w->n_listen = 0;
}

static void listen_refuse(struct worker *w, int fd, const struct sockaddr_storage *peer)
{
	static unsigned logged;
	char a[64];
	close(fd);
	if (__atomic_add_fetch(&logged, 1, __ATOMIC_RELAXED) > LISTEN_REFUSED_LOGGED)
		return;
	nbr_format_addr(peer, a, sizeof(a));
	log_warn("connection from %s refused: no peer or range matches it%s", a,
	         logged == LISTEN_REFUSED_LOGGED ? " (further refusals not logged)" : "");
	(void)w;
}

static void listen_hand_over(struct worker *w, int fd, const struct sockaddr_storage *peer, int pi,
                             int ri)
{
	struct daemon *d = w->d;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	getsockname(fd, (struct sockaddr *)&local, &len);
	unsigned owner = nbr_owner_of(d, peer, pi);
	if (owner == w->id) {
		nbr_accepted(w, fd, peer, &local, pi, ri);
		return;
	}
	struct d_accept_msg *m = malloc(sizeof(*m));
	if (!m) {
		close(fd);
		return;
	}
	m->hdr.type = D_MSG_ACCEPT;
	m->fd = fd;
	m->peer = *peer;
	m->local = local;
	m->peer_index = pi;
	m->range_index = ri;
	worker_post(w, &d->workers[owner], &m->hdr);
}

static void listen_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop, (void)revents;
	struct worker *w = io->data;
	for (int i = 0; i < LISTEN_ACCEPTS_PER_WAKE; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(io->fd, (struct sockaddr *)&peer, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		int pi = -1, ri = -1;
		if (!cfg_match(w->d->cfg, (const struct sockaddr *)&peer, &pi, &ri)) {
			listen_refuse(w, fd, &peer);
			continue;
		}
		listen_hand_over(w, fd, &peer, pi, ri);
	}
}
