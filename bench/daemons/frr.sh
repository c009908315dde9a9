#!/usr/bin/env bash
# FRR bgpd as a route reflector for prism-bench (see docs/benchmarks.md, "Reflector
# comparison"). bgpd runs alone: no zebra (-Z), no kernel routes (-n), no runas (-S), no vty
# TCP port (-P 0), BGP only on 127.0.0.1:PORT.
#
#   frr.sh start DIR PORT MAXPEERS   config, pid file, vty socket and log go into DIR;
#                                    prints bgpd's PID once it listens on 127.0.0.1:PORT
#   frr.sh stop DIR                  TERM by the PID in DIR/daemon.pid, bounded wait, KILL
#   frr.sh version                   one line: the daemon's version
#   frr.sh check                     exit 0 when FRR's bgpd is installed
#
# The config: router ID and cluster ID 127.0.0.1, AS 64512, dynamic iBGP route-reflector
# clients from 127.0.0.0/8 through `bgp listen range` (with `bgp listen limit` MAXPEERS),
# IPv4 and IPv6 unicast, no graceful restart. `bgp allow-martian-nexthop` keeps FRR from
# resetting sessions over next hops it calls martian (127/8 among them).
set -euo pipefail

NAME=frr
FRR_BGPD=${FRR_BGPD:-/usr/lib/frr/bgpd}
VTYSH=${VTYSH:-vtysh}

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- FRR ----

write_config() {
	local dir=$1 port=$2 maxpeers=$3 limit
	# bgp listen limit takes 1..65535
	limit=$((maxpeers > 65535 ? 65535 : maxpeers))
	cat >"$dir/frr.conf" <<EOT
! prism-bench comparison: FRR bgpd route reflector for up to $maxpeers clients, port $port
frr defaults traditional
hostname prism-bench-frr
log file $dir/frr.log informational
!
router bgp 64512
 bgp router-id 127.0.0.1
 bgp cluster-id 127.0.0.1
 no bgp default ipv4-unicast
 bgp allow-martian-nexthop
 bgp graceful-restart-disable
 bgp listen limit $limit
 neighbor clients peer-group
 neighbor clients remote-as internal
 bgp listen range 127.0.0.0/8 peer-group clients
 !
 address-family ipv4 unicast
  neighbor clients activate
  neighbor clients route-reflector-client
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor clients activate
  neighbor clients route-reflector-client
 exit-address-family
!
EOT
}

cmd_start() {
	start_args "$@"
	local dir port maxpeers pid
	dir=$(cd "$1" && pwd) port=$2 maxpeers=$3
	write_config "$dir" "$port" "$maxpeers"
	mkdir -p "$dir/vty"
	"$FRR_BGPD" -C -f "$dir/frr.conf" -n -Z -S -p "$port" -l 127.0.0.1 -P 0 \
		--vty_socket "$dir/vty" -i "$dir/check.pid" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log" >&2; die "bgpd -C rejects $dir/frr.conf"; }
	# A dry run that only warns still exits 0; FRR prints unknown commands this way.
	if grep -qiE 'unknown command|error|warning' "$dir/check.log"; then
		cat "$dir/check.log" >&2
		die "bgpd -C complains about $dir/frr.conf"
	fi
	"$FRR_BGPD" -f "$dir/frr.conf" -n -Z -S -p "$port" -l 127.0.0.1 -P 0 \
		--vty_socket "$dir/vty" -i "$dir/bgpd.pid" \
		</dev/null >"$dir/stderr.log" 2>&1 &
	pid=$!
	started "$dir" "$pid" "$port" "$dir/stderr.log"
}

cmd_version() { "$FRR_BGPD" --version 2>&1 | head -n 1; }

cmd_check() { [ -x "$FRR_BGPD" ] && command -v "$VTYSH" >/dev/null 2>&1; }

main "$@"
