#!/usr/bin/env bash
# Integration test: prism-bench against prismd. Every scenario must end with every listener
# holding exactly the right table, ORIGINATOR_ID and CLUSTER_LIST included:
#   calico   200 clients x 4 routes, all to all
#   fanout   2 feeders x 20,000 routes to 20 listeners, 8 attribute sets each
#   churn    withdrawals and re-announcements, then the exact table again
#   flap     churn while random peers drop and come back
#   stuck    fanout with one listener that stops reading: the rest converge, prismd lets it
#            go from its update group, and its memory stays bounded
#   stream   churn with every member caught up: the group's blocks stay a few, however
#            long its stream grows (the last dump must not pin the stream)
#   stop     SIGTERM while sessions are up: every peer gets a Cease, prismd exits 0 (and, in
#            the ASan build, without a leak)
#
# Usage: bash tests/prismd-bench.sh BUILD_DIR      (ctest passes the build folder)
set -euo pipefail

BUILD=${1:?usage: prismd-bench.sh BUILD_DIR}
PRISMD=$BUILD/prismd
BENCH=$BUILD/bench/prism-bench
# A TSan build needs the suppressions for liburcu's insides (docs/development.md).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tsan.supp}
T=$(mktemp -d "${TMPDIR:-/tmp}/prismd-bench.XXXXXX")
PRISMD_PID=
BENCH_PID=

say() { printf 'prismd-bench: %s\n' "$*"; }
fail() {
	say "FAIL: $*" >&2
	[ -f "$T/prismd.log" ] && tail -n 30 "$T/prismd.log" >&2
	exit 1
}
[ -x "$PRISMD" ] || fail "$PRISMD is not built"
[ -x "$BENCH" ] || fail "$BENCH is not built"

# shellcheck source=lib/proc.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/proc.sh"

cleanup() {
	stop_pid "$BENCH_PID"
	stop_pid "$PRISMD_PID"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(free_port)
HTTP=$(free_port)
cat >"$T/prismd.yaml" <<YAML
router-id: 127.0.0.1
asn: 64512
cluster-id: 10.255.0.1
listen: ["127.0.0.1:$PORT"]
http: 127.0.0.1:$HTTP
threads: 2
update-groups:
  slow-peer-bytes: 64KiB
peer-ranges:
  - name: bench
    prefix: 127.0.0.0/8
    asn: 64512
    rr-client: true
YAML
"$PRISMD" --check -c "$T/prismd.yaml" >/dev/null || fail "prismd --check refused the test config"

start_prismd() {
	local i
	"$PRISMD" -c "$T/prismd.yaml" >>"$T/prismd.log" 2>&1 &
	PRISMD_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ] && return 0
		pid_alive "$PRISMD_PID" || fail "prismd exited at start"
		sleep 0.1
	done
	fail "prismd did not listen on 127.0.0.1:$PORT"
}

# bench NAME ARGS...: one prism-bench run against prismd; its JSON must say verify ok.
bench() {
	local name=$1
	shift
	say "$name: prism-bench $*"
	if ! "$BENCH" -t "127.0.0.1:$PORT" --cluster-id 10.255.0.1 --pid "$PRISMD_PID" \
		--no-progress --timeout 120 --settle 0.2 --json "$T/$name.json" "$@" \
		>"$T/$name.out" 2>&1; then
		cat "$T/$name.out" >&2
		fail "$name did not converge on exact tables"
	fi
	python3 - "$T/$name.json" "$name" <<'PY' || fail "$name: the result does not verify"
import json, sys
r = json.load(open(sys.argv[1]))
v = r["verify"]
assert r["status"] == "ok", r["status"]
assert v["ok"] and v["routes_ok"] > 0, v
assert v["missing"] == v["extra"] == v["stale"] == v["wrong"] == v["unknown"] == 0, v
print("prismd-bench: %s: %d routes exact, converged in %.3f s" %
      (sys.argv[2], v["routes_ok"], r["phases"][-1]["seconds"]))
PY
}

start_prismd
bench calico calico -n 200 -m 4
bench fanout fanout -f 2 -n 22 -m 20000 --attr-sets 8
bench churn churn -n 50 -m 100 --churn-time 3 --churn-rate 2000
bench flap flap -n 50 -m 100 --churn-time 4 --flap-interval 0.5 --flap-down 0.5

# A listener that stops reading must not hold the others back, nor make prismd hoard its
# stream: it is detached from its group once it is 64 KiB behind.
bench stuck fanout -f 2 -n 6 -m 600000 --stuck 1
grep -q "behind its update group; detached" "$T/prismd.log" ||
	fail "stuck: prismd never detached the peer that stopped reading"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PRISMD_PID/status")
say "stuck: detached; prismd RSS ${rss} kB"
# generous: sanitizer builds multiply RSS several times over
[ "$rss" -lt 2097152 ] || fail "stuck: prismd grew to ${rss} kB"

# SIGTERM with sessions up: a Cease to every peer, then a clean exit.
up_before=$(grep -c "Established" "$T/prismd.log" || true)
"$BENCH" -t "127.0.0.1:$PORT" --cluster-id 10.255.0.1 churn -n 20 -m 1000 --churn-time 60 \
	--churn-rate 20000 --no-progress --settle 0.2 --timeout 120 >"$T/stop.out" 2>&1 &
BENCH_PID=$!
for ((i = 0; i < 300; i++)); do
	up=$(grep -c "Established" "$T/prismd.log" || true)
	[ $((up - up_before)) -ge 20 ] && break
	sleep 0.1
done
[ $((up - up_before)) -ge 20 ] || fail "stop: the sessions did not come up"
sleep 1

# stream: while that churn runs, every member keeps up; the blocks are what the cursors
# hold, not the whole stream since the last dump.
api() { curl -sf --max-time 5 "http://127.0.0.1:$HTTP$1"; }
stream0=$(api /api/groups | jq '[.[].stream_octets] | add')
for ((i = 0; i < 400; i++)); do # 40 s: under load the churn may start late
	stream=$(api /api/groups | jq '[.[].stream_octets] | add')
	[ $((stream - stream0)) -ge 2097152 ] && break
	sleep 0.1
done
blocks=$(api /api/memory | jq '.update_groups.block_bytes')
say "stream: $(((stream - stream0) >> 10)) KiB streamed during the churn; blocks hold $((blocks >> 10)) KiB"
[ $((stream - stream0)) -ge 1048576 ] || fail "stream: the churn streamed under 1 MiB"
[ "$blocks" -lt $(((stream - stream0) / 2)) ] ||
	fail "stream: $blocks octets of blocks for $((stream - stream0)) streamed: the stream is pinned"
kill -TERM "$PRISMD_PID"
rc=0
for ((i = 0; i < 300; i++)); do
	pid_alive "$PRISMD_PID" || break
	sleep 0.1
done
pid_alive "$PRISMD_PID" && fail "stop: prismd still running 30 s after SIGTERM"
wait "$PRISMD_PID" || rc=$?
PRISMD_PID=
[ "$rc" -eq 0 ] || fail "stop: prismd exited $rc after SIGTERM"
grep -q "stopped" "$T/prismd.log" || fail "stop: prismd did not log its stop"
for ((i = 0; i < 50; i++)); do
	grep -q "NOTIFICATION 6/2" "$T/stop.out" && break
	sleep 0.1
done
grep -q "NOTIFICATION 6/2" "$T/stop.out" || {
	cat "$T/stop.out" >&2
	fail "stop: the peers got no Cease (administrative shutdown)"
}
stop_pid "$BENCH_PID"
BENCH_PID=
say "stop: Cease sent, prismd exited 0"
say "PASS"
