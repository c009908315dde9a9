#include "core/prefix.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/bgp.h"

int prefix_format(const struct prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	int family = p->afi == AFI_IPV6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(family, p->addr, addr, sizeof(addr)))
		return -1;
	int n = p->path_id ? snprintf(buf, size, "%s/%u#%u", addr, p->len, p->path_id)
	                   : snprintf(buf, size, "%s/%u", addr, p->len);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static bool prefix_host_bits_zero(const struct prefix *p)
{
	unsigned bits = p->afi == AFI_IPV6 ? 128 : 32;
	for (unsigned i = p->len; i < bits; i++)
		if (p->addr[i / 8] >> (7 - i % 8) & 1)
			return false;
	return true;
}

int prefix_parse(const char *s, struct prefix *p)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';

	memset(p, 0, sizeof(*p));
	p->afi = strchr(addr, ':') ? AFI_IPV6 : AFI_IPV4;
	if (inet_pton(p->afi == AFI_IPV6 ? AF_INET6 : AF_INET, addr, p->addr) != 1)
		return -1;
	char *end;
	long len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || end == slash + 1 || len < 0 || len > (p->afi == AFI_IPV6 ? 128 : 32))
		return -1;
	p->len = (uint8_t)len;
	return prefix_host_bits_zero(p) ? 0 : -1;
}
