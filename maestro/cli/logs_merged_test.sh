#!/usr/bin/env bash
# Integration: `maestro logs -f SERVICE` merges a service spread over four ships that reach
# the real daemon over the four transports (unix socket, TCP, TLS, SSH), follows while one
# container restarts (no line shown twice), ends on Ctrl-C with exit 130; --format json and
# --grep on the same containers. Needs the test environment (MAESTRO_TESTENV_FILE).
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
envfile=${MAESTRO_TESTENV_FILE:-}
[[ -n $envfile && -r $envfile ]] || die "MAESTRO_TESTENV_FILE is not set or unreadable (tools/testenv up)"
get() { sed -n "s/^$1=//p" "$envfile"; }
image=$(get MAESTRO_TEST_IMAGE)
p=lm-$$-$RANDOM
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/logs-merged.XXXXXX")
cmd='r=$RANDOM; echo "hello run $r"; i=0; while [ $i -lt 3000 ]; do echo "tick $i run $r"; echo "warn $i run $r" >&2; i=$((i+1)); sleep 0.2; done'
cat >"$work/env.yaml" <<YAML
__maestro: {schema: 2}
name: logs-merged-test
ships:
  unix: {ip: 127.0.0.1, socket_path: $(get MAESTRO_TEST_DOCKER_SOCKET)}
  tcp: {ip: 127.0.0.1, docker_port: ${MAESTRO_TCP_PORT:-$(get MAESTRO_TEST_DOCKER_TCP | cut -d: -f2)}}
  tls:
    ip: 127.0.0.1
    docker_port: $(get MAESTRO_TEST_DOCKER_TLS | cut -d: -f2)
    tls: true
    tls_verify: true
    tls_ca_cert: $(get MAESTRO_TEST_TLS_CA)
    tls_cert: $(get MAESTRO_TEST_TLS_CERT)
    tls_key: $(get MAESTRO_TEST_TLS_KEY)
  ssh:
    ip: 127.0.0.3
    endpoint: $(get MAESTRO_TEST_SSH_HOST)
    docker_port: 1
    ssh_tunnel:
      user: $(get MAESTRO_TEST_SSH_USER)
      key: $(get MAESTRO_TEST_SSH_KEY)
      port: $(get MAESTRO_TEST_SSH_PORT)
      known_hosts: $(get MAESTRO_TEST_SSH_KNOWN_HOSTS)
      socket_path: $(get MAESTRO_TEST_DOCKER_SOCKET)
services:
  app:
    image: $image
    instances:
      $p-u: {ship: unix, labels: {maestro.test: "1"}, command: [sh, -c, '$cmd'], stop_timeout: 1}
      $p-t: {ship: tcp, labels: {maestro.test: "1"}, command: [sh, -c, '$cmd'], stop_timeout: 1}
      $p-s: {ship: tls, labels: {maestro.test: "1"}, command: [sh, -c, '$cmd'], stop_timeout: 1}
      $p-h: {ship: ssh, labels: {maestro.test: "1"}, command: [sh, -c, '$cmd'], stop_timeout: 1}
YAML
follower=
cleanup() {
  [[ -n $follower ]] && kill -9 "$follower" 2>/dev/null || true
  docker rm -f "$p-u" "$p-t" "$p-s" "$p-h" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$maestro" -f "$work/env.yaml" start >"$work/start" 2>&1 || { cat "$work/start"; die "start failed"; }
"$maestro" -f "$work/env.yaml" logs -f app >"$work/out" 2>"$work/err" &
follower=$!
waitfor() {  # waitfor FILE PATTERN COUNT: until FILE has COUNT matching lines (bounded: 30 s)
  for _ in $(seq 300); do
    (($(grep -c -- "$2" "$1" || true) >= $3)) && return 0
    sleep 0.1
  done
  echo "--- out"; cat "$work/out"; echo "--- err"; cat "$work/err"
  die "timed out waiting for $3 line(s) matching '$2' in $(basename "$1")"
}
for ship in unix tcp tls ssh; do
  short=${ship:0:1}; [[ $ship == tls ]] && short=s; [[ $ship == ssh ]] && short=h
  waitfor "$work/out" "^$p-$short@$ship *| tick 1 run" 1
  waitfor "$work/err" "^$p-$short@$ship *| warn 1 run" 1
done
docker restart -t 1 "$p-s" >/dev/null
waitfor "$work/out" "^$p-s@tls *| hello run" 2
waitfor "$work/out" "^$p-u@unix *| tick 12 run" 1
kill -INT "$follower"
rc=0
wait "$follower" || rc=$?
follower=
((rc == 130)) || die "logs -f exited $rc after Ctrl-C, expected 130"
dups=$(grep -v '^$' "$work/out" | sort | uniq -d)
[[ -z $dups ]] || die "lines shown twice: $dups"
grep -q "warn" "$work/out" && die "stderr lines on stdout"
# Timestamp order within the reorder window: the merged ticks of one run never go backwards.
awk -v c="$p-u@unix" '$1 == c && $3 == "tick" { if ($4 < last) bad = 1; last = $4 } END { exit bad }' \
  "$work/out" || die "ticks of $p-u out of order"

"$maestro" -f "$work/env.yaml" logs --format json --grep 'tick 3 ' --stdout-only "$p-h" "$p-t" \
  >"$work/json" 2>"$work/jerr" || { cat "$work/jerr"; die "logs --format json failed"; }
grep -q "\"instance\":\"$p-h\",\"ship\":\"ssh\",\"stream\":\"stdout\",\"line\":\"tick 3 run" \
  "$work/json" || { cat "$work/json"; die "no JSON line of $p-h"; }
(($(wc -l <"$work/json") == 2)) || { cat "$work/json"; die "expected 2 JSON lines"; }
head -5 "$work/out"
echo "PASS: merged follow over unix, tcp, tls and ssh across a restart, JSON and --grep"
