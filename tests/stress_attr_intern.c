/* Interning under concurrency: THREADS threads intern the same sets, hold them, then churn
 * (intern and release random sets, so sets die and are reborn while others look them up).
 * A plain program rather than a Criterion test so that it also runs under ThreadSanitizer,
 * which Criterion's sandbox cannot start under. Exits non-zero on any broken invariant. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <urcu.h>

#include "core/attr.h"
#include "core/bgp.h"

enum { SET_BUF = 512, THREADS = 4, KEYS = 64, CHURN_ROUNDS = 20000 };

#define CHECK(cond, ...)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "stress_attr_intern: %s:%d: ", __func__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			exit(1);                                                            \
		}                                                                           \
	} while (0)

static struct attr_table *table;
static pthread_barrier_t phase;

struct worker {
	pthread_t tid;
	unsigned seed;
	const struct attr *held[KEYS];
};

static struct attr *make_set(void *buf, uint32_t community)
{
	static const uint8_t origin[] = { ORIGIN_IGP };
	static const uint8_t path[] = { ASPATH_SEQUENCE, 1, 0, 0, 0xfd, 0xe8 };
	static const uint8_t nh[] = { 198, 18, 0, 1 };
	uint8_t comm[4] = { (uint8_t)(community >> 24), (uint8_t)(community >> 16),
		            (uint8_t)(community >> 8), (uint8_t)community };
	struct attr_builder b = { 0 };

	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, origin, sizeof(origin));
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, path, sizeof(path));
	attr_builder_set(&b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, nh, sizeof(nh));
	attr_builder_set(&b, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_COMMUNITIES, comm,
	                 sizeof(comm));
	return attr_builder_finish(&b, buf, SET_BUF);
}

static void worker_churn(struct worker *w, uint8_t *buf)
{
	for (unsigned i = 0; i < CHURN_ROUNDS; i++) {
		uint32_t k = (uint32_t)rand_r(&w->seed) % KEYS + KEYS;
		const struct attr *a = attr_intern(table, make_set(buf, k));
		uint16_t len;
		const uint8_t *c = attr_get(a, ATTR_COMMUNITIES, &len);
		CHECK(c && len == 4 && get_u32(c) == k, "interned set %u has the wrong value", k);
		CHECK(__atomic_load_n(&a->refcnt, __ATOMIC_RELAXED) > 0, "dead set handed out");
		attr_unref(table, a);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	_Alignas(struct attr) uint8_t buf[SET_BUF];

	rcu_register_thread();
	for (uint32_t k = 0; k < KEYS; k++)
		w->held[k] = attr_intern(table, make_set(buf, k));
	pthread_barrier_wait(&phase); /* main compares pointers */
	pthread_barrier_wait(&phase);
	worker_churn(w, buf);
	for (uint32_t k = 0; k < KEYS; k++)
		attr_unref(table, w->held[k]);
	rcu_unregister_thread();
	return NULL;
}

int main(void)
{
	struct worker w[THREADS] = { 0 };

	rcu_register_thread();
	table = attr_table_new();
	CHECK(table, "attr_table_new failed");
	pthread_barrier_init(&phase, NULL, THREADS + 1);
	for (unsigned t = 0; t < THREADS; t++) {
		w[t].seed = t + 1;
		CHECK(pthread_create(&w[t].tid, NULL, worker_main, &w[t]) == 0, "pthread_create");
	}
	pthread_barrier_wait(&phase);
	for (unsigned k = 0; k < KEYS; k++)
		for (unsigned t = 1; t < THREADS; t++)
			CHECK(w[t].held[k] == w[0].held[k], "key %u: threads got different sets",
			      k);
	CHECK(attr_table_count(table) == KEYS, "%lu sets, want %d", attr_table_count(table), KEYS);
	for (unsigned k = 0; k < KEYS; k++)
		CHECK(w[0].held[k]->refcnt == THREADS, "key %u: refcount %u", k,
		      w[0].held[k]->refcnt);
	pthread_barrier_wait(&phase);
	for (unsigned t = 0; t < THREADS; t++)
		pthread_join(w[t].tid, NULL);
	pthread_barrier_destroy(&phase);
	CHECK(attr_table_count(table) == 0, "%lu sets left", attr_table_count(table));
	rcu_barrier();
	attr_table_free(table);
	rcu_unregister_thread();
	printf("stress_attr_intern: %d threads x %d rounds: ok\n", THREADS, CHURN_ROUNDS);
	return 0;
}
