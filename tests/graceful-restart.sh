#!/usr/bin/env bash
# Graceful restart, receiving speaker (RFC 4724 4.2): prismd keeps the routes of a peer whose
# session is lost without a NOTIFICATION, if the peer said it keeps its forwarding state
# across a restart; they stay, stale, until the peer is back and sends End-of-RIB, or its
# restart time runs out. Other clients see nothing of a restart but the routes it dropped.
#
# prismd listens on 127.0.17.1; every speaker is ExaBGP, an iBGP route-reflector client:
#   gr   127.0.17.2  graceful-restart capability (ExaBGP sets the F bit for its families)
#   obs  127.0.17.3  announces nothing; records every route event it is sent
#                    (tests/gr/exa_events.py)
#   nogr 127.0.17.4  no graceful-restart capability
#
#   1. obs holds the routes of gr (A1 A2 A3) and of nogr (N1)
#   2. SIGKILL nogr: obs is sent N1's withdrawal (no restart capability: nothing is kept)
#   3. SIGKILL gr (restart time 30 s): for a few seconds obs is sent no withdrawal, the API
#      shows gr's IPv4 routes stale and still counts them, the RIB still has A1
#   4. gr comes back announcing A1 A2 only, then End-of-RIB: obs is sent A3's withdrawal and
#      nothing else is withdrawn; the API shows nothing stale
#   5. SIGKILL gr again, now with restart time 3 s, and leave it down: once the 3 s are up
#      obs is sent the withdrawals of A1 and A2, and the dynamic neighbor is gone
#   6. SIGTERM: prismd exits 0
#
# Usage: bash tests/graceful-restart.sh BUILD_DIR     (ctest passes the build folder).
#        KEEP_SCRATCH=1 keeps the scratch folder.
set -euo pipefail

BUILD=${1:?usage: graceful-restart.sh BUILD_DIR}
# shellcheck disable=SC2034 # IO_NAME and T are used by tests/interop/lib.sh
IO_NAME=graceful-restart
# shellcheck source=interop/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/interop/lib.sh"

PRISMD=$BUILD/prismd
[ -x "$PRISMD" ] || { echo "graceful-restart: FAIL: $PRISMD is not built"; exit 1; }
if ! command -v exabgp >/dev/null; then
	echo "graceful-restart: skipped: exabgp not installed"
	exit 0
fi
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$IO_ROOT/tests/tsan.supp}

# shellcheck disable=SC2034
T=$(mktemp -d "${TMPDIR:-/tmp}/prism-gr.XXXXXX")
trap 'io_cleanup $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RR=127.0.17.1
GR=127.0.17.2
OBS=127.0.17.3
NOGR=127.0.17.4
A1=10.71.1.0/24
A2=10.71.2.0/24
A3=10.71.3.0/24
N1=10.72.1.0/24
QUIET_S=${GR_QUIET_S:-4} # how long obs must see no withdrawal after gr's crash
EVENTS=$T/obs/events

PORT=
HTTP=
io_pick_port PORT
io_pick_port HTTP
mkdir -p "$T/rr"
cat >"$T/rr/prismd.yaml" <<EOF
# graceful-restart: prismd reflecting between ExaBGP clients on loopback
router-id: $RR
asn: 64512
listen: ["$RR:$PORT"]
http: $RR:$HTTP
threads: 2
hold-time: 9
peer-ranges:
  - name: clients
    prefix: 127.0.17.0/24
    asn: 64512
    rr-client: true
EOF
"$PRISMD" --check -c "$T/rr/prismd.yaml" >"$T/rr/check.log" 2>&1 ||
	{ cat "$T/rr/check.log"; io_die "prismd --check rejects $T/rr/prismd.yaml"; }
io_spawn rr prismd "$T/rr/prismd.log" env -C "$IO_ROOT" "$PRISMD" -c "$T/rr/prismd.yaml"
# shellcheck disable=SC2034,SC2154 # IO_ARG is lib.sh's (an associative array)
IO_ARG[rr]=$T/rr/prismd.log
io_wait 30 "prismd to listen on $RR:$PORT" io_listening_or_gone "${IO_PID[rr]}" "$RR" "$PORT" || true
io_listening "$RR" "$PORT" || io_die "prismd (PID ${IO_PID[rr]}) does not listen on $RR:$PORT"
io_say "prismd is PID ${IO_PID[rr]} on $RR:$PORT, API on $HTTP"

