# shellcheck shell=bash
# Helpers shared by tests/interop.sh and tests/redundancy.sh: real BGP daemons from Debian's
# packages (BIRD 2, FRR bgpd, GoBGP, OpenBGPD) as iBGP route-reflector clients of prismd on
# loopback. Sourced, never run. The caller sets:
#
#   IO_NAME   a short test name for messages ("interop")
#   T         the scratch folder (mktemp -d); every daemon gets its own folder in it
#
# and calls io_cleanup from its EXIT trap. Every process started here is recorded by PID
# (IO_PIDS) and stopped by PID: TERM, a bounded wait, then KILL. Nothing is signalled by name.
# Every wait is bounded in tries and in seconds. Only 127/8 addresses are used, and no
# daemon touches the kernel's routing tables: BIRD has no kernel protocol, FRR's bgpd runs
# without zebra (-Z -n), GoBGP has no zebra section, OpenBGPD has `fib-update no`.

IO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IO_ROOT=$(cd "$IO_DIR/../.." && pwd)
IO_CHECK=$IO_DIR/check.py
FRR_BGPD=${FRR_BGPD:-/usr/lib/frr/bgpd}
IO_FAILS=0
IO_T0=$(date +%s%3N)
# Every wait is cut short once the test has run this long, so that even a run where every
# check fails ends well inside ctest's 300 s timeout.
IO_BUDGET_S=${IO_BUDGET_S:-200}
IO_PIDS=()        # every PID we started, in start order
IO_PORTS=()       # every port we picked, so two picks never collide
IO_LOGS=()        # logs to show on failure
declare -A IO_PID # daemon name -> PID
declare -A IO_KIND # daemon name -> bird | frr | gobgp | openbgpd | prismd
declare -A IO_ARG # daemon name -> its control handle (socket, vty dir, API port)

# Every CLI call is bounded: these shadow the programs, and timeout runs the real ones.
IO_CLI_S=${IO_CLI_S:-15}
birdc() { timeout -k 2 "$IO_CLI_S" birdc "$@"; }
vtysh() { timeout -k 2 "$IO_CLI_S" vtysh "$@"; }
gobgp() { timeout -k 2 "$IO_CLI_S" gobgp "$@"; }
bgpctl() { timeout -k 2 "$IO_CLI_S" bgpctl "$@"; }

io_say() { printf '%s: %s\n' "$IO_NAME" "$*"; }
# Checks are counted per subject (the word before the first colon: a client or a prismd).
declare -A IO_NPASS IO_NFAIL
IO_SUBJECTS=()
io_count() {
	local who=${2%%:*}
	[ -n "${IO_NPASS[$who]:-}${IO_NFAIL[$who]:-}" ] || IO_SUBJECTS+=("$who")
	if [ "$1" = pass ]; then
		IO_NPASS[$who]=$((${IO_NPASS[$who]:-0} + 1))
	else
		IO_NFAIL[$who]=$((${IO_NFAIL[$who]:-0} + 1))
	fi
}
io_pass() {
	printf '%s: PASS: %s\n' "$IO_NAME" "$*"
	io_count pass "$*"
}
io_fail() {
	printf '%s: FAIL: %s\n' "$IO_NAME" "$*"
	IO_FAILS=$((IO_FAILS + 1))
	io_count fail "$*"
}
# One line per subject, then the verdict; the exit status for the caller.
io_summary() {
	local who
	for who in "${IO_SUBJECTS[@]}"; do
		if [ "${IO_NFAIL[$who]:-0}" -eq 0 ]; then
			printf '%s: summary: %-10s PASS (%d check(s))\n' "$IO_NAME" "$who" "${IO_NPASS[$who]:-0}"
		else
			printf '%s: summary: %-10s FAIL (%d of %d check(s) failed)\n' "$IO_NAME" "$who" \
				"${IO_NFAIL[$who]}" "$((${IO_NFAIL[$who]} + ${IO_NPASS[$who]:-0}))"
		fi
	done
	if [ "$IO_FAILS" -eq 0 ]; then
		io_say "PASS ($*) in $(($(io_ms) - IO_T0)) ms"
		return 0
	fi
	io_say "FAIL: $IO_FAILS check(s) failed ($*) in $(($(io_ms) - IO_T0)) ms"
	return 1
}
# A failure that makes going on pointless: the EXIT trap shows the logs and stops everything.
io_die() {
	io_fail "$*"
	exit 1
}
io_ms() { date +%s%3N; }
# io_cap SECONDS: SECONDS, or what is left of the budget if that is less (at least 2 s).
io_cap() {
	local left=$(((IO_T0 + IO_BUDGET_S * 1000 - $(io_ms)) / 1000))
	((left >= 2)) || left=2
	echo $(($1 < left ? $1 : left))
}

