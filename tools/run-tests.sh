#!/usr/bin/env bash
# Runs prism's whole suite, the same way on a laptop and in CI:
#   deps   tools/install-deps.sh
#   build  RelWithDebInfo build in build/, then ctest
#   asan   AddressSanitizer + UBSan build in build-asan/, then ctest
#   tsan   ThreadSanitizer build in build-tsan/, then ctest
#   lint   tools/lint.sh (clang-format, clang-tidy, cppcheck, shellcheck)
#   fuzz   the fuzz-decode libFuzzer target in build-fuzz/ for PRISM_FUZZ_SECONDS (60)
# Every stage runs even when an earlier one failed. The last line counts stages:
# "N passed, N failed". Exits non-zero when any stage failed.
#
# Usage: tools/run-tests.sh [STAGE...]   (default: every stage, in the order above)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

JOBS=$(nproc)
FUZZ_SECONDS=${PRISM_FUZZ_SECONDS:-60}
ALL_STAGES=(deps build asan tsan lint fuzz)

# Sanitizers stop at the first report and say where it came from. A caller's own settings win.
asan_default=halt_on_error=1:detect_leaks=1:strict_string_checks=1
asan_default+=:detect_stack_use_after_return=1:check_initialization_order=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_default}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
tsan_default=halt_on_error=1:second_deadlock_stack=1:history_size=4
# liburcu is not built with TSan; tests/tsan.supp names the reports that come from that.
if [ -f tests/tsan.supp ]; then
	tsan_default+=:suppressions=$PWD/tests/tsan.supp
fi
export TSAN_OPTIONS=${TSAN_OPTIONS:-$tsan_default}

banner() { printf '\n======== %s ========\n' "$*"; }

# A stage that cannot run here says why and returns 0; run_stage then counts it as skipped.
SKIP_NOTE=$(mktemp)
trap 'rm -f "$SKIP_NOTE"' EXIT
skip_stage()
{
	echo "note: $*; skipped"
	echo "$*" >"$SKIP_NOTE"
}

# ctest over one build folder; a build with no tests at all is a failure, not a pass.
run_ctest()
{
	local dir=$1
	shift
	"$@" ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS"
}

configure_build()
{
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@"
	cmake --build "$dir" -j "$JOBS"
}

stage_deps() { tools/install-deps.sh; }

stage_build()
{
	configure_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_SANITIZE=
	run_ctest build
}

stage_asan()
{
	configure_build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_SANITIZE=address
	run_ctest build-asan
}

stage_tsan()
{
	local wrap=()
	# tests/CMakeLists.txt leaves the Criterion suites out of a TSan build: Criterion's fork
	# sandbox maps a shared arena where TSan keeps its shadow, and cannot start. What runs
	# here is the threaded stress programs (tests/stress_*.c) and the shell tests.
	configure_build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_SANITIZE=thread
	# GCC 12's TSan cannot map its shadow when the kernel randomizes mmap with more than 28
	# bits; running without ASLR avoids that. Some containers forbid it, so try first.
	if setarch "$(uname -m)" -R true >/dev/null 2>&1; then
		wrap=(setarch "$(uname -m)" -R)
	fi
	run_ctest build-tsan "${wrap[@]}"
}

stage_lint() { tools/lint.sh; }

# Skipped, with a note, when CMake defines no fuzz-decode target.
stage_fuzz()
{
	local bin corpus=tests/fuzz/corpus work=build-fuzz/corpus dict targets rc=0
	local args=()

	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_FUZZ=ON \
		-DPRISM_TESTS=OFF
	targets=$(cmake --build build-fuzz --target help)
	# An exact name: fuzz-decode-replay, built by every configuration, does not count.
	if ! grep -qE '(^|[[:space:]])fuzz-decode$' <<<"$targets"; then
		skip_stage "no fuzz-decode target in CMake"
		return 0
	fi
	cmake --build build-fuzz --target fuzz-decode -j "$JOBS"
	bin=$(find build-fuzz -name fuzz-decode -type f -perm -u+x | head -n 1)
	if [ -z "$bin" ]; then
		echo "fuzz-decode built, but its executable was not found under build-fuzz/"
		return 1
	fi

	# New inputs go to a scratch corpus; the committed seeds are only read.
	mkdir -p "$work" build-fuzz/artifacts
	args=("$work")
	if [ -d "$corpus" ]; then
		args+=("$corpus")
	else
		echo "note: no seed corpus at $corpus; starting from an empty corpus"
	fi
	dict=$(find tests/fuzz -maxdepth 1 -name '*.dict' 2>/dev/null | head -n 1)
	if [ -n "$dict" ]; then
		args=("-dict=$dict" "${args[@]}")
	fi
	# The full log is long; its tail has the final stats, or the crash and its input.
	echo "fuzz-decode for ${FUZZ_SECONDS}s, log in build-fuzz/fuzz.log"
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "${args[@]}" \
		>build-fuzz/fuzz.log 2>&1 || rc=$?
	tail -n 40 build-fuzz/fuzz.log
	return "$rc"
}

declare -A RESULT SECONDS_TAKEN

run_stage()
{
	local name=$1 rc start
	banner "stage: $name"
	start=$(date +%s)
	: >"$SKIP_NOTE"
	# A subshell, so that set -e stops the stage at its first failing command.
	(
		set -e
		"stage_$name"
	)
	rc=$?
	SECONDS_TAKEN[$name]=$(($(date +%s) - start))
	if [ "$rc" -ne 0 ]; then
		RESULT[$name]=fail
	elif [ -s "$SKIP_NOTE" ]; then
		RESULT[$name]=skipped
	else
		RESULT[$name]=pass
	fi
	printf -- '-------- %s: %s (%ss)\n' "$name" "${RESULT[$name]}" "${SECONDS_TAKEN[$name]}"
}

main()
{
	local stages=("$@") s passed=0 failed=0
	if [ "${#stages[@]}" -eq 0 ]; then
		stages=("${ALL_STAGES[@]}")
	fi
	for s in "${stages[@]}"; do
		if ! declare -F "stage_$s" >/dev/null; then
			echo "unknown stage '$s'; stages are: ${ALL_STAGES[*]}" >&2
			exit 2
		fi
	done

	for s in "${stages[@]}"; do
		run_stage "$s"
	done

	banner "summary"
	for s in "${stages[@]}"; do
		printf '%-6s %-8s %5ss\n' "$s" "${RESULT[$s]}" "${SECONDS_TAKEN[$s]}"
		case ${RESULT[$s]} in
		pass) passed=$((passed + 1)) ;;
		fail) failed=$((failed + 1)) ;;
		esac
	done
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
