#!/usr/bin/env bash
# The introspection API and prismctl: with prism-bench's peers up, every endpoint answers
# JSON that agrees with what the peers sent, prismctl prints it, and bad requests get 4xx.
#
# Usage: bash tests/api.sh BUILD_DIR      (ctest passes the build folder)
set -euo pipefail

BUILD=${1:?usage: api.sh BUILD_DIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/prism-api.XXXXXX")
PRISMD_PID=
BENCH_PID=

fail() {
	echo "api: FAIL: $*" >&2
	[ -f "$T/prismd.log" ] && tail -n 20 "$T/prismd.log" >&2
	exit 1
}

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
listen: ["127.0.0.1:$PORT"]
http: 127.0.0.1:$HTTP
threads: 2
peer-ranges:
  - name: bench
    prefix: 127.0.14.0/24
    asn: 64512
    rr-client: true
YAML
"$BUILD/prismd" -c "$T/prismd.yaml" >"$T/prismd.log" 2>&1 &
PRISMD_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -n "$(ss -Hltn "sport = :$HTTP" 2>/dev/null)" ] && break
	sleep 0.1
done

# 20 clients with 10 routes each, kept up by a long churn at a rate of zero.
"$BUILD/bench/prism-bench" -t "127.0.0.1:$PORT" --source 127.0.14.1 churn -n 20 -m 10 \
	--churn-rate 0 --churn-time 120 --no-progress --timeout 60 >"$T/bench.out" 2>&1 &
BENCH_PID=$!

CTL=("$BUILD/prismctl" -a "127.0.0.1:$HTTP")
for ((i = 0; i < 300; i++)); do
	n=$("${CTL[@]}" --json status 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["established"], d["prefixes"])' \
			2>/dev/null || true)
	[ "$n" = "20 200" ] && break
	sleep 0.1
done
[ "$n" = "20 200" ] || fail "status: want 20 sessions and 200 prefixes, got '$n'"

"${CTL[@]}" --json peers | python3 -c '
import json, sys
peers = json.load(sys.stdin)
assert len(peers) == 20, len(peers)
for p in peers:
    assert p["state"] == "Established" and p["kind"] == "rr-client", p
    assert p["routes"] == 10 and p["prefixes_in"] == 10, p
    assert p["name"].startswith("bench/127.0.14."), p
' || fail "peers: the JSON does not describe the 20 clients"
"${CTL[@]}" peers | grep -q "^20 peers$" || fail "peers: the table does not end with 20 peers"

# The first route of the first client: one path, from 127.0.14.1, with the RR attributes.
"${CTL[@]}" --json route 10.0.0.0/24 | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert len(r["paths"]) == 1, r
p = r["paths"][0]
assert p["best"] and p["peer_id"] == "127.0.14.1", p
a = p["attrs"]
assert a["originator_id"] == "127.0.14.1" and a["cluster_list"] == ["127.0.0.1"], a
assert a["next_hop"] == "198.18.0.1" and a["local_pref"] == 100, a
' || fail "route: 10.0.0.0/24 is not as the client sent it"
"${CTL[@]}" route 192.0.2.0/24 | grep -q "not in the RIB" || fail "route: an absent prefix"

"${CTL[@]}" --json threads | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert len(t["workers"]) == 2 and sum(w["established"] for w in t["workers"]) == 20, t
assert sum(s["prefixes"] for s in t["shards"]) == 200, t
' || fail "threads: workers or shards do not add up"
"${CTL[@]}" --json groups | python3 -c '
import json, sys
g = json.load(sys.stdin)
assert len(g) == 1 and g[0]["members"] == 20, g
' || fail "groups: want one group of 20"
"${CTL[@]}" memory | grep -q "interned sets" || fail "memory"

code() { python3 -c '
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
' "$1"; }
[ "$(code "http://127.0.0.1:$HTTP/api/nothing")" = 404 ] || fail "an unknown endpoint is not 404"
[ "$(code "http://127.0.0.1:$HTTP/api/rib?prefix=10.0.0.1/8")" = 400 ] ||
	fail "a prefix with host bits is not 400"
echo "api: PASS"
