#!/usr/bin/env bash
# Orchestration against the real test daemon (tools/testenv), side by side in one run:
#   status: `maestro status` of 60 containers on three ships (ship1 unix socket, ship2 and
#           ship3 TCP 127.0.0.1:2375 with ips 127.0.0.2 / .3: the same daemon) vs `docker ps -a`.
#   plan/up: `maestro plan` and `maestro up` (nothing to do: the deploy lock, the plan, every
#           row "no change") of the same 60 unchanged containers vs the same `docker ps -a`.
#   start:  `maestro start` of the 60 containers (busybox `sleep 3600`, no checks) in three
#           dependency tiers, with -c 8 and unlimited, vs `docker run -d` of the same 60 at
#           parallelism 8 (xargs -P8).
#   up:     `maestro up` of the same 60 new containers (plan, deploy lock, create, start), with
#           its default concurrency and with -c 8, vs the same `docker run -d` at parallelism 8.
#   stop:   `maestro stop` of 3 tiers of containers that ignore SIGTERM, stop_timeout 2, vs
#           two references: the ideal tiers x stop_timeout = 6 s, and a measured one,
#           `docker stop -t 2` of the same containers tier by tier (dependents first, each
#           tier's containers in parallel), which includes the daemon's kill-and-wait.
# Each comparison runs interleaved (A, B, A, B, ...) REPS times and prints medians. Every
# container is named bench-<pid>-..., and all of them are removed on exit.
# With MAESTRO_BASELINE=OTHER_BINARY, `start -c 8` and `up -c 8` of that binary (e.g. an older
# build) run interleaved too, side by side.
#
# Usage: orchestration_bench.sh MAESTRO_BINARY [REPS=5] [PER_TIER=20] [STOP_PER_TIER=4] [ONLY]
#   ONLY=list: start the containers once (untimed) and compare only status, plan and up.
#   ONLY=create: compare only start, up and docker run of the 60 new containers.
#   ONLY=up: compare only `up` and `up -c 8` of the 60 new containers (and the baseline's
#            up -c 8) with docker run, and time the daemon's floor too: the same 60 as bare
#            Engine API create+start calls at parallelism 8; the last two lines are the ratios
#            (goal <= 0.9x).
#   bazel build -c opt //maestro && benchmarks/orchestration_bench.sh bazel-out/k8-opt/bin/maestro/maestro
set -euo pipefail
maestro=$(realpath "$1")
baseline=${MAESTRO_BASELINE:+$(realpath "$MAESTRO_BASELINE")}
reps=${2:-5}
per_tier=${3:-20}
stop_per_tier=${4:-4}
only=${5:-all}
(( reps >= 1 && reps <= 50 && per_tier >= 1 && per_tier <= 100 && stop_per_tier <= 20 )) || {
  echo "out of range: reps 1..50, per_tier 1..100, stop_per_tier 0..20" >&2
  exit 2
}
# bench_lib.sh: beside this script (a source tree, runfiles), else beside its symlink's target.
lib=$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh
[[ -r $lib ]] || lib=$(dirname "$(realpath "${BASH_SOURCE[0]}")")/bench_lib.sh
# shellcheck disable=SC1090
source "$lib"
bench_testenv
prefix=bench-$$
tmp=$(mktemp -d)

cleanup() { bench_remove_containers "$prefix"; }
trap 'cleanup; rm -rf "$tmp"' EXIT

# write_env FILE NAME PER_TIER COMMAND STOP_TIMEOUT
write_env() {
  local file=$1 kind=$2 n=$3 command=$4 stop_timeout=$5
  {
    echo "name: $prefix-$kind"
    bench_ships ", timeout: 30"
    echo "services:"
    local t i
    for t in 0 1 2; do
      echo "  tier$t:"
      echo "    image: $image"
      if (( t > 0 )); then echo "    requires: [tier$((t - 1))]"; fi
      echo "    instances:"
      for ((i = 0; i < n; i++)); do
        echo "      $prefix-$kind-t$t-$i: {ship: ship$((i % 3 + 1)), command: $command, stop_timeout: $stop_timeout}"
      done
    done
  } >"$file"
}
write_env "$tmp/run.yaml" run "$per_tier" '"sleep 3600"' 10
write_env "$tmp/stop.yaml" stop "$stop_per_tier" \
  "[\"sh\", \"-c\", \"trap '' TERM; while true; do sleep 1; done\"]" 2
for t in 0 1 2; do
  for ((i = 0; i < per_tier; i++)); do echo "$prefix-run-t$t-$i"; done
done >"$tmp/names"
total=$((3 * per_tier))

