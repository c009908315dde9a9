#!/usr/bin/env bash
# Redundancy test: two prismd reflectors of one cluster (RFC 4456), and real BGP daemons as
# clients of both. rr1 is router ID 127.0.0.1 on 127.0.0.1:P1, rr2 router ID 127.0.0.2 on
# 127.0.0.2:P2; both have cluster-id 10.255.255.1 and are not peered with each other (RFC
# 4456 lets reflectors of one cluster skip that). Clients, from 127.0.11.0/24, peer with
# both: BIRD 2 (.1) and FRR bgpd (.2) announce routes, GoBGP (.3) only listens, and ExaBGP
# (.4) announces routes that already carry ORIGINATOR_ID and CLUSTER_LIST, as if another
# reflector had sent them (tests/interop/check.py, set "exa").
#
#   1. every client's sessions to both reflectors come up
#   2. every client with a CLI holds every other client's routes twice, once from each
#      reflector, with every attribute unchanged, ORIGINATOR_ID the announcer's and
#      CLUSTER_LIST [10.255.255.1]; no path twice, nothing else (no loop, no duplication).
#      Of ExaBGP's routes: the one whose CLUSTER_LIST already holds 10.255.255.1 is dropped
#      by both reflectors, the one whose ORIGINATOR_ID is rr1's router ID by rr1, and one
#      from another cluster is reflected with 10.255.255.1 prepended to its CLUSTER_LIST
#   3. SIGKILL rr1 (a crash): sampled all along, no client ever loses a route; each soon
#      holds exactly the paths from rr2, and still does some seconds later
#   4. rr1 starts again; every client's sessions come back and it holds both paths again
#   5. SIGTERM: both prismds exit 0 within a few seconds
#
# Needs at least one announcer (BIRD or FRR) and one more client with a CLI; a client whose
# package is not installed is skipped ("skipped: NAME not installed").
#
# Usage: bash tests/redundancy.sh BUILD_DIR     (ctest passes the build folder).
#        KEEP_SCRATCH=1 keeps the scratch folder.
set -euo pipefail

BUILD=${1:?usage: redundancy.sh BUILD_DIR}
# shellcheck disable=SC2034 # IO_NAME and T are used by tests/interop/lib.sh
IO_NAME=redundancy
# shellcheck source=interop/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/interop/lib.sh"

PRISMD=$BUILD/prismd
[ -x "$PRISMD" ] || { echo "redundancy: FAIL: $PRISMD is not built"; exit 1; }
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$IO_ROOT/tests/tsan.supp}

# shellcheck disable=SC2034
T=$(mktemp -d "${TMPDIR:-/tmp}/prism-redundancy.XXXXXX")
trap 'io_cleanup $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RR1=127.0.0.1
RR2=127.0.0.2
CLUSTER=10.255.255.1
HOLD_S=${REDUNDANCY_HOLD_S:-5} # how long routes must stay after rr1's crash
# name kind address announces
CLIENTS=(
	"bird bird 127.0.11.1 bird"
	"frr frr 127.0.11.2 frr"
	"gobgp gobgp 127.0.11.3 -"
	"exabgp exabgp 127.0.11.4 exa"
)

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
ANNOUNCERS=() # clients that announce routes
CHECKERS=()   # clients whose CLI we read
for n in "${RUN[@]}"; do
	[ "${SET[$n]}" = - ] || ANNOUNCERS+=("$n")
	[ "${IO_KIND[$n]}" = exabgp ] || CHECKERS+=("$n")
done
real=0
for n in "${ANNOUNCERS[@]}"; do
	[ "${IO_KIND[$n]}" = exabgp ] || real=$((real + 1))
done
if [ "$real" -eq 0 ] || [ "${#CHECKERS[@]}" -lt 2 ]; then
	echo "skipped: redundancy needs BIRD or FRR and one more client with a CLI"
	exit 0
fi

# specs_for NAME FROM: the check.py specs of what NAME should hold, learned from the
# reflectors in FROM (comma-separated).
specs_for() {
	local me=$1 from=$2 a
	for a in "${ANNOUNCERS[@]}"; do
		[ "$a" = "$me" ] || echo "${SET[$a]}:${ADDR[$a]}:$CLUSTER:$from"
	done
}
# check_all WHAT FROM SECONDS: every checker, polled until its view is exactly that.
check_all() {
	local n specs
	for n in "${CHECKERS[@]}"; do
		mapfile -t specs < <(specs_for "$n" "$2")
		io_check_routes "$n" "$1" "$3" "${specs[@]}" || true
	done
}
# wait_sessions PRISMD WHAT: every client Established with PRISMD (its log), and each
# client's CLI says so too.
wait_sessions() {
	local rr=$1 addr=$2 what=$3 t n
	t=$(io_ms)
	if io_wait 60 "${#RUN[@]} Established sessions in $rr's log" \
		io_prismd_established "$rr" "${#RUN[@]}"; then
		io_pass "$rr: $what: ${#RUN[@]} sessions Established in $(($(io_ms) - t)) ms"
	else
		io_fail "$rr: $what: only these sessions are Established: $(io_prismd_up_peers "$rr" | tr '\n' ' ')"
		for n in "${CHECKERS[@]}"; do
			io_say "$n says: $(io_sessions "$n" | tr '\n' ' ')"
		done
		return
	fi
	for n in "${CHECKERS[@]}"; do
		if io_wait 20 "$n's session to $addr" io_client_up "$n" "$addr"; then
			io_pass "$n: session to $rr ($addr) Established (its own CLI)"
		else
			io_fail "$n: session to $rr ($addr) is not Established: $(io_sessions "$n" | tr '\n' ' ')"
		fi
	done
}

