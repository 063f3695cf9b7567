#!/bin/sh
# Start-up cost of the guest helper in a shell entrypoint: N runs (default 200) of
# `maestro-guest node-list zookeeper client` against N runs of `/usr/bin/python3 -c pass`
# (the floor under any MaestroNG guestutils call). No hyperfine needed; bounded in count
# (at most 10000 runs) and time (each side stops after 60 s).
#
#   bazel run //benchmarks:guest_node_list -- [RUNS]
#   benchmarks/guest_node_list.sh [RUNS] [PATH_TO_MAESTRO_GUEST]
set -eu
runs="${1:-200}"
bin="${2:-}"
if [ -z "$bin" ]; then
  for candidate in "${RUNFILES_DIR:-}/maestro/guest/maestro-guest" \
                   "$(dirname "$0")/../guest/maestro-guest" \
                   "bazel-bin/guest/maestro-guest"; do
    if [ -x "$candidate" ]; then bin="$candidate"; break; fi
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "maestro-guest binary not found" >&2; exit 2; }
case "$runs" in ''|*[!0-9]*) echo "RUNS must be a number" >&2; exit 2 ;; esac
[ "$runs" -ge 1 ] && [ "$runs" -le 10000 ] || { echo "RUNS must be 1..10000" >&2; exit 2; }

export ZOOKEEPER_INSTANCES=zk-node-1,zk-node-2,zk-node-3
export ZOOKEEPER_ZK_NODE_1_HOST=192.168.10.2 ZOOKEEPER_ZK_NODE_1_CLIENT_PORT=2181
export ZOOKEEPER_ZK_NODE_2_HOST=192.168.10.2 ZOOKEEPER_ZK_NODE_2_CLIENT_PORT=2182
export ZOOKEEPER_ZK_NODE_3_HOST=192.168.10.2 ZOOKEEPER_ZK_NODE_3_CLIENT_PORT=2183

expected="192.168.10.2:2181,192.168.10.2:2182,192.168.10.2:2183"
got="$("$bin" node-list zookeeper client)"
[ "$got" = "$expected" ] || { echo "unexpected node-list output: $got" >&2; exit 1; }

now_ns() { date +%s%N; }

# time_runs LABEL CMD...: prints "LABEL: N runs, total ms, per-run us".
time_runs() {
  label="$1"; shift
  start="$(now_ns)"; limit=$((start + 60000000000)); i=0
  while [ "$i" -lt "$runs" ]; do
    "$@" >/dev/null
    i=$((i + 1))
    if [ "$(now_ns)" -gt "$limit" ]; then break; fi
  done
  end="$(now_ns)"
  total_us=$(((end - start) / 1000))
  printf '%-42s %5d runs  %8d ms total  %7d us/run\n' "$label" "$i" $((total_us / 1000)) \
    $((total_us / i))
}

size="$(wc -c < "$bin" | tr -d ' ')"
echo "maestro-guest: $bin ($size bytes)"
time_runs "maestro-guest node-list zookeeper client" "$bin" node-list zookeeper client
if [ -x /usr/bin/python3 ]; then
  time_runs "/usr/bin/python3 -c pass" /usr/bin/python3 -c pass
else
  echo "/usr/bin/python3 -c pass: skipped (no /usr/bin/python3)"
fi
