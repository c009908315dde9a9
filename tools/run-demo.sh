#!/usr/bin/env bash
# Installs what prism needs, builds it, and runs its main job on a bundled capture.
# For now the main job is prism-decode: it turns a raw BGP message stream captured between
# two real daemons into one JSON object per message.
#
# Usage: tools/run-demo.sh [CAPTURE]   (default: tests/fixtures/bird-to-frr.bgp, or the first
#                                      tests/fixtures/*.bgp)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

capture=${1:-}
if [ -z "$capture" ]; then
	if [ -f tests/fixtures/bird-to-frr.bgp ]; then
		capture=tests/fixtures/bird-to-frr.bgp
	else
		capture=$(find tests/fixtures -maxdepth 1 -name '*.bgp' -type f 2>/dev/null |
			LC_ALL=C sort | head -n 1)
	fi
fi
if [ -z "$capture" ] || [ ! -f "$capture" ]; then
	echo "run-demo: no capture to decode (looked for tests/fixtures/*.bgp)" >&2
	exit 1
fi

echo "run-demo: build/tools/prism-decode $capture" >&2
build/tools/prism-decode "$capture"