# timed LABEL CMD...: runs CMD, appends its wall milliseconds to $tmp/LABEL.
timed() {
  local label=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  if ! "$@" >"$tmp/out" 2>&1 || grep -q 'warning' "$tmp/out"; then
    echo "failed ($label): $*" >&2
    tail -20 "$tmp/out" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 )) >>"$tmp/$label"
}
# The median of $tmp/LABEL's numbers.
med() { median <"$tmp/$1"; }
docker_run_all() {
  xargs -P8 -I{} docker run -d --name {} "$image" sleep 3600 <"$tmp/names" >/dev/null
}
# The daemon's own floor: the same 60 as bare Engine API calls (create, then start; curl on
# the unix socket, no CLI), at parallelism 8, no tiers. What no client of this daemon beats.
api_create_start() {
  local id
  id=$(curl -sS -m 60 --unix-socket "$sock" -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$image\",\"Cmd\":[\"sleep\",\"3600\"]}" \
    "http://docker/containers/create?name=$1" | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
  [[ -n $id ]] && curl -sS -m 60 --unix-socket "$sock" -X POST "http://docker/containers/$id/start"
}
api_run_all() {
  export -f api_create_start
  export sock image
  xargs -P8 -I{} bash -c 'api_create_start {}' <"$tmp/names"
}
mstart() { "$maestro" -f "$tmp/run.yaml" start "$@"; }
# Named tiers: the three ships are one daemon (see status below).
mup() { "$maestro" -f "$tmp/run.yaml" up tier0 tier1 tier2 "$@"; }
bstart() { "$baseline" -f "$tmp/run.yaml" start "$@"; }
bup() { "$baseline" -f "$tmp/run.yaml" up tier0 tier1 tier2 "$@"; }
# The stop environment's tiers with plain docker: tier2, tier1, tier0 (the order maestro
# stops them in), each tier's containers stopped in parallel with the same timeout.
docker_stop_tiers() {
  local t i
  for t in 2 1 0; do
    for ((i = 0; i < stop_per_tier; i++)); do echo "$prefix-stop-t$t-$i"; done |
      xargs -P"$stop_per_tier" -n1 docker stop -t 2 >/dev/null
  done
}

# start: maestro -c 8, docker run -P8, maestro unlimited; the containers removed before each.
if [[ $only == list ]]; then
  stop_per_tier=0
  mstart -c 8 >/dev/null
else
  for ((r = 0; r < reps; r++)); do
    if [[ $only != up ]]; then cleanup; timed start_maestro_c8 mstart -c 8; fi
    cleanup; timed start_docker docker_run_all
    if [[ $only == up ]]; then cleanup; timed start_api api_run_all; fi
    if [[ $only != up ]]; then cleanup; timed start_maestro_unlimited mstart; fi
    cleanup; timed up_new_maestro_c8 mup -c 8
    grep -q "^Plan: $total to create.$" "$tmp/out" || { echo "up: not all created" >&2; tail -3 "$tmp/out" >&2; exit 1; }
    cleanup; timed up_new_maestro_unlimited mup
    grep -q "^Plan: $total to create.$" "$tmp/out" || { echo "up: not all created" >&2; tail -3 "$tmp/out" >&2; exit 1; }
    if [[ -n $baseline ]]; then
      if [[ $only != up ]]; then cleanup; timed start_baseline_c8 bstart -c 8; fi
      cleanup; timed up_new_baseline_c8 bup -c 8
      grep -q "^Plan: $total to create.$" "$tmp/out" || { echo "baseline up: not all created" >&2; exit 1; }
    fi
    api_ms=""
    if [[ $only == up ]]; then api_ms=", api $(tail -1 "$tmp/start_api")"; fi
    echo "rep $((r + 1))/$reps (ms): docker $(tail -1 "$tmp/start_docker")$api_ms, up -c 8 $(tail -1 "$tmp/up_new_maestro_c8"), up $(tail -1 "$tmp/up_new_maestro_unlimited")${baseline:+, baseline up $(tail -1 "$tmp/up_new_baseline_c8" 2>/dev/null)}; load $(cut -d' ' -f1 /proc/loadavg)" >&2
  done
fi
if [[ $only == create || $only == up ]]; then
  stop_per_tier=0
  reps_list=0
else
  reps_list=$reps
fi
# status: 60 running containers (left by the last start).
[[ $(docker ps -q --filter "name=^/$prefix-run-" | wc -l) -eq $total ]] || {
  echo "expected $total running containers before status" >&2
  exit 1
}
for ((r = 0; r < reps_list; r++)); do
  timed status_maestro "$maestro" -f "$tmp/run.yaml" status
  timed status_docker docker ps -a
  # Named services: the three ships are one daemon, so a whole-environment plan would find
  # each ship's containers as orphans on the other two.
  timed plan_maestro "$maestro" -f "$tmp/run.yaml" plan tier0 tier1 tier2
  grep -q "^Plan: $total unchanged.$" "$tmp/out" || { echo "plan: not all unchanged" >&2; tail -3 "$tmp/out" >&2; exit 1; }
  timed up_maestro "$maestro" -f "$tmp/run.yaml" up tier0 tier1 tier2
  grep -q "^Plan: $total unchanged.$" "$tmp/out" || { echo "up: not all unchanged" >&2; tail -3 "$tmp/out" >&2; exit 1; }
done
cleanup
# stop: start the SIGTERM-ignoring tiers, then time maestro stop.
stop_reps=$(( reps < 3 ? reps : 3 ))
if (( stop_per_tier > 0 )); then
  for ((r = 0; r < stop_reps; r++)); do
    "$maestro" -f "$tmp/stop.yaml" start >/dev/null
    timed stop_maestro "$maestro" -f "$tmp/stop.yaml" stop -a
    cleanup
    "$maestro" -f "$tmp/stop.yaml" start >/dev/null
    timed stop_docker docker_stop_tiers
    cleanup
  done
fi

row() { printf '%-58s %10s %10s %s\n' "$1" "$2" "$3" "$4"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a/b}'; }
echo
row "orchestration vs the real daemon ($reps interleaved reps)" "median ms" "reference" "ratio (goal)"
if (( reps_list > 0 )); then
  s_m=$(med status_maestro); s_d=$(med status_docker)
  row "status, $total containers, 3 ships: maestro" "$s_m" "$s_d" "$(ratio "$s_m" "$s_d") vs docker ps -a (<= 1.5x)"
  p_m=$(med plan_maestro); u_m=$(med up_maestro)
  row "plan, $total unchanged containers, 3 ships: maestro" "$p_m" "$s_d" "$(ratio "$p_m" "$s_d") vs docker ps -a (<= 1.5x)"
  row "up with nothing to do, $total containers: maestro" "$u_m" "$s_d" "$(ratio "$u_m" "$s_d") vs docker ps -a (<= 1.5x)"
fi
if [[ $only != list ]]; then
  st_d=$(med start_docker)
  if [[ $only != up ]]; then
    st_8=$(med start_maestro_c8); st_u=$(med start_maestro_unlimited)
    row "start, $total containers, 3 tiers: maestro -c 8" "$st_8" "$st_d" "$(ratio "$st_8" "$st_d") vs docker run -P8 (<= 0.9x)"
    row "start, $total containers, 3 tiers: maestro (unlimited)" "$st_u" "$st_d" "$(ratio "$st_u" "$st_d") vs docker run -P8"
  fi
  up_n=$(med up_new_maestro_c8)
  if [[ -n $baseline ]]; then
    if [[ $only != up ]]; then
      st_b=$(med start_baseline_c8)
      row "start, $total containers, 3 tiers: baseline -c 8" "$st_b" "$st_d" "$(ratio "$st_b" "$st_d") vs docker run -P8"
    fi
    up_b=$(med up_new_baseline_c8)
    row "up, $total new containers, 3 tiers: baseline -c 8" "$up_b" "$st_d" "$(ratio "$up_b" "$st_d") vs docker run -P8"
    row "up, $total new containers: maestro / baseline" "$up_n" "$up_b" "$(ratio "$up_n" "$up_b")"
  fi
  up_u=$(med up_new_maestro_unlimited)
  if [[ $only == up ]]; then
    st_a=$(med start_api)
    row "bare API create+start -P8 (curl, no tiers): the floor" "$st_a" "$st_d" "$(ratio "$st_a" "$st_d") vs docker run -P8"
  fi
  row "up, $total new containers, 3 tiers: maestro (default -c)" "$up_u" "$st_d" "$(ratio "$up_u" "$st_d") vs docker run -P8 (<= 0.9x)"
  row "up, $total new containers, 3 tiers: maestro -c 8" "$up_n" "$st_d" "$(ratio "$up_n" "$st_d") vs docker run -P8 (<= 0.9x)"
fi
if (( stop_per_tier > 0 )); then
  sp=$(med stop_maestro); sd=$(med stop_docker)
  row "stop, 3 tiers x $stop_per_tier ignoring SIGTERM, stop_timeout 2" "$sp" "6000" \
    "$(ratio "$sp" 6000) of tiers x stop_timeout (<= 1.05x)"
  row "stop, same: reference docker stop -t 2 per tier" "$sp" "$sd" \
    "$(ratio "$sp" "$sd") vs docker stop -t 2 tier by tier"
fi
