#!/usr/bin/env bash
# Integration test: prism-bench against its own replay server (the null reflector), in three
# scenarios: calico (200 peers x 4 routes), restart (the same, then every session dropped and
# reopened) and fanout (2 feeders x 20,000 routes to 10 listeners). Each must converge and
# verify exactly.
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

pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Stops the replay server by its PID: TERM, up to 10 s, then KILL; then reaps it.
stop_server() {
	local i
	[ -n "$SERVER" ] || return 0
	if pid_alive "$SERVER"; then
		kill -TERM "$SERVER" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pid_alive "$SERVER" || break
			sleep 0.1
		done
		pid_alive "$SERVER" && kill -KILL "$SERVER" 2>/dev/null
	fi
	wait "$SERVER" 2>/dev/null || true
	SERVER=
}

cleanup() {
	stop_server
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port found"
}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# run NAME SCENARIO ARGS...: a replay server and a harness with the same scenario arguments.
run() {
	local name=$1 port i rc=0
	shift
	port=$(free_port)
	"$BENCH" --replay --listen "127.0.0.1:$port" "$@" </dev/null >"$T/$name.server" 2>&1 &
	SERVER=$!
	for ((i = 0; i < 100; i++)); do
		pid_alive "$SERVER" || { cat "$T/$name.server" >&2; fail "$name: replay server exited"; }
		[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || fail "$name: replay server does not listen on $port"
	timeout --kill-after=10 200 "$BENCH" -t "127.0.0.1:$port" "$@" --pid "$SERVER" \
		--no-progress --timeout 60 --label replay --json "$T/$name.json" \
		>"$T/$name.out" 2>&1 || rc=$?
	stop_server
	sed "s/^/  /" "$T/$name.out"
	[ "$rc" -eq 0 ] || { cat "$T/$name.server" >&2; fail "$name: prism-bench exited $rc"; }
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
echo "bench-replay: ok"
