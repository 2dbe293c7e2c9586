#!/usr/bin/env bash
# Configures and builds codd. Usage: ops/build.sh [release|debug|asan] [ninja targets...]
# Build directories: build/ (release), build-debug/, build-asan/ (Debug with ASan+UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-release}"
shift || true
case "$mode" in
    release) dir=build;       flags=(-DCMAKE_BUILD_TYPE=Release) ;;
    debug)   dir=build-debug; flags=(-DCMAKE_BUILD_TYPE=Debug) ;;
    asan)    dir=build-asan;  flags=(-DCMAKE_BUILD_TYPE=Debug -DCODD_SANITIZE=ON) ;;
    *) echo "usage: ops/build.sh [release|debug|asan] [targets...]" >&2; exit 2 ;;
esac

# Clones in different folders share ccache hits.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
jobs="${CODD_BUILD_JOBS:-$(nproc)}"
if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja "${flags[@]}"
fi
cmake --build "$dir" -j "$jobs" ${1:+--target "$@"}
