#!/usr/bin/env bash
# GoBGP (gobgpd) as a route reflector for prism-bench (see docs/benchmarks.md, "Reflector
# comparison"). The gRPC API listens on a Unix socket in DIR, so it takes no TCP port; pprof
# is off; zebra is not configured, so nothing touches the FIB.
#
#   gobgp.sh start DIR PORT MAXPEERS   config, pid file, API socket and log go into DIR;
#                                      prints gobgpd's PID once it listens on 127.0.0.1:PORT
#   gobgp.sh stop DIR                  TERM by the PID in DIR/daemon.pid, bounded wait, KILL
#   gobgp.sh version                   one line: the daemon's version
#   gobgp.sh check                     exit 0 when gobgpd is installed
#
# The config: router ID and cluster ID 127.0.0.1, AS 64512, dynamic iBGP route-reflector
# clients from 127.0.0.0/8 (a dynamic-neighbors range on a peer group; GoBGP has no peer
# limit, so MAXPEERS is only recorded), IPv4 and IPv6 unicast, no graceful restart.
# GoBGP 3.10 treats NEXT_HOPs in 127/8 as withdrawals; prism-bench's next hops are in
# 198.18.0.0/15, so that does not matter here.
set -euo pipefail

NAME=gobgp
GOBGPD=${GOBGPD:-gobgpd}

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- GoBGP ----

write_config() {
	local dir=$1 port=$2 maxpeers=$3
	cat >"$dir/gobgpd.toml" <<EOT
# prism-bench comparison: GoBGP route reflector for up to $maxpeers clients
[global.config]
  as = 64512
  router-id = "127.0.0.1"
  port = $port
  local-address-list = ["127.0.0.1"]

[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "clients"
    peer-as = 64512
  [peer-groups.route-reflector.config]
    route-reflector-client = true
    route-reflector-cluster-id = "127.0.0.1"
  [[peer-groups.afi-safis]]
    [peer-groups.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[peer-groups.afi-safis]]
    [peer-groups.afi-safis.config]
      afi-safi-name = "ipv6-unicast"

[[dynamic-neighbors]]
  [dynamic-neighbors.config]
    prefix = "127.0.0.0/8"
    peer-group = "clients"
EOT
}

cmd_start() {
	start_args "$@"
	local dir port maxpeers pid
	dir=$(cd "$1" && pwd) port=$2 maxpeers=$3
	write_config "$dir" "$port" "$maxpeers"
	"$GOBGPD" -f "$dir/gobgpd.toml" -t toml --dry-run >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log" >&2; die "gobgpd --dry-run rejects $dir/gobgpd.toml"; }
	"$GOBGPD" -f "$dir/gobgpd.toml" -t toml -p -l info --pprof-disable \
		--api-hosts "unix://$dir/api.sock" \
		</dev/null >"$dir/stderr.log" 2>&1 &
	pid=$!
	started "$dir" "$pid" "$port" "$dir/stderr.log"
}

cmd_version() { "$GOBGPD" --version 2>&1 | head -n 1; }

cmd_check() { command -v "$GOBGPD" >/dev/null 2>&1; }

main "$@"
