#!/usr/bin/env bash
# Integration (issue #12): Ctrl-C ends every streaming command with exit 130 and leaves nothing
# running: `logs -f` of two containers, `status --watch`, `events`, `exec` of two containers
# `exec` of one container with stdin a pipe, and with an endless stdin into a command that never
# reads it (the write blocks: Ctrl-C must still end it at once, not at the 30 s write bound). Each is driven as the real binary in the
# background, interrupted once its stream is up, and must be gone soon after (the wait is
# bounded at 10 s; the time taken is printed, not asserted). Needs MAESTRO_TESTENV_FILE.
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
envfile=${MAESTRO_TESTENV_FILE:-}
[[ -n $envfile && -r $envfile ]] || die "MAESTRO_TESTENV_FILE is not set or unreadable (tools/testenv up)"
image=$(sed -n 's/^MAESTRO_TEST_IMAGE=//p' "$envfile")
name=intr-$$-$RANDOM
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/interrupt-streams.XXXXXX")
cat >"$work/env.yaml" <<YAML
__maestro: {schema: 2}
name: interrupt-streams-test
ships:
  local: {ip: 127.0.0.1, socket_path: /var/run/docker.sock}
services:
  app:
    image: $image
    instances:
      $name-1: {ship: local, command: [sh, -c, 'echo ready-\$HOSTNAME; exec sleep 300'], stop_timeout: 1}
      $name-2: {ship: local, command: [sh, -c, 'echo ready-\$HOSTNAME; exec sleep 300'], stop_timeout: 1}
YAML
pid=
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  docker rm -f "$name-1" "$name-2" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$maestro" -f "$work/env.yaml" start >/dev/null || die "start failed"
# A stdin that stays open and never has data (this script holds the writing end).
mkfifo "$work/stdin"
exec 3<>"$work/stdin"

# interrupt LABEL PATTERN -- ARGS...: runs maestro ARGS in the background (stdin a fifo that stays
# open, or the file named by $stdin_src), waits (bounded: 20 s) until its output matches PATTERN, sends SIGINT, and expects it
# gone with exit 130.
interrupt() {
  local label=$1 pattern=$2
  shift 3
  : >"$work/out"
  if [[ -n ${stdin_src:-} ]]; then
    "$maestro" -f "$work/env.yaml" "$@" <"$stdin_src" >"$work/out" 2>&1 &
  else
    "$maestro" -f "$work/env.yaml" "$@" <&3 >"$work/out" 2>&1 &
  fi
  pid=$!
  local i
  for i in $(seq 200); do
    grep -q -- "$pattern" "$work/out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/out"; die "$label ended before Ctrl-C"; }
    sleep 0.1
  done
  grep -q -- "$pattern" "$work/out" || { cat "$work/out"; die "$label: no '$pattern' within 20 s"; }
  local start=$(date +%s%N)
  kill -INT "$pid"
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    cat "$work/out"
    die "$label still runs 10 s after Ctrl-C"
  fi
  local rc=0
  wait "$pid" || rc=$?
  pid=
  local ms=$((($(date +%s%N) - start) / 1000000))
  ((rc == 130)) || { cat "$work/out"; die "$label exited $rc after Ctrl-C, expected 130"; }
  echo "ok: $label: exit 130, ${ms} ms after Ctrl-C"
}

interrupt "logs -f" "ready-" -- logs -f app
interrupt "status --watch" "$name-2" -- status --watch --format json
( sleep 1; docker restart -t 0 "$name-2" >/dev/null ) &
restarter=$!
interrupt "events" "$name-2" -- events app
interrupt "exec (2 containers)" "started" -- exec app -- sh -c 'echo started; exec sleep 60'
interrupt "exec (1 container, piped)" "started" -- exec "$name-1" -- sh -c 'echo started; exec sleep 60'
# Endless zeros into `sleep`: within a second every buffer between is full and the write blocks.
stdin_src=/dev/zero interrupt "exec (1 container, endless stdin never read)" "started" -- \
  exec "$name-1" -- sh -c 'echo started; exec sleep 60'
wait "$restarter" || true
echo "PASS: Ctrl-C ended logs -f, status --watch, events and exec with exit 130"
