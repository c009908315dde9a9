#!/usr/bin/env bash
# Integration test: prism-bench against its own replay server (the null reflector), in three
# scenarios: calico (200 peers x 4 routes), restart (the same, then every session dropped and
# reopened) and fanout (2 feeders x 20,000 routes to 10 listeners). Each must converge and
# verify exactly. Then two small calico runs check the result's plumbing: `--json -` puts
# exactly one JSON document on stdout (the summary on stderr), and a --json file that cannot be
# written makes the exit status 3. Everything runs on 127.0.19.0/24 (server 127.0.19.1, peers
# from 127.0.19.2).
#
# Usage: bash tests/bench-replay.sh BUILD_DIR      (ctest passes the build folder)
set -euo pipefail

BUILD=${1:?usage: bench-replay.sh BUILD_DIR}
BENCH=$BUILD/bench/prism-bench

fail() {
	echo "bench-replay: FAIL: $*" >&2
	exit 1
}
[ -x "$BENCH" ] || fail "$BENCH is not built"

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-replay.XXXXXX")
SERVER=

# shellcheck source=lib/proc.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/proc.sh"

cleanup() {
	stop_pid "$SERVER"
	SERVER=
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ADDR=127.0.19.1
SRC=127.0.19.2

# serve NAME ARGS...: starts a replay server with these plan arguments; sets PORT.
serve() {
	local name=$1 i
	shift
	PORT=$(free_port)
	"$BENCH" --replay --listen "$ADDR:$PORT" --source "$SRC" "$@" </dev/null \
		>"$T/$name.server" 2>&1 &
	SERVER=$!
	for ((i = 0; i < 100; i++)); do
		pid_alive "$SERVER" || { cat "$T/$name.server" >&2; fail "$name: replay server exited"; }
		[ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || fail "$name: replay server does not listen on $PORT"
}

# harness NAME ARGS...: prism-bench against the server, stdout and stderr apart; sets RC.
harness() {
	local name=$1
	shift
	RC=0
	timeout --kill-after=10 200 "$BENCH" -t "$ADDR:$PORT" --source "$SRC" "$@" \
		--pid "$SERVER" --no-progress --timeout 60 --label replay \
		</dev/null >"$T/$name.out" 2>"$T/$name.err" || RC=$?
}

# run NAME SCENARIO ARGS...: a replay server and a harness with the same scenario arguments.
run() {
	local name=$1
	shift
	serve "$name" "$@"
	harness "$name" "$@" --json "$T/$name.json"
	stop_pid "$SERVER"
	SERVER=
	sed "s/^/  /" "$T/$name.out" "$T/$name.err"
	[ "$RC" -eq 0 ] || { cat "$T/$name.server" >&2; fail "$name: prism-bench exited $RC"; }
	python3 - "$T/$name.json" "$name" <<'PY' || fail "$name: the JSON result is not a verified success"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "ok" and r["verify"]["ok"] is True, (r["status"], r["verify"])
print("bench-replay: %s ok, %d routes exact in %.3f s" %
      (sys.argv[2], r["verify"]["routes_ok"], r["headline_s"]))
PY
}

run calico calico -n 200 -m 4
run restart restart -n 200 -m 4
run fanout fanout -n 12 -f 2 -m 20000 --attr-sets 16

# The result's plumbing, against one server (it serves runs one after another).
serve json calico -n 20 -m 2
harness json-stdout calico -n 20 -m 2 --json -
[ "$RC" -eq 0 ] || { cat "$T/json-stdout.err" >&2; fail "json-stdout: prism-bench exited $RC"; }
python3 - "$T/json-stdout.out" <<'PY' || fail "json-stdout: stdout is not exactly one JSON document"
import json, sys
text = open(sys.argv[1]).read()
assert text.endswith("}\n"), repr(text[-40:])
r = json.loads(text)
assert r["status"] == "ok" and r["verify"]["ok"] is True, (r["status"], r["verify"])
assert r["params"]["source"] == "127.0.19.2", r["params"]
PY
grep -q '^  result     ok$' "$T/json-stdout.err" || fail "json-stdout: no summary on stderr"
echo "bench-replay: --json - ok, one JSON document on stdout, the summary on stderr"
harness json-unwritable calico -n 20 -m 2 --json "$T/no-such-dir/result.json"
[ "$RC" -eq 3 ] || { cat "$T/json-unwritable.err" >&2; fail "json-unwritable: exit $RC, not 3"; }
grep -q 'cannot write the JSON result' "$T/json-unwritable.err" ||
	fail "json-unwritable: no message on stderr"
echo "bench-replay: an unwritable --json file exits 3"
stop_pid "$SERVER"
SERVER=
echo "bench-replay: ok"
