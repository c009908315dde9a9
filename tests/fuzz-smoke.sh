#!/usr/bin/env bash
# Replays the fuzz seed corpus through fuzz-decode-replay (the fuzz target with a plain main),
# so every build, sanitizer builds included, checks the codec's round-trip invariants on them.
#
# Usage: tests/fuzz-smoke.sh BUILD_DIR      (ctest passes the build folder)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: fuzz-smoke.sh BUILD_DIR}
CORPUS=$ROOT/tests/fuzz/corpus

bin=$BUILD/bench/fuzz-decode-replay
if [[ ! -x $bin ]]; then
	bin=$(find "$BUILD" -name fuzz-decode-replay -type f -perm -u+x -print -quit)
fi
if [[ -z $bin || ! -x $bin ]]; then
	echo "fuzz-smoke: fuzz-decode-replay not built under $BUILD" >&2
	exit 1
fi

shopt -s nullglob
seeds=("$CORPUS"/*)
if ((${#seeds[@]} == 0)); then
	echo "fuzz-smoke: no seeds in $CORPUS (run tests/fuzz/make-corpus.py)" >&2
	exit 1
fi

# One process per seed, so that a failure names its input.
failed=0
for seed in "${seeds[@]}"; do
	if ! "$bin" "$seed" >/dev/null 2>"$BUILD/fuzz-smoke.err"; then
		echo "fuzz-smoke: FAILED on ${seed#"$ROOT"/}" >&2
		sed 's/^/  /' "$BUILD/fuzz-smoke.err" >&2
		failed=$((failed + 1))
	fi
done
echo "fuzz-smoke: ${#seeds[@]} seeds, $failed failed"
((failed == 0))
