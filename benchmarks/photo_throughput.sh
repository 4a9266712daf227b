#!/usr/bin/env bash
# Photo throughput: `veil process` (decode, detect, embed, match, blur, display rendition +
# thumbnails) against `vipsthumbnail -s 2048` on the same files, in the same script.
# Prints photos/s, the ratio to the baseline, and peak memory. Each `veil process` call is a
# new process that loads the models and enrols the gallery before it reads the photo; the
# same pipeline inside one process with all of that done once (as a daemon worker runs it)
# is timed too, by the photo_pipeline driver. The driver runs as veild does under systemd,
# with glibc's malloc on transparent huge pages (packaging/veild.service); a GLIBC_TUNABLES
# given by the caller is used instead. `veil process` and vipsthumbnail run as a user runs them.
#
# Usage: benchmarks/photo_throughput.sh [RUNS]   (default 5 runs per file)
# Environment: VEIL_CONFIG, a configuration file `veil process` reads (-c), to compare settings.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${VEIL_BUILD_DIR:-$here/build}
shared=${VEIL_SHARED_DIR:-$here/../shared}
runs=${1:-5}
export VEIL_MODEL_DIR=${VEIL_MODEL_DIR:-$build/models}
cmake --build "$build" --target veil photo_pipeline -j2 >/dev/null
veil="$build/cli/veil"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A 12 MP JPEG made from a real HEIC photo, and a small gallery so that embedding and matching run.
vips copy "$shared/testdata/robustness/heic/test-heic_image3.heic" "$tmp/photo12mp.jpg[Q=90]"
mkdir -p "$tmp/gallery"
cp "$shared/testdata/faces/Barack_Obama/obama.jpg" "$tmp/gallery/obama_1.jpg"
cp "$shared/testdata/faces/Joe_Biden/biden.jpg" "$tmp/gallery/biden_1.jpg"

now() { date +%s.%N; }
# seconds for `runs` repetitions of a command over a list of files
time_loop() {
  local start end
  start=$(now)
  for ((i = 0; i < runs; i++)); do
    for f in "${files[@]}"; do "$@" "$f" >/dev/null 2>&1 || true; done
  done
  end=$(now)
  echo "$end - $start" | bc -l
}
peak_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }

veil_process() { "$veil" ${VEIL_CONFIG:+-c "$VEIL_CONFIG"} process "$1" --gallery "$tmp/gallery" --journal obama --out "$tmp/out"; }
veil_thorough() { "$veil" ${VEIL_CONFIG:+-c "$VEIL_CONFIG"} process "$1" --thorough --gallery "$tmp/gallery" --journal obama --out "$tmp/out"; }
baseline() { vipsthumbnail -s 2048 -o "$tmp/thumb.jpg[Q=85]" "$1"; }

report() {
  local label=$1 n=$2
  local base veilt thor
  base=$(time_loop baseline)
  veilt=$(time_loop veil_process)
  thor=$(time_loop veil_thorough)
  printf '%s (%d files x %d runs)\n' "$label" "$n" "$runs"
  printf '  vipsthumbnail -s 2048 : %7.1f ms/photo  %6.2f photos/s\n' "$(echo "1000*$base/($n*$runs)" | bc -l)" "$(echo "$n*$runs/$base" | bc -l)"
  printf '  veil process (default): %7.1f ms/photo  %6.2f photos/s  ratio %.2fx\n' "$(echo "1000*$veilt/($n*$runs)" | bc -l)" "$(echo "$n*$runs/$veilt" | bc -l)" "$(echo "$veilt/$base" | bc -l)"
  printf '  veil process --thorough: %6.1f ms/photo  %6.2f photos/s  ratio %.2fx\n' "$(echo "1000*$thor/($n*$runs)" | bc -l)" "$(echo "$n*$runs/$thor" | bc -l)" "$(echo "$thor/$base" | bc -l)"
}

files=("$tmp/photo12mp.jpg")
echo "12 MP photo: $(vipsheader "$tmp/photo12mp.jpg")"
report "12 MP JPEG" 1
base12=$(time_loop baseline)
inproc=$(GLIBC_TUNABLES=${GLIBC_TUNABLES-glibc.malloc.hugetlb=1} \
  "$build/benchmarks/photo_pipeline" "$tmp/photo12mp.jpg" "$tmp/gallery" obama $((runs + 2)))
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$inproc"; }
median=$(field median_ms)
printf '  in one process (models loaded, gallery enrolled once: %.0f ms): %7.1f ms/photo (median)  ratio %.2fx to vipsthumbnail (%.1f ms this time); CPU %.0f ms, %.0f minor faults per photo\n' \
  "$(field setup_ms)" "$median" "$(echo "$median/(1000*$base12/$runs)" | bc -l)" "$(echo "1000*$base12/$runs" | bc -l)" \
  "$(field cpu_ms)" "$(field minor_faults)"
echo "  peak RSS: veil process $(peak_kb "$veil" process "$tmp/photo12mp.jpg" --gallery "$tmp/gallery" --journal obama --out "$tmp/out") KiB, vipsthumbnail $(peak_kb vipsthumbnail -s 2048 -o "$tmp/t.jpg" "$tmp/photo12mp.jpg") KiB"

mapfile -t files < <(ls "$shared"/testdata/detection/images/*)
report "detection photos (typical web/phone sizes)" "${#files[@]}"
