#!/usr/bin/env bash
# Installs what prism needs, builds it, and runs its main job: prismd reflecting routes for a
# thousand Calico-style clients, driven and checked by prism-bench, all on loopback.
#
#   1. prismd starts on 127.0.0.1:1179 with the embedded defaults plus its HTTP API
#   2. prism-bench opens 1,000 sessions from 127.0.1.1 onwards; each client announces four
#      /26 blocks and must receive every other client's, exactly, with ORIGINATOR_ID and
#      CLUSTER_LIST, and prism-bench prints how long that took
#   3. prismctl shows prismd's view: status, update groups, a route, threads
#   4. prismd stops on SIGTERM, with a Cease to every peer
#
# Usage: tools/run-demo.sh [CLIENTS]   (default 1000)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CLIENTS=${1:-1000}

tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target prismd prism-bench prismctl

T=$(mktemp -d "${TMPDIR:-/tmp}/prism-demo.XXXXXX")
PRISMD_PID=

pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

stop_prismd() {
	local i
	[ -n "$PRISMD_PID" ] || return 0
	if pid_alive "$PRISMD_PID"; then
		kill -TERM "$PRISMD_PID" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pid_alive "$PRISMD_PID" || break
			sleep 0.1
		done
		pid_alive "$PRISMD_PID" && kill -KILL "$PRISMD_PID" 2>/dev/null
	fi
	wait "$PRISMD_PID" 2>/dev/null || true
	PRISMD_PID=
}
trap 'stop_prismd; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$(ss -Hltn 'sport = :1179' 2>/dev/null)" ]; then
	echo "run-demo: something already listens on port 1179; stop it first" >&2
	exit 1
fi

cat >"$T/prismd.yaml" <<'YAML'
# The embedded default (prismd without -c), plus the introspection API.
router-id: 127.0.0.1
asn: 64512
listen: ["127.0.0.1:1179"]
http: 127.0.0.1:8179
peer-ranges:
  - name: loopback
    prefix: 127.0.0.0/8
    asn: 64512
    rr-client: true
YAML

echo "run-demo: starting prismd (log: $T/prismd.log)"
build/prismd -c "$T/prismd.yaml" >"$T/prismd.log" 2>&1 &
PRISMD_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -n "$(ss -Hltn 'sport = :1179' 2>/dev/null)" ] && break
	pid_alive "$PRISMD_PID" || {
		cat "$T/prismd.log" >&2
		exit 1
	}
	sleep 0.1
done

echo "run-demo: prism-bench calico with $CLIENTS clients x 4 prefixes"
# The sessions stay up for a few seconds after the result, for prismctl to look at.
build/bench/prism-bench calico -n "$CLIENTS" --pid "$PRISMD_PID" --label prismd --hold 4 \
	--no-progress >"$T/bench.out" 2>&1 &
BENCH_PID=$!
for ((i = 0; i < 1800; i++)); do
	grep -q "^  result" "$T/bench.out" && break
	pid_alive "$BENCH_PID" || break
	sleep 0.1
done
cat "$T/bench.out"
if grep -q "^  result     ok" "$T/bench.out"; then
	echo
	build/prismctl status
	echo
	build/prismctl groups
	echo
	build/prismctl route 10.0.0.0/26
	echo
	build/prismctl threads | head -n 4
fi
rc=0
wait "$BENCH_PID" || rc=$?

stop_prismd
echo
echo "run-demo: prismd stopped; the end of its log:"
tail -n 2 "$T/prismd.log"
exit "$rc"
