#!/usr/bin/env bash
# Video throughput: the full Veil video pipeline (decode, detect, track, re-check, redact,
# x264 encode, verify) against a plain `ffmpeg -c:v libx264` transcode with the same CRF,
# preset and scale (and -c:a aac), run in this same script on the same files.
#
# Prints per clip: frames per second, the ratio of Veil's time to ffmpeg's (target <= 1.3),
# the speed relative to real time (target > 1 at 1080p on 2 cores: faster than real time)
# and the peak resident memory of both (target: Veil's independent of the video's length:
# compare the 10 s and the 60 s clips).
#
#   benchmarks/video_throughput.sh            # BUILD_DIR=build, models from VEIL_MODEL_DIR or BUILD_DIR/models
#   BUILD_DIR=build-video JUDGES="blur-all embed" benchmarks/video_throughput.sh
#   BEFORE_BUILD=../old/build CLIPS="walkers_10s walkers_60fps" benchmarks/video_throughput.sh
#
# Clips: the 1080p25 walkers clip (4.2 s, many faces), the 512x512 child clip (9 s), the
# walkers clip looped (ffmpeg -stream_loop, stream copy) to 10 s and to 60 s, and the walkers
# clip at 60 fps (frames repeated: the work per frame is what counts). CLIPS names a subset.
# BEFORE_BUILD: the build directory of another version (its benchmarks/video_throughput is
# built there); its rows, judge "NAME@before", come from the same files in the same run.
# The drivers run as veild does under systemd, with glibc's malloc on transparent huge pages
# (packaging/veild.service); a GLIBC_TUNABLES given by the caller is used instead. ffmpeg runs
# as a user runs it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
SHARED=${VEIL_SHARED_DIR:-$ROOT/../shared}
export VEIL_MODEL_DIR=${VEIL_MODEL_DIR:-$BUILD/models}
CRF=${CRF:-23}
PRESET=${PRESET:-veryfast}
JUDGES=${JUDGES:-blur-all}   # blur-all and/or embed (embeds every track, then blurs it)
MAX_EDGE=1920

command -v ffmpeg >/dev/null || { echo "ffmpeg is needed" >&2; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" >/dev/null
cmake --build "$BUILD" --target video_throughput -j2 >/dev/null
DRIVER="$BUILD/benchmarks/video_throughput"
BEFORE_DRIVER=""
if [ -n "${BEFORE_BUILD:-}" ]; then
  cmake --build "$BEFORE_BUILD" --target video_throughput -j2 >/dev/null
  BEFORE_DRIVER="$BEFORE_BUILD/benchmarks/video_throughput"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
WALKERS="$SHARED/testdata/video/facenet_pytorch_walkers_1080p.mp4"
CHILD="$SHARED/testdata/robustness/children/liveportrait_d11_child.mp4"
ffmpeg -nostdin -v error -y -stream_loop -1 -i "$WALKERS" -t 10 -c copy "$TMP/walkers_10s.mp4"
ffmpeg -nostdin -v error -y -stream_loop -1 -i "$WALKERS" -t 60 -c copy "$TMP/walkers_60s.mp4"
ffmpeg -nostdin -v error -y -i "$WALKERS" -vf fps=60 -c:v libx264 -preset veryfast -crf 18 -c:a copy "$TMP/walkers_60fps.mp4"

# Long edge at most 1920, even dimensions, as Veil does.
SCALE="scale='if(gte(iw,ih),min($MAX_EDGE,iw),-2)':'if(gte(iw,ih),-2,min($MAX_EDGE,ih))'"

field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"'; }

echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); x264 preset $PRESET, crf $CRF"
printf '%-18s %-15s %6s %8s %8s %8s %7s %9s %9s %9s %s\n' clip judge frames veil_s ffmpeg_s veil_fps ratio x_realtime veil_MB ffmpeg_MB outcome
for clip in "$WALKERS" "$CHILD" "$TMP/walkers_10s.mp4" "$TMP/walkers_60s.mp4" "$TMP/walkers_60fps.mp4"; do
  name=$(basename "$clip" .mp4)
  if [ -n "${CLIPS:-}" ] && [[ " $CLIPS " != *" $name "* ]]; then continue; fi
  # The plain transcode, same settings.
  $TIME -f '%e %M' -o "$TMP/ffmpeg.time" ffmpeg -nostdin -v error -y -i "$clip" -vf "$SCALE" \
    -c:v libx264 -preset "$PRESET" -crf "$CRF" -pix_fmt yuv420p -c:a aac -movflags +faststart \
    -map_metadata -1 "$TMP/ffmpeg.mp4"
  read -r ff_s ff_kb <"$TMP/ffmpeg.time"
  runs=""
  for judge in $JUDGES; do
    [ -n "$BEFORE_DRIVER" ] && runs+=" $judge@before"
    runs+=" $judge"
  done
  for run in $runs; do
    judge=${run%@before}
    driver=$DRIVER
    [ "$run" != "$judge" ] && driver=$BEFORE_DRIVER
    GLIBC_TUNABLES=${GLIBC_TUNABLES-glibc.malloc.hugetlb=1} \
      $TIME -f '%e %M' -o "$TMP/veil.time" "$driver" "$clip" "$TMP/veil.mp4" --judge "$judge" --preset "$PRESET" \
      --crf "$CRF" >"$TMP/veil.json"
    read -r veil_s veil_kb <"$TMP/veil.time"
    json=$(cat "$TMP/veil.json")
    frames=$(field frames "$json")
    duration=$(field duration_s "$json")
    held=$(field outcome "$json")
    [ -n "$held" ] || held="held=$(field held "$json")"  # a driver built before the outcome field
    awk -v n="$name" -v j="$run" -v f="$frames" -v d="$duration" -v vs="$veil_s" -v fs="$ff_s" \
      -v vk="$veil_kb" -v fk="$ff_kb" -v h="$held" 'BEGIN {
        printf "%-18s %-15s %6d %8.2f %8.2f %8.1f %7.2f %9.2f %9.0f %9.0f %s\n",
               n, j, f, vs, fs, f / vs, vs / fs, d / vs, vk / 1024, fk / 1024, h }'
    echo "  $name $run: $json" | cut -c1-420 >>"$TMP/details.txt"
  done
done
echo
echo "ratio = veil_s / ffmpeg_s (target <= 1.3); x_realtime = clip duration / veil_s (target > 1);"
echo "veil_MB / ffmpeg_MB = peak resident memory (/usr/bin/time %M). Per-pass timings:"
cat "$TMP/details.txt"