# exa NAME ADDR RESTART_TIME|- ROUTE...: ExaBGP at ADDR announcing ROUTEs; with a restart
# time, the graceful-restart capability. obs records what it is sent.
exa() {
	local name=$1 addr=$2 rt=$3 dir r
	shift 3
	dir=$T/$name
	mkdir -p "$dir"
	{
		echo "# graceful-restart: ExaBGP $name"
		if [ "$name" = obs ]; then
			echo "process events {"
			echo "  run $(command -v python3) $IO_ROOT/tests/gr/exa_events.py $EVENTS;"
			echo "  encoder json;"
			echo "}"
		fi
		echo "neighbor $RR {"
		echo "  router-id $addr;"
		echo "  local-address $addr;"
		echo "  local-as 64512;"
		echo "  peer-as 64512;"
		echo "  connect $PORT;"
		echo "  hold-time 9;"
		echo "  family { ipv4 unicast; }"
		[ "$rt" = - ] || echo "  capability { graceful-restart $rt; }"
		[ "$name" != obs ] || echo "  api { processes [ events ]; receive { parsed; update; } }"
		echo "  static {"
		for r in "$@"; do
			echo "    route $r next-hop $addr;"
		done
		echo "  }"
		echo "}"
	} >"$dir/exabgp.conf"
	local envs=(exabgp_tcp_bind= exabgp_api_cli=false exabgp_daemon_drop=false
		exabgp_daemon_daemonize=false exabgp_log_destination=stdout)
	env "${envs[@]}" exabgp --validate "$dir/exabgp.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: exabgp --validate rejects $dir/exabgp.conf"; }
	io_spawn "$name" exabgp "$dir/exabgp.log.$((${#IO_PIDS[@]}))" env "${envs[@]}" exabgp "$dir/exabgp.conf"
	io_say "$name (ExaBGP) is PID ${IO_PID[$name]} at $addr, restart time $rt"
}

# crash NAME: SIGKILL, so that the kernel closes its connection with no NOTIFICATION.
crash() {
	local pid=${IO_PID[$1]} i
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		io_alive "$pid" || break
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
	io_alive "$pid" && io_die "$1 (PID $pid) survived SIGKILL"
	io_say "$1 (PID $pid) killed"
}

api() { curl -sf --max-time 5 "http://$RR:$HTTP$1"; }
# peer ADDR: the neighbor of that address in /api/peers, or nothing.
peer() { api /api/peers | jq -c --arg a "$1" '.[] | select(.address == $a)'; }
# seen EVENT: obs was sent EVENT ("A prefix", "W prefix").
seen() { grep -qxF "$1" "$EVENTS" 2>/dev/null; }
withdrawals() { grep -c '^W ' "$EVENTS" 2>/dev/null || true; }
state_of() { peer "$1" | jq -r '.state // "absent"'; }
established() { [ "$(state_of "$1")" = Established ]; }
# check PASS_TEXT FAIL_TEXT CMD...: one check, passed when CMD succeeds.
check() {
	local pass=$1 fail=$2
	shift 2
	if "$@"; then io_pass "$pass"; else io_fail "$fail"; fi
}
# peer_is ADDR FILTER: the neighbor is there and FILTER holds for it.
peer_is() {
	local p
	p=$(peer "$1")
	[ -n "$p" ] && jq -e "$2" <<<"$p" >/dev/null
}
stale_ipv4() { peer_is "$1" '.stale_families == ["ipv4"]'; }
not_stale() { peer_is "$1" 'has("stale_families") | not'; }
absent() { [ -z "$(peer "$1")" ]; }
in_rib() { api "/api/rib?prefix=$1" | jq -e '.paths | length > 0' >/dev/null; }
not_in_rib() { api "/api/rib?prefix=$1" | jq -e '.paths | length == 0' >/dev/null; }
both_withdrawn() { seen "W $A1" && seen "W $A2"; }

mkdir -p "$T/obs"
: >"$EVENTS"
exa obs "$OBS" -
exa gr "$GR" 30 "$A1" "$A2" "$A3"
exa nogr "$NOGR" - "$N1"

