#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan (-DVEIL_FUZZ=ON
# -DVEIL_SANITIZE=ON) into their own build directory and runs each for SECONDS.
#
# Prints per target: executions, executions per second, coverage (libFuzzer's "cov:", the
# code edges reached) and crashes (inputs that crashed, leaked, hung or ran out of memory:
# kept under BUILD/crashes/TARGET/), then last the line
#   fuzz: T targets, E executions, C crashes
# It exits 0 whatever it found; a run stops at its target's first crash.
#
#   benchmarks/fuzz.sh 60                        # every target for 60 s
#   benchmarks/fuzz.sh 600 ingest_request        # one target
#   FUZZ_BUILD_DIR=/tmp/veil-fuzz CXX=clang++-14 benchmarks/fuzz.sh 60
#
# Corpora live in BUILD/corpus/TARGET and grow from run to run. They are seeded with the
# committed seeds in fuzz/seeds/, config/veil.example.toml, the small files of
# ../shared/testdata/robustness (VEIL_SHARED_DIR; copied, never committed) where a target
# reads files.
set -euo pipefail

seconds=${1:?usage: benchmarks/fuzz.sh SECONDS [TARGET...]}
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SHARED=${VEIL_SHARED_DIR:-$ROOT/../shared}
CXX_BIN=${CXX:-clang++-14}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ingest_request config_parse decode_image video_probe api_body)

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DVEIL_SANITIZE=ON -DVEIL_FUZZ=ON >/dev/null
cmake --build "$BUILD" -j2 --target "${targets[@]/#/fuzz_}" >"$BUILD/fuzz-build.log" 2>&1 \
  || { tail -n 40 "$BUILD/fuzz-build.log"; exit 1; }

supp=$ROOT/scripts/sanitize
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# seed TARGET DIR: copies the first seeds into the target's corpus (once).
seed() {
  local target=$1 corpus=$BUILD/corpus/$1
  [ -d "$corpus" ] && return 0
  mkdir -p "$corpus"
  case $target in
    ingest_request) cp "$ROOT"/fuzz/seeds/ingest/* "$corpus/" ;;
    config_parse) cp "$ROOT"/fuzz/seeds/config/* "$ROOT/config/veil.example.toml" "$corpus/" ;;
    api_body) cp "$ROOT"/fuzz/seeds/api_body/* "$corpus/" ;;
    # The robustness set's pictures under 256 KiB (every format, corrupt files, bombs).
    decode_image) find "$SHARED/testdata/robustness" -type f -size -256k ! -name '*.tsv' ! -name '*.md' \
                    ! -name '*.mp4' ! -name '*.mov' ! -name '*.mkv' ! -name '*.webm' -exec cp {} "$corpus/" \; ;;
    # The robustness set's videos and small broken files, and one-second clips of 64x64 made
    # here with ffmpeg in each container and codec the video pipeline accepts.
    video_probe)
      find "$SHARED/testdata/robustness" -type f -size -512k \( -name '*.mp4' -o -name '*.mov' \
        -o -path '*/corrupt/*' -o -path '*/partial/*' \) -exec cp {} "$corpus/" \;
      local spec ext codec size
      for spec in mp4:libx264 mov:mpeg4 mkv:libvpx webm:libvpx-vp9 avi:mjpeg ts:mpeg2video flv:flv \
                  wmv:wmv2 3gp:h263 mp4:libx265; do
        ext=${spec%%:*} codec=${spec#*:} size=64x64
        [ "$codec" != h263 ] || size=128x96  # H.263 knows five picture sizes
        ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=$size:rate=10:duration=1" \
          -f lavfi -i sine=duration=1 -c:v "$codec" -c:a "$([ "$ext" = webm ] && echo libopus || echo aac)" \
          -shortest "$corpus/seed-$codec.$ext" >/dev/null 2>&1 || echo "fuzz: no seed $spec (ffmpeg)" >&2
      done ;;
  esac
}

total_exec=0
total_crashes=0
printf '%-16s %8s %12s %10s %8s %8s\n' target seconds executions exec/s cov crashes
for t in "${targets[@]}"; do
  seed "$t"
  crashes_dir=$BUILD/crashes/$t
  mkdir -p "$crashes_dir"
  before=$(find "$crashes_dir" -type f | wc -l)
  log=$BUILD/fuzz-$t.log
  start=$(date +%s)
  # Videos: inputs up to 128 KiB (libFuzzer's default is the largest seed), so that a run
  # spends its time on many small files rather than on decoding a few large ones.
  extra=()
  [ "$t" != video_probe ] || extra=(-max_len=131072)
  "$BUILD/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=3072 \
    ${extra[@]+"${extra[@]}"} -artifact_prefix="$crashes_dir/" "$BUILD/corpus/$t" >"$log" 2>&1 || true
  elapsed=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
  crashes=$(( $(find "$crashes_dir" -type f | wc -l) - before ))
  printf '%-16s %8s %12s %10s %8s %8s\n' "$t" "$elapsed" "${execs:-0}" "${rate:-0}" "${cov:-0}" "$crashes"
  [ "$crashes" -eq 0 ] || grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/    /' || true
  total_exec=$(( total_exec + ${execs:-0} ))
  total_crashes=$(( total_crashes + crashes ))
done
echo "fuzz: ${#targets[@]} targets, $total_exec executions, $total_crashes crashes"
