#include "core/rcu.h"

#if defined(__SANITIZE_THREAD__)
char prism_rcu_tsan_token;
#endif
