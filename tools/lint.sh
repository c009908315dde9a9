#!/usr/bin/env bash
# Lints prism's own sources and fails on any finding:
#   clang-format --dry-run --Werror   every .c and .h (style in .clang-format)
#   clang-tidy                        every .c, with build/compile_commands.json (.clang-tidy)
#   cppcheck                          every .c in the compile database
#   ShellCheck, severity warning      tools/*.sh, tests/*.sh, .ci/run
# Sources are those under core rib io bench tools tests, minus tests/fixtures. Findings listed
# in tools/lint-baseline.txt (one "tool:file:check" a line) are accepted; see that file.
#
# Usage: tools/lint.sh [format|tidy|cppcheck|shell ...]   (default: all four)
#        tools/lint.sh fix                                 (clang-format -i every source file)
# Uses build/ for the compile database, configuring it when needed (BUILD_DIR overrides).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

JOBS=$(nproc)
BUILD_DIR=${BUILD_DIR:-build}
SOURCE_DIRS=(core rib io bench tools tests)
BASELINE=tools/lint-baseline.txt

mapfile -t C_FILES < <(find "${SOURCE_DIRS[@]}" -path tests/fixtures -prune -o -type f \
	-name '*.c' -print 2>/dev/null | LC_ALL=C sort)
mapfile -t H_FILES < <(find "${SOURCE_DIRS[@]}" -path tests/fixtures -prune -o -type f \
	-name '*.h' -print 2>/dev/null | LC_ALL=C sort)

# Entries of the baseline for one tool, without comments.
baseline_for()
{
	[ -f "$BASELINE" ] || return 0
	sed -n "s/^$1://p" "$BASELINE" | sed 's/[[:space:]]*#.*//; /^$/d'
}

lint_format()
{
	local files=("${C_FILES[@]}" "${H_FILES[@]}") f bad=()
	[ "${#files[@]}" -gt 0 ] || return 0
	for f in "${files[@]}"; do
		clang-format --dry-run --Werror "$f" || bad+=("$f")
	done
	if [ "${#bad[@]}" -gt 0 ]; then
		echo "lint: not clang-formatted: ${bad[*]}"
		echo "lint: 'tools/lint.sh fix' rewrites them in place"
		return 1
	fi
}

# Not a check: rewrites every source file in place with clang-format.
fix_format()
{
	local files=("${C_FILES[@]}" "${H_FILES[@]}")
	[ "${#files[@]}" -gt 0 ] || return 0
	clang-format -i "${files[@]}"
	echo "lint: formatted ${#files[@]} files"
}

ensure_compile_db()
{
	# Configuring again is cheap, and picks up source files added since the last time.
	local log="$BUILD_DIR/lint-configure.log"
	mkdir -p "$BUILD_DIR"
	if ! cmake -S . -B "$BUILD_DIR" >"$log" 2>&1; then
		cat "$log"
		echo "lint: cannot configure $BUILD_DIR for its compile database" >&2
		return 1
	fi
}

# Files named in the compile database, relative to the repository root.
files_in_compile_db()
{
	python3 - "$BUILD_DIR/compile_commands.json" "$PWD" <<'EOF'
import json, os, sys
root = sys.argv[2]
for entry in json.load(open(sys.argv[1])):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    print(os.path.relpath(path, root))
EOF
}

# A file that no target builds (yet) is still checked, with the flags a target would use.
FALLBACK_FLAGS=(-std=gnu17 -I. -Wall -Wextra)

lint_tidy()
{
	local in_db=() not_in_db=() f rc=0
	[ "${#C_FILES[@]}" -gt 0 ] || return 0
	ensure_compile_db || return 1
	local -A db=()
	while read -r f; do db[$f]=1; done < <(files_in_compile_db)
	for f in "${C_FILES[@]}"; do
		if [ -n "${db[$f]:-}" ]; then
			in_db+=("$f")
		else
			not_in_db+=("$f")
		fi
	done
	# One file per process: clang-tidy 14's analyzer carries va_list state from one file into
	# the next within a process, and reports a false "uninitialized va_list".
	if [ "${#in_db[@]}" -gt 0 ]; then
		printf '%s\n' "${in_db[@]}" |
			xargs -P "$JOBS" -n 1 clang-tidy --quiet -p "$BUILD_DIR" 2>/dev/null || rc=1
	fi
	for f in "${not_in_db[@]}"; do
		echo "lint: $f is in no target; checked with default flags"
		clang-tidy --quiet "$f" -- "${FALLBACK_FLAGS[@]}" 2>/dev/null || rc=1
	done
	return "$rc"
}

# cppcheck reads no system headers, so it cannot expand Criterion's Test() and TestSuite()
# and would give up on every test file ("unknownMacro"). This tells it their shape.
write_criterion_cfg()
{
	cat >"$1" <<'EOF'
<?xml version="1.0"?>
<def format="2">
  <define name="Test(suite, name, ...)" value="void suite##_##name(void); void suite##_##name(void)"/>
  <define name="TestSuite(name, ...)" value=""/>
  <define name="ParameterizedTestParameters(suite, name)" value="static void *suite##_##name##_params(void)"/>
  <define name="ParameterizedTest(t, suite, name, ...)" value="void suite##_##name(t)"/>
  <define name="cds_lfht_for_each_entry(ht, iter, pos, member)" value="for (pos = NULL; pos; )"/>
  <define name="json_array_foreach(array, index, value)" value="for (index = 0; (value = NULL); )"/>
</def>
EOF
}

lint_cppcheck()
{
	local suppress=() s cfg="$BUILD_DIR/cppcheck/criterion.cfg"
	[ "${#C_FILES[@]}" -gt 0 ] || return 0
	ensure_compile_db || return 1
	while read -r s; do suppress+=("--suppress=$s"); done < <(baseline_for cppcheck)
	mkdir -p "$BUILD_DIR/cppcheck"
	write_criterion_cfg "$cfg"
	cppcheck --quiet --error-exitcode=1 --inline-suppr -j "$JOBS" \
		--enable=warning,performance,portability --suppress=missingIncludeSystem \
		--library="$cfg" --template=gcc \
		"${suppress[@]}" --project="$BUILD_DIR/compile_commands.json" \
		-i"$PWD/$BUILD_DIR" -i"$PWD/tests/fixtures"
}

lint_shell()
{
	local scripts=()
	mapfile -t scripts < <(find tools tests tests/lib bench bench/daemons -maxdepth 1 -type f \
		-name '*.sh' 2>/dev/null | LC_ALL=C sort)
	[ -f .ci/run ] && scripts+=(.ci/run)
	[ "${#scripts[@]}" -gt 0 ] || return 0
	shellcheck -S warning "${scripts[@]}"
}

main()
{
	local checks=("$@") c failed=()
	if [ "${1:-}" = fix ]; then
		fix_format
		return
	fi
	if [ "${#checks[@]}" -eq 0 ]; then
		checks=(format tidy cppcheck shell)
	fi
	for c in "${checks[@]}"; do
		if ! declare -F "lint_$c" >/dev/null; then
			echo "lint: unknown check '$c' (format, tidy, cppcheck, shell)" >&2
			exit 2
		fi
	done
	for c in "${checks[@]}"; do
		echo "lint: $c"
		if ! "lint_$c"; then
			failed+=("$c")
		fi
	done
	if [ "${#failed[@]}" -gt 0 ]; then
		echo "lint: FAILED: ${failed[*]}"
		return 1
	fi
	echo "lint: clean (${#C_FILES[@]} .c, ${#H_FILES[@]} .h)"
}

main "$@"
