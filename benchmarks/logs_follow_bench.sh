#!/usr/bin/env bash
# `maestro logs -f` of N containers (default 60) producing RATE lines per second each (default
# 1,000: 60,000 lines/s in total) for SECONDS seconds, spread over three ships (ship1 unix socket,
# ship2/ship3 TCP 127.0.0.1:2375 with ips 127.0.0.2/.3: the same daemon), side by side with the
# reference: one `docker logs -f` per container, all N at once. Both followers start before the
# first line is written and run at the same time, on the same lines. Each container writes
# "c<i> <seq>" lines, RATE of them at the start of every second (one busybox awk a second, its
# output block-buffered), then sleeps the remainder of that second (the clock is /proc/uptime,
# read by the shell's builtin `read`: no process), and exits after SECONDS seconds. So the rate
# offered is N x RATE lines per second unless the machine cannot even run the producers.
#
# Checked, not assumed: every line of every container arrives exactly once, in order per
# container (maestro merged, --no-prefix); the followers are stopped (SIGINT) once they have every
# line, at most 10 s after the last container has exited. Reported: lines per second actually
# produced, maestro's CPU time (user+sys from /proc/PID/stat just before it is stopped) and the
# N docker CLIs' CPU time together (/usr/bin/time of their process group), and the lag: how
# long after the producers ended each follower had every line.
#
# Usage: logs_follow_bench.sh MAESTRO_BINARY [SECONDS=10] [N=60] [RATE=1000]
set -euo pipefail
maestro=$(realpath "$1")
seconds=${2:-10}
n=${3:-60}
rate=${4:-1000}
((seconds >= 1 && seconds <= 120 && n >= 1 && n <= 200 && rate >= 10 && rate <= 100000)) || {
  echo "out of range: seconds 1..120, n 1..200, rate 10..100000" >&2
  exit 2
}
# bench_lib.sh: beside this script (a source tree, runfiles), else beside its symlink's target.
lib=$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh
[[ -r $lib ]] || lib=$(dirname "$(realpath "${BASH_SOURCE[0]}")")/bench_lib.sh
# shellcheck disable=SC1090
source "$lib"
bench_testenv
prefix=logsfbench-$$
tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  bench_remove_containers "$prefix"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 130" INT TERM

