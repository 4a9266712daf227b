#!/usr/bin/env bash
# Soak: UPLOADS small photos from CLIENTS concurrent clients (each its own registered device)
# through one veild with WORKERS workers, bounded in time (TIMEOUT seconds for the whole run).
# Prints acknowledgement latency p50/p99, photos/s, veild's resident memory when the first WARM
# items are final and at the end, then checks in PostgreSQL that nothing was lost or done twice:
# one media row per upload, every one final, exactly one media.processed audit entry each.
# Exits 1 when a check fails or veild's memory grew more than 10 % (the line "soak: FAIL ...").
# Photos: the 29 real photos of ../shared/testdata/detection/images (JPEG and PNG, 40-250 KB),
# cycled (each upload its own submission id).
# A throwaway PostgreSQL is started (scripts/with-test-postgres); nothing else is touched.
#
# Usage: benchmarks/soak.sh [BUILD_DIR]   (env: UPLOADS=2000 CLIENTS=8 WORKERS=2 WARM=200 TIMEOUT=1800)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmarks/lib.sh
. "$here/lib.sh"
bench_enter "$@" -- veild veil soak
uploads=${UPLOADS:-2000}
clients=${CLIENTS:-8}
workers=${WORKERS:-2}
warm=${WARM:-200}
timeout_s=${TIMEOUT:-1800}
bench_workspace
url=$VEIL_TEST_DATABASE_URL
veil=("$build/cli/veil" --database-url "$url" --data-dir "$tmp/data")
photos=("$root"/../shared/testdata/detection/images/*.jpg "$root"/../shared/testdata/detection/images/*.png)
q() { psql -qtAX "$url" -c "$1"; }

"${veil[@]}" migrate >/dev/null
staff=$(q "INSERT INTO people (kind, display_name) VALUES ('staff', 'Soak Staff') RETURNING id" | head -n1)
child=$(q "INSERT INTO children (display_name) VALUES ('Soak Child') RETURNING id" | head -n1)
keys=()
for c in $(seq "$clients"); do
  "${veil[@]}" keygen --out "$tmp/client-$c.key" >/dev/null 2>&1
  "${veil[@]}" devices register --key-file "$tmp/client-$c.key" --name "soak-$c" >/dev/null
  keys+=(--key "$tmp/client-$c.key")
done

sock="$tmp/sock"
mkdir -p "$sock" && chmod 777 "$sock"
cat > "$tmp/veil.toml" <<EOT
[daemon]
workers = $workers
[database]
url = "$url"
[ingest]
endpoint = "ipc://$sock/ingest.ipc"
[events]
endpoint = ""
[http]
port = 0
EOT
log="$tmp/veild.log"
bench_start_veild "$tmp/veil.toml" "$tmp/data" "$log"

echo "soak: $uploads uploads from $clients clients, $workers workers, ${#photos[@]} photos cycled; $(nproc) cores"
result=$(timeout "$timeout_s" "$build/benchmarks/soak" --endpoint "ipc://$sock/ingest.ipc" \
  --server-key-file "$tmp/data/curve/server.pub" "${keys[@]}" --journal "$child" --uploader "$staff" --pid "$pid" \
  --uploads "$uploads" --clients "$clients" --warm "$warm" --timeout "$timeout_s" "${photos[@]}") \
  || { echo "soak: FAIL: the driver stopped (above); veild's log:"; tail -n 20 "$log"; exit 1; }

media=$(q "SELECT count(*) FROM media")
final=$(q "SELECT count(*) FROM media WHERE state IN ('published', 'held', 'rejected', 'failed')")
processed=$(q "SELECT count(DISTINCT media_id) FROM audit WHERE action = 'media.processed'")
twice=$(q "SELECT count(*) FROM (SELECT media_id FROM audit WHERE action = 'media.processed'
           GROUP BY media_id HAVING count(*) > 1) AS d")
python3 - "$result" "$uploads" "$warm" "$media" "$final" "$processed" "$twice" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
uploads, warm, media, final, processed, twice = map(int, sys.argv[2:])
print(f"acks: {r['acked']} in {r['ingest_seconds']:.1f} s ({r['acks_per_second']:.0f}/s), latency p50 {r['ack_p50_ms']:.1f} ms, "
      f"p99 {r['ack_p99_ms']:.1f} ms, max {r['ack_max_ms']:.1f} ms; retryable NACKs sent again: {r['retryable_nacks'] or 'none'}")
print(f"processing: {r['photos_per_second']:.2f} photos/s ({r['acked']} final in {r['seconds']:.1f} s); states {r['final_states']}")
print(f"veild memory (RSS): {r['rss_warm_mib']:.0f} MiB when the first {warm} were final, {r['rss_end_mib']:.0f} MiB at the end ({r['rss_growth']*100:+.1f} %), peak {r['rss_peak_mib']:.0f} MiB")
print(f"database: {media} media rows, {final} final, {processed} processed, {twice} processed more than once")
failures = []
if media != uploads: failures.append(f"{media} media rows for {uploads} uploads")
if final != uploads: failures.append(f"{uploads - final} items not final")
if processed != uploads: failures.append(f"{uploads - processed} items never processed")
if twice: failures.append(f"{twice} items processed more than once")
if not r['rss_flat']: failures.append(f"memory grew {r['rss_growth']*100:.1f} %")
print("soak: " + ("FAIL: " + "; ".join(failures) if failures else "ok: nothing lost, nothing done twice, memory flat"))
sys.exit(1 if failures else 0)
PY
