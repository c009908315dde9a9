/* A run's measurements, its human summary and its JSON result. */
#ifndef PRISM_BENCH_PB_REPORT_H
#define PRISM_BENCH_PB_REPORT_H

#include <stdio.h>

#include "bench/pb_run.h"

enum { PB_MAX_PHASES = 8 };

struct pb_phase {
	const char *name;
	bool ok;
	double seconds;       /* the phase's measured time: to Established, to converged */
	double established_s; /* restart: until every session was back */
	double churn_s;       /* churn and flap: how long changes were sent */
	unsigned flaps;
	uint64_t routes;      /* routes every listener had to hold, summed */
	uint64_t rx_prefixes; /* prefixes received by all listeners in the phase */
	double wall_s;
	double harness_cpu_s;
	double reflector_cpu_s;
	/* at the start */
	uint64_t t_start;
	double harness_cpu0;
	uint64_t rx0;
	bool have_proc0;
	struct pb_proc proc0;
};

struct pb_result {
	struct pb_cfg cfg;
	struct pb_phase phases[PB_MAX_PHASES];
	unsigned n_phases;
	struct pb_verdict verdict;
	struct pb_hist latency;
	uint64_t notifications, session_failures;
	bool proc_ok;
	struct pb_proc proc_start, proc_end;
	double harness_cpu0, harness_cpu_s;
	bool failed;
	const char *status; /* "ok", "failed", "timeout" */
	const char *reason;
};

void pb_result_init(struct pb_result *r, const struct pb_cfg *cfg);
struct pb_phase *pb_result_phase(struct pb_result *r, const char *name);
/* Marks the run failed; the first reason is kept. */
void pb_result_fail(struct pb_result *r, const char *status, const char *reason);
void pb_result_print(const struct pb_result *r, FILE *out);
/* Writes the JSON result to path ('-': stdout) as one document ending in a newline. Returns
 * 0, or -1 with errno set where the system said why (0 otherwise). */
int pb_result_write_json(const struct pb_result *r, const char *path);

#endif
