/* Decoder state shared by msg_update.c and the descriptor table's hooks in attr_desc.c. Not
 * for use outside core/. */
#ifndef PRISM_CORE_ATTR_PARSE_H
#define PRISM_CORE_ATTR_PARSE_H

#include "core/attr.h"
#include "core/msg.h"

enum {
	SCRATCH_PREFIXES = 65536,  /* each prefix takes at least one octet of a message */
	SCRATCH_STORE = 2 * 65536, /* rewritten values: widened AS_PATH, merged paths */
	SCRATCH_SET = 33 + 2 * 65536 + 1024,
};

struct msg_scratch {
	uint32_t pfx_used;
	size_t store_used;
	struct prefix pfx[SCRATCH_PREFIXES];
	uint8_t store[SCRATCH_STORE];
	struct attr_builder builder;
	_Alignas(struct attr) uint8_t set[sizeof(struct attr) + SCRATCH_SET];
};

struct attr_parse {
	const struct msg_ctx *ctx;
	struct msg_scratch *s;
	struct msg_update *u;
	const uint8_t *msg; /* the whole message, for error offsets */
	const uint8_t *tlv; /* the attribute being checked: its whole TLV */
	uint16_t tlv_len;
	/* What a hook wants stored for the attribute (default: the value as received); a NULL
	 * store_val keeps nothing. */
	const uint8_t *store_val;
	uint16_t store_len;
	/* AS4 attributes from a 2-octet peer, merged once every attribute is read */
	const uint8_t *as4_path;
	uint16_t as4_path_len;
	const uint8_t *as4_aggr;
};

/* Copies n bytes into the scratch store; NULL when it is full. */
uint8_t *attr_parse_store(struct attr_parse *ps, size_t n);

/* Decodes an NLRI block of family afi into the scratch prefixes. Returns 0, or -1 with
 * *bad_off at the offending octet. */
int nlri_decode(struct attr_parse *ps, const uint8_t *p, size_t len, uint8_t afi, bool addpath,
                struct prefix_list *out, size_t *bad_off);

#endif
