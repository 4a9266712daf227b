#!/bin/sh
# Builds and runs the face-matching benchmark: time per face for FaceMatcher::match with
# 100 and 5,000 enrolled children (3 random 128-d templates each).
# Usage: benchmarks/match_speed.sh [BUILD_DIR] [match_speed options...]
# BUILD_DIR defaults to ./build (configured with cmake if it does not exist yet).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
[ $# -gt 0 ] && shift
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" --target match_speed -- -j"${JOBS:-2}"
"$build/benchmarks/match_speed" "$@"
