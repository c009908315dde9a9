/* Logging: one line per event, to stderr or a file, with a timestamp, the level and the
 * thread. Problems with one peer are logged against that peer, by name and address. */
#ifndef PRISM_CORE_LOG_H
#define PRISM_CORE_LOG_H

#include <stdio.h>

#include "core/config.h"

void log_open(enum cfg_log_level level, const char *file);
void log_close(void);
/* Names the calling thread in its log lines ("main", "w0", ...). */
void log_thread_name(const char *name);
enum cfg_log_level log_level(void);

void log_msg(enum cfg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(CFG_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(CFG_LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(CFG_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_level() >= CFG_LOG_DEBUG)            \
			log_msg(CFG_LOG_DEBUG, __VA_ARGS__); \
	} while (0)

/* A broken invariant: logs where and dies, so the core dump shows the state. */
#define log_die(...)                                                      \
	do {                                                              \
		log_msg(CFG_LOG_ERROR, "%s: invariant broken", __func__); \
		log_msg(CFG_LOG_ERROR, __VA_ARGS__);                      \
		abort();                                                  \
	} while (0)

#endif
