/* Logging. Lines are formatted into a local buffer and written with one call, so lines from
 * different threads never interleave. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static enum cfg_log_level log_cur = CFG_LOG_INFO;
static FILE *log_out;
static __thread char log_thread[16] = "main";

static const char *const log_names[] = { "error", "warn", "info", "debug" };

void log_open(enum cfg_log_level level, const char *file)
{
	__atomic_store_n(&log_cur, level, __ATOMIC_RELAXED);
	if (file) {
		FILE *f = fopen(file, "a");
		if (f) {
			setvbuf(f, NULL, _IOLBF, 0);
			log_out = f;
			return;
		}
		fprintf(stderr, "prismd: cannot open log file %s; logging to stderr\n", file);
	}
	log_out = NULL;
}

void log_close(void)
{
	if (log_out)
		fclose(log_out);
	log_out = NULL;
}

void log_thread_name(const char *name) { snprintf(log_thread, sizeof(log_thread), "%s", name); }

enum cfg_log_level log_level(void) { return __atomic_load_n(&log_cur, __ATOMIC_RELAXED); }

void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	if (level > log_level())
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s %-4s ",
	                      ts.tv_nsec / 1000000, log_names[level], log_thread);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = m < 0 ? n : n + (size_t)m >= sizeof(line) - 1 ? sizeof(line) - 2 : n + (size_t)m;
	line[n++] = '\n';
	FILE *out = log_out ? log_out : stderr;
	fwrite(line, 1, n, out);
	fflush(out);
}