burst=$rate
bursts=$seconds
names=()
for i in $(seq 1 "$n"); do names+=("$prefix-$i"); done
printf '%s\n' "${names[@]}" >"$tmp/names"
# Every container runs /go/produce.sh from a shared bind mount: it waits for /go/go, so all
# start writing together once both followers are attached. Burst k starts at go + k seconds
# (centiseconds of /proc/uptime, the host's clock in every container).
mkdir "$tmp/go"
cat >"$tmp/go/produce.sh" <<SH
while [ ! -e /go/go ]; do usleep 20000; done
read up _ </proc/uptime
t0=\${up%.*}\${up#*.}
k=0
while [ \$k -lt $bursts ]; do
  awk -v p="\$1" -v a=\$((k * $burst + 1)) -v b=\$(((k + 1) * $burst)) \
    'BEGIN { for (i = a; i <= b; i++) print p, i }'
  k=\$((k + 1))
  read up _ </proc/uptime
  left=\$(((t0 + k * 100 - \${up%.*}\${up#*.}) * 10000))
  if [ \$left -gt 0 ]; then usleep \$left; fi
done
SH
echo "creating $n containers..." >&2
i=0
for c in "${names[@]}"; do
  i=$((i + 1))
  docker create --name "$c" --label maestro.test=1 -v "$tmp/go:/go:ro" "$image" \
    sh /go/produce.sh "c$i" >/dev/null
done
xargs -P8 -n16 docker start <"$tmp/names" >/dev/null
{
  echo "__maestro: {schema: 2}"
  echo "name: logsfbench"
  bench_ships
  echo "services:"
  echo "  app:"
  echo "    image: $image"
  echo "    instances:"
  for i in $(seq 1 "$n"); do echo "      $prefix-$i: {ship: ship$(((i - 1) % 3 + 1))}"; done
} >"$tmp/env.yaml"

# maestro's CPU time is read from /proc/<pid>/stat just before it is stopped (utime + stime,
# clock ticks).
cpu_ms() {
  local stat hz
  hz=$(getconf CLK_TCK)
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  awk -v hz="$hz" '{print int(($12 + $13) * 1000 / hz)}' <<<"$stat"
}
# Lines counted as they arrive: the time the last expected line arrived is the follower's finish.
"$maestro" -f "$tmp/env.yaml" logs -f --no-prefix app >"$tmp/maestro.out" 2>"$tmp/maestro.err" &
mpid=$!
pids+=("$mpid")
# The reference: one `docker logs -f` per container, all at once, in one process group whose
# CPU time (every docker CLI's, user+sys) /usr/bin/time reports when the last one ends (each
# ends when its container has exited and its log is drained).
/usr/bin/time -f "%U %S" -o "$tmp/docker.time" bash -c \
  'while read -r c; do docker logs -f "$c" >>"$1" 2>/dev/null & done <"$2"; wait' \
  _ "$tmp/docker.out" "$tmp/names" &
dpid=$!
pids+=("$dpid")
sleep 2 # both followers attached (bounded: they only need to connect)
expect=$((n * bursts * burst))
# The daemon side, for the record: its dockerd's and containerd's CPU time over the run (dockerd's
# json-file log driver encodes and writes every line, and serves them to both followers; the
# per-container shims end with their containers, so theirs is not counted).
# The dockerd listening on $sock (the machine may run others) and the containerd it started.
dockerd_pid=$(ss -xlpn 2>/dev/null | grep -F " $sock " | sed -n 's/.*"dockerd",pid=\([0-9]*\).*/\1/p' | head -1)
containerd_pid=$(pgrep -P "${dockerd_pid:-0}" -x containerd | head -1 || true)
daemon_cpu_ms() {
  local p total=0
  for p in $dockerd_pid $containerd_pid; do total=$((total + $(cpu_ms "$p"))); done
  echo "$total"
}
daemon0=$(daemon_cpu_ms)
t0=$(ms)
touch "$tmp/go/go"
for _ in $(seq $((seconds * 10 + 600))); do # bounded: the run plus 60 s
  [[ -z $(docker ps -q --filter "name=^/$prefix-") ]] && break
  sleep 0.1
done
t_end=$(ms)
daemon1=$(daemon_cpu_ms)
# Wait (bounded, 10 s) for both followers to have every line.
m_done=; d_done=
for _ in $(seq 100); do
  [[ -z $m_done ]] && (($(wc -l <"$tmp/maestro.out") >= expect)) && m_done=$(ms)
  [[ -z $d_done ]] && (($(wc -l <"$tmp/docker.out") >= expect)) && d_done=$(ms)
  [[ -n $m_done && -n $d_done ]] && break
  sleep 0.1
done
m_cpu=$(cpu_ms "$mpid")
kill -INT "$mpid" 2>/dev/null || true
wait "$mpid" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done # bounded: 10 s
kill "$dpid" 2>/dev/null || true
wait "$dpid" 2>/dev/null || true
d_cpu=$(awk '{printf "%d", ($1 + $2) * 1000}' "$tmp/docker.time" 2>/dev/null || echo 0)

check() { # FILE LABEL: every container's lines 1..total exactly once, in order
  local total=$((bursts * burst))
  awk -v n="$n" -v total="$total" -v label="$2" '
    { c = $1; s = $2 + 0; if (s != last[c] + 1) bad++; last[c] = s; count++ }
    END {
      for (i = 1; i <= n; i++) if (last["c" i] != total) missing++
      if (bad || missing) { printf "%s: %d lines out of order or repeated, %d containers incomplete\n", label, bad, missing; exit 1 }
      printf "%s: %d lines, every container complete and in order\n", label, count
    }' "$1"
}
check "$tmp/maestro.out" "maestro logs -f" >&2 || { head -5 "$tmp/maestro.err" >&2; exit 1; }
check "$tmp/docker.out" "docker logs -f x$n" >&2 || exit 1
elapsed=$((t_end - t0))
echo "| measurement | value |"
echo "|---|---|"
echo "| lines produced | $expect in $elapsed ms ($(awk -v a="$expect" -v b="$elapsed" 'BEGIN {printf "%.0f", a * 1000 / b}') lines/s) |"
echo "| maestro logs -f, $n containers, 3 ships, merged: CPU | $m_cpu ms |"
echo "| docker logs -f, $n processes: CPU | $d_cpu ms ($(awk -v a="$m_cpu" -v b="$d_cpu" 'BEGIN {printf "maestro %.2fx", (b > 0) ? a / b : 0}')) |"
echo "| dockerd${containerd_pid:+ + containerd} (pid $dockerd_pid) while the producers ran: CPU | $((daemon1 - daemon0)) ms |"
echo "| last line shown after the producers ended: maestro | $((${m_done:-$t_end} - t_end)) ms |"
echo "| last line shown after the producers ended: docker | $((${d_done:-$t_end} - t_end)) ms |"
