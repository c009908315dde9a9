/* IPv4 and IPv6 unicast prefixes as the codec hands them out: host bits always zero, so two
 * equal prefixes compare equal with prefix_equal(). */
#ifndef PRISM_CORE_PREFIX_H
#define PRISM_CORE_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct prefix {
	uint32_t path_id; /* ADD-PATH identifier; 0 when ADD-PATH is not in use */
	uint8_t afi;      /* AFI_IPV4 or AFI_IPV6 */
	uint8_t len;      /* prefix length in bits */
	uint8_t addr[16]; /* network byte order; IPv4 uses addr[0..3] */
};

struct prefix_list {
	struct prefix *v;
	uint32_t n;
};

static inline bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->afi == b->afi && a->len == b->len && a->path_id == b->path_id &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

/* Writes "10.0.0.0/24" or "2001:db8::/32" (plus "#id" when path_id is nonzero) into buf. */
int prefix_format(const struct prefix *p, char *buf, size_t size);

/* Parses "10.0.0.0/24" or "2001:db8::/32"; host bits must be zero. Returns 0 or -1. */
int prefix_parse(const char *s, struct prefix *p);

#endif
