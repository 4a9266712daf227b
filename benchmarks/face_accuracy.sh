#!/usr/bin/env bash
# Face detection and recognition accuracy on ../shared/testdata with the real models:
# detection recall/precision by face size (default and thorough mode), blur coverage of the
# annotated faces, verification TAR at FAR 1e-2/1e-3, open-set identification, and the
# detector's time on a 12 MP JPEG (made here from a real 12 MP HEIC photo) against one plain
# YuNet 640x480 pass run in the same process. Figures: docs/models.md.
#
# Usage: benchmarks/face_accuracy.sh [face_accuracy options...]   e.g. --sweep, --score 0.5
# Environment: VEIL_BUILD_DIR (default ./build), VEIL_MODEL_DIR (default BUILD/models),
#              VEIL_SHARED_DIR (default ../shared), GLIBC_TUNABLES (default: malloc on
#              transparent huge pages, as veild runs under systemd: packaging/veild.service).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${VEIL_BUILD_DIR:-$here/build}
shared=${VEIL_SHARED_DIR:-$here/../shared}
export VEIL_MODEL_DIR=${VEIL_MODEL_DIR:-$build/models}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" >/dev/null
fi
cmake --build "$build" --target face_accuracy -- -j"${JOBS:-2}" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 3992x2992 (11.9 MP): the detector's timing on a phone-sized photo (OpenCV cannot read HEIC).
vips copy "$shared/testdata/robustness/heic/test-heic_image1.heic" "$tmp/photo12mp.jpg[Q=90]"
GLIBC_TUNABLES=${GLIBC_TUNABLES-glibc.malloc.hugetlb=1} \
  "$build/benchmarks/face_accuracy" --testdata "$shared/testdata" --threads 1 --large "$tmp/photo12mp.jpg" "$@"