# ---- 1. two reflectors, then the clients, each peering with both
io_pick_port P1
io_pick_port P2
io_prismd_start rr1 "$PRISMD" "$RR1" "$CLUSTER" "$RR1" "$P1" 127.0.11.0/24
io_prismd_start rr2 "$PRISMD" "$RR2" "$CLUSTER" "$RR2" "$P2" 127.0.11.0/24
for n in "${RUN[@]}"; do
	io_client_start "${IO_KIND[$n]}" "$n" "${ADDR[$n]}" "${SET[$n]}" "$RR1:$P1" "$RR2:$P2"
done
wait_sessions rr1 "$RR1" start
wait_sessions rr2 "$RR2" start
[ "$IO_FAILS" -eq 0 ] || io_die "sessions did not come up; not checking routes"

# ---- 2. both reflectors up: two paths for each route, no loops, no duplicates
check_all "both up" "$RR1,$RR2" 20
[ "$IO_FAILS" -eq 0 ] || io_die "routes are wrong with both reflectors up; not crashing one"

# ---- 3. rr1 crashes
RR1_PID=${IO_PID[rr1]}
t_kill=$(io_ms)
kill -KILL "$RR1_PID"
wait "$RR1_PID" 2>/dev/null || true
io_say "rr1 (PID $RR1_PID) killed with SIGKILL"
declare -A SWITCHED # checker -> ms after the kill when it held rr2's paths only
lost=0
samples=0
stable_since=
for ((round = 0; round < 400; round++)); do
	now=$(io_ms)
	all=1
	for n in "${CHECKERS[@]}"; do
		mapfile -t specs < <(specs_for "$n" "$RR2")
		if io_view "$n" "${specs[@]}"; then
			[ -n "${SWITCHED[$n]:-}" ] || SWITCHED[$n]=$(($(io_ms) - t_kill))
			continue
		fi
		all=0
		if [ -n "${SWITCHED[$n]:-}" ]; then
			# it held rr2's paths only, and now does not: something changed after the switch
			io_fail "$n: after the switch to rr2, at +$(($(io_ms) - t_kill)) ms:"
			printf '%s\n' "$IO_OUT" | head -n 20 | sed 's/^/    /'
			lost=$((lost + 1))
			unset "SWITCHED[$n]"
			continue
		fi
		# Still switching: every route must be there, correct, from rr1, rr2 or both.
		mapfile -t specs < <(specs_for "$n" "$RR1,$RR2")
		if ! io_view "$n" --subset "${specs[@]}"; then
			io_fail "$n: a route is missing or wrong at +$(($(io_ms) - t_kill)) ms after rr1's crash:"
			printf '%s\n' "$IO_OUT" | head -n 20 | sed 's/^/    /'
			cp "$T/$n/rib.txt" "$T/$n/rib-failed-crash-$round.txt"
			lost=$((lost + 1))
		fi
	done
	samples=$((samples + 1))
	if [ "$all" -eq 1 ]; then
		[ -n "$stable_since" ] || stable_since=$now
		(((now - stable_since) < HOLD_S * 1000)) || break
	else
		stable_since=
	fi
	((($(io_ms) - t_kill) < 30000)) || break
	[ "$lost" -lt 10 ] || break
	sleep 0.2
done
for n in "${CHECKERS[@]}"; do
	if [ -n "${SWITCHED[$n]:-}" ]; then
		io_pass "$n: rr1 crashed: held rr2's paths only from +${SWITCHED[$n]} ms"
	else
		io_fail "$n: rr1 crashed: never held exactly rr2's paths within 30 s"
	fi
done
if [ "$lost" -eq 0 ] && [ -n "$stable_since" ]; then
	io_pass "rr1: crashed: no client lost a route ($samples samples over $(($(io_ms) - t_kill)) ms; routes stayed ${HOLD_S} s after the last switch)"
else
	io_fail "rr1: crashed: $lost bad sample(s) of $samples"
fi
downs=$(grep -c 'session down' "${IO_ARG[rr2]}" || true)
if [ "$downs" -eq 0 ] && io_alive "${IO_PID[rr2]}"; then
	io_pass "rr2: unaffected by rr1's crash (no session went down)"
else
	io_fail "rr2: $downs session(s) went down: $(grep 'session down' "${IO_ARG[rr2]}" | head -n 5)"
fi

# ---- 4. rr1 comes back (same address, port and config)
io_prismd_start rr1-again "$PRISMD" "$RR1" "$CLUSTER" "$RR1" "$P1" 127.0.11.0/24
wait_sessions rr1-again "$RR1" restarted
check_all "rr1 back" "$RR1,$RR2" 20

# ---- 5. shutdown
io_prismd_stop rr1-again "$(io_stop_limit "$BUILD")"
io_prismd_stop rr2 "$(io_stop_limit "$BUILD")"

io_summary "${#RUN[@]} clients: ${RUN[*]}"
