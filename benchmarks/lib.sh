# benchmarks/lib.sh: the start the benchmark scripts that run veil or veild on a throwaway
# PostgreSQL share. A script sources it, sets `root` (the checkout) and calls:
#
#   bench_enter "$@" -- TARGET...
#     First call (arguments: [BUILD_DIR], default build/): configures BUILD_DIR when it is new,
#     builds the CMake TARGETs (-j$JOBS, default 2) and runs the calling script again under
#     scripts/with-test-postgres with `--inner BUILD_DIR`; VEIL_MODEL_DIR, when unset, becomes
#     BUILD_DIR/models if the models are there (else veil's compiled-in directory is used).
#     Second call (inside): sets `build` and returns; VEIL_TEST_DATABASE_URL is the database.
#
#   bench_workspace
#     Makes `tmp`, a directory under /tmp that the service user can enter, and on exit stops
#     the veild of `pid` (when set) and removes `tmp`.
#
#   bench_start_veild CONFIG DATA_DIR LOG
#     Starts veild in the background as the systemd unit does (glibc's malloc on huge pages
#     unless GLIBC_TUNABLES is given), sets `pid`, and waits up to 60 s for "veild ready";
#     if it does not come, prints the log and exits 1. The caller stops it (kill -TERM "$pid").

bench_enter() {
  local args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targets=("$@")
  if [ "${args[0]:-}" = --inner ]; then
    build=${args[1]}
    return 0
  fi
  build=${args[0]:-$root/build}
  if [ ! -f "$build/CMakeCache.txt" ]; then cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo; fi
  cmake --build "$build" --target "${targets[@]}" -- -j"${JOBS:-2}"
  if [ -z "${VEIL_MODEL_DIR:-}" ] && ls "$build"/models/*.onnx >/dev/null 2>&1; then export VEIL_MODEL_DIR=$build/models; fi
  exec "$root/scripts/with-test-postgres" "$0" --inner "$build"
}

bench_workspace() {
  tmp=$(mktemp -d /tmp/veil-bench-XXXXXX)
  chmod 755 "$tmp"
  pid=""
  trap 'if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
        rm -rf "$tmp"' EXIT
}

bench_start_veild() {
  local config=$1 data_dir=$2 log=$3
  GLIBC_TUNABLES=${GLIBC_TUNABLES-glibc.malloc.hugetlb=1} "$build/daemon/veild" --config "$config" \
    --data-dir "$data_dir" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q "veild ready" "$log" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  grep -q "veild ready" "$log" || { cat "$log"; exit 1; }
}
