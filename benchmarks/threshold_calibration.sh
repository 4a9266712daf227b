#!/usr/bin/env bash
# Builds and runs the threshold calibration over ../shared/testdata/faces.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${VEIL_BUILD_DIR:-$here/build}
export VEIL_MODEL_DIR=${VEIL_MODEL_DIR:-$build/models}
cmake --build "$build" --target threshold_calibration -j2 >/dev/null
"$build/benchmarks/threshold_calibration" "$@"
