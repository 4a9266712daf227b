#!/usr/bin/env bash
# Photos through a running veild, end to end (ZeroMQ CURVE ingest -> encrypted original ->
# PostgreSQL job -> worker pipeline -> recorded result -> event), with 1 and then 2 workers:
#   - sustained photos/s for a burst of COUNT photos (first submission to last final state),
#   - submit-to-final latency p50/p99 for LATENCY_COUNT photos sent at RATE per second,
#   - the baseline beside it: veild's own mean pipeline time per photo (from /metrics), so
#     that "efficiency" = measured photos/s / (workers / mean pipeline seconds),
#   - veild's CPU time (user + system, start-up included) per photo processed: steadier than
#     the rates on a machine shared with other work.
# Photos: the real photos in ../shared/testdata/detection/images (JPEG, ~40-110 KB each).
# A throwaway PostgreSQL is started (scripts/with-test-postgres); nothing else is touched.
# veild runs as under systemd, with glibc's malloc on transparent huge pages
# (packaging/veild.service); a GLIBC_TUNABLES given by the caller is used instead.
#
# Usage: benchmarks/daemon_throughput.sh [BUILD_DIR]   (env: COUNT=60 LATENCY_COUNT=20 RATE=2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmarks/lib.sh
. "$here/lib.sh"
bench_enter "$@" -- veild veil daemon_throughput
count=${COUNT:-60}
latency_count=${LATENCY_COUNT:-20}
rate=${RATE:-2}
bench_workspace
url=$VEIL_TEST_DATABASE_URL
veil=("$build/cli/veil" --database-url "$url" --data-dir "$tmp/data")
photos=("$root"/../shared/testdata/detection/images/*.jpg)

psql -q "$url" -c "SELECT 1" >/dev/null
"${veil[@]}" migrate >/dev/null
staff=$(psql -qtA "$url" -c "INSERT INTO people (kind, display_name) VALUES ('staff', 'Bench Staff') RETURNING id" | head -n1)
child=$(psql -qtA "$url" -c "INSERT INTO children (display_name) VALUES ('Bench Child') RETURNING id" | head -n1)
"${veil[@]}" keygen --out "$tmp/bench.key" >/dev/null 2>&1
"${veil[@]}" devices register --key-file "$tmp/bench.key" --name benchmark >/dev/null

echo "daemon_throughput: ${#photos[@]} photos cycled, burst of $count, latency $latency_count at $rate/s; $(nproc) cores"
for workers in 1 2; do
  sock="$tmp/sock-$workers"
  mkdir -p "$sock" && chmod 777 "$sock"
  cat > "$tmp/veil-$workers.toml" <<EOT
[daemon]
workers = $workers
[database]
url = "$url"
[ingest]
endpoint = "ipc://$sock/ingest.ipc"
[events]
endpoint = "ipc://$sock/events.ipc"
[http]
port = 0
EOT
  log="$tmp/veild-$workers.log"
  bench_start_veild "$tmp/veil-$workers.toml" "$tmp/data" "$log"
  port=$(grep -o 'http: listening on [^ ]*' "$log" | sed 's/.*://')
  result=$("$build/benchmarks/daemon_throughput" --endpoint "ipc://$sock/ingest.ipc" --events "ipc://$sock/events.ipc" \
    --server-key-file "$tmp/data/curve/server.pub" --key "$tmp/bench.key" --journal "$child" --uploader "$staff" \
    --count "$count" --latency-count "$latency_count" --rate "$rate" --prefix "w$workers" "${photos[@]}")
  metrics=$(curl -s "http://127.0.0.1:$port/metrics")
  cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat")
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  sum=$(echo "$metrics" | awk '/^veil_processing_seconds_sum/ {print $2}')
  n=$(echo "$metrics" | awk '/^veil_processing_seconds_count/ {print $2}')
  python3 - "$workers" "$result" "$sum" "$n" "$cpu_s" <<'PY'
import json, sys
workers, r, s, n, cpu = int(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
mean = s / n
ideal = workers / mean
print(f"workers={workers}: {r['photos_per_second']:.2f} photos/s sustained ({r['photos']} in {r['burst_seconds']:.2f} s; "
      f"ingest {r['ingest_acks_per_second']:.0f} acks/s); latency p50 {r['latency_p50_ms']:.0f} ms, "
      f"p99 {r['latency_p99_ms']:.0f} ms at {r['latency_rate_per_second']}/s; "
      f"baseline: mean pipeline {mean*1000:.0f} ms/photo in the worker -> ideal {ideal:.2f} photos/s, "
      f"efficiency {r['photos_per_second']/ideal:.2f}; veild CPU {cpu*1000/n:.0f} ms/photo; states {r['final_states']}")
PY
done
