/* Latency histograms: exact below 16 us, then 16 buckets per power of two (about 6%
 * resolution), which is plenty for p50 / p99 / max of propagation latency. */
#include <string.h>

#include "bench/pb.h"

static unsigned pb_hist_index(uint64_t us)
{
	if (us < PB_HIST_SUB)
		return (unsigned)us;
	unsigned k = 63u - (unsigned)__builtin_clzll(us); /* us in [2^k, 2^(k+1)), k >= 4 */
	unsigned sub = (unsigned)(us >> (k - 4)) & (PB_HIST_SUB - 1);
	unsigned idx = (k - 3) * PB_HIST_SUB + sub;
	return idx < PB_HIST_EXP * PB_HIST_SUB ? idx : PB_HIST_EXP * PB_HIST_SUB - 1;
}

/* The smallest value that falls in bucket idx. */
static uint64_t pb_hist_floor(unsigned idx)
{
	if (idx < PB_HIST_SUB)
		return idx;
	unsigned k = idx / PB_HIST_SUB + 3, sub = idx % PB_HIST_SUB;
	return (uint64_t)(PB_HIST_SUB + sub) << (k - 4);
}

void pb_hist_add(struct pb_hist *h, uint64_t us)
{
	h->bucket[pb_hist_index(us)]++;
	h->count++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

void pb_hist_merge(struct pb_hist *into, const struct pb_hist *from)
{
	for (unsigned i = 0; i < PB_HIST_EXP * PB_HIST_SUB; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	into->sum_us += from->sum_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

/* Reports the middle of the bucket that holds the quantile, capped at the true maximum. */
uint64_t pb_hist_quantile(const struct pb_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
	for (unsigned i = 0; i < PB_HIST_EXP * PB_HIST_SUB; i++) {
		seen += h->bucket[i];
		if (seen < rank)
			continue;
		uint64_t lo = pb_hist_floor(i), hi = pb_hist_floor(i + 1);
		uint64_t mid = lo + (hi - lo) / 2;
		return mid < h->max_us ? mid : h->max_us;
	}
	return h->max_us;
}
