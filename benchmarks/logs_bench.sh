#!/usr/bin/env bash
# `maestro logs` (no follow) of N containers (default 60) with L lines each (default 10,000),
# spread over three ships (ship1 unix socket, ship2/ship3 TCP 127.0.0.1:2375 with ips
# 127.0.0.2/.3: the same daemon), side by side with `docker logs` of the same containers one
# after another and 8 at a time (xargs -P8). Every run goes to /dev/null after a line count
# check; the comparisons run interleaved REPS times and the medians are printed. Containers are
# named logsbench-<pid>-N, labelled maestro.test=1, and removed on exit.
#
# Usage: logs_bench.sh MAESTRO_BINARY [REPS=5] [N=60] [LINES=10000]
set -euo pipefail
maestro=$(realpath "$1")
reps=${2:-5}
n=${3:-60}
lines=${4:-10000}
(( reps >= 1 && reps <= 50 && n >= 1 && n <= 200 && lines >= 1 && lines <= 1000000 )) || {
  echo "out of range: reps 1..50, n 1..200, lines 1..1000000" >&2
  exit 2
}
# bench_lib.sh: beside this script (a source tree, runfiles), else beside its symlink's target.
lib=$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh
[[ -r $lib ]] || lib=$(dirname "$(realpath "${BASH_SOURCE[0]}")")/bench_lib.sh
# shellcheck disable=SC1090
source "$lib"
bench_testenv
prefix=logsbench-$$
tmp=$(mktemp -d)
cleanup() {
  bench_remove_containers "$prefix"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 130" INT TERM  # so that the EXIT trap removes the containers

names=()
for i in $(seq 1 "$n"); do names+=("$prefix-$i"); done
printf '%s\n' "${names[@]}" >"$tmp/names"
echo "creating $n containers of $lines lines each..." >&2
xargs -P8 -I{} docker run -d --name {} --label maestro.test=1 "$image" \
  sh -c "seq 1 $lines | sed 's/^/line /'" <"$tmp/names" >/dev/null
for _ in $(seq 600); do  # bounded: 60 s for every container to finish writing
  [[ -z $(docker ps -q --filter "name=^/$prefix-") ]] && break
  sleep 0.1
done
{
  echo "__maestro: {schema: 2}"
  echo "name: logsbench"
  bench_ships
  echo "services:"
  echo "  app:"
  echo "    image: $image"
  echo "    instances:"
  for i in $(seq 1 "$n"); do echo "      $prefix-$i: {ship: ship$(( (i - 1) % 3 + 1 ))}"; done
} >"$tmp/env.yaml"

expect=$((n * lines))
run_maestro() {
  local t0 t1 got
  t0=$(ms)
  got=$("$maestro" -f "$tmp/env.yaml" logs app 2>"$tmp/err" | wc -l)
  t1=$(ms)
  ((got == expect)) || { cat "$tmp/err" >&2; echo "maestro showed $got lines, expected $expect" >&2; exit 1; }
  echo $((t1 - t0))
}
run_serial() {
  local t0 t1 got
  t0=$(ms)
  got=$(while read -r c; do docker logs "$c"; done <"$tmp/names" 2>/dev/null | wc -l)
  t1=$(ms)
  ((got == expect)) || { echo "docker logs (serial) gave $got lines" >&2; exit 1; }
  echo $((t1 - t0))
}
run_p8() {
  local t0 t1 got
  t0=$(ms)
  got=$(xargs -P8 -n1 docker logs <"$tmp/names" 2>/dev/null | wc -l)
  t1=$(ms)
  ((got == expect)) || { echo "docker logs (-P8) gave $got lines" >&2; exit 1; }
  echo $((t1 - t0))
}
: >"$tmp/m"; : >"$tmp/s"; : >"$tmp/p"
for r in $(seq 1 "$reps"); do
  run_maestro >>"$tmp/m"
  run_serial >>"$tmp/s"
  run_p8 >>"$tmp/p"
  echo "rep $r: maestro $(tail -1 "$tmp/m") ms, docker serial $(tail -1 "$tmp/s") ms, docker -P8 $(tail -1 "$tmp/p") ms" >&2
done
m=$(median <"$tmp/m"); s=$(median <"$tmp/s"); p=$(median <"$tmp/p")
echo "| measurement | median |"
echo "|---|---|"
echo "| maestro logs, $n containers x $lines lines, 3 ships, merged | $m ms |"
echo "| docker logs, one after another | $s ms ($(awk -v a="$m" -v b="$s" 'BEGIN {printf "maestro %.2fx", a / b}')) |"
echo "| docker logs, 8 at a time | $p ms ($(awk -v a="$m" -v b="$p" 'BEGIN {printf "maestro %.2fx", a / b}')) |"
