#!/usr/bin/env bash
# Route refresh (RFC 2918) and enhanced route refresh (RFC 7313) at the daemon level, on the
# wire: four raw BGP speakers (tests/refresh/speaker.py, one Python process) are iBGP
# route-reflector clients of one prismd on 127.0.18.0/24, hold time 30:
#   A  127.0.18.2  multiprotocol IPv4 unicast, route refresh, enhanced route refresh, AS4
#   B  127.0.18.3  the same
#   C  127.0.18.4  the same without enhanced route refresh
#   D  127.0.18.5  as A, and connects later
#
#   1. A, B and C reach Established; prismd offers both refresh capabilities
#   2. A announces 10.18.0.0/24 .. 10.18.19.0/24 (a community) and End-of-RIB: B and C are
#      sent exactly those, with ORIGINATOR_ID A and CLUSTER_LIST [cluster-id]
#   3. B sends ROUTE-REFRESH: it is sent BoRR, all 20 prefixes again, then EoRR
#   4. A sends BoRR, the first 10 prefixes again, EoRR: B and C are sent the withdrawals of
#      the other 10 and nothing else; /api/peers and /api/rib agree
#   5. C sends ROUTE-REFRESH: exactly the 10 prefixes again (none of the withdrawn half:
#      a refresh gets a table taken now), and never a BoRR or EoRR
#   6. D sends its first KEEPALIVE and a ROUTE-REFRESH in one segment: BoRR, exactly the 10
#      prefixes, EoRR, although the refresh came while its first table was being prepared
#   7. no session was reset; on SIGTERM every speaker is sent a Cease and prismd exits 0
#      (in the ASan build a leak makes that fail); prismd logged nothing at warn or error
#
# Usage: bash tests/refresh.sh BUILD_DIR      (ctest passes the build folder)
#        KEEP_SCRATCH=1 keeps the scratch folder (config and prismd's log).
set -euo pipefail

BUILD=${1:?usage: refresh.sh BUILD_DIR}
PRISMD=$BUILD/prismd
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SPEAKER=$HERE/refresh/speaker.py
# A TSan build needs the suppressions for liburcu's insides (docs/development.md).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$HERE/tsan.supp}
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
T=$(mktemp -d "${TMPDIR:-/tmp}/prism-refresh.XXXXXX")
PRISMD_PID=
SPEAKER_PID=

RR=127.0.18.1
A=127.0.18.2
B=127.0.18.3
C=127.0.18.4
D=127.0.18.5
CLUSTER_ID=10.255.18.1
STOP_S=10 # for prismd to exit after SIGTERM; a sanitizer build takes over a second

say() { printf 'refresh: %s\n' "$*"; }
FAILS=0
bad() {
	say "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}
fail() {
	say "FAIL: $*" >&2
	if [ -f "$T/prismd.log" ]; then
		say "the last lines of prismd's log:" >&2
		tail -n 30 "$T/prismd.log" >&2
	fi
	exit 1
}
[ -x "$PRISMD" ] || fail "$PRISMD is not built"
command -v python3 >/dev/null || fail "python3 is not installed"

# shellcheck source=lib/proc.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/proc.sh"

cleanup() {
	stop_pid "$SPEAKER_PID"
	stop_pid "$PRISMD_PID"
	if [ -n "${KEEP_SCRATCH:-}" ]; then
		say "scratch kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(free_port)
HTTP=$(free_port)
[ "$PORT" != "$HTTP" ] || HTTP=$(free_port)
cat >"$T/prismd.yaml" <<YAML
# tests/refresh.sh: prismd reflecting between raw speakers on loopback
router-id: $RR
asn: 64512
cluster-id: $CLUSTER_ID
listen: ["$RR:$PORT"]
http: $RR:$HTTP
threads: 2
hold-time: 30
log:
  level: debug # the group lines (which dump a refresh got) help when a check fails
peer-ranges:
  - name: clients
    prefix: 127.0.18.0/24
    asn: 64512
    rr-client: true
YAML
"$PRISMD" --check -c "$T/prismd.yaml" >"$T/check.log" 2>&1 || {
	cat "$T/check.log" >&2
	fail "prismd --check refused the test config"
}

"$PRISMD" -c "$T/prismd.yaml" >"$T/prismd.log" 2>&1 &
PRISMD_PID=$!
listening() {
	[ -n "$(ss -Hltn "src = $RR:$PORT" 2>/dev/null)" ] &&
		[ -n "$(ss -Hltn "src = $RR:$HTTP" 2>/dev/null)" ]
}
for ((i = 0; i < 100; i++)); do
	listening && break
	pid_alive "$PRISMD_PID" || fail "prismd exited at start"
	sleep 0.1
done
listening || fail "prismd did not listen on $RR:$PORT and $RR:$HTTP within 10 s"
say "prismd is PID $PRISMD_PID on $RR:$PORT, API on $RR:$HTTP"

# The speakers bound each of their waits (10 s to connect, 5 s for an answer); these 25 s
# are a backstop. Once they write the ready file, they wait for prismd to stop.
READY=$T/ready
python3 "$SPEAKER" --rr "$RR:$PORT" --api "$RR:$HTTP" --cluster-id "$CLUSTER_ID" \
	--ready "$READY" "$A" "$B" "$C" "$D" &
SPEAKER_PID=$!
for ((i = 0; i < 250; i++)); do
	[ -e "$READY" ] && break
	pid_alive "$SPEAKER_PID" || break
	sleep 0.1
done
if [ ! -e "$READY" ]; then
	pid_alive "$SPEAKER_PID" && fail "the speakers did not finish their checks within 25 s"
	rc=0
	wait "$SPEAKER_PID" || rc=$?
	SPEAKER_PID=
	fail "the speakers stopped (exit $rc) before their checks were done"
fi
pid_alive "$PRISMD_PID" || fail "prismd is gone"

kill -TERM "$PRISMD_PID"
for ((i = 0; i < STOP_S * 10; i++)); do
	pid_alive "$PRISMD_PID" || break
	sleep 0.1
done
pid_alive "$PRISMD_PID" && fail "prismd still running $STOP_S s after SIGTERM"
rc=0
wait "$PRISMD_PID" || rc=$?
PRISMD_PID=
[ "$rc" -eq 0 ] || fail "prismd exited $rc after SIGTERM"
say "PASS: prismd exited 0 on SIGTERM"

for ((i = 0; i < 100; i++)); do
	pid_alive "$SPEAKER_PID" || break
	sleep 0.1
done
rc=0
wait "$SPEAKER_PID" || rc=$?
SPEAKER_PID=
[ "$rc" -eq 0 ] || bad "the speakers' checks failed (exit $rc)"

# Nothing here should make prismd complain: no session reset, nothing malformed.
if grep -E '^[^ ]+ (error|warn) ' "$T/prismd.log" >"$T/complaints"; then
	cat "$T/complaints" >&2
	bad "prismd logged $(wc -l <"$T/complaints") line(s) at warn or error level"
else
	say "PASS: prismd logged nothing at warn or error level"
fi
[ "$FAILS" -eq 0 ] || fail "see the FAIL lines above"
say "PASS"
