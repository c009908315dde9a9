/* Decode errors and the names of BGP message types, error codes and subcodes, for logs and
 * for prism-decode. Names are short and lower case so they read well inside a log line. */
#include <stdint.h>

#include "core/bgp.h"
#include "core/msg.h"

void msg_err_set(struct msg_err *e, uint8_t code, uint8_t subcode, size_t offset,
                 const char *reason, const uint8_t *data, size_t data_len)
{
	/* Not a memset: data may point into e->data_buf, filled by the caller just before. */
	e->action = MSG_SESSION_RESET;
	e->code = code;
	e->subcode = subcode;
	e->attr_code = 0;
	e->offset = offset > UINT32_MAX ? UINT32_MAX : (uint32_t)offset;
	e->reason = reason;
	e->data = data_len ? data : NULL;
	/* A BGP message never exceeds 65535 octets, so neither can data taken from one. */
	e->data_len = data_len > UINT16_MAX ? UINT16_MAX : (uint16_t)data_len;
	if (!data)
		e->data_len = 0;
}

const char *msg_action_name(enum msg_action a)
{
	switch (a) {
	case MSG_OK:
		return "ok";
	case MSG_ATTR_DISCARD:
		return "attribute-discard";
	case MSG_TREAT_AS_WITHDRAW:
		return "treat-as-withdraw";
	case MSG_SESSION_RESET:
		return "session-reset";
	}
	return "unknown";
}

const char *bgp_msg_type_name(uint8_t type)
{
	switch (type) {
	case BGP_OPEN:
		return "OPEN";
	case BGP_UPDATE:
		return "UPDATE";
	case BGP_NOTIFICATION:
		return "NOTIFICATION";
	case BGP_KEEPALIVE:
		return "KEEPALIVE";
	case BGP_ROUTE_REFRESH:
		return "ROUTE-REFRESH";
	}
	return NULL;
}

const char *bgp_err_code_name(uint8_t code)
{
	switch (code) {
	case ERR_HEADER:
		return "message header error";
	case ERR_OPEN:
		return "OPEN message error";
	case ERR_UPDATE:
		return "UPDATE message error";
	case ERR_HOLD_TIMER:
		return "hold timer expired";
	case ERR_FSM:
		return "finite state machine error";
	case ERR_CEASE:
		return "cease";
	case ERR_ROUTE_REFRESH:
		return "ROUTE-REFRESH message error";
	}
	return NULL;
}

static const char *msg_err_header_name(uint8_t subcode)
{
	switch (subcode) {
	case ERR_HDR_NOT_SYNC:
		return "connection not synchronized";
	case ERR_HDR_BAD_LENGTH:
		return "bad message length";
	case ERR_HDR_BAD_TYPE:
		return "bad message type";
	}
	return NULL;
}

static const char *msg_err_open_name(uint8_t subcode)
{
	switch (subcode) {
	case ERR_OPEN_VERSION:
		return "unsupported version number";
	case ERR_OPEN_BAD_AS:
		return "bad peer AS";
	case ERR_OPEN_BAD_ID:
		return "bad BGP identifier";
	case ERR_OPEN_OPT_PARAM:
		return "unsupported optional parameter";
	case ERR_OPEN_AUTH:
		return "authentication failure";
	case ERR_OPEN_HOLD_TIME:
		return "unacceptable hold time";
	case ERR_OPEN_CAPABILITY:
		return "unsupported capability";
	case ERR_OPEN_ROLE:
		return "role mismatch";
	}
	return NULL;
}

static const char *msg_err_update_name(uint8_t subcode)
{
	switch (subcode) {
	case ERR_UPD_ATTR_LIST:
		return "malformed attribute list";
	case ERR_UPD_UNKNOWN_WELLKNOWN:
		return "unrecognized well-known attribute";
	case ERR_UPD_MISSING_WELLKNOWN:
		return "missing well-known attribute";
	case ERR_UPD_ATTR_FLAGS:
		return "attribute flags error";
	case ERR_UPD_ATTR_LENGTH:
		return "attribute length error";
	case ERR_UPD_ORIGIN:
		return "invalid ORIGIN attribute";
	case ERR_UPD_ROUTING_LOOP:
		return "AS routing loop";
	case ERR_UPD_NEXT_HOP:
		return "invalid NEXT_HOP attribute";
	case ERR_UPD_OPTIONAL_ATTR:
		return "optional attribute error";
	case ERR_UPD_NETWORK:
		return "invalid network field";
	case ERR_UPD_AS_PATH:
		return "malformed AS_PATH";
	}
	return NULL;
}

static const char *msg_err_fsm_name(uint8_t subcode)
{
	switch (subcode) {
	case ERR_FSM_OPENSENT:
		return "unexpected message in OpenSent";
	case ERR_FSM_OPENCONFIRM:
		return "unexpected message in OpenConfirm";
	case ERR_FSM_ESTABLISHED:
		return "unexpected message in Established";
	}
	return NULL;
}

static const char *msg_err_cease_name(uint8_t subcode)
{
	switch (subcode) {
	case ERR_CEASE_MAX_PREFIX:
		return "maximum number of prefixes reached";
	case ERR_CEASE_ADMIN_SHUTDOWN:
		return "administrative shutdown";
	case ERR_CEASE_PEER_DECONFIGURED:
		return "peer de-configured";
	case ERR_CEASE_ADMIN_RESET:
		return "administrative reset";
	case ERR_CEASE_CONN_REJECTED:
		return "connection rejected";
	case ERR_CEASE_CONFIG_CHANGE:
		return "other configuration change";
	case ERR_CEASE_COLLISION:
		return "connection collision resolution";
	case ERR_CEASE_OUT_OF_RESOURCES:
		return "out of resources";
	case ERR_CEASE_HARD_RESET:
		return "hard reset";
	case ERR_CEASE_BFD_DOWN:
		return "BFD down";
	}
	return NULL;
}

static const char *msg_err_rr_name(uint8_t subcode)
{
	return subcode == ERR_RR_BAD_LENGTH ? "invalid message length" : NULL;
}

/* NULL for a subcode this code does not define, like bgp_msg_type_name(), so a caller can
 * print the number instead. Subcode 0 means "unspecific" under every code (RFC 4271 6.2,
 * RFC 6608 for the FSM error). */
const char *bgp_err_subcode_name(uint8_t code, uint8_t subcode)
{
	if (subcode == 0 && bgp_err_code_name(code))
		return code == ERR_FSM ? "unspecified" : "unspecific";
	switch (code) {
	case ERR_HEADER:
		return msg_err_header_name(subcode);
	case ERR_OPEN:
		return msg_err_open_name(subcode);
	case ERR_UPDATE:
		return msg_err_update_name(subcode);
	case ERR_FSM:
		return msg_err_fsm_name(subcode);
	case ERR_CEASE:
		return msg_err_cease_name(subcode);
	case ERR_ROUTE_REFRESH:
		return msg_err_rr_name(subcode);
	}
	return NULL;
}
