/* Readable JSON for attribute sets: the descriptor table's format hooks and attr_to_json().
 * Values reaching these hooks are canonical (validated by the decoder or built by prism). */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/attr.h"
#include "core/bgp.h"
#include "core/buf.h"

json_t *attr_json_origin(const uint8_t *val, uint16_t len);
json_t *attr_json_as_path(const uint8_t *val, uint16_t len);
json_t *attr_json_ipv4(const uint8_t *val, uint16_t len);
json_t *attr_json_u32(const uint8_t *val, uint16_t len);
json_t *attr_json_true(const uint8_t *val, uint16_t len);
json_t *attr_json_aggregator(const uint8_t *val, uint16_t len);
json_t *attr_json_communities(const uint8_t *val, uint16_t len);
json_t *attr_json_cluster_list(const uint8_t *val, uint16_t len);
json_t *attr_json_ext_communities(const uint8_t *val, uint16_t len);
json_t *attr_json_large_communities(const uint8_t *val, uint16_t len);

static json_t *attr_json_addr(int family, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];
	return json_string(inet_ntop(family, addr, buf, sizeof(buf)) ? buf : "?");
}

static json_t *attr_json_hex(const uint8_t *val, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(len * 2 + 1);
	if (!s)
		return json_null();
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[val[i] >> 4];
		s[2 * i + 1] = digits[val[i] & 15];
	}
	s[len * 2] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

json_t *attr_json_origin(const uint8_t *val, uint16_t len)
{
	static const char *const names[] = { "IGP", "EGP", "INCOMPLETE" };
	return len == 1 && val[0] <= 2 ? json_string(names[val[0]]) : json_null();
}

json_t *attr_json_as_path(const uint8_t *val, uint16_t len)
{
	static const char *const types[] = { "?", "AS_SET", "AS_SEQUENCE", "AS_CONFED_SEQUENCE",
		                             "AS_CONFED_SET" };
	json_t *segs = json_array();
	for (size_t off = 0; off + 2 <= len;) {
		uint8_t type = val[off], count = val[off + 1];
		json_t *asns = json_array();
		off += 2;
		for (unsigned i = 0; i < count && off + 4 <= len; i++, off += 4)
			json_array_append_new(asns, json_integer(get_u32(val + off)));
		json_array_append_new(segs, json_pack("{s:s,s:o}", "type",
		                                      type <= 4 ? types[type] : "?", "asns", asns));
	}
	return segs;
}

json_t *attr_json_ipv4(const uint8_t *val, uint16_t len)
{
	return len == 4 ? attr_json_addr(AF_INET, val) : json_null();
}

json_t *attr_json_u32(const uint8_t *val, uint16_t len)
{
	return len == 4 ? json_integer(get_u32(val)) : json_null();
}

json_t *attr_json_true(const uint8_t *val, uint16_t len)
{
	(void)val, (void)len;
	return json_true();
}

json_t *attr_json_aggregator(const uint8_t *val, uint16_t len)
{
	if (len != 8)
		return json_null();
	return json_pack("{s:I,s:o}", "asn", (json_int_t)get_u32(val), "address",
	                 attr_json_addr(AF_INET, val + 4));
}

json_t *attr_json_communities(const uint8_t *val, uint16_t len)
{
	json_t *a = json_array();
	char buf[16];
	for (size_t off = 0; off + 4 <= len; off += 4) {
		snprintf(buf, sizeof(buf), "%u:%u", get_u16(val + off), get_u16(val + off + 2));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

json_t *attr_json_cluster_list(const uint8_t *val, uint16_t len)
{
	json_t *a = json_array();
	for (size_t off = 0; off + 4 <= len; off += 4)
		json_array_append_new(a, attr_json_addr(AF_INET, val + off));
	return a;
}

/* RFC 4360 route target (subtype 2) and route origin (subtype 3) in their three forms get
 * names; every other extended community is shown as hex. */
static json_t *attr_json_one_ext(const uint8_t *c)
{
	uint8_t type = c[0] & 0x3f, sub = c[1];
	const char *kind = sub == 2 ? "rt" : sub == 3 ? "ro" : NULL;
	char buf[48];
	char addr[INET_ADDRSTRLEN];

	if (kind && type == 0x00) {
		snprintf(buf, sizeof(buf), "%s:%u:%u", kind, get_u16(c + 2), get_u32(c + 4));
	} else if (kind && type == 0x01) {
		inet_ntop(AF_INET, c + 2, addr, sizeof(addr));
		snprintf(buf, sizeof(buf), "%s:%s:%u", kind, addr, get_u16(c + 6));
	} else if (kind && type == 0x02) {
		snprintf(buf, sizeof(buf), "%s:%u:%u", kind, get_u32(c + 2), get_u16(c + 6));
	} else {
		return attr_json_hex(c, 8);
	}
	return json_string(buf);
}

json_t *attr_json_ext_communities(const uint8_t *val, uint16_t len)
{
	json_t *a = json_array();
	for (size_t off = 0; off + 8 <= len; off += 8)
		json_array_append_new(a, attr_json_one_ext(val + off));
	return a;
}

json_t *attr_json_large_communities(const uint8_t *val, uint16_t len)
{
	json_t *a = json_array();
	char buf[40];
	for (size_t off = 0; off + 12 <= len; off += 12) {
		snprintf(buf, sizeof(buf), "%u:%u:%u", get_u32(val + off), get_u32(val + off + 4),
		         get_u32(val + off + 8));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *attr_json_mp_nexthop(const struct attr *a)
{
	uint8_t len;
	const uint8_t *nh = attr_mp_nexthop(a, &len);
	json_t *list = json_array();
	if (len == 4)
		json_array_append_new(list, attr_json_addr(AF_INET, nh));
	for (unsigned off = 0; len >= 16 && off + 16 <= len; off += 16)
		json_array_append_new(list, attr_json_addr(AF_INET6, nh + off));
	return list;
}

json_t *attr_to_json(const struct attr *a)
{
	json_t *obj = json_object();
	char key[16];

	if (a->key[0])
		json_object_set_new(obj, "mp_next_hop", attr_json_mp_nexthop(a));
	struct attr_iter it = attr_iter_start(a);
	while (attr_iter_next(&it)) {
		const struct attr_desc *d = attr_desc_get(it.code);
		if (d && d->to_json) {
			json_object_set_new(obj, d->name, d->to_json(it.val, it.len));
			continue;
		}
		snprintf(key, sizeof(key), "attr_%u", it.code);
		json_object_set_new(obj, key,
		                    json_pack("{s:i,s:o}", "flags", it.flags, "hex",
		                              attr_json_hex(it.val, it.len)));
	}
	return obj;
}
