#!/usr/bin/env bash
# Runs one prism-bench scenario matrix against every available route reflector (BIRD 2, FRR,
# GoBGP, OpenBGPD, prismd) and against prism-bench's own replay server (the null reflector:
# the physical limit), one after the other on this machine, then writes the report.
# docs/benchmarks.md, "Reflector comparison", explains the method and the figures.
#
# Usage: bench/compare.sh [options]
#   --quick                a tiny matrix for smoke tests (about a minute)
#   --matrix NAME          default (the documented one; under 20 minutes on 2 cores) or large
#   --daemons "LIST"       reflectors to try (default: "bird frr gobgp openbgpd prism
#                          prism1"; prism1 is prismd with threads: 1);
#                          those not installed are skipped; replay always runs unless
#                          --no-replay
#   --no-replay            leave the replay limit out
#   --build DIR            the build folder with bench/prism-bench (default: build); prismd
#                          is taken from DIR/core/prismd or DIR/prismd unless PRISMD is set
#   --out DIR              where the raw results go (default: BUILD/compare/DATE-TIME)
#   --timeout S            prism-bench's per-phase timeout (default: 20 quick, 120 default,
#                          300 large)
#   --repeat N             runs of every case per reflector (default 3; 1 with --quick);
#                          the report takes the run with the median convergence time.
#                          A run that failed or timed out is not repeated
#   --repeat-under S       repeat only the cases whose first run took under S seconds,
#                          daemon start and stop included (default 30): a reflector that
#                          needs minutes for a case is far from the others whichever run
#                          is taken, and repeating it would double the matrix's time
#   --threads N            harness threads (default 2)
#   --pin R:H              pin the reflector to CPUs R and the harness to CPUs H (taskset
#                          lists, e.g. 1:0); the replay server goes on R too
#   --port-base P          first TCP port to try (default 20179); every run takes a new one
#   --docs                 also rewrite the generated part of docs/benchmarks.md's
#                          "Reflector comparison" and the plots in docs/img/
#
# For every run: a fresh daemon in its own scratch folder, prism-bench with --pid, --label,
# --json and a per-phase timeout inside a hard time limit, then the daemon is stopped by its
# PID. Whatever happens, an EXIT/INT/TERM trap stops everything this script started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DAEMON_DIR=$ROOT/bench/daemons
ALL_DAEMONS="bird frr gobgp openbgpd prism prism1"

MATRIX=default
DAEMONS=$ALL_DAEMONS
REPLAY=1
BUILD=$ROOT/build
OUT=
TIMEOUT=
THREADS=2
REPEAT=
REPEAT_UNDER=30
PIN=
PORT=20179
DOCS=0
# The command line as typed, for the report (arguments with spaces in double quotes).
ARGS_TEXT=bench/compare.sh
for a in "$@"; do
	if [[ "$a" =~ ^[A-Za-z0-9_./:=,+-]+$ ]]; then
		ARGS_TEXT+=" $a"
	else
		ARGS_TEXT+=" \"$a\""
	fi
done

log() { printf 'compare: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}
usage() {
	sed -n '/^# Usage:/,/^# For every run/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-2}"
}

while [ "$#" -gt 0 ]; do
	case "$1" in
	--quick) MATRIX=quick ;;
	--matrix) MATRIX=${2:?}; shift ;;
	--daemons) DAEMONS=${2:?}; shift ;;
	--no-replay) REPLAY=0 ;;
	--build) BUILD=${2:?}; shift ;;
	--out) OUT=${2:?}; shift ;;
	--timeout) TIMEOUT=${2:?}; shift ;;
	--threads) THREADS=${2:?}; shift ;;
	--repeat) REPEAT=${2:?}; shift ;;
	--repeat-under) REPEAT_UNDER=${2:?}; shift ;;
	--pin) PIN=${2:?}; shift ;;
	--port-base) PORT=${2:?}; shift ;;
	--docs) DOCS=1 ;;
	-h | --help) usage 0 ;;
	*) log "unknown option: $1"; usage 2 >&2 ;;
	esac
	shift