# 1. everything is up and reflected
for a in "$OBS" "$GR" "$NOGR"; do
	io_wait 30 "$a to be Established" established "$a" || io_die "$a: no session"
done
for r in "$A1" "$A2" "$A3" "$N1"; do
	io_wait 20 "obs to be sent $r" seen "A $r" || io_fail "obs: never sent $r"
done
[ "$IO_FAILS" -eq 0 ] && io_pass "obs: sent A1 A2 A3 N1"
check "gr: the API shows graceful restart negotiated" \
	"gr: the API does not show graceful restart ($(peer "$GR"))" \
	peer_is "$GR" '.graceful_restart == true'

# 2. no capability: the routes go at once
crash nogr
if io_wait 10 "obs to be sent N1's withdrawal" seen "W $N1"; then
	io_pass "nogr: a peer without graceful restart loses its routes when killed"
else
	io_fail "nogr: N1 was not withdrawn after the crash"
fi

# 3. the crash of a graceful-restart peer: nothing is withdrawn
w0=$(withdrawals)
crash gr
check "gr: the API shows its IPv4 routes stale while it is away" \
	"gr: not shown stale after the crash ($(peer "$GR"))" \
	io_wait 15 "gr's session to end" stale_ipv4 "$GR"
routes=$(peer "$GR" | jq -r '.routes // 0')
check "gr: the API still counts its 3 routes" "gr: the API counts $routes routes, not 3" \
	[ "$routes" = 3 ]
sleep "$QUIET_S"
w1=$(withdrawals)
check "obs: no withdrawal in the ${QUIET_S} s after gr's crash" \
	"obs: $((w1 - w0)) withdrawal(s) after gr's crash: $(tail -n 5 "$EVENTS" | tr '\n' ' ')" \
	[ "$w1" = "$w0" ]
check "rr: A1 is still in the RIB" "rr: A1 is gone from the RIB" in_rib "$A1"

# 4. back with A1 A2 only: End-of-RIB purges A3, nothing else
exa gr "$GR" 3 "$A1" "$A2"
io_wait 30 "gr to be Established again" established "$GR" || io_die "gr did not come back"
if io_wait 20 "obs to be sent A3's withdrawal" seen "W $A3"; then
	io_pass "obs: A3, which gr did not announce again, is withdrawn after its End-of-RIB"
else
	io_fail "obs: A3 was never withdrawn"
fi
check "gr: nothing stale once its End-of-RIB is in" \
	"gr: still stale after End-of-RIB ($(peer "$GR"))" \
	io_wait 10 "gr to have nothing stale" not_stale "$GR"
sleep 1
if seen "W $A1" || seen "W $A2"; then
	io_fail "obs: A1 or A2 was withdrawn although gr announced them again"
else
	io_pass "obs: A1 and A2 never withdrawn across the restart"
fi
check "rr: A3 is gone from the RIB" "rr: A3 is still in the RIB" not_in_rib "$A3"

# 5. down for good: the restart time (3 s) runs out
crash gr
t0=$(io_ms)
check "obs: A1 and A2 withdrawn after the crash" \
	"obs: A1 and A2 not withdrawn after the restart time" \
	io_wait 15 "obs to be sent A1's and A2's withdrawals" both_withdrawn
ms=$(($(io_ms) - t0))
io_say "A1 and A2 withdrawn ${ms} ms after the crash (restart time 3 s)"
check "obs: not withdrawn before the restart time was up" \
	"obs: withdrawn after $ms ms, before the 3 s restart time" [ "$ms" -ge 2500 ]
check "rr: the dynamic neighbor is released once the restart time is up" \
	"rr: the neighbor is still there ($(peer "$GR"))" \
	io_wait 10 "the dynamic neighbor to go" absent "$GR"
check "rr: the log says why the routes went" "rr: no log line for the restart time running out" \
	[ "$(io_prismd_count rr 'graceful restart: not back within its restart time')" = 1 ]

# 6. stop
io_prismd_stop rr "$(io_stop_limit "$BUILD")"
io_summary "graceful restart helper, ExaBGP $(exabgp --version 2>/dev/null | awk '/ExaBGP/ {print $3}')"
