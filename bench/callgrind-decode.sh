#!/usr/bin/env bash
# Counts the instructions one decoded prefix costs: bench-decode --once under callgrind,
# collecting only inside bench_decode_measured() (decode + intern + unref of case full24, after
# a warm-up pass outside it), then Ir of that region / prefixes decoded.
#
# Usage: bench/callgrind-decode.sh [CASE]      (CASE: full24, the default, v6_48 or mix)
#   BUILD=dir   build folder (default build-callgrind: RelWithDebInfo, no sanitizer)
#   OUT=dir     where callgrind.out.decode-CASE and the annotations go (default $BUILD)
#   TOP=n       functions to list (default 15)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CASE=${1:-full24}
BUILD=${BUILD:-$ROOT/build-callgrind}
OUT=${OUT:-$BUILD}
TOP=${TOP:-15}

for tool in valgrind callgrind_annotate cmake; do
	command -v "$tool" >/dev/null || { echo "callgrind-decode: missing $tool" >&2; exit 1; }
done

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_SANITIZE= \
	-DPRISM_TESTS=OFF -DPRISM_FUZZ=OFF >/dev/null
cmake --build "$BUILD" --target bench-decode -j "$(nproc)" >/dev/null
bin=$BUILD/bench/bench-decode
mkdir -p "$OUT"
prof=$OUT/callgrind.out.decode-$CASE

# LD_BIND_NOW: resolve every PLT entry at start, so lazy binding is not billed to the region.
LD_BIND_NOW=1 valgrind --tool=callgrind --callgrind-out-file="$prof" --collect-atstart=no \
	--toggle-collect='bench_decode_measured*' \
	"$bin" --once --json --case "$CASE" >"$OUT/bench-once-$CASE.json" 2>"$OUT/valgrind-$CASE.log"

prefixes=$(sed -n 's/.*"prefixes_per_iteration": \([0-9]*\).*/\1/p' "$OUT/bench-once-$CASE.json")
callgrind_annotate --auto=no --threshold=100 --inclusive=no "$prof" >"$OUT/annotate-self-$CASE.txt"
callgrind_annotate --auto=no --threshold=100 --inclusive=yes "$prof" >"$OUT/annotate-incl-$CASE.txt"
total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$OUT/annotate-self-$CASE.txt")
if [[ -z $total || -z $prefixes || $prefixes -eq 0 ]]; then
	echo "callgrind-decode: could not read the totals; see $OUT/valgrind-$CASE.log" >&2
	exit 1
fi

# One row per function: Ir, share of the region, Ir per prefix, name. callgrind_annotate lists a
# function once per source file its code came from (inlined buf.h getters); self costs are
# summed over those rows, inclusive costs take the largest. Frames that only enclose the
# region (main, the libc start, bench_time) are left out of the inclusive list.
top_table() {
	awk -v top="$TOP" -v total="$total" -v pfx="$prefixes" -v mode="$2" '
		/file:function/ { list = 1; next }
		list && /^-+$/ { next }
		list && NF == 0 { list = 0 }
		list && NF >= 2 && $1 ~ /^[0-9,]+$/ {
			ir = $1; gsub(",", "", ir); ir += 0
			fn = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", fn)
			sub(/ \[[^]]*\]$/, "", fn); n = split(fn, part, ":"); fn = part[n]
			if (fn ~ /^(PROGRAM TOTALS|main|\(below main\)|__libc_start.*|0x[0-9a-f]+|bench_time)$/)
				next
			if (!(fn in cost)) order[++nfn] = fn
			if (mode == "self") cost[fn] += ir
			else if (ir > cost[fn]) cost[fn] = ir
		}
		END {
			for (i = 1; i <= nfn; i++) for (j = i + 1; j <= nfn; j++)
				if (cost[order[j]] > cost[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
			for (i = 1; i <= nfn && i <= top; i++)
				printf "  %10d  %5.1f%%  %6.1f/prefix  %s\n", cost[order[i]],
				       100 * cost[order[i]] / total, cost[order[i]] / pfx, order[i]
		}' "$1"
}

printf 'case %s: %d prefixes, %d instructions in the measured region\n' "$CASE" "$prefixes" "$total"
printf 'instructions per prefix: %.1f\n' "$(echo "$total / $prefixes" | bc -l)"
printf '\ntop functions by Ir (self):\n'
top_table "$OUT/annotate-self-$CASE.txt" self
printf '\ntop functions by Ir (inclusive):\n'
top_table "$OUT/annotate-incl-$CASE.txt" incl
printf '\nprofile: %s (callgrind_annotate / kcachegrind)\n' "$prof"
