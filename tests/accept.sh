#!/usr/bin/env bash
# Integration test: who prismd lets in, at accept (io/listen.c, nbr_accepted() in
# core/peer.c). prismd listens on 127.0.19.100 with a peer range 127.0.19.0/29 of at most
# 3 route-reflector clients and one static passive peer, 127.0.19.200. tests/accept/probe.py
# connects from one source address after another and sends an OPEN:
#   - three sources in the range get prismd's OPEN;
#   - a fourth is closed at once, with nothing sent, and prismd logs that the range is at
#     its max-peers;
#   - a source that matches no peer and no range is closed likewise, and logged;
#   - the static peer gets in;
#   - when one of the three leaves, the fourth gets in, and a fifth is refused again;
#   - from a second range, protocol errors get their RFC 4271 NOTIFICATION: version 3
#     (2/1), hold time 2 (2/6), a peer that goes silent after a 3 s hold time (4/0, after
#     3 s), a broken marker (1/1), message type 9 (1/3).
# Then SIGTERM: prismd exits 0 (in the ASan build, without a leak).
#
# Usage: bash tests/accept.sh BUILD_DIR      (ctest passes the build folder)
set -euo pipefail

BUILD=${1:?usage: accept.sh BUILD_DIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PRISMD=$BUILD/prismd
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$HERE/tsan.supp}
T=$(mktemp -d "${TMPDIR:-/tmp}/prism-accept.XXXXXX")
PRISMD_PID=

say() { printf 'accept: %s\n' "$*"; }
fail() {
	say "FAIL: $*" >&2
	[ -f "$T/prismd.log" ] && tail -n 30 "$T/prismd.log" >&2
	exit 1
}
[ -x "$PRISMD" ] || fail "$PRISMD is not built"

# shellcheck source=lib/proc.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/proc.sh"

trap 'stop_pid "$PRISMD_PID"; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(free_port)
cat >"$T/prismd.yaml" <<YAML
router-id: 127.0.19.100
asn: 64512
listen: ["127.0.19.100:$PORT"]
threads: 2
peers:
  - name: static1
    address: 127.0.19.200
    asn: 64512
    passive: true
peer-ranges:
  - name: small
    prefix: 127.0.19.0/29
    asn: 64512
    rr-client: true
    max-peers: 3
  - name: fsm
    prefix: 127.0.19.64/26
    asn: 64512
    rr-client: true
YAML
"$PRISMD" --check -c "$T/prismd.yaml" >/dev/null || fail "prismd --check refused the test config"
"$PRISMD" -c "$T/prismd.yaml" >"$T/prismd.log" 2>&1 &
PRISMD_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ] && break
	pid_alive "$PRISMD_PID" || fail "prismd exited at start"
	sleep 0.1
done
[ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ] || fail "prismd did not listen on 127.0.19.100:$PORT"

timeout 60 python3 "$HERE/accept/probe.py" 127.0.19.100 "$PORT" || fail "the connections did not go as they should"

# The refusals are logged, with the reason.
grep -q "connection from 127.0.19.5 refused: range 'small' is at its max-peers of 3" "$T/prismd.log" ||
	fail "no log line for the connection over max-peers"
grep -q "connection from 127.0.19.6 refused: range 'small' is at its max-peers of 3" "$T/prismd.log" ||
	fail "no log line for the second connection over max-peers"
grep -q "connection from 127.0.19.50 refused: no peer or range matches it" "$T/prismd.log" ||
	fail "no log line for the connection that matches nothing"
say "refusals logged: max-peers (127.0.19.5, 127.0.19.6), no match (127.0.19.50)"

kill -TERM "$PRISMD_PID"
rc=0
for ((i = 0; i < 300; i++)); do
	pid_alive "$PRISMD_PID" || break
	sleep 0.1
done
pid_alive "$PRISMD_PID" && fail "prismd still running 30 s after SIGTERM"
wait "$PRISMD_PID" || rc=$?
PRISMD_PID=
[ "$rc" -eq 0 ] || fail "prismd exited $rc after SIGTERM"
say "PASS"
