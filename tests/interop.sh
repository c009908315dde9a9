#!/usr/bin/env bash
# Interop test: real BGP daemons from Debian's packages as iBGP route-reflector clients of
# prismd on loopback. prismd listens on 127.0.0.1:PORT (a free port); BIRD 2 (127.0.10.1),
# FRR bgpd (127.0.10.2), GoBGP (127.0.10.3) and OpenBGPD (127.0.10.4) connect to it from
# their own addresses, each with its own config, pid file, control socket and scratch folder.
#
#   1. every client's session comes up (prismd's log and the client's own CLI say Established)
#   2. BIRD and FRR announce IPv4 and IPv6 routes with MED, LOCAL_PREF, AS_PATH, communities,
#      large and extended communities (tests/interop/check.py, ROUTES)
#   3. every other client, through its own CLI, holds exactly those routes, with every
#      attribute unchanged, ORIGINATOR_ID the announcer's router ID, CLUSTER_LIST [127.0.0.1]
#   3b. BIRD, FRR and OpenBGPD send ROUTE-REFRESH; prismd answers with the routes again,
#      and every view stays exactly the same
#   4. both announcers withdraw; the routes disappear from every other client
#   5. BIRD announces again, then shuts its session down; prismd withdraws its routes from
#      every other client
#   6. SIGTERM: prismd exits 0 within a few seconds
#
# A client whose package is not installed is skipped ("skipped: NAME not installed"); the
# test itself is skipped when neither announcer (BIRD, FRR) is installed.
#
# Usage: bash tests/interop.sh BUILD_DIR     (ctest passes the build folder; prismd is
#        BUILD_DIR/prismd). KEEP_SCRATCH=1 keeps the scratch folder.
set -euo pipefail

BUILD=${1:?usage: interop.sh BUILD_DIR}
# shellcheck disable=SC2034 # IO_NAME and T are used by tests/interop/lib.sh
IO_NAME=interop
# shellcheck source=interop/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/interop/lib.sh"

PRISMD=$BUILD/prismd
[ -x "$PRISMD" ] || { echo "interop: FAIL: $PRISMD is not built"; exit 1; }
# A TSan build needs the suppressions for liburcu (docs/development.md, "Sanitizers").
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$IO_ROOT/tests/tsan.supp}

# shellcheck disable=SC2034
T=$(mktemp -d "${TMPDIR:-/tmp}/prism-interop.XXXXXX")
trap 'io_cleanup $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RR=127.0.0.1
CLUSTER=127.0.0.1
# name kind address announces
CLIENTS=(
	"bird bird 127.0.10.1 bird"
	"frr frr 127.0.10.2 frr"
	"gobgp gobgp 127.0.10.3 -"
	"openbgpd openbgpd 127.0.10.4 -"
)

# ---- who takes part
RUN=()
declare -A ADDR SET
for c in "${CLIENTS[@]}"; do
	read -r name kind addr set <<<"$c"
	if io_installed "$kind"; then
		RUN+=("$name")
		ADDR[$name]=$addr
		SET[$name]=$set
		IO_KIND[$name]=$kind
		io_say "$name: $(io_version "$kind")"
	else
		echo "skipped: $name not installed"
	fi
done
ANNOUNCERS=()
for n in "${RUN[@]}"; do
	[ "${SET[$n]}" = - ] || ANNOUNCERS+=("$n")
done
if [ "${#ANNOUNCERS[@]}" -eq 0 ] || [ "${#RUN[@]}" -lt 2 ]; then
	echo "skipped: interop needs BIRD or FRR and one more client"
	exit 0
fi

# ---- 1. prismd, then the clients
io_pick_port PORT
io_prismd_start prismd "$PRISMD" "$RR" "$CLUSTER" "$RR" "$PORT" 127.0.10.0/24
for n in "${RUN[@]}"; do
	io_client_start "${IO_KIND[$n]}" "$n" "${ADDR[$n]}" "${SET[$n]}" "$RR:$PORT"
done

# ---- 2. sessions
t=$(io_ms)
if io_wait 60 "${#RUN[@]} Established sessions in prismd's log" \
	io_prismd_established prismd "${#RUN[@]}"; then
	io_pass "prismd: ${#RUN[@]} sessions Established in $(($(io_ms) - t)) ms"
else
	io_fail "prismd: only these sessions are Established: $(io_prismd_up_peers prismd | tr '\n' ' ')"
	for n in "${RUN[@]}"; do
		io_say "$n says: $(io_sessions "$n" | tr '\n' ' ')"
	done
	io_die "sessions did not come up; not checking routes"
fi
for n in "${RUN[@]}"; do
	if io_wait 20 "$n's session" io_client_up "$n" "$RR"; then
		io_pass "$n: session to prismd Established (its own CLI)"
	else
		io_fail "$n: session to prismd is not Established: $(io_sessions "$n" | tr '\n' ' ')"
	fi
done
[ "$IO_FAILS" -eq 0 ] || io_die "sessions did not come up; not checking routes"

