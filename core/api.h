/* The introspection API: read-only JSON over HTTP (libmicrohttpd), for prismctl, dashboards
 * and controllers. docs/api.md lists the endpoints.
 *
 * It runs on libmicrohttpd's own thread. What the workers own (neighbors and sessions) it
 * asks them for with a D_MSG_CALL each; the RIB it reads under RCU; counters it reads as
 * relaxed atomics. It never writes anything a worker owns. */
#ifndef PRISM_CORE_API_H
#define PRISM_CORE_API_H

#include "core/daemon.h"

struct api;

/* Starts serving on d->cfg->http; NULL with a logged reason when that fails. */
struct api *api_start(struct daemon *d);
/* Stops serving; call before the workers stop. */
void api_stop(struct api *a);

#endif
