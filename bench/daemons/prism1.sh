#!/usr/bin/env bash
# prismd with `threads: 1`, for the comparison's threads row (docs/benchmarks.md): the same
# as prism.sh in every other way (start, stop, version, check).
set -euo pipefail
export PRISM_THREADS=1
exec "$(dirname "${BASH_SOURCE[0]}")/prism.sh" "$@"
