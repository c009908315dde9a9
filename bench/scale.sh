#!/usr/bin/env bash
# Thread scaling: prism-bench against prismd at several `threads` settings, each case run
# several times, with the medians in one table (docs/tuning.md). prismd runs as in the
# reflector comparison (bench/daemons/prism.sh: a peer range of route-reflector clients on
# 127.0.0.0/8), with `threads` set for each run through PRISM_THREADS.
#
# Usage: bench/scale.sh [options]
#   --threads "LIST"       prismd worker threads to try (default: "1 2", or 1 2 4 8 16 up to
#                          the CPU count when there are more than 2 CPUs)
#   --repeat N             runs per case and thread count (default 5)
#   --case "NAME ARGS"     a case: a row name and prism-bench's scenario and arguments;
#                          repeatable (default: calico-1000, fanout-2x200000-100 and
#                          restart-1000, the cases of bench/compare.sh's default matrix
#                          that issue #4's targets name)
#   --shards N             rib-shards (default: prismd's own, 4 per thread rounded up to a
#                          power of two)
#   --harness-threads N    prism-bench's threads (default 2)
#   --pin R:H              pin prismd to CPUs R and prism-bench to CPUs H (taskset lists)
#   --build DIR            build folder with prismd and bench/prism-bench (default: build)
#   --out DIR              raw results (default: BUILD/scale/DATE-TIME)
#   --timeout S            prism-bench's per-phase timeout (default 120)
#   --port-base P          first TCP port to try (default 21179)
#
# Writes OUT/runs.tsv (one line a run) and OUT/table.md (medians), and prints the table.
# Every process it starts is stopped by its PID, also on failure or interrupt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PRISM_SH=$ROOT/bench/daemons/prism.sh
THREAD_LIST=
REPEAT=5
CASES=()
SHARDS=
HTHREADS=2
PIN=
BUILD=$ROOT/build
OUT=
TIMEOUT=120
PORT=21179

log() { printf 'scale: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}
usage() {
	sed -n '/^# Usage:/,/^# Writes/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-2}"
}
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

while [ "$#" -gt 0 ]; do
	case "$1" in
	--threads) THREAD_LIST=${2:?}; shift ;;
	--repeat) REPEAT=${2:?}; shift ;;
	--case) CASES+=("${2:?}"); shift ;;
	--shards) SHARDS=${2:?}; shift ;;
	--harness-threads) HTHREADS=${2:?}; shift ;;
	--pin) PIN=${2:?}; shift ;;
	--build) BUILD=${2:?}; shift ;;
	--out) OUT=${2:?}; shift ;;
	--timeout) TIMEOUT=${2:?}; shift ;;
	--port-base) PORT=${2:?}; shift ;;
	-h | --help) usage 0 ;;
	*) log "unknown option: $1"; usage 2 >&2 ;;
	esac
	shift
done

CPUS=$(nproc)
if [ -z "$THREAD_LIST" ]; then
	THREAD_LIST="1 2"
	for t in 4 8 16; do
		[ "$t" -le "$CPUS" ] && THREAD_LIST+=" $t"
	done
fi
# in_range V LO HI: V is a whole number from LO to HI
in_range() { is_uint "$1" && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
for t in $THREAD_LIST; do
	in_range "$t" 1 256 || die "bad thread count: $t"
done
in_range "$REPEAT" 1 100 || die "bad --repeat: $REPEAT"
in_range "$HTHREADS" 1 256 || die "bad --harness-threads: $HTHREADS"
in_range "$TIMEOUT" 1 3600 || die "bad --timeout: $TIMEOUT"
[ -z "$SHARDS" ] || is_uint "$SHARDS" || die "bad --shards: $SHARDS"
if ! is_uint "$PORT" || [ "$PORT" -lt 1024 ] || [ "$PORT" -ge 65000 ]; then
	die "bad --port-base: $PORT"
fi
if [ "${#CASES[@]}" -eq 0 ]; then
	CASES=("calico-1000 calico -n 1000 -m 4"
		"fanout-2x200000-100 fanout -n 102 -f 2 -m 200000 --attr-sets 16"
		"restart-1000 restart -n 1000 -m 4")
fi

BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build folder: $BUILD"
BENCH=$BUILD/bench/prism-bench
[ -x "$BENCH" ] || die "no $BENCH; build it first (cmake --build build)"
if [ -z "${PRISMD:-}" ]; then
	export PRISMD=$BUILD/prismd
fi
[ -x "$PRISMD" ] || die "no prismd at $PRISMD"

R_PFX=()
H_PFX=()
if [ -n "$PIN" ]; then
	[[ "$PIN" == *:* ]] || die "--pin wants PRISMD_CPUS:HARNESS_CPUS, e.g. 1-15:0"
	command -v taskset >/dev/null || die "--pin needs taskset (util-linux)"
	R_PFX=(taskset -c "${PIN%%:*}")
	H_PFX=(taskset -c "${PIN#*:}")
fi

: "${OUT:=$BUILD/scale/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT/json" "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || log "could not raise ulimit -n"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/prism-scale.XXXXXX")
ACTIVE_DIR=   # prismd's scratch folder while it runs (prism.sh stops it by its PID file)
ACTIVE_BENCH= # prism-bench's PID while it runs

pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
stop_active() {
	local i
	if [ -n "$ACTIVE_BENCH" ]; then
		kill -TERM "$ACTIVE_BENCH" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			pid_alive "$ACTIVE_BENCH" || break
			sleep 0.1
		done
		pid_alive "$ACTIVE_BENCH" && kill -KILL "$ACTIVE_BENCH" 2>/dev/null
		wait "$ACTIVE_BENCH" 2>/dev/null || true
		ACTIVE_BENCH=
	fi
	if [ -n "$ACTIVE_DIR" ]; then
		"$PRISM_SH" stop "$ACTIVE_DIR" || log "could not stop prismd ($ACTIVE_DIR)"
		ACTIVE_DIR=
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

next_port() {
	local i
	for ((i = 0; i < 1000; i++)); do
		PORT=$((PORT + 1))
		[ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ] || return 0
	done
	die "no free port found"
}

# run_one CASE THREADS REP SCENARIO ARGS...: one prismd, one prism-bench, one line of TSV.
run_one() {
	local case=$1 threads=$2 rep=$3 scenario=$4
	shift 4
	local dir pid json logf rc=0 peers=1000 a prev=
	for a in "$@"; do
		[ "$prev" = -n ] && peers=$a
		prev=$a
	done
	next_port
	dir=$(mktemp -d "$SCRATCH/run.XXXX")
	json=$OUT/json/$case-t$threads-$rep.json
	logf=$OUT/logs/$case-t$threads-$rep.txt
	if ! pid=$(PRISM_THREADS=$threads PRISM_SHARDS=$SHARDS \
		"${R_PFX[@]}" "$PRISM_SH" start "$dir" "$PORT" "$peers" 2>"$logf"); then
		log "$case threads $threads: prismd did not start (see $logf)"
		"$PRISM_SH" stop "$dir" || true
		printf '%s\t%s\t%s\tstart-failed\t\t\t\n' "$case" "$threads" "$rep" >>"$OUT/runs.tsv"
		return 0
	fi
	ACTIVE_DIR=$dir
	"${H_PFX[@]}" timeout --kill-after=10 $((3 * TIMEOUT + 90)) \
		"$BENCH" "$scenario" "$@" -t "127.0.0.1:$PORT" --pid "$pid" \
		--label "prism-t$threads" --json "$json" --no-progress --timeout "$TIMEOUT" \
		--threads "$HTHREADS" </dev/null >>"$logf" 2>&1 &
	ACTIVE_BENCH=$!
	wait "$ACTIVE_BENCH" || rc=$?
	ACTIVE_BENCH=
	stop_active
	rm -rf "$dir"
	local line
	line=$(python3 - "$json" "$rc" <<'EOF'
import json, sys
path, rc = sys.argv[1], sys.argv[2]
try:
    with open(path) as f:
        r = json.load(f)
except (OSError, ValueError):
    print("no-result\t\t\t")
    sys.exit(0)
ph = {p.get("name"): p for p in r.get("phases", [])}
main = ph.get("restart") or ph.get("converge") or {}
cpu = main.get("reflector_cpu_s")
rss = r.get("reflector", {}).get("peak_rss_kb")
head = r.get("headline_s")
status = "ok" if rc == "0" and head is not None else "failed"
print("%s\t%s\t%s\t%s" % (status, "" if head is None else "%.4f" % head,
                          "" if cpu is None else "%.3f" % cpu,
                          "" if rss is None else "%.1f" % (rss / 1024.0)))
EOF
	)
	printf '%s\t%s\t%s\t%s\n' "$case" "$threads" "$rep" "$line" >>"$OUT/runs.tsv"
	log "$case threads $threads run $rep: $(cut -f1-2 <<<"$line" | tr '\t' ' ') s"
}

: >"$OUT/runs.tsv"
for c in "${CASES[@]}"; do
	read -r -a words <<<"$c"
	[ "${#words[@]}" -ge 2 ] || die "a case needs a name and a scenario: $c"
	for ((rep = 1; rep <= REPEAT; rep++)); do
		# Thread counts interleaved, so that a noisy minute spreads over all of them.
		for t in $THREAD_LIST; do
			run_one "${words[0]}" "$t" "$rep" "${words[@]:1}"
		done
	done
done

python3 - "$OUT/runs.tsv" "$OUT/table.md" "$CPUS" "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" <<'EOF'
import statistics, sys
runs, out, cpus, model = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = {}
order = []
for line in open(runs):
    f = line.rstrip("\n").split("\t")
    case, threads, status = f[0], int(f[1]), f[3]
    key = (case, threads)
    if key not in rows:
        rows[key] = {"ok": [], "cpu": [], "rss": [], "bad": 0}
        order.append(key)
    if status == "ok":
        rows[key]["ok"].append(float(f[4]))
        if f[5]:
            rows[key]["cpu"].append(float(f[5]))
        if f[6]:
            rows[key]["rss"].append(float(f[6]))
    else:
        rows[key]["bad"] += 1
lines = ["%s CPUs (%s); medians over the runs that converged" % (cpus, model), "",
         "| case | threads | runs ok | convergence s (median) | min .. max | prismd CPU s | peak RSS MB | vs 1 thread |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
base = {}
for case, t in order:
    r = rows[(case, t)]
    if not r["ok"]:
        lines.append("| %s | %d | 0 of %d | — | | | | |" % (case, t, r["bad"]))
        continue
    med = statistics.median(r["ok"])
    if t == 1:
        base[case] = med
    ratio = "%.2f×" % (base[case] / med) if case in base else ""
    lines.append("| %s | %d | %d of %d | %.3f | %.3f .. %.3f | %s | %s | %s |" % (
        case, t, len(r["ok"]), len(r["ok"]) + r["bad"], med, min(r["ok"]), max(r["ok"]),
        "%.2f" % statistics.median(r["cpu"]) if r["cpu"] else "",
        "%.0f" % max(r["rss"]) if r["rss"] else "", ratio))
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
sys.stdout.write(text)
EOF
log "raw results in $OUT"
