#!/usr/bin/env bash
# The moderation API with a full queue (issue 17): COUNT held items pending moderation, then
# p50/p99 latency of
#   - GET /api/moderation?state=pending&limit=50, the first page and a page deep in the list
#     (by its cursor), and GET /api/media/{id}, each against GET /api/session (the session
#     check and a small JSON answer every API request pays) as the baseline;
#   - GET /api/media/{id}/review.jpg (the display rendition decoded, marked and encoded again),
#     for a small photo and a 12 MP one, each against its display file read and served as it is.
# The driver (benchmarks/moderation_queue.cpp) writes the nursery and the synthetic items with
# the storage/ functions and has veild's own worker process the real uploads: the photos of
# ../shared/testdata/detection/images plus one of them enlarged to 4032x3024 with vips (a
# phone's 12 MP photo, whose display rendition is 2048 px wide).
# A throwaway PostgreSQL is started (scripts/with-test-postgres); nothing else is touched.
#
# Usage: benchmarks/moderation_queue.sh [BUILD_DIR]
#   (env: COUNT=2000 REQUESTS=200 REVIEW_REQUESTS=100 CHILDREN=20)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmarks/lib.sh
. "$here/lib.sh"
bench_enter "$@" -- moderation_queue
tmp=$(mktemp -d /tmp/veil-bench-XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
images=$root/../shared/testdata/detection/images
photos=("$images"/dlib_2007_007763.jpg "$images"/dlib_2008_002079.jpg "$images"/dlib_2008_004176.jpg "$images"/dlib_2009_004587.jpg)
vips resize "$images/dlib_2008_002079.jpg" "$tmp/large.jpg[Q=92]" 8.064 --vscale 8.064
photos+=("$tmp/large.jpg")

echo "moderation_queue: ${COUNT:-2000} held items, ${REQUESTS:-200} requests per API measurement," \
  "${REVIEW_REQUESTS:-100} per review image; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/benchmarks/moderation_queue" --database-url "$VEIL_TEST_DATABASE_URL" --data-dir "$tmp/data" \
  ${VEIL_MODEL_DIR:+--model-dir "$VEIL_MODEL_DIR"} --count "${COUNT:-2000}" --children "${CHILDREN:-20}" \
  --requests "${REQUESTS:-200}" --review-requests "${REVIEW_REQUESTS:-100}" "${photos[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