# ---- 3. routes, as each client sees them
# specs_for NAME FROM: the check.py specs of every route set NAME should hold, learned from
# FROM ("-": none).
specs_for() {
	local me=$1 from=$2 a
	for a in "${ANNOUNCERS[@]}"; do
		[ "$a" = "$me" ] || echo "${SET[$a]}:${ADDR[$a]}:$CLUSTER:$from"
	done
}
# check_routes WHAT FROM SECONDS: polls every other client until its view matches.
check_routes() {
	local n specs
	for n in "${RUN[@]}"; do
		mapfile -t specs < <(specs_for "$n" "$2")
		[ "${#specs[@]}" -eq 0 ] || io_check_routes "$n" "$1" "$3" "${specs[@]}" || true
	done
}
check_routes reflected "$RR" 20

# ---- 3b. ROUTE-REFRESH: each client that can asks for the routes again; prismd must send
# them (the client's UPDATE count grows) and nothing may change.
# updates NAME: the client's count of UPDATEs from prismd (0 when it cannot say).
updates() {
	local v
	v=$(io_updates_in "$1" "$RR" 2>/dev/null) || v=0
	[[ "$v" =~ ^[0-9]+$ ]] || v=0
	echo "$v"
}
# more_updates NAME BEFORE: true when the client counts more UPDATEs than BEFORE.
more_updates() { [ "$(updates "$1")" -gt "$2" ]; }
for n in "${RUN[@]}"; do
	before=$(updates "$n")
	rc=0
	io_refresh "$n" "$RR" || rc=$?
	if [ "$rc" -eq 2 ]; then
		io_say "$n: ROUTE-REFRESH: not checked (its CLI cannot send one)"
		continue
	elif [ "$rc" -ne 0 ]; then
		io_fail "$n: ROUTE-REFRESH: the CLI command failed"
		continue
	fi
	if io_wait 10 "$n to count more UPDATEs than $before" more_updates "$n" "$before"; then
		io_pass "$n: ROUTE-REFRESH answered (UPDATEs counted: $before, now $(updates "$n"))"
	else
		io_fail "$n: ROUTE-REFRESH: no UPDATE came in 10 s (still $before)"
	fi
	mapfile -t specs < <(specs_for "$n" "$RR")
	[ "${#specs[@]}" -eq 0 ] || io_check_routes "$n" "after refresh" 10 "${specs[@]}" || true
done

# ---- 4. withdrawals
for a in "${ANNOUNCERS[@]}"; do
	case "${IO_KIND[$a]}" in
	bird) birdc -s "${IO_ARG[$a]}" disable s4 >/dev/null &&
		birdc -s "${IO_ARG[$a]}" disable s6 >/dev/null ||
		io_fail "$a: birdc disable s4 s6" ;;
	frr) io_vtysh_lines "$a" < <(python3 "$IO_CHECK" frr-withdraw "${SET[$a]}") ||
		io_fail "$a: vtysh: no network ..." ;;
	esac
done
check_routes withdrawn - 20

# Every session must still be up: no reset along the way.
ups=$(io_prismd_up_peers prismd | wc -l)
downs=$(grep -c 'session down' "${IO_ARG[prismd]}" || true)
ests=$(grep -c ': Established (' "${IO_ARG[prismd]}" || true)
if [ "$ups" -eq "${#RUN[@]}" ] && [ "$downs" -eq 0 ] && [ "$ests" -eq "${#RUN[@]}" ]; then
	io_pass "prismd: no session went down ($ests sessions, each Established once)"
else
	io_fail "prismd: $ups up, $ests Established, $downs down: $(grep 'session down' "${IO_ARG[prismd]}" | head -n 5)"
fi

# ---- 5. a session goes down: BIRD announces again, then shuts its session (Cease); prismd
# must withdraw BIRD's routes from every other client.
if [ -n "${SET[bird]:-}" ] && [ "${SET[bird]}" != - ]; then
	birdc -s "${IO_ARG[bird]}" enable s4 >/dev/null || io_fail "bird: birdc enable s4"
	birdc -s "${IO_ARG[bird]}" enable s6 >/dev/null || io_fail "bird: birdc enable s6"
	for n in "${RUN[@]}"; do
		[ "$n" = bird ] || io_check_routes "$n" "announced again" 20 \
			"${SET[bird]}:${ADDR[bird]}:$CLUSTER:$RR" || true
	done
	birdc -s "${IO_ARG[bird]}" disable rr1 >/dev/null || io_fail "bird: birdc disable rr1"
	for n in "${RUN[@]}"; do
		[ "$n" = bird ] || io_check_routes "$n" "bird's session down" 20 \
			"${SET[bird]}:${ADDR[bird]}:$CLUSTER:-" || true
	done
	if io_wait 10 "prismd to log bird's session down" \
		grep -q "/${ADDR[bird]}: session down" "${IO_ARG[prismd]}"; then
		io_pass "prismd: bird's session down: $(grep -m1 "/${ADDR[bird]}: session down" \
			"${IO_ARG[prismd]}" | sed 's/^.*session down: //')"
	else
		io_fail "prismd: logged no session down for bird"
	fi
fi

# ---- 6. prismd's own shutdown
io_prismd_stop prismd "$(io_stop_limit "$BUILD")"

io_summary "${#RUN[@]} clients: ${RUN[*]}"
