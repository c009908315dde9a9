#!/usr/bin/env bash
# Integration test: prism-bench against a real BIRD 2 route reflector. bench/daemons/bird.sh
# starts BIRD on a free loopback port; 50 synthetic peers send 100 routes each, and every
# listener must hold exactly every other peer's routes, with RFC 4456 attributes.
# Skips (exit 0, "skipped: ...") only when BIRD is not installed.
#
# Usage: bash tests/bench-bird.sh BUILD_DIR      (ctest passes the build folder)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: bench-bird.sh BUILD_DIR}
BENCH=$BUILD/bench/prism-bench
BIRD_SH=$ROOT/bench/daemons/bird.sh

fail() {
	echo "bench-bird: FAIL: $*" >&2
	exit 1
}

if ! "$BIRD_SH" check; then
	echo "skipped: bird (BIRD 2) is not installed"
	exit 0
fi
[ -x "$BENCH" ] || fail "$BENCH is not built"

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-bird.XXXXXX")
mkdir "$T/bird"
cleanup() {
	"$BIRD_SH" stop "$T/bird" || echo "bench-bird: could not stop BIRD" >&2
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing listens on (bounded tries).
port=
for ((i = 0; i < 50; i++)); do
	p=$((20000 + RANDOM % 40000))
	if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "no free port found"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
pid=$("$BIRD_SH" start "$T/bird" "$port" 100) || fail "BIRD did not start"
echo "bench-bird: BIRD ($("$BIRD_SH" version)) is PID $pid on 127.0.0.1:$port"

# BIRD listens with a backlog of 8: more handshakes in flight than that overflow its accept
# queue, and the overflowing sessions wait for SYN-ACK retransmission (a second or more).
rc=0
timeout --kill-after=10 200 "$BENCH" -t "127.0.0.1:$port" -n 50 -m 100 --pid "$pid" \
	--no-progress --timeout 60 --max-connecting 7 --label bird --json "$T/result.json" \
	>"$T/out.txt" 2>&1 || rc=$?
cat "$T/out.txt"
[ "$rc" -eq 0 ] || fail "prism-bench exited $rc"
python3 - "$T/result.json" <<'PY' || fail "the JSON result is not a verified success"
import json, sys
r = json.load(open(sys.argv[1]))
v = r["verify"]
assert r["status"] == "ok", r["status"]
assert v["ok"] is True, v
assert v["missing"] == v["extra"] == v["stale"] == v["wrong"] == 0, v
assert v["routes_ok"] == 50 * 49 * 100, v["routes_ok"]
print("bench-bird: verify ok, %d routes exact, converged in %.3f s" %
      (v["routes_ok"], r["converged_s"]))
PY
echo "bench-bird: ok"
