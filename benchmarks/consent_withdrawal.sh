#!/usr/bin/env bash
# A consent withdrawal reaching COUNT published photos, through a running veild with 1 and then
# 2 workers, while uploads continue:
#   - withdraw: the wall time of `veil consent CHILD --photos-in-others no` (every affected item
#     is withdrawn, out of the front end's view, when it returns; checked),
#   - re-rendered: from the command to the last item published again with the child blurred,
#     and the items/s of that re-rendering,
#   - the baseline beside it, in the same run: the items/s of the first processing of the same
#     photos with 1 worker (ratio = re-rendering items/s / that),
#   - uploads during the re-rendering: photos of ../shared/testdata/detection/images submitted
#     at RATE per second, and how many were processed by the time the re-rendering ended.
# Between the two worker counts consent is given again and the items re-rendered back (timed too).
# A throwaway PostgreSQL is started (scripts/with-test-postgres); nothing else is touched.
#
# Usage: benchmarks/consent_withdrawal.sh [BUILD_DIR]   (env: COUNT=200 RATE=1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmarks/lib.sh
. "$here/lib.sh"
bench_enter "$@" -- veild veil
count=${COUNT:-200}
rate=${RATE:-1}
tmp=$(mktemp -d /tmp/veil-bench-XXXXXX)
chmod 755 "$tmp"
pid="" uploader=""
cleanup() {
  if [ -n "$uploader" ]; then kill "$uploader" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
url=$VEIL_TEST_DATABASE_URL
sock="$tmp/sock"
mkdir -p "$sock" && chmod 777 "$sock"
veil=("$build/cli/veil" --config "$tmp/veil.toml" --data-dir "$tmp/data")
q() { psql -qtA "$url" -c "$1" | head -n1; }
now() { date +%s.%N; }
kit=../shared/testdata/faces/Kit_Harington
photo="$root/$kit/john2.jpeg"
others=("$root"/../shared/testdata/detection/images/*.jpg)

write_config() {
  cat > "$tmp/veil.toml" <<EOT
[daemon]
workers = $1
[database]
url = "$url"
[ingest]
endpoint = "ipc://$sock/ingest.ipc"
[events]
endpoint = "ipc://$sock/events.ipc"
[http]
port = 0
EOT
}
start_veild() {
  write_config "$1"
  local log="$tmp/veild-$1.log"
  bench_start_veild "$tmp/veil.toml" "$tmp/data" "$log"
}
stop_veild() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
# Waits until the SQL count $1 reaches $2 (at most 20 minutes).
wait_for() {
  for _ in $(seq 12000); do [ "$(q "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  echo "consent_withdrawal: timed out waiting for: $1 >= $2" >&2; exit 1
}

write_config 1
"${veil[@]}" migrate >/dev/null
staff=$(q "INSERT INTO people (kind, display_name) VALUES ('staff', 'Bench Staff') RETURNING id")
journal=$(q "INSERT INTO children (display_name) VALUES ('Other child') RETURNING id")
"${veil[@]}" children add Kit >/dev/null
"${veil[@]}" enrol Kit "$root/$kit/john1.jpeg" "$root/$kit/johnsnow_test1.jpg" >/dev/null
"${veil[@]}" consent Kit --photos-in-others yes --recorded-by "$staff" --evidence "form 1" >/dev/null
"${veil[@]}" keygen --out "$tmp/bench.key" >/dev/null 2>&1
"${veil[@]}" devices register --key-file "$tmp/bench.key" --name benchmark >/dev/null
submit=("${veil[@]}" submit --quiet --key "$tmp/bench.key" --uploader "$staff" --journal "$journal")

echo "consent_withdrawal: $count photos of one child in another journal, uploads at $rate/s during re-rendering; $(nproc) cores"
for workers in 1 2; do
  start_veild "$workers"
  if [ "$workers" = 1 ]; then
    # The baseline: the first processing of the same photos with the same workers.
    for i in $(seq "$count"); do "${submit[@]}" --observation "obs-$i" "$photo" >/dev/null; done
    wait_for "SELECT count(*) FROM media WHERE state IN ('published', 'held', 'rejected', 'failed')" "$count"
    # From the first upload's job to the last one done (the uploads are sent faster than one
    # worker processes them).
    base_s=$(q "SELECT extract(epoch FROM max(updated_at) - min(created_at)) FROM jobs WHERE kind = 'process'")
    base_rate=$(echo "scale=3; $count / $base_s" | bc)
    kept=$(q "SELECT count(DISTINCT f.media_id) FROM faces f JOIN children c ON c.id = f.matched_child_id WHERE c.display_name = 'Kit' AND f.decision = 'keep'")
    echo "  baseline, first processing with 1 worker: $count photos in $(echo "$base_s" | cut -c1-6) s, $base_rate items/s; Kit kept in $kept"
  fi
  done_before=$(q "SELECT count(*) FROM jobs WHERE kind = 'reprocess' AND state = 'done'")
  uploads_before=$(q "SELECT count(*) FROM media")
  ( i=0; while true; do i=$((i + 1)); "${submit[@]}" --observation "up-$workers-$i" "${others[$((i % ${#others[@]}))]}" >/dev/null 2>&1 || true; sleep "$(echo "scale=3; 1 / $rate" | bc)"; done ) &
  uploader=$!
  sleep 2
  t0=$(now)
  "${veil[@]}" consent Kit --photos-in-others no --recorded-by "$staff" --evidence "withdrawn $workers" >/dev/null
  t1=$(now)
  withdrawn=$(q "SELECT count(*) FROM media WHERE state = 'withdrawn'")
  in_view=$(q "SELECT count(DISTINCT r.media_id) FROM journal_renditions r JOIN faces f ON f.media_id = r.media_id JOIN children c ON c.id = f.matched_child_id WHERE c.display_name = 'Kit' AND f.decision = 'keep'")
  wait_for "SELECT count(*) FROM jobs WHERE kind = 'reprocess' AND state = 'done'" $((done_before + count))
  t2=$(now)
  kill "$uploader" 2>/dev/null || true; wait "$uploader" 2>/dev/null || true; uploader=""
  uploads=$(($(q "SELECT count(*) FROM media") - uploads_before))
  uploads_done=$(q "SELECT count(*) FROM media WHERE state IN ('published', 'held', 'rejected', 'failed') AND created_at >= to_timestamp($t0) - interval '3 s' AND id NOT IN (SELECT media_id FROM faces WHERE matched_child_id IS NOT NULL)")
  still_kept=$(q "SELECT count(*) FROM faces f JOIN children c ON c.id = f.matched_child_id WHERE c.display_name = 'Kit' AND f.decision = 'keep'")
  rerender_s=$(echo "$t2 - $t0" | bc)
  rerender_rate=$(echo "scale=3; $count / $rerender_s" | bc)
  echo "  workers=$workers: withdraw command $(echo "($t1 - $t0) * 1000" | bc | cut -d. -f1) ms ($withdrawn withdrawn when it returned, $in_view still in view);" \
       "last re-rendered after $(echo "$rerender_s" | cut -c1-6) s: $rerender_rate items/s, ratio to the 1-worker first processing $(echo "scale=2; $rerender_rate / $base_rate" | bc);" \
       "Kit kept afterwards: $still_kept; uploads during it: $uploads submitted, $uploads_done processed"
  # Consent given again: the items are re-rendered back with Kit kept (timed, for the record).
  done_before=$(q "SELECT count(*) FROM jobs WHERE kind = 'reprocess' AND state = 'done'")
  t0=$(now)
  "${veil[@]}" consent Kit --photos-in-others yes --recorded-by "$staff" --evidence "given again $workers" >/dev/null
  wait_for "SELECT count(*) FROM jobs WHERE kind = 'reprocess' AND state = 'done'" $((done_before + count))
  echo "  workers=$workers: consent given again: $count re-rendered back in $(echo "$(now) - $t0" | bc | cut -c1-6) s"
  stop_veild
done
