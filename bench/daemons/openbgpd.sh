#!/usr/bin/env bash
# OpenBGPD (bgpd) as a route reflector for prism-bench (see docs/benchmarks.md, "Reflector
# comparison"). bgpd runs in the foreground (-d) with its control socket in DIR and
# `fib-update no`, so it never touches the kernel's routes. Its privilege-separated children
# chroot to /run/openbgpd, which systemd would create; this script creates it if missing.
#
#   openbgpd.sh start DIR PORT MAXPEERS   config, control socket and log go into DIR; prints
#                                         bgpd's PID once it listens on 127.0.0.1:PORT
#   openbgpd.sh stop DIR                  TERM by the PID in DIR/daemon.pid, bounded wait,
#                                         KILL (bgpd takes its children down with it)
#   openbgpd.sh version                   one line: the daemon's version
#   openbgpd.sh check                     exit 0 when OpenBGPD is installed
#
# The config: router ID and cluster ID 127.0.0.1, AS 64512, a neighbor template for
# 127.0.0.0/8 in a route-reflector group (OpenBGPD has no limit for template clones, so
# MAXPEERS is only recorded), IPv4 and IPv6 unicast, no graceful restart. With `fib-update
# no`, bgpd looks no next hop up in the kernel's table and counts every one as valid, so
# prism-bench's data-only next hops (198.18.0.0/15, fd00:198:18::/48) are reflected whatever
# routes the machine has. prism-bench should open sessions to it with --max-connecting 4: bgpd
# accepts bursts of connections slowly.
set -euo pipefail

NAME=openbgpd
BGPD=${BGPD:-bgpd}
BGPCTL=${BGPCTL:-bgpctl}
CHROOT=/run/openbgpd

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- OpenBGPD ----

write_config() {
	local dir=$1 port=$2 maxpeers=$3
	cat >"$dir/bgpd.conf" <<EOT
# prism-bench comparison: OpenBGPD route reflector for up to $maxpeers clients
AS 64512
router-id 127.0.0.1
listen on 127.0.0.1 port $port
socket "$dir/bgpd.sock"
fib-update no

group "clients" {
	remote-as 64512
	route-reflector 127.0.0.1
	neighbor 127.0.0.0/8 {
		passive
		announce IPv4 unicast
		announce IPv6 unicast
		announce refresh yes
		announce restart no
	}
}

allow from any
allow to any
EOT
	chmod 644 "$dir/bgpd.conf"
}

cmd_start() {
	start_args "$@"
	local dir port maxpeers pid
	dir=$(cd "$1" && pwd) port=$2 maxpeers=$3
	[ -d "$CHROOT" ] || mkdir -p "$CHROOT"
	write_config "$dir" "$port" "$maxpeers"
	"$BGPD" -n -f "$dir/bgpd.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log" >&2; die "bgpd -n rejects $dir/bgpd.conf"; }
	"$BGPD" -d -f "$dir/bgpd.conf" </dev/null >"$dir/stderr.log" 2>&1 &
	pid=$!
	started "$dir" "$pid" "$port" "$dir/stderr.log"
}

cmd_version() { "$BGPD" -V 2>&1 | head -n 1; }

cmd_check() { command -v "$BGPD" >/dev/null 2>&1; }

main "$@"
