/* BGP-4 protocol numbers: message types, attribute and capability codes, NOTIFICATION codes.
 * Values come from RFC 4271 and the IANA BGP registries; nothing here has behaviour. */
#ifndef PRISM_CORE_BGP_H
#define PRISM_CORE_BGP_H

#include <stdint.h>

enum {
	BGP_HDR_LEN = 19,
	BGP_MARKER_LEN = 16,
	BGP_MAX_LEN = 4096,      /* RFC 4271 */
	BGP_EXT_MAX_LEN = 65535, /* RFC 8654 extended messages */
	BGP_VERSION = 4,
	BGP_AS_TRANS = 23456, /* RFC 6793 */
};

enum bgp_msg_type {
	BGP_OPEN = 1,
	BGP_UPDATE = 2,
	BGP_NOTIFICATION = 3,
	BGP_KEEPALIVE = 4,
	BGP_ROUTE_REFRESH = 5,
};

enum bgp_afi { AFI_IPV4 = 1, AFI_IPV6 = 2 };
enum bgp_safi { SAFI_UNICAST = 1 };

/* Path attribute type codes (IANA "BGP Path Attributes"). */
enum bgp_attr_code {
	ATTR_ORIGIN = 1,
	ATTR_AS_PATH = 2,
	ATTR_NEXT_HOP = 3,
	ATTR_MED = 4,
	ATTR_LOCAL_PREF = 5,
	ATTR_ATOMIC_AGGREGATE = 6,
	ATTR_AGGREGATOR = 7,
	ATTR_COMMUNITIES = 8,
	ATTR_ORIGINATOR_ID = 9,
	ATTR_CLUSTER_LIST = 10,
	ATTR_MP_REACH_NLRI = 14,
	ATTR_MP_UNREACH_NLRI = 15,
	ATTR_EXT_COMMUNITIES = 16,
	ATTR_AS4_PATH = 17,
	ATTR_AS4_AGGREGATOR = 18,
	ATTR_LARGE_COMMUNITIES = 32,
};

enum bgp_attr_flag {
	ATTR_FLAG_OPTIONAL = 0x80,
	ATTR_FLAG_TRANSITIVE = 0x40,
	ATTR_FLAG_PARTIAL = 0x20,
	ATTR_FLAG_EXTLEN = 0x10,
};

enum bgp_origin { ORIGIN_IGP = 0, ORIGIN_EGP = 1, ORIGIN_INCOMPLETE = 2 };

enum bgp_aspath_seg {
	ASPATH_SET = 1,
	ASPATH_SEQUENCE = 2,
	ASPATH_CONFED_SEQUENCE = 3, /* RFC 5065 */
	ASPATH_CONFED_SET = 4,
};

/* OPEN optional parameter types. */
enum bgp_open_param { OPEN_PARAM_AUTH = 1, OPEN_PARAM_CAPABILITIES = 2, OPEN_PARAM_EXTENDED = 255 };

/* Capability codes (IANA "Capability Codes"). */
enum bgp_cap_code {
	CAP_MP = 1,
	CAP_ROUTE_REFRESH = 2,
	CAP_EXT_MESSAGE = 6,
	CAP_GRACEFUL_RESTART = 64,
	CAP_AS4 = 65,
	CAP_ADD_PATH = 69,
	CAP_ENHANCED_RR = 70,
	CAP_LLGR = 71,
	CAP_FQDN = 73,
	CAP_ROUTE_REFRESH_OLD = 128, /* pre-standard Cisco code, still sent by some speakers */
};

/* ADD-PATH send/receive field (RFC 7911). */
enum bgp_addpath_mode { ADDPATH_RECV = 1, ADDPATH_SEND = 2, ADDPATH_BOTH = 3 };

/* ROUTE-REFRESH message subtypes (RFC 7313). */
enum bgp_rr_subtype { RR_NORMAL = 0, RR_BORR = 1, RR_EORR = 2 };

/* NOTIFICATION error codes and subcodes. */
enum bgp_err_code {
	ERR_HEADER = 1,
	ERR_OPEN = 2,
	ERR_UPDATE = 3,
	ERR_HOLD_TIMER = 4,
	ERR_FSM = 5,
	ERR_CEASE = 6,
	ERR_ROUTE_REFRESH = 7, /* RFC 7313 */
};

enum bgp_err_header {
	ERR_HDR_NOT_SYNC = 1,
	ERR_HDR_BAD_LENGTH = 2,
	ERR_HDR_BAD_TYPE = 3,
};

enum bgp_err_open {
	ERR_OPEN_VERSION = 1,
	ERR_OPEN_BAD_AS = 2,
	ERR_OPEN_BAD_ID = 3,
	ERR_OPEN_OPT_PARAM = 4,
	ERR_OPEN_AUTH = 5, /* deprecated by RFC 4271 */
	ERR_OPEN_HOLD_TIME = 6,
	ERR_OPEN_CAPABILITY = 7, /* RFC 5492 */
	ERR_OPEN_ROLE = 11,      /* RFC 9234 */
};

enum bgp_err_update {
	ERR_UPD_ATTR_LIST = 1,
	ERR_UPD_UNKNOWN_WELLKNOWN = 2,
	ERR_UPD_MISSING_WELLKNOWN = 3,
	ERR_UPD_ATTR_FLAGS = 4,
	ERR_UPD_ATTR_LENGTH = 5,
	ERR_UPD_ORIGIN = 6,
	ERR_UPD_ROUTING_LOOP = 7, /* deprecated */
	ERR_UPD_NEXT_HOP = 8,
	ERR_UPD_OPTIONAL_ATTR = 9,
	ERR_UPD_NETWORK = 10,
	ERR_UPD_AS_PATH = 11,
};

enum bgp_err_fsm { /* RFC 6608 */
	           ERR_FSM_UNSPECIFIED = 0,
	           ERR_FSM_OPENSENT = 1,
	           ERR_FSM_OPENCONFIRM = 2,
	           ERR_FSM_ESTABLISHED = 3,
};

enum bgp_err_cease { /* RFC 4486, RFC 8538, RFC 9384 */
	             ERR_CEASE_MAX_PREFIX = 1,
	             ERR_CEASE_ADMIN_SHUTDOWN = 2,
	             ERR_CEASE_PEER_DECONFIGURED = 3,
	             ERR_CEASE_ADMIN_RESET = 4,
	             ERR_CEASE_CONN_REJECTED = 5,
	             ERR_CEASE_CONFIG_CHANGE = 6,
	             ERR_CEASE_COLLISION = 7,
	             ERR_CEASE_OUT_OF_RESOURCES = 8,
	             ERR_CEASE_HARD_RESET = 9,
	             ERR_CEASE_BFD_DOWN = 10,
};

enum bgp_err_rr { ERR_RR_BAD_LENGTH = 1 };

#endif
