/* prism-bench: load-test a BGP route reflector with synthetic peers, and verify every route
 * it reflects. See docs/prism-bench.md; the command line is in pb_cli.c. */
#include <stdio.h>
#include <sys/resource.h>

#include "bench/pb_run.h"

/* Thousands of sessions need thousands of descriptors. */
static void pb_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int pb_usage_error(const char *why)
{
	if (why[0])
		fprintf(stderr, "prism-bench: %s\n", why);
	fputs("(prism-bench --help lists the options)\n", stderr);
	return PB_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct pb_cfg cfg;
	char why[512];
	int rc = pb_cli_parse(argc, argv, &cfg, why, sizeof(why));
	if (rc == 1) {
		fputs(pb_usage, stdout);
		return PB_EXIT_OK;
	}
	if (rc < 0 || pb_cli_check(&cfg, why, sizeof(why)) < 0)
		return pb_usage_error(why);
	pb_raise_nofile();
	return cfg.replay ? pb_run_replay(&cfg) : pb_run_bench(&cfg);
}
