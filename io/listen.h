/* Listening sockets: every worker listens on every configured address with SO_REUSEPORT, so
 * the kernel spreads incoming connections over the workers. A connection from a source that
 * matches no peer and no range is refused at accept; one that matches is handed to the
 * worker that owns its neighbor. */
#ifndef PRISM_IO_LISTEN_H
#define PRISM_IO_LISTEN_H

#include "core/daemon.h"

/* Main thread, before the workers start: opens w's sockets. Returns -1 with errno and a
 * logged reason when an address cannot be bound. */
int listen_open(struct worker *w);
/* Worker thread: start and stop accepting. */
void listen_start(struct worker *w);
void listen_stop(struct worker *w);

#endif
