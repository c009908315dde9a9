#!/usr/bin/env bash
# prismd as a route reflector for prism-bench (see docs/benchmarks.md, "Reflector
# comparison"). prismd stays in the foreground, logs to stderr and stops on SIGTERM.
#
#   prism.sh start DIR PORT MAXPEERS   config and log go into DIR; prints prismd's PID once
#                                      it listens on 127.0.0.1:PORT
#   prism.sh stop DIR                  TERM by the PID in DIR/daemon.pid, bounded wait, KILL
#   prism.sh version                   one line: the daemon's version
#   prism.sh check                     exit 0 when a prismd binary is there
#
# The binary: $PRISMD when set, else build/prismd, else build/core/prismd (relative to the
# repository). `check` fails while there is none, so the comparison leaves prism out.
#
# The config (docs/configuration.md): router ID and cluster ID 127.0.0.1, AS 64512, one peer
# range 127.0.0.0/8 of iBGP route-reflector clients with max-peers MAXPEERS, worker threads
# as many as there are CPUs. prismd never touches the kernel's routes. For thread-scaling
# runs (docs/tuning.md), PRISM_THREADS and PRISM_SHARDS set `threads` and `rib-shards`.
set -euo pipefail

NAME=prism
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The prismd binary, or nothing when there is none.
prismd_bin() {
	local b
	if [ -n "${PRISMD:-}" ]; then
		[ -x "$PRISMD" ] && printf '%s\n' "$PRISMD"
		return 0
	fi
	for b in "$ROOT/build/prismd" "$ROOT/build/core/prismd"; do
		if [ -f "$b" ] && [ -x "$b" ]; then
			printf '%s\n' "$b"
			return 0
		fi
	done
}

# ---- prismd ----

write_config() {
	local dir=$1 port=$2 maxpeers=$3
	cat >"$dir/prismd.yaml" <<EOT
# prism-bench comparison: prismd route reflector for up to $maxpeers clients
router-id: 127.0.0.1
asn: 64512
cluster-id: 127.0.0.1
listen: ["127.0.0.1:$port"]
threads: ${PRISM_THREADS:-auto}
${PRISM_SHARDS:+rib-shards: $PRISM_SHARDS}
peer-ranges:
  - name: bench
    prefix: 127.0.0.0/8
    asn: 64512
    rr-client: true
    max-peers: $maxpeers
EOT
}

cmd_start() {
	start_args "$@"
	local dir port maxpeers pid bin
	dir=$(cd "$1" && pwd) port=$2 maxpeers=$3
	bin=$(prismd_bin)
	[ -n "$bin" ] || die "no prismd binary (set PRISMD, or build build/prismd)"
	write_config "$dir" "$port" "$maxpeers"
	# Validate first where this prismd can (`--check`, in its usage text).
	if timeout 5 "$bin" --help 2>&1 </dev/null | grep -q -- --check; then
		timeout 30 "$bin" --check -c "$dir/prismd.yaml" </dev/null >"$dir/check.log" 2>&1 ||
			{ cat "$dir/check.log" >&2; die "prismd --check rejects $dir/prismd.yaml"; }
	fi
	"$bin" -c "$dir/prismd.yaml" </dev/null >"$dir/stderr.log" 2>&1 &
	pid=$!
	started "$dir" "$pid" "$port" "$dir/stderr.log"
}

cmd_version() {
	local bin v
	bin=$(prismd_bin)
	[ -n "$bin" ] || die "no prismd binary"
	# Bounded, in case a prismd that does not know --version starts serving instead.
	if ! v=$(timeout 5 "$bin" --version </dev/null 2>/dev/null) || [ -z "$v" ]; then
		v="prismd $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
	fi
	v=${v%%$'\n'*}
	printf '%s\n' "$v"
}

cmd_check() { [ -n "$(prismd_bin)" ]; }

main "$@"