done

# ---- the matrices: "CASE SCENARIO PEERS prism-bench-arguments..." ----
# CASE names the row; PEERS is the session count the reflector must accept.
matrix_cases() {
	case "$1" in
	quick)
		echo "calico-20 calico 20 -n 20 -m 4"
		echo "calico-60 calico 60 -n 60 -m 4"
		echo "fanout-2x2000-5 fanout 7 -n 7 -f 2 -m 2000 --attr-sets 16"
		echo "restart-40 restart 40 -n 40 -m 4"
		;;
	default)
		echo "calico-100 calico 100 -n 100 -m 4"
		echo "calico-300 calico 300 -n 300 -m 4"
		echo "calico-1000 calico 1000 -n 1000 -m 4"
		echo "fanout-2x200000-100 fanout 102 -n 102 -f 2 -m 200000 --attr-sets 16"
		echo "restart-1000 restart 1000 -n 1000 -m 4"
		;;
	large)
		echo "calico-1000 calico 1000 -n 1000 -m 4"
		echo "calico-3000 calico 3000 -n 3000 -m 4"
		echo "fanout-2x200000-100 fanout 102 -n 102 -f 2 -m 200000 --attr-sets 16"
		echo "restart-1000 restart 1000 -n 1000 -m 4"
		;;
	esac
}

case "$MATRIX" in
quick) : "${TIMEOUT:=20}" "${REPEAT:=1}" ;;
large) : "${TIMEOUT:=300}" "${REPEAT:=3}" ;;
*) : "${TIMEOUT:=120}" "${REPEAT:=3}" ;;
esac
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
if ! is_uint "$TIMEOUT" || [ "$TIMEOUT" -lt 1 ]; then die "bad --timeout: $TIMEOUT"; fi
if ! is_uint "$THREADS" || [ "$THREADS" -lt 1 ]; then die "bad --threads: $THREADS"; fi
if ! is_uint "$REPEAT" || [ "$REPEAT" -lt 1 ] || [ "$REPEAT" -gt 50 ]; then
	die "bad --repeat: $REPEAT"
fi
if ! is_uint "$REPEAT_UNDER" || [ "$REPEAT_UNDER" -lt 1 ]; then
	die "bad --repeat-under: $REPEAT_UNDER"
fi
if ! is_uint "$PORT" || [ "$PORT" -lt 1024 ] || [ "$PORT" -ge 65000 ]; then
	die "bad --port-base: $PORT"
fi
case "$MATRIX" in
quick | default | large) ;;
*) die "unknown matrix: $MATRIX (quick, default or large)" ;;
esac
mapfile -t CASES < <(matrix_cases "$MATRIX")

BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build folder: $BUILD"
BENCH=$BUILD/bench/prism-bench
if [ ! -x "$BENCH" ]; then
	die "no $BENCH; build it: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
		"&& cmake --build build --target prism-bench prismd"
fi
if [ -z "${PRISMD:-}" ]; then
	for b in "$BUILD/core/prismd" "$BUILD/prismd"; do
		if [ -f "$b" ] && [ -x "$b" ]; then
			export PRISMD=$b
			break
		fi
	done
fi