# True while PID is a live process (a zombie counts as gone).
io_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# io_starttime PID: the process's start time in clock ticks (field 22 of /proc/PID/stat), so
# that a PID the kernel has given to another process since is never signalled.
io_starttime() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# io_stop PID [TENTHS]: TERM, wait up to TENTHS/10 s (default 10 s), then KILL and wait up to
# 5 s more. Children of PID that are still alive 3 s after it is gone get KILL as well
# (OpenBGPD forks a session engine and an RDE). Returns 0 when PID is gone.
io_stop() {
	local pid=$1 tenths=${2:-100} kids=() k i st
	io_alive "$pid" || return 0
	for k in $(cat /proc/"$pid"/task/*/children 2>/dev/null || true); do
		[[ "$k" =~ ^[0-9]+$ ]] && kids+=("$k:$(io_starttime "$k")")
	done
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < tenths; i++)); do
		io_alive "$pid" || break
		sleep 0.1
	done
	if io_alive "$pid"; then
		io_say "PID $pid ignored TERM for $((tenths / 10)) s; sending KILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			io_alive "$pid" || break
			sleep 0.1
		done
	fi
	for k in "${kids[@]}"; do
		for ((i = 0; i < 30; i++)); do
			io_alive "${k%%:*}" || break
			sleep 0.1
		done
		st=$(io_starttime "${k%%:*}")
		if io_alive "${k%%:*}" && [ -n "$st" ] && [ "$st" = "${k#*:}" ]; then
			io_say "child PID ${k%%:*} of $pid outlived it; sending KILL"
			kill -KILL "${k%%:*}" 2>/dev/null || true
		fi
	done
	wait "$pid" 2>/dev/null || true
	! io_alive "$pid"
}

# Stops every process we started, newest first. For the EXIT trap.
io_stop_all() {
	local i
	for ((i = ${#IO_PIDS[@]} - 1; i >= 0; i--)); do
		io_stop "${IO_PIDS[i]}" 50 || io_say "could not stop PID ${IO_PIDS[i]}"
	done
	IO_PIDS=()
}

# Shows the tail of every log we know of.
io_show_logs() {
	local f
	for f in "${IO_LOGS[@]}"; do
		[ -s "$f" ] || continue
		echo "----- ${f#"$T"/} (last 40 lines) -----"
		tail -n 40 "$f"
	done
}

io_cleanup() {
	local rc=$1
	trap - EXIT INT TERM
	io_stop_all
	if [ "$rc" -ne 0 ] || [ "$IO_FAILS" -ne 0 ]; then
		io_show_logs
	fi
	if [ -n "${KEEP_SCRATCH:-}" ]; then
		io_say "scratch kept in $T"
	else
		rm -rf "$T"
	fi
}

# io_pick_port VAR: a TCP port from 20000-40000 that nothing listens on and that we have not
# picked before (bounded tries).
io_pick_port() {
	local -n out=$1
	local p i used
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 20001))
		used=0
		for q in "${IO_PORTS[@]}"; do
			[ "$q" = "$p" ] && used=1
		done
		[ "$used" -eq 0 ] || continue
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			IO_PORTS+=("$p")
			out=$p
			return 0
		fi
	done
	io_die "no free TCP port found in 20000-40000"
}

# io_listening ADDR PORT: true when something listens on ADDR:PORT.
io_listening() {
	ss -Hltn "sport = :$2" 2>/dev/null | awk '{print $4}' | grep -qxF "$1:$2"
}

# io_listening_or_gone PID ADDR PORT: true once ADDR:PORT listens or PID is gone.
io_listening_or_gone() {
	! io_alive "$1" || io_listening "$2" "$3"
}

# io_spawn NAME KIND LOG CMD...: starts CMD in the background with stdin from /dev/null and
# stdout+stderr into LOG, and records its PID.
io_spawn() {
	local name=$1 kind=$2 log=$3
	shift 3
	"$@" </dev/null >"$log" 2>&1 &
	IO_PID[$name]=$!
	IO_KIND[$name]=$kind
	IO_PIDS+=("$!")
	IO_LOGS+=("$log")
}

# io_wait SECONDS WHAT CMD...: polls CMD every 0.2 s until it succeeds; false on timeout.
io_wait() {
	local limit what=$2 t0 i
	limit=$(io_cap "$1")
	shift 2
	t0=$SECONDS
	for ((i = 0; i < limit * 5 + 1; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		((SECONDS - t0 < limit)) || break
		sleep 0.2
	done
	io_say "timed out after ${limit} s waiting for $what"
	return 1
}

# ---------------------------------------------------------------- prismd

# io_prismd_start NAME PRISMD ROUTER_ID CLUSTER_ID LISTEN_ADDR PORT RANGE: writes
# $T/NAME/prismd.yaml and starts prismd in the foreground, logging to $T/NAME/prismd.log;
# waits until it listens. prismd runs from the repository root, so a relative TSan
# suppressions path in TSAN_OPTIONS (tests/tsan.supp) resolves.
io_prismd_start() {
	local name=$1 bin=$2 rid=$3 cid=$4 addr=$5 port=$6 range=$7 dir
	dir=$T/$name
	mkdir -p "$dir"
	cat >"$dir/prismd.yaml" <<EOF
# $IO_NAME: prismd as the route reflector of real BGP daemons on loopback
router-id: $rid
asn: 64512
cluster-id: $cid
listen: ["$addr:$port"]
threads: 2
hold-time: 9
connect-retry: 1
peer-ranges:
  - name: clients
    prefix: $range
    asn: 64512
    rr-client: true
EOF
	"$bin" --check -c "$dir/prismd.yaml" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: prismd --check rejects $dir/prismd.yaml"; }
	io_spawn "$name" prismd "$dir/prismd.log" \
		env -C "$IO_ROOT" "$bin" -c "$dir/prismd.yaml"
	IO_ARG[$name]=$dir/prismd.log
	io_wait 30 "$name to listen on $addr:$port" \
		io_listening_or_gone "${IO_PID[$name]}" "$addr" "$port" || true
	if ! io_alive "${IO_PID[$name]}"; then
		io_die "$name (PID ${IO_PID[$name]}) exited before it listened on $addr:$port"
	fi
	io_listening "$addr" "$port" ||
		io_die "$name (PID ${IO_PID[$name]}) does not listen on $addr:$port after 30 s"
	io_say "$name is PID ${IO_PID[$name]} on $addr:$port (router-id $rid, cluster-id $cid)"
}

# io_prismd_established NAME N: true when NAME's log shows at least N distinct peers whose
# latest session event is "Established".
io_prismd_established() {
	local n
	n=$(io_prismd_up_peers "$1" | wc -l)
	[ "$n" -ge "$2" ]
}

# io_prismd_up_peers NAME: the peers whose last logged event is Established, one a line.
io_prismd_up_peers() {
	# log lines: TIME LEVEL THREAD PEER: Established (...) | PEER: session down: WHY
	awk '
		/: Established \(/ { p = $0; sub(/: Established \(.*$/, "", p); sub(/^.* /, "", p)
			up[p] = 1; next }
		/: session down: / { p = $0; sub(/: session down: .*$/, "", p); sub(/^.* /, "", p)
			delete up[p] }
		END { for (p in up) print p }' "${IO_ARG[$1]}" 2>/dev/null
}

# io_stop_limit BUILD_DIR: how many seconds prismd gets to exit after SIGTERM: 5, or 10 in a
# sanitizer build (TSan alone takes over a second to stop an idle prismd here).
io_stop_limit() {
	if grep -qE '^PRISM_SANITIZE:STRING=.+' "$1/CMakeCache.txt" 2>/dev/null; then
		echo 10
	else
		echo 5
	fi
}

# io_prismd_stop NAME SECONDS: SIGTERM; prismd must exit 0 within SECONDS.
io_prismd_stop() {
	local name=$1 limit=$2 pid rc=0 t0 i
	pid=${IO_PID[$name]}
	if ! io_alive "$pid"; then
		io_fail "$name: prismd (PID $pid) was already gone before SIGTERM"
		return
	fi
	t0=$(io_ms)
	kill -TERM "$pid"
	for ((i = 0; i < limit * 10; i++)); do
		io_alive "$pid" || break
		sleep 0.1
	done
	if io_alive "$pid"; then
		io_fail "$name: prismd did not exit within $limit s of SIGTERM"
		io_stop "$pid" 1 || true
		return
	fi
	wait "$pid" || rc=$?
	if [ "$rc" -eq 0 ]; then
		io_pass "$name: SIGTERM: prismd exited 0 in $(($(io_ms) - t0)) ms"
	else
		io_fail "$name: SIGTERM: prismd exited $rc (see its log)"
	fi
}

# ---------------------------------------------------------------- clients
# Each io_<kind>_start NAME ADDR ANNOUNCE REFLECTOR... starts one client at source address
# ADDR (also its router ID), peering with every REFLECTOR (ADDR:PORT) as iBGP AS 64512 with
# hold time 9. ANNOUNCE is the route set it originates (a key of ROUTES in check.py, which
# writes the config for it and later verifies what the other clients hold), or "-".

io_bird_config() { # io_bird_config NAME ADDR ANNOUNCE PORT REFLECTOR...
	local name=$1 addr=$2 set=$3 port=$4 i=0 r
	shift 4
	echo "# $IO_NAME: BIRD 2 as an iBGP route-reflector client of prismd"
	echo "router id $addr;"
	echo "log \"$T/$name/bird.log\" all;"
	echo "protocol device { scan time 60; }"
	if [ "$set" != - ]; then
		python3 "$IO_CHECK" bird-config "$set"
	fi
	for r in "$@"; do
		i=$((i + 1))
		cat <<EOF
protocol bgp rr$i {
  local $addr port $port as 64512;
  neighbor ${r%:*} port ${r##*:} as 64512;
  strict bind on;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 1; error wait time 1, 4;
  graceful restart off;
  ipv4 { import all; export $([ "$set" != - ] && echo 'filter announce' || echo none); next hop address 198.18.0.1; };
  ipv6 { import all; export $([ "$set" != - ] && echo 'filter announce' || echo none); next hop address 2001:db8:ffff::1; };
}
EOF
	done
}

io_bird_start() {
	local name=$1 addr=$2 set=$3 dir port
	shift 3
	dir=$T/$name
	mkdir -p "$dir"
	# BIRD always listens too; strict bind keeps it on ADDR and a port of its own.
	io_pick_port port
	io_bird_config "$name" "$addr" "$set" "$port" "$@" >"$dir/bird.conf"
	bird -p -c "$dir/bird.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: bird -p rejects $dir/bird.conf"; }
	IO_LOGS+=("$dir/bird.log")
	io_spawn "$name" bird "$dir/stderr.log" \
		bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid"
	IO_ARG[$name]=$dir/bird.ctl
	io_wait 15 "$name's control socket" birdc -s "$dir/bird.ctl" show status ||
		io_die "$name: BIRD (PID ${IO_PID[$name]}) did not open its control socket"
}

io_frr_config() { # io_frr_config NAME ADDR ANNOUNCE REFLECTOR...
	local name=$1 addr=$2 set=$3 r
	shift 3
	cat <<EOF
! $IO_NAME: FRR bgpd as an iBGP route-reflector client of prismd
frr defaults traditional
hostname $IO_NAME-$name
log file $T/$name/frr.log informational
!
route-map OUT4 permit 10
 set ip next-hop 198.18.0.2
route-map OUT6 permit 10
 set ipv6 next-hop global 2001:db8:ffff::2
EOF
	if [ "$set" != - ]; then
		python3 "$IO_CHECK" frr-route-maps "$set"
	fi
	cat <<EOF
!
router bgp 64512
 bgp router-id $addr
 no bgp default ipv4-unicast
 no bgp network import-check
 no bgp ebgp-requires-policy
 bgp graceful-restart-disable
EOF
	for r in "$@"; do
		cat <<EOF
 neighbor ${r%:*} remote-as 64512
 neighbor ${r%:*} port ${r##*:}
 neighbor ${r%:*} update-source $addr
 neighbor ${r%:*} timers 3 9
 neighbor ${r%:*} timers connect 1
EOF
	done
	echo " address-family ipv4 unicast"
	[ "$set" = - ] || python3 "$IO_CHECK" frr-networks "$set" ipv4
	for r in "$@"; do
		echo "  neighbor ${r%:*} activate"
		echo "  neighbor ${r%:*} route-map OUT4 out"
	done
	echo " exit-address-family"
	echo " address-family ipv6 unicast"
	[ "$set" = - ] || python3 "$IO_CHECK" frr-networks "$set" ipv6
	for r in "$@"; do
		echo "  neighbor ${r%:*} activate"
		echo "  neighbor ${r%:*} route-map OUT6 out"
	done
	echo " exit-address-family"
	echo "!"
}

io_frr_start() {
	local name=$1 addr=$2 set=$3 dir
	shift 3
	dir=$T/$name
	mkdir -p "$dir/vty"
	io_frr_config "$name" "$addr" "$set" "$@" >"$dir/frr.conf"
	chmod 644 "$dir/frr.conf"
	# -p 0: bgpd listens nowhere; it only connects out, from ADDR (update-source).
	"$FRR_BGPD" -C -f "$dir/frr.conf" -n -Z -S -p 0 -l "$addr" -P 0 \
		--vty_socket "$dir/vty" -i "$dir/check.pid" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: bgpd -C rejects $dir/frr.conf"; }
	if grep -qiE 'unknown command|error|warning' "$dir/check.log"; then
		cat "$dir/check.log"
		io_die "$name: bgpd -C complains about $dir/frr.conf"
	fi
	IO_LOGS+=("$dir/frr.log")
	io_spawn "$name" frr "$dir/stderr.log" \
		"$FRR_BGPD" -f "$dir/frr.conf" -n -Z -S -p 0 -l "$addr" -P 0 \
		--vty_socket "$dir/vty" -i "$dir/bgpd.pid"
	IO_ARG[$name]=$dir/vty
	io_wait 15 "$name's vty socket" vtysh --vty_socket "$dir/vty" -d bgpd -c 'show bgp summary' ||
		io_die "$name: FRR bgpd (PID ${IO_PID[$name]}) did not open its vty socket"
}

io_gobgp_config() { # io_gobgp_config ADDR REFLECTOR...
	local addr=$1 r
	shift
	cat <<EOF
# $IO_NAME: GoBGP as an iBGP route-reflector client of prismd
[global.config]
  as = 64512
  router-id = "$addr"
  port = -1   # listen nowhere; connect out only
EOF
	for r in "$@"; do
		cat <<EOF
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${r%:*}"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "$addr"
    remote-port = ${r##*:}
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
	done
}

io_gobgp_start() {
	local name=$1 addr=$2 set=$3 dir api
	shift 3
	[ "$set" = - ] || io_die "$name: announcing from GoBGP is not implemented"
	dir=$T/$name
	mkdir -p "$dir"
	io_pick_port api
	io_gobgp_config "$addr" "$@" >"$dir/gobgpd.toml"
	gobgpd -f "$dir/gobgpd.toml" -t toml --dry-run >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: gobgpd --dry-run rejects $dir/gobgpd.toml"; }
	io_spawn "$name" gobgp "$dir/gobgpd.log" \
		gobgpd -f "$dir/gobgpd.toml" -t toml -l info --pprof-disable \
		--api-hosts "127.0.0.1:$api"
	IO_ARG[$name]=$api
	io_wait 15 "$name's API on 127.0.0.1:$api" gobgp -u 127.0.0.1 -p "$api" global ||
		io_die "$name: gobgpd (PID ${IO_PID[$name]}) did not open its API"
}

io_openbgpd_start() {
	local name=$1 addr=$2 set=$3 dir port r
	shift 3
	[ "$set" = - ] || io_die "$name: announcing from OpenBGPD is not implemented"
	dir=$T/$name
	mkdir -p "$dir"
	# bgpd chroots its session engine there; systemd normally makes it.
	[ -d /run/openbgpd ] || mkdir -p /run/openbgpd
	io_pick_port port # OpenBGPD always listens; keep it on ADDR and a port of its own
	{
		cat <<EOF
# $IO_NAME: OpenBGPD as an iBGP route-reflector client of prismd
AS 64512
router-id $addr
listen on $addr port $port
socket "$dir/bgpd.sock"
fib-update no
holdtime 9
EOF
		for r in "$@"; do
			cat <<EOF
neighbor ${r%:*} {
  remote-as 64512
  port ${r##*:}
  local-address $addr
  descr "rr-${r%:*}"
  holdtime 9
  announce IPv4 unicast
  announce IPv6 unicast
  announce restart no
}
EOF
		done
		echo "allow from any"
		echo "allow to any"
	} >"$dir/bgpd.conf"
	chmod 644 "$dir/bgpd.conf"
	bgpd -n -f "$dir/bgpd.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: bgpd -n rejects $dir/bgpd.conf"; }
	io_spawn "$name" openbgpd "$dir/bgpd.log" bgpd -d -v -f "$dir/bgpd.conf"
	IO_ARG[$name]=$dir/bgpd.sock
	io_wait 15 "$name's control socket" bgpctl -s "$dir/bgpd.sock" show summary ||
		io_die "$name: OpenBGPD (PID ${IO_PID[$name]}) did not open its control socket"
}

# ExaBGP sends routes with ORIGINATOR_ID and CLUSTER_LIST already set (see check.py): it
# has no CLI here (its named pipes are off), so only prismd's log tells its session state.
io_exabgp_start() {
	local name=$1 addr=$2 set=$3 dir r
	shift 3
	dir=$T/$name
	mkdir -p "$dir"
	{
		echo "# $IO_NAME: ExaBGP as an iBGP route-reflector client of prismd"
		for r in "$@"; do
			cat <<EOF
neighbor ${r%:*} {
  router-id $addr;
  local-address $addr;
  local-as 64512;
  peer-as 64512;
  connect ${r##*:};
  hold-time 9;
  group-updates true;
  family { ipv4 unicast; }
  static {
EOF
			[ "$set" = - ] || python3 "$IO_CHECK" exabgp-routes "$set"
			echo "  }"
			echo "}"
		done
	} >"$dir/exabgp.conf"
	# No listening socket (tcp.bind empty), no CLI pipes, no privilege drop, no daemon.
	local envs=(exabgp_tcp_bind= exabgp_api_cli=false exabgp_daemon_drop=false
		exabgp_daemon_daemonize=false exabgp_log_destination=stdout)
	env "${envs[@]}" exabgp --validate "$dir/exabgp.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: exabgp --validate rejects $dir/exabgp.conf"; }
	io_spawn "$name" exabgp "$dir/exabgp.log" env "${envs[@]}" exabgp "$dir/exabgp.conf"
	IO_ARG[$name]=$dir/exabgp.log
}

# io_client_start KIND NAME ADDR ANNOUNCE REFLECTOR...
io_client_start() {
	local kind=$1
	shift
	case "$kind" in
	bird) io_bird_start "$@" ;;
	frr) io_frr_start "$@" ;;
	gobgp) io_gobgp_start "$@" ;;
	openbgpd) io_openbgpd_start "$@" ;;
	exabgp) io_exabgp_start "$@" ;;
	*) io_die "unknown client kind $kind" ;;
	esac
	io_say "$1 ($kind) is PID ${IO_PID[$1]} at $2"
}

# io_installed KIND: true when the client's daemon and CLI are installed.
io_installed() {
	case "$1" in
	bird) command -v bird && command -v birdc ;;
	frr) [ -x "$FRR_BGPD" ] && command -v vtysh ;;
	gobgp) command -v gobgpd && command -v gobgp ;;
	openbgpd) command -v bgpd && command -v bgpctl ;;
	exabgp) command -v exabgp ;;
	*) return 1 ;;
	esac >/dev/null 2>&1
}

io_version() {
	case "$1" in
	bird) bird --version 2>&1 | head -n 1 ;;
	frr) "$FRR_BGPD" --version 2>&1 | head -n 1 ;;
	gobgp) gobgpd --version 2>&1 | head -n 1 ;;
	openbgpd) bgpd -V 2>&1 | head -n 1 ;;
	exabgp) exabgp --version 2>&1 | head -n 1 ;;
	esac
}

# io_dump NAME FILE: the client's view, raw from its own CLI, for check.py; false when a CLI
# call fails (then FILE says why), so that an error never reads as "no routes".
#   bird: `show route all` text; frr: `show bgp ipv4|ipv6 unicast PREFIX json` for each
#   prefix; gobgp: `global rib -a ipv4|ipv6 -j`; openbgpd: `show rib detail` JSON.
io_dump() {
	local name=$1 out=$2 a=${IO_ARG[$1]} rc=0
	case "${IO_KIND[$name]}" in
	bird)
		birdc -s "$a" show route all >"$out" 2>&1 || rc=1
		# birdc reports a lost control socket on stdout, and may still exit 0
		head -n 1 "$out" | grep -q '^BIRD .* ready\.$' || rc=1
		;;
	frr)
		# FRR 8.4 has no `detail json` for a whole table: list the prefixes, then ask for
		# each one in a single vtysh run (its JSON objects follow one another).
		vtysh --vty_socket "$a" -d bgpd -c 'show bgp ipv4 unicast json' \
			-c 'show bgp ipv6 unicast json' >"$out.list" 2>&1 || { cp "$out.list" "$out"; return 1; }
		python3 "$IO_CHECK" frr-prefixes "$out.list" >"$out.prefixes" 2>&1 ||
			{ cp "$out.prefixes" "$out"; return 1; }
		local args=() fam p
		while read -r fam p; do
			[ -n "$p" ] || continue
			args+=(-c "show bgp $fam unicast $p json")
		done <"$out.prefixes"
		if [ "${#args[@]}" -eq 0 ]; then
			: >"$out"
		else
			vtysh --vty_socket "$a" -d bgpd "${args[@]}" >"$out" 2>&1 || rc=1
		fi
		;;
	gobgp)
		{
			echo '{"ipv4":'
			gobgp -u 127.0.0.1 -p "$a" global rib -a ipv4 -j || rc=1
			echo ',"ipv6":'
			gobgp -u 127.0.0.1 -p "$a" global rib -a ipv6 -j || rc=1
			echo '}'
		} >"$out" 2>&1
		;;
	openbgpd) bgpctl -s "$a" -j show rib detail >"$out" 2>&1 || rc=1 ;;
	*) echo "no CLI for ${IO_KIND[$name]}" >"$out"; rc=1 ;;
	esac
	return "$rc"
}

# io_view NAME [--subset] SPEC...: one look at NAME's routes; true when check.py verify
# passes. Its report (one line per problem, or "ok: ...") is left in IO_OUT.
IO_OUT=
io_view() {
	local name=$1 rc=0
	shift
	if ! io_dump "$name" "$T/$name/rib.txt"; then
		IO_OUT="its CLI failed: $(head -c 300 "$T/$name/rib.txt" | tr '\n' ' ')"
		return 1
	fi
	if [ "${1:-}" = --subset ]; then
		shift
		IO_OUT=$(python3 "$IO_CHECK" verify --subset "${IO_KIND[$name]}" "$T/$name/rib.txt" "$@") || rc=$?
	else
		IO_OUT=$(python3 "$IO_CHECK" verify "${IO_KIND[$name]}" "$T/$name/rib.txt" "$@") || rc=$?
	fi
	return "$rc"
}

# io_check_routes NAME WHAT SECONDS SPEC...: polls NAME's routes (every 0.25 s, at most
# SECONDS, or 5 s for a client that already failed one) until they are exactly what the
# specs say; prints PASS or FAIL with the problems.
declare -A IO_BROKEN # clients that failed a route check: later ones wait 5 s at most
io_check_routes() {
	local name=$1 what=$2 limit t i
	limit=$(io_cap "$3")
	[ -z "${IO_BROKEN[$name]:-}" ] || limit=$((limit < 5 ? limit : 5))
	shift 3
	t=$(io_ms)
	for ((i = 0; i < limit * 4 + 1; i++)); do
		if io_view "$name" "$@"; then
			io_pass "$name: $what: ${IO_OUT#ok: } ($*) in $(($(io_ms) - t)) ms"
			return 0
		fi
		((($(io_ms) - t) < limit * 1000)) || break
		sleep 0.25
	done
	IO_BROKEN[$name]=1
	io_fail "$name: $what: still wrong after $limit s ($*):"
	printf '%s\n' "${IO_OUT:-no output}" | head -n 30 | sed 's/^/    /'
	cp "$T/$name/rib.txt" "$T/$name/rib-failed-${what// /-}.txt" 2>/dev/null || true
	IO_LOGS+=("$T/$name/rib-failed-${what// /-}.txt")
	return 1
}

# io_sessions NAME: the client's BGP session states, "PEER STATE" a line, from its CLI.
io_sessions() {
	local name=$1 a=${IO_ARG[$1]}
	case "${IO_KIND[$name]}" in
	bird) birdc -s "$a" show protocols all 2>/dev/null |
		awk '/^rr[0-9]+ +BGP/ {p = $1} p && /Neighbor address:/ {print $3, st; p = ""}
		     /^rr[0-9]+ +BGP/ {st = $6}' ;;
	frr) vtysh --vty_socket "$a" -d bgpd -c 'show bgp neighbors json' 2>/dev/null |
		python3 -c 'import json,sys
for k, v in json.load(sys.stdin).items(): print(k, v.get("bgpState"))' ;;
	gobgp) gobgp -u 127.0.0.1 -p "$a" neighbor -j 2>/dev/null |
		python3 -c 'import json,sys
for n in json.load(sys.stdin):
    st = n.get("state", {})
    print(n.get("conf", {}).get("neighbor_address"), st.get("session_state"))' ;;
	openbgpd) bgpctl -s "$a" -j show neighbor 2>/dev/null |
		python3 -c 'import json,sys
for n in json.load(sys.stdin).get("neighbors", []): print(n.get("remote_addr"), n.get("state"))' ;;
	esac
}

# io_bird_proto NAME REFLECTOR_ADDR: the name of BIRD's protocol for that neighbor.
io_bird_proto() {
	birdc -s "${IO_ARG[$1]}" show protocols all 2>/dev/null |
		awk -v a="$2" '/^[A-Za-z0-9_]+ +BGP/ {p = $1} /Neighbor address:/ && $3 == a {print p; exit}'
}

# io_updates_in NAME REFLECTOR_ADDR: how many UPDATEs (BIRD: route updates) the client
# counts from that reflector, from its own CLI.
io_updates_in() {
	local name=$1 rr=$2 a=${IO_ARG[$1]} p
	case "${IO_KIND[$name]}" in
	bird)
		p=$(io_bird_proto "$name" "$rr")
		birdc -s "$a" show protocols all "$p" 2>/dev/null |
			awk '/Import updates:/ {n += $3} END {print n + 0}' ;;
	frr) vtysh --vty_socket "$a" -d bgpd -c "show bgp neighbors $rr json" 2>/dev/null |
		python3 -c 'import json,sys
d = json.load(sys.stdin); print(list(d.values())[0]["messageStats"]["updatesRecv"])' ;;
	openbgpd) bgpctl -s "$a" -j show neighbor "$rr" 2>/dev/null |
		python3 -c 'import json,sys
d = json.load(sys.stdin); print(d["neighbors"][0]["stats"]["message"]["received"]["updates"])' ;;
	*) echo 0 ;;
	esac
}

# io_refresh NAME REFLECTOR_ADDR: the client asks the reflector for its routes again with
# ROUTE-REFRESH (RFC 2918). Returns 2 for a client whose CLI cannot do that (GoBGP's
# softresetin re-applies policy to what it holds and sends nothing).
io_refresh() {
	local name=$1 rr=$2 a=${IO_ARG[$1]}
	case "${IO_KIND[$name]}" in
	bird) birdc -s "$a" reload in "$(io_bird_proto "$name" "$rr")" >/dev/null ;;
	frr) vtysh --vty_socket "$a" -d bgpd -c "clear bgp ipv4 unicast $rr soft in" \
		-c "clear bgp ipv6 unicast $rr soft in" >/dev/null ;;
	openbgpd) bgpctl -s "$a" neighbor "$rr" refresh >/dev/null ;;
	*) return 2 ;;
	esac
}

# io_client_up NAME REFLECTOR_ADDR: true when the client says its session to the reflector
# is Established.
io_client_up() {
	io_sessions "$1" | awk -v a="$2" '$1 == a' | grep -qiE ' (established|6)$'
}

# io_vtysh_lines NAME: runs the vtysh commands on stdin, one a line, in one vtysh session.
io_vtysh_lines() {
	local args=() l
	while IFS= read -r l; do
		args+=(-c "$l")
	done
	vtysh --vty_socket "${IO_ARG[$1]}" -d bgpd "${args[@]}" >"$T/$1/vtysh.out" 2>&1 ||
		{ cat "$T/$1/vtysh.out"; return 1; }
}

# ---------------------------------------------------------------- topologies
# tests/topology.sh builds topologies from these: prismds with a config of the caller's own,
# and speakers in any AS, iBGP or eBGP, that dial out or wait. A speaker's PEER is
# ADDR:PORT:ASN:MODE[:FAMILIES], the neighbour's address, its port, its AS, MODE "active"
# (this daemon dials ADDR:PORT) or "passive" (it waits, on its own address, for the
# neighbour to dial it; PORT is then unused), and the families it offers, "ipv4,ipv6" (the
# default), "ipv4" or "ipv6". An eBGP session gets multihop: on loopback no neighbour is on
# a directly connected network.

# io_prismd_start_yaml NAME PRISMD ADDR PORT: as io_prismd_start, with the YAML config on
# stdin (saved as $T/NAME/prismd.yaml); ADDR:PORT is where it must listen.
io_prismd_start_yaml() {
	local name=$1 bin=$2 addr=$3 port=$4 dir
	dir=$T/$name
	mkdir -p "$dir"
	cat >"$dir/prismd.yaml"
	"$bin" --check -c "$dir/prismd.yaml" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: prismd --check rejects $dir/prismd.yaml"; }
	io_spawn "$name" prismd "$dir/prismd.log" \
		env -C "$IO_ROOT" "$bin" -c "$dir/prismd.yaml"
	IO_ARG[$name]=$dir/prismd.log
	io_wait 30 "$name to listen on $addr:$port" \
		io_listening_or_gone "${IO_PID[$name]}" "$addr" "$port" || true
	if ! io_alive "${IO_PID[$name]}"; then
		io_die "$name (PID ${IO_PID[$name]}) exited before it listened on $addr:$port"
	fi
	io_listening "$addr" "$port" ||
		io_die "$name (PID ${IO_PID[$name]}) does not listen on $addr:$port after 30 s"
	io_say "$name is PID ${IO_PID[$name]} on $addr:$port"
}

# io_prismd_peer_up NAME PEER: true when the last event NAME logged for PEER (a peer's name,
# or RANGE/ADDR for a neighbour of a range) is Established.
io_prismd_peer_up() {
	io_prismd_up_peers "$1" | grep -qxF "$2"
}

# io_prismd_count NAME REGEX: how many lines of NAME's log match the extended REGEX.
io_prismd_count() {
	grep -cE -- "$2" "${IO_ARG[$1]}" 2>/dev/null || true
}

# io_set_nexthop SET ipv4|ipv6 DEFAULT: the next hop of the set's routes of that family.
io_set_nexthop() {
	if [ "$1" = - ]; then
		echo "$3"
	else
		python3 "$IO_CHECK" nexthop "$1" "$2" "$3"
	fi
}

io_bird_speaker_config() { # NAME ADDR ASN ANNOUNCE LPORT PEER...
	local name=$1 addr=$2 asn=$3 set=$4 port=$5 i=0 p paddr pport pasn mode fams exp nh4 nh6
	shift 5
	nh4=$(io_set_nexthop "$set" ipv4 198.18.0.250)
	nh6=$(io_set_nexthop "$set" ipv6 2001:db8:ffff::250)
	exp=none
	[ "$set" = - ] || exp='filter announce'
	echo "# $IO_NAME: BIRD 2 as a BGP speaker in AS $asn"
	echo "router id $addr;"
	echo "log \"$T/$name/bird.log\" all;"
	echo "protocol device { scan time 60; }"
	[ "$set" = - ] || python3 "$IO_CHECK" bird-config "$set"
	for p in "$@"; do
		IFS=: read -r paddr pport pasn mode fams <<<"$p"
		fams=,${fams:-ipv4,ipv6},
		i=$((i + 1))
		echo "protocol bgp rr$i {"
		echo "  local $addr port $port as $asn;"
		if [ "$mode" = passive ]; then
			echo "  neighbor $paddr as $pasn;"
			echo "  passive on;"
		else
			echo "  neighbor $paddr port $pport as $pasn;"
		fi
		[ "$pasn" = "$asn" ] || echo "  multihop 2;"
		echo "  strict bind on;"
		echo "  hold time 9; keepalive time 3;"
		echo "  connect delay time 1; connect retry time 1; error wait time 1, 4;"
		echo "  graceful restart off;"
		[[ "$fams" != *,ipv4,* ]] ||
			echo "  ipv4 { import all; export $exp; next hop address $nh4; };"
		[[ "$fams" != *,ipv6,* ]] ||
			echo "  ipv6 { import all; export $exp; next hop address $nh6; };"
		echo "}"
	done
}

# io_bird_speaker_start NAME ADDR ASN ANNOUNCE PEER...: BIRD at ADDR (also its router ID)
# in AS ASN, announcing the route set ANNOUNCE (or "-"); it listens on ADDR and a port of
# its own, IO_LPORT[NAME].
declare -A IO_LPORT # speaker name -> the port it listens on (0: none)
io_bird_speaker_start() {
	local name=$1 addr=$2 asn=$3 set=$4 dir port
	shift 4
	dir=$T/$name
	mkdir -p "$dir"
	io_pick_port port
	IO_LPORT[$name]=$port
	io_bird_speaker_config "$name" "$addr" "$asn" "$set" "$port" "$@" >"$dir/bird.conf"
	bird -p -c "$dir/bird.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: bird -p rejects $dir/bird.conf"; }
	IO_LOGS+=("$dir/bird.log")
	io_spawn "$name" bird "$dir/stderr.log" \
		bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid"
	IO_ARG[$name]=$dir/bird.ctl
	io_wait 15 "$name's control socket" birdc -s "$dir/bird.ctl" show status ||
		io_die "$name: BIRD (PID ${IO_PID[$name]}) did not open its control socket"
	io_say "$name (BIRD, AS $asn) is PID ${IO_PID[$name]} at $addr, port $port"
}

io_frr_speaker_config() { # NAME ADDR ASN ANNOUNCE PEER...
	local name=$1 addr=$2 asn=$3 set=$4 p paddr pport pasn mode fams fam rmap
	shift 4
	echo "! $IO_NAME: FRR bgpd as a BGP speaker in AS $asn"
	echo "frr defaults traditional"
	echo "hostname $IO_NAME-$name"
	echo "log file $T/$name/frr.log informational"
	echo "!"
	echo "route-map OUT4 permit 10"
	echo " set ip next-hop $(io_set_nexthop "$set" ipv4 198.18.0.251)"
	echo "route-map OUT6 permit 10"
	echo " set ipv6 next-hop global $(io_set_nexthop "$set" ipv6 2001:db8:ffff::251)"
	[ "$set" = - ] || python3 "$IO_CHECK" frr-route-maps "$set"
	echo "!"
	echo "router bgp $asn"
	echo " bgp router-id $addr"
	echo " no bgp default ipv4-unicast"
	echo " no bgp network import-check"
	echo " no bgp ebgp-requires-policy"
	echo " bgp allow-martian-nexthop"
	echo " bgp graceful-restart-disable"
	for p in "$@"; do
		IFS=: read -r paddr pport pasn mode fams <<<"$p"
		echo " neighbor $paddr remote-as $pasn"
		if [ "$mode" = passive ]; then
			echo " neighbor $paddr passive"
		else
			echo " neighbor $paddr port $pport"
		fi
		echo " neighbor $paddr update-source $addr"
		echo " neighbor $paddr timers 3 9"
		echo " neighbor $paddr timers connect 1"
		[ "$pasn" = "$asn" ] || echo " neighbor $paddr ebgp-multihop 2"
	done
	for fam in ipv4 ipv6; do
		rmap=OUT4
		[ "$fam" = ipv4 ] || rmap=OUT6
		echo " address-family $fam unicast"
		[ "$set" = - ] || python3 "$IO_CHECK" frr-networks "$set" "$fam"
		for p in "$@"; do
			IFS=: read -r paddr pport pasn mode fams <<<"$p"
			[[ ",${fams:-ipv4,ipv6}," == *,$fam,* ]] || continue
			echo "  neighbor $paddr activate"
			echo "  neighbor $paddr route-map $rmap out"
		done
		echo " exit-address-family"
	done
	echo "!"
}

# io_frr_speaker_start NAME ADDR ASN ANNOUNCE PEER...: FRR bgpd at ADDR in AS ASN,
# announcing ANNOUNCE (or "-"); when a PEER is passive it listens on ADDR and a port of its
# own, IO_LPORT[NAME] (0 when it listens nowhere).
io_frr_speaker_start() {
	local name=$1 addr=$2 asn=$3 set=$4 dir port=0 p
	shift 4
	dir=$T/$name
	mkdir -p "$dir/vty"
	for p in "$@"; do
		[[ "$p" != *:passive* ]] || [ "$port" != 0 ] || io_pick_port port
	done
	IO_LPORT[$name]=$port
	io_frr_speaker_config "$name" "$addr" "$asn" "$set" "$@" >"$dir/frr.conf"
	chmod 644 "$dir/frr.conf"
	"$FRR_BGPD" -C -f "$dir/frr.conf" -n -Z -S -p "$port" -l "$addr" -P 0 \
		--vty_socket "$dir/vty" -i "$dir/check.pid" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: bgpd -C rejects $dir/frr.conf"; }
	if grep -qiE 'unknown command|error|warning' "$dir/check.log"; then
		cat "$dir/check.log"
		io_die "$name: bgpd -C complains about $dir/frr.conf"
	fi
	IO_LOGS+=("$dir/frr.log")
	io_spawn "$name" frr "$dir/stderr.log" \
		"$FRR_BGPD" -f "$dir/frr.conf" -n -Z -S -p "$port" -l "$addr" -P 0 \
		--vty_socket "$dir/vty" -i "$dir/bgpd.pid"
	IO_ARG[$name]=$dir/vty
	io_wait 15 "$name's vty socket" vtysh --vty_socket "$dir/vty" -d bgpd -c 'show bgp summary' ||
		io_die "$name: FRR bgpd (PID ${IO_PID[$name]}) did not open its vty socket"
	io_say "$name (FRR, AS $asn) is PID ${IO_PID[$name]} at $addr, port $port"
}

# io_exabgp_speaker_start NAME ADDR ASN ANNOUNCE OPTS PEER...: ExaBGP at ADDR in AS ASN,
# dialling every PEER (their MODE is ignored: ExaBGP listens nowhere here), IPv4 unicast
# only. OPTS, comma-separated or "-": "as2" turns the 4-octet AS capability off (RFC 6793:
# it then sends and receives 2-octet AS_PATHs, with AS4_PATH); "record" writes every UPDATE
# it receives, with its raw octets, as a JSON line to $T/NAME/received.jsonl (check.py
# exabgp-record), which is IO_ARG[NAME].
io_exabgp_speaker_start() {
	local name=$1 addr=$2 asn=$3 set=$4 opts=,$5, dir p paddr pport pasn mode fams
	shift 5
	dir=$T/$name
	mkdir -p "$dir"
	: >"$dir/received.jsonl"
	{
		echo "# $IO_NAME: ExaBGP as a BGP speaker in AS $asn"
		if [[ "$opts" == *,record,* ]]; then
			echo "process record {"
			echo "  run $(command -v python3) $IO_CHECK exabgp-record $dir/received.jsonl;"
			echo "  encoder json;"
			echo "}"
		fi
		for p in "$@"; do
			IFS=: read -r paddr pport pasn mode fams <<<"$p"
			echo "neighbor $paddr {"
			echo "  router-id $addr;"
			echo "  local-address $addr;"
			echo "  local-as $asn;"
			echo "  peer-as $pasn;"
			echo "  connect $pport;"
			echo "  hold-time 9;"
			echo "  group-updates true;"
			echo "  family { ipv4 unicast; }"
			[[ "$opts" != *,as2,* ]] || echo "  capability { asn4 disable; }"
			if [[ "$opts" == *,record,* ]]; then
				echo "  api { processes [ record ]; receive { parsed; packets; update; } }"
			fi
			echo "  static {"
			[ "$set" = - ] || python3 "$IO_CHECK" exabgp-routes "$set"
			echo "  }"
			echo "}"
		done
	} >"$dir/exabgp.conf"
	local envs=(exabgp_tcp_bind= exabgp_api_cli=false exabgp_daemon_drop=false
		exabgp_daemon_daemonize=false exabgp_log_destination=stdout)
	env "${envs[@]}" exabgp --validate "$dir/exabgp.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log"; io_die "$name: exabgp --validate rejects $dir/exabgp.conf"; }
	io_spawn "$name" exabgp "$dir/exabgp.log" env "${envs[@]}" exabgp "$dir/exabgp.conf"
	IO_ARG[$name]=$dir/received.jsonl
	io_say "$name (ExaBGP, AS $asn, options ${opts:1:-1}) is PID ${IO_PID[$name]} at $addr"
}

# io_gobgp_announce NAME SET: GoBGP (io_gobgp_start) originates the routes of SET through
# its CLI (check.py gobgp-routes writes the arguments).
io_gobgp_announce() {
	local name=$1 set=$2 fam args
	while read -r fam args; do
		# shellcheck disable=SC2086 # args: the words check.py wrote, none with a space
		gobgp -u 127.0.0.1 -p "${IO_ARG[$name]}" global rib -a "$fam" add $args >/dev/null ||
			{ io_fail "$name: gobgp global rib -a $fam add $args"; return 1; }
	done < <(python3 "$IO_CHECK" gobgp-routes "$set")
}

# io_record_check_routes NAME WHAT SECONDS KIND SPEC...: as io_check_routes, for an ExaBGP
# speaker started with "record": what it holds, rebuilt from the raw UPDATEs it received
# (KIND exabgp, or exabgp_as2 for a session without 4-octet ASNs; check.py parse_exabgp).
io_record_check_routes() {
	local name=$1 what=$2 limit kind=$4 t i rc
	limit=$(io_cap "$3")
	[ -z "${IO_BROKEN[$name]:-}" ] || limit=$((limit < 5 ? limit : 5))
	shift 4
	t=$(io_ms)
	for ((i = 0; i < limit * 4 + 1; i++)); do
		rc=0
		IO_OUT=$(python3 "$IO_CHECK" verify "$kind" "${IO_ARG[$name]}" "$@") || rc=$?
		if [ "$rc" -eq 0 ]; then
			io_pass "$name: $what: ${IO_OUT#ok: } ($*) in $(($(io_ms) - t)) ms"
			return 0
		fi
		((($(io_ms) - t) < limit * 1000)) || break
		sleep 0.25
	done
	IO_BROKEN[$name]=1
	io_fail "$name: $what: still wrong after $limit s ($*):"
	printf '%s\n' "${IO_OUT:-no output}" | head -n 30 | sed 's/^/    /'
	return 1
}
