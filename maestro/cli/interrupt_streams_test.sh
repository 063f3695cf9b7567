#!/usr/bin/env bash
# Integration (issue #12): Ctrl-C ends every streaming command with exit 130 and leaves nothing
# running: `logs -f` of two containers, `status --watch`, `events`, `exec` of two containers
# `exec` of one container with stdin a pipe, and with an endless stdin into a command that never
# reads it (the write blocks: Ctrl-C must still end it at once, not at the 30 s write bound). Each is driven as the real binary in the
# background, interrupted once its stream is up, and must be gone soon after (the wait is
# bounded at 10 s; the time taken is printed, not asserted). Last, the second Ctrl-C: `logs -f`
# stuck writing into a full pipe is not ended by the first, and is by the second (exit 130).
# Needs MAESTRO_TESTENV_FILE.
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
  flood:
    image: $image
    instances:
      $name-flood: {ship: local, command: [sh, -c, 'yes flood-line | head -c 1000000; exec sleep 300'], stop_timeout: 1}
YAML
pid=
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  docker rm -f "$name-1" "$name-2" "$name-flood" >/dev/null 2>&1 || true
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

# The second Ctrl-C quits at once when the first cannot finish in order: `logs -f` writing into a
# pipe nobody reads (a stuck pager). The flood container logs 1 MB; maestro's stdout is a fifo this
# script holds open and never reads, so its write blocks once the 64 KiB pipe is full. The first
# Ctrl-C cancels (its notice says "Ctrl-C again to quit now") but the blocked write keeps it
# there; the second must end it with exit 130. Every wait is bounded.
mkfifo "$work/stuck"
exec 4<>"$work/stuck"
"$maestro" -f "$work/env.yaml" logs -f "$name-flood" <&3 >"$work/stuck" 2>"$work/err" &
pid=$!
# blocked_on_write: one of maestro's threads sleeps in the kernel's pipe write.
blocked_on_write() { cat /proc/"$pid"/task/*/wchan 2>/dev/null | grep -q pipe_write; }
for i in $(seq 200); do blocked_on_write && break; sleep 0.1; done
blocked_on_write || { cat "$work/err"; die "logs -f into a full pipe: no blocked write within 20 s"; }
kill -INT "$pid"
for i in $(seq 100); do grep -q "Ctrl-C again to quit now" "$work/err" && break; sleep 0.1; done
grep -q "Ctrl-C again to quit now" "$work/err" || { cat "$work/err"; die "no notice after the first Ctrl-C"; }
kill -0 "$pid" 2>/dev/null || die "logs -f into a full pipe ended at the first Ctrl-C (expected: still writing)"
blocked_on_write || die "after the first Ctrl-C maestro is no longer in its blocked write"
start=$(date +%s%N)
kill -INT "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { cat "$work/err"; die "logs -f still runs 10 s after the second Ctrl-C"; }
rc=0
wait "$pid" || rc=$?
pid=
exec 4>&-
((rc == 130)) || { cat "$work/err"; die "second Ctrl-C: exit $rc, expected 130"; }
echo "ok: logs -f into a full pipe: first Ctrl-C cancelled, second quit with 130 in $((($(date +%s%N) - start) / 1000000)) ms"
echo "PASS: Ctrl-C ended logs -f, status --watch, events and exec with exit 130; a second Ctrl-C quits at once"