REFLECTOR_CPUS=
HARNESS_CPUS=
if [ -n "$PIN" ]; then
	[[ "$PIN" == *:* ]] || die "--pin wants REFLECTOR_CPUS:HARNESS_CPUS, e.g. 1:0"
	REFLECTOR_CPUS=${PIN%%:*} HARNESS_CPUS=${PIN#*:}
	command -v taskset >/dev/null || die "--pin needs taskset (util-linux)"
fi
# on_cpus CPUS cmd...: runs cmd pinned to CPUS, or as it is when CPUS is empty. Only for
# commands in the foreground; a background job takes a prefix array instead, so that $! is
# the command itself (or taskset, which execs it) and not a subshell around it.
on_cpus() {
	local cpus=$1
	shift
	if [ -n "$cpus" ]; then
		taskset -c "$cpus" "$@"
	else
		"$@"
	fi
}
REFLECTOR_PFX=()
HARNESS_PFX=()
if [ -n "$PIN" ]; then
	REFLECTOR_PFX=(taskset -c "$REFLECTOR_CPUS")
	HARNESS_PFX=(taskset -c "$HARNESS_CPUS")
fi

START_TS=$(date -u +%Y%m%dT%H%M%SZ)
: "${OUT:=$BUILD/compare/$START_TS}"
mkdir -p "$OUT/json" "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/runs.jsonl"

# Thousands of sessions need thousands of descriptors, in the daemons too.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || log "could not raise ulimit -n"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/prism-compare.XXXXXX")

# ---- cleanup: every process this script started, by PID ----
ACTIVE_DAEMON= # "NAME DIR" of the daemon that is up, if any
ACTIVE_REPLAY= # PID of the replay server that is up, if any
ACTIVE_BENCH=  # PID of the running prism-bench (its timeout wrapper), if any

pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stop_child PID: TERM, up to 15 s, then KILL, and reap it (it is this shell's child).
stop_child() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		if pid_alive "$pid"; then
			log "PID $pid ignored TERM for 15 s; sending KILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

stop_active() {
	if [ -n "$ACTIVE_BENCH" ]; then
		stop_child "$ACTIVE_BENCH"
		ACTIVE_BENCH=
	fi
	if [ -n "$ACTIVE_REPLAY" ]; then
		stop_child "$ACTIVE_REPLAY"
		ACTIVE_REPLAY=
	fi
	if [ -n "$ACTIVE_DAEMON" ]; then
		# shellcheck disable=SC2086 # "NAME DIR"
		set -- $ACTIVE_DAEMON
		"$DAEMON_DIR/$1.sh" stop "$2" || log "could not stop $1 (scratch folder $2)"
		ACTIVE_DAEMON=
	fi
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_active
	rm -rf "$SCRATCH"
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---- ports ----
port_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# next_port: a port nothing listens on, at PORT or above; PORT moves past it.
next_port() {
	local i
	for ((i = 0; i < 1000; i++)); do
		if ! port_busy "$PORT"; then
			NEXT_PORT=$PORT
			PORT=$((PORT + 1))
			return 0
		fi
		PORT=$((PORT + 1))
	done
	die "no free port found"
}

# The listen backlog (ss's Send-Q of the listening socket) of whatever listens on the port.
listen_backlog() {
	ss -Hltn "sport = :$1" 2>/dev/null | awk 'NR == 1 {print $3}'
}

# wait_listening PID PORT: bounded, 30 s.
wait_listening() {
	local i
	for ((i = 0; i < 300; i++)); do
		pid_alive "$1" || return 1
		[ -n "$(ss -Hltn "sport = :$2" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- one run ----
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# record DAEMON CASE SCENARIO ARGS RC STATUS MAXCONN WALL (the run is REP)
record() {
	local fmt='{"daemon": %s, "case": %s, "rep": %s, "scenario": %s, "args": %s, "rc": %s, '
	fmt+='"run_status": %s, "max_connecting": %s, "wall_s": %s, "json": %s, "log": %s}\n'
	# shellcheck disable=SC2059 # the format is built just above
	printf "$fmt" \
		"$(json_str "$1")" "$(json_str "$2")" "$REP" "$(json_str "$3")" "$(json_str "$4")" \
		"$5" "$(json_str "$6")" "$7" "$8" "$(json_str "json/$1-$2-$REP.json")" \
		"$(json_str "logs/$1-$2-$REP.txt")" >>"$OUT/runs.jsonl"
	LAST_STATUS=$6
	LAST_WALL=$8
}

# The hard limit for one prism-bench: each phase's timeout, the final check, and slack.
hard_limit() {
	local phases=2
	[ "$1" = restart ] && phases=3
	echo $((phases * TIMEOUT + 90))
}

# run_one DAEMON CASE SCENARIO PEERS ARGS...
run_one() {
	local daemon=$1 case=$2 scenario=$3 peers=$4
	shift 4
	local args=("$@") dir pid backlog maxconn rc=0 status t0 wall json logf
	json=$OUT/json/$daemon-$case-$REP.json
	logf=$OUT/logs/$daemon-$case-$REP.txt
	rm -f "$json"
	next_port
	local port=$NEXT_PORT
	dir=$(mktemp -d "$SCRATCH/$daemon-$case.XXXX")
	log "$daemon $case (run $REP of $REPEAT): port $port"

	if [ "$daemon" = replay ]; then
		"${REFLECTOR_PFX[@]}" "$BENCH" --replay --listen "127.0.0.1:$port" \
			--threads "$THREADS" "$scenario" "${args[@]}" \
			</dev/null >"$dir/replay.log" 2>&1 &
		pid=$!
		ACTIVE_REPLAY=$pid
		if ! wait_listening "$pid" "$port"; then
			cat "$dir/replay.log" >"$logf"
			stop_active
			record "$daemon" "$case" "$scenario" "${args[*]}" 1 "start-failed" 0 0
			return 0
		fi
	else
		if ! pid=$(on_cpus "$REFLECTOR_CPUS" "$DAEMON_DIR/$daemon.sh" start "$dir" "$port" \
			"$peers" 2>"$dir/start.err"); then
			cat "$dir/start.err" >"$logf"
			log "$daemon $case: could not start (see $logf)"
			"$DAEMON_DIR/$daemon.sh" stop "$dir" || true
			record "$daemon" "$case" "$scenario" "${args[*]}" 1 "start-failed" 0 0
			return 0
		fi
		ACTIVE_DAEMON="$daemon $dir"
	fi

	# Never open more handshakes at once than the reflector's accept queue holds: BIRD
	# listens with a backlog of 8 and OpenBGPD with 5; when the queue overflows, Linux drops
	# the handshake's last ACK, the client believes it is connected, and the session hangs
	# until SYN-ACK retransmission (up to a minute) gets it through.
	backlog=$(listen_backlog "$port")
	maxconn=64
	if [[ "$backlog" =~ ^[0-9]+$ ]] && [ "$backlog" -le 64 ]; then
		maxconn=$((backlog > 1 ? backlog - 1 : 1))
	fi
	# OpenBGPD's burst problem is known (and its backlog is 5): never more than 4, even
	# where the backlog could not be read.
	if [ "$daemon" = openbgpd ] && [ "$maxconn" -gt 4 ]; then
		maxconn=4
	fi

	t0=$(date +%s.%N)
	"${HARNESS_PFX[@]}" timeout --kill-after=10 "$(hard_limit "$scenario")" \
		"$BENCH" "$scenario" "${args[@]}" -t "127.0.0.1:$port" --pid "$pid" \
		--label "$daemon" --json "$json" --no-progress --timeout "$TIMEOUT" \
		--threads "$THREADS" --max-connecting "$maxconn" </dev/null >"$logf" 2>&1 &
	ACTIVE_BENCH=$!
	wait "$ACTIVE_BENCH" || rc=$?
	ACTIVE_BENCH=
	wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	case "$rc" in
	0) status=ok ;;
	1) status=failed ;;
	124 | 137) status=killed ;;
	*) status=error ;;
	esac
	[ -s "$json" ] || [ "$status" != ok ] || status=error
	log "$daemon $case: $status (exit $rc) in ${wall}s; max-connecting $maxconn"

	stop_active
	# Keep the daemon's own logs (tails only: they can be large).
	local f
	for f in "$dir"/*.log; do
		[ -f "$f" ] || continue
		mkdir -p "$OUT/logs/$daemon-$case-$REP"
		tail -c 262144 "$f" >"$OUT/logs/$daemon-$case-$REP/$(basename "$f")"
	done
	rm -rf "$dir"
	record "$daemon" "$case" "$scenario" "${args[*]}" "$rc" "$status" "$maxconn" "$wall"
}

# ---- what runs ----
TARGETS=()
SKIPPED=()
for d in $DAEMONS; do
	[ -x "$DAEMON_DIR/$d.sh" ] || die "unknown reflector: $d (known: $ALL_DAEMONS)"
	if "$DAEMON_DIR/$d.sh" check; then
		TARGETS+=("$d")
	else
		SKIPPED+=("$d")
		log "skipping $d: not installed"
	fi
done
[ "$REPLAY" -eq 1 ] && TARGETS+=(replay)
[ "${#TARGETS[@]}" -gt 0 ] || die "nothing to run"

# ---- the machine and the versions, for the report ----
write_meta() {
	local model cores mem kernel os d versions="" sep=""
	model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	cores=$(nproc)
	mem=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	kernel=$(uname -r)
	os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || true)
	for d in "${TARGETS[@]}"; do
		local v
		if [ "$d" = replay ]; then
			v=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
			v="prism-bench --replay ($v)"
		else
			v=$("$DAEMON_DIR/$d.sh" version 2>/dev/null || echo unknown)
		fi
		versions+="$sep$(json_str "$d"): $(json_str "$v")"
		sep=", "
	done
	local cases="" c
	sep=""
	for c in "${CASES[@]}"; do
		cases+="$sep$(json_str "$c")"
		sep=", "
	done
	local skipped="" s
	sep=""
	for s in "${SKIPPED[@]}"; do
		skipped+="$sep$(json_str "$s")"
		sep=", "
	done
	cat >"$OUT/meta.json" <<EOF
{
  "command": $(json_str "$ARGS_TEXT"),
  "matrix": $(json_str "$MATRIX"),
  "started": $(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),
  "timeout_s": $TIMEOUT,
  "harness_threads": $THREADS,
  "repeat": $REPEAT,
  "repeat_under_s": $REPEAT_UNDER,
  "pin": $(json_str "$PIN"),
  "git": $(json_str "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"),
  "machine": {"cpu": $(json_str "$model"), "cores": $cores, "mem_kb": $mem,
              "kernel": $(json_str "$kernel"), "os": $(json_str "$os")},
  "targets": [$(printf '"%s", ' "${TARGETS[@]}" | sed 's/, $//')],
  "skipped": [$skipped],
  "versions": {$versions},
  "cases": [$cases]
}
EOF
}
write_meta

log "matrix $MATRIX (${#CASES[@]} cases) against: ${TARGETS[*]}; per-phase timeout ${TIMEOUT}s"
log "results in $OUT"
T_START=$SECONDS
LAST_STATUS=
LAST_WALL=0
declare -A FIRST_STATUS # "DAEMON CASE" -> the first run's status, or "slow"
for line in "${CASES[@]}"; do
	# shellcheck disable=SC2086 # the case line is split on purpose
	set -- $line
	# The runs of one case close together, the reflectors in turn, so that a noisy minute
	# is spread over all of them.
	for ((REP = 1; REP <= REPEAT; REP++)); do
		for d in "${TARGETS[@]}"; do
			if [ "$REP" -gt 1 ] && [ "${FIRST_STATUS["$d $1"]}" != ok ]; then
				continue # it failed, timed out or was slow once: it would again
			fi
			run_one "$d" "$@"
			if [ "$REP" -eq 1 ]; then
				FIRST_STATUS["$d $1"]=$LAST_STATUS
				if awk -v w="$LAST_WALL" -v u="$REPEAT_UNDER" 'BEGIN {exit !(w >= u)}'; then
					FIRST_STATUS["$d $1"]=slow
					if [ "$REPEAT" -gt 1 ]; then
						log "$d $1: ${LAST_WALL}s, not repeated (--repeat-under $REPEAT_UNDER)"
					fi
				fi
			fi
		done
	done
done
log "all runs done in $((SECONDS - T_START)) s"

REPORT_ARGS=("$OUT" --elapsed "$((SECONDS - T_START))")
if [ "$DOCS" -eq 1 ]; then
	REPORT_ARGS+=(--docs "$ROOT/docs/benchmarks.md" --img "$ROOT/docs/img")
fi
python3 "$ROOT/bench/report.py" "${REPORT_ARGS[@]}"
log "report: $OUT/report.md"
