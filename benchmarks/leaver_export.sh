#!/usr/bin/env bash
# The leaver's export of a journal of PHOTOS photos and VIDEOS videos (issue 19): the wall time
# and size of `veil export CHILD --out FILE` and of the leaver flow's export job (`veil children
# leave`, which builds it at once), and the time of `veil children import` of the same file
# into a second database.
#
# The journal: a few real photos and both test videos of ../shared/testdata are processed by
# the real pipeline (`veil process --journal`), then their media and renditions rows (and
# rendition files, copied) are duplicated with SQL up to PHOTOS/VIDEOS items: processing 520
# items would take most of an hour on a small machine, and the export only reads what was
# published. A throwaway PostgreSQL is started (scripts/with-test-postgres); nothing else is
# touched.
#
# Usage: benchmarks/leaver_export.sh [BUILD_DIR]   (env: PHOTOS=500 VIDEOS=20)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmarks/lib.sh
. "$here/lib.sh"
bench_enter "$@" -- veil
photos=${PHOTOS:-500}
videos=${VIDEOS:-20}
tmp=$(mktemp -d /tmp/veil-bench-XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
url=$VEIL_TEST_DATABASE_URL
second=${url/\/postgres\?/\/leaver_second?}
psql -qtA "$url" -c "CREATE DATABASE leaver_second" >/dev/null
veil=("$build/cli/veil" --database-url "$url" --data-dir "$tmp/data")
q() { psql -qtA "$url" -c "$1" | head -n1; }
now() { date +%s.%N; }
testdata="$root/../shared/testdata"
out="$tmp/renditions"

"${veil[@]}" migrate >/dev/null
"${veil[@]}" people add staff "Bench Staff" >/dev/null
"${veil[@]}" children add Kit >/dev/null
"${veil[@]}" enrol Kit "$testdata/faces/Kit_Harington/john1.jpeg" "$testdata/faces/Kit_Harington/johnsnow_test1.jpg" >/dev/null
"${veil[@]}" consent Kit --photos-in-others yes --recorded-by "Bench Staff" --evidence bench >/dev/null
t0=$(now)
for f in "$testdata/faces/Kit_Harington/john2.jpeg" "$testdata/detection/images/"*.jpg; do
  [ "$(q "SELECT count(*) FROM media WHERE kind = 'photo' AND state = 'published'")" -ge 8 ] && break
  "${veil[@]}" process "$f" --journal Kit --out "$out" >/dev/null || true
done
for f in "$testdata/video/"*.mp4; do "${veil[@]}" process "$f" --journal Kit --out "$out" >/dev/null || true; done
t1=$(now)
real_photos=$(q "SELECT count(*) FROM media WHERE kind = 'photo' AND state = 'published'")
real_videos=$(q "SELECT count(*) FROM media WHERE kind = 'video' AND state = 'published'")
[ "$real_photos" -ge 1 ] && [ "$real_videos" -ge 1 ] || { echo "leaver_export: nothing published" >&2; exit 1; }

# Duplicates: each a new media row (a day apart) with copies of its model's rendition files.
duplicate() {  # kind, how many more
  local kind=$1 more=$2 i=0
  mapfile -t models < <(psql -qtA "$url" -c "SELECT id FROM media WHERE kind = '$kind' AND state = 'published' ORDER BY created_at")
  while [ "$i" -lt "$more" ]; do
    local model=${models[$((i % ${#models[@]}))]}
    local id
    id=$(q "INSERT INTO media (id, journal_child_id, observation_ref, uploader_role, kind, original_sha256, bytes, state, created_at)
            SELECT gen_random_uuid(), journal_child_id, 'obs-$kind-$i', uploader_role, kind, original_sha256, bytes, 'published',
                   created_at - make_interval(days => $i % 300, mins => $i)
            FROM media WHERE id = '$model' RETURNING id")
    mkdir -p "$out/$id"
    while IFS='|' read -r kind_r path; do
      cp "$path" "$out/$id/$kind_r.${path##*.}"
    done < <(psql -qtA -F '|' "$url" -c "SELECT kind, path FROM renditions WHERE media_id = '$model'")
    psql -q "$url" -c "INSERT INTO renditions (media_id, version, kind, path, mime, width, height, bytes, sha256)
      SELECT '$id', version, kind, '$out/$id/' || kind || substring(path from '\.[a-z0-9]+\$'), mime, width, height, bytes, sha256
      FROM renditions WHERE media_id = '$model'" >/dev/null
    i=$((i + 1))
  done
}
duplicate photo $((photos - real_photos))
duplicate video $((videos - real_videos))
items=$(q "SELECT count(DISTINCT media_id) FROM journal_renditions")
files=$(q "SELECT count(*) FROM journal_renditions")
rendition_bytes=$(q "SELECT sum(bytes) FROM journal_renditions")

sync
t2=$(now)
"${veil[@]}" export Kit --out "$tmp/kit.zip" >"$tmp/export.json"
t3=$(now)
"${veil[@]}" children leave Kit >"$tmp/leave.json"
t4=$(now)
"$build/cli/veil" --database-url "$second" --data-dir "$tmp/data2" children import "$tmp/kit.zip" >"$tmp/import.json"
t5=$(now)
size=$(stat -c %s "$tmp/kit.zip")
imported=$(python3 -c "import json; print(json.load(open('$tmp/import.json'))['items'])")
recorded=$(python3 -c "import json; print(json.load(open('$tmp/leave.json'))['export']['recorded'])")

printf 'journal: %d items (%d photos processed + duplicates, %d videos processed + duplicates), %d files, %.1f MB of renditions; processed in %.1f s\n' \
  "$items" "$real_photos" "$real_videos" "$files" "$(echo "$rendition_bytes / 1000000" | bc -l)" "$(echo "$t1 - $t0" | bc)"
printf 'veil export:           %.2f s, %.1f MB ZIP (%d bytes)\n' "$(echo "$t3 - $t2" | bc)" "$(echo "$size / 1000000" | bc -l)" "$size"
printf 'veil children leave:   %.2f s (export job recorded: %s)\n' "$(echo "$t4 - $t3" | bc)" "$recorded"
printf 'veil children import:  %.2f s (%s items, into a second database)\n' "$(echo "$t5 - $t4" | bc)" "$imported"
