#!/usr/bin/env bash
# BIRD 2 as a route reflector for prism-bench (see docs/benchmarks.md, "Reflector comparison").
#
#   bird.sh start DIR PORT MAXPEERS   config, pid file, control socket and log go into DIR;
#                                     prints the daemon's PID once it listens on
#                                     127.0.0.1:PORT
#   bird.sh stop DIR                  TERM by the PID in DIR/daemon.pid, bounded wait, KILL
#   bird.sh version                   one line: the daemon's version
#   bird.sh check                     exit 0 when BIRD is installed
#
# The config: router ID and cluster ID 127.0.0.1, AS 64512, dynamic iBGP route-reflector
# clients from 127.0.0.0/8 (BIRD has no peer limit, so MAXPEERS is only recorded), IPv4 and
# IPv6 unicast, no kernel protocol (nothing touches the FIB), no graceful restart.
set -euo pipefail

NAME=bird
BIRD=${BIRD:-bird}
BIRDC=${BIRDC:-birdc}

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- BIRD ----

write_config() {
	local dir=$1 port=$2 maxpeers=$3
	cat >"$dir/bird.conf" <<EOF
# prism-bench comparison: BIRD 2 route reflector for up to $maxpeers clients
router id 127.0.0.1;
log "$dir/bird.log" { info, remote, warning, error, auth, fatal, bug };

# Only the BGP protocol: no kernel protocol, so no route reaches the FIB. Without an IGP
# table the feeders' next hops stay unresolved, and BIRD reflects such routes unchanged.
template bgp rr_clients {
	local 127.0.0.1 port $port as 64512;
	strict bind on;
	passive on;
	rr client;
	rr cluster id 127.0.0.1;
	graceful restart off;
	ipv4 { import all; export all; };
	ipv6 { import all; export all; };
}

protocol bgp clients from rr_clients {
	neighbor range 127.0.0.0/8 as 64512;
}
EOF
}

cmd_start() {
	start_args "$@"
	local dir port maxpeers pid
	dir=$(cd "$1" && pwd) port=$2 maxpeers=$3
	write_config "$dir" "$port" "$maxpeers"
	"$BIRD" -p -c "$dir/bird.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log" >&2; die "bird -p rejects $dir/bird.conf"; }
	"$BIRD" -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" \
		</dev/null >"$dir/stderr.log" 2>&1 &
	pid=$!
	started "$dir" "$pid" "$port" "$dir/stderr.log"
}

cmd_version() { "$BIRD" --version 2>&1 | head -n 1; }

cmd_check() { command -v "$BIRD" >/dev/null 2>&1 && command -v "$BIRDC" >/dev/null 2>&1; }

main "$@"
