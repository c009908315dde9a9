/* prism's one RCU flavour (liburcu memb), behind wrappers that tell ThreadSanitizer about
 * grace periods.
 *
 * Debian's liburcu is not built with TSan, so TSan cannot see that a call_rcu callback runs
 * only after every reader has left its read section, and reports each free as a race. Under
 * TSan, leaving a read section releases a token and every RCU free callback acquires it,
 * which is exactly the ordering a grace period guarantees. Elsewhere the wrappers are the
 * plain liburcu calls. Every read section in prism goes through these. */
#ifndef PRISM_CORE_RCU_H
#define PRISM_CORE_RCU_H

#include <urcu.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
extern char prism_rcu_tsan_token;
static inline void prism_rcu_tsan_release(void) { __tsan_release(&prism_rcu_tsan_token); }
static inline void prism_rcu_tsan_acquire(void) { __tsan_acquire(&prism_rcu_tsan_token); }
static inline void prism_rcu_publish(void *obj) { __tsan_release(obj); }
static inline void prism_rcu_subscribe(const void *obj) { __tsan_acquire((void *)obj); }
#else
static inline void prism_rcu_tsan_release(void) {}
static inline void prism_rcu_tsan_acquire(void) {}
static inline void prism_rcu_publish(void *obj) { (void)obj; }
static inline void prism_rcu_subscribe(const void *obj) { (void)obj; }
#endif

/* prism_rcu_publish(obj) goes just before a fully built object is linked into an RCU
 * structure (cds_lfht_add and friends), prism_rcu_subscribe(obj) just after a reader finds
 * it: liburcu's own barriers order the two, and these tell TSan so. */

static inline void prism_rcu_read_lock(void) { rcu_read_lock(); }

static inline void prism_rcu_read_unlock(void)
{
	prism_rcu_tsan_release();
	rcu_read_unlock();
}

/* Flags for every cds_lfht. Resizing runs on liburcu's own worker threads, whose hand-offs
 * TSan cannot see either; a TSan build uses fixed-size tables instead (big enough for the
 * tests), so that what TSan reports is ours. */
#if defined(__SANITIZE_THREAD__)
#define PRISM_LFHT_FLAGS     0
#define PRISM_LFHT_MIN(size) 65536
#else
#define PRISM_LFHT_FLAGS     CDS_LFHT_AUTO_RESIZE
#define PRISM_LFHT_MIN(size) (size)
#endif

/* call_rcu, for everything prism frees after a grace period: what this thread did to the
 * object before (a writer reads what it retires without a read section) happens before
 * the callback, which TSan cannot see through liburcu's queue either. */
static inline void prism_call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *))
{
	prism_rcu_tsan_release();
	call_rcu(head, fn);
}

/* First call in every call_rcu callback that frees memory readers may have seen. */
static inline void prism_rcu_free_begin(void) { prism_rcu_tsan_acquire(); }

#endif
