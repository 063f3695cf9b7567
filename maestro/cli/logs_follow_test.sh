#!/usr/bin/env bash
# Integration: `maestro logs -F` follows a container across a restart (MaestroNG crashed
# there), and Ctrl-C ends it with exit 130. Needs the test environment (MAESTRO_TESTENV_FILE).
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
envfile=${MAESTRO_TESTENV_FILE:-}
[[ -n $envfile && -r $envfile ]] || die "MAESTRO_TESTENV_FILE is not set or unreadable (tools/testenv up)"
image=$(sed -n 's/^MAESTRO_TEST_IMAGE=//p' "$envfile")
name=logs-$$-$RANDOM
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/logs-follow.XXXXXX")
cat >"$work/env.yaml" <<YAML
__maestro: {schema: 2}
name: logs-test
ships:
  local: {ip: 127.0.0.1, socket_path: /var/run/docker.sock}
services:
  app:
    image: $image
    instances:
      $name:
        ship: local
        command: [sh, -c, 'echo "hello from run \$(cat /proc/uptime | cut -d. -f1)-\$\$"; exec sleep 300']
YAML
follower=
cleanup() {
  [[ -n $follower ]] && kill -9 "$follower" 2>/dev/null || true
  docker rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$maestro" -f "$work/env.yaml" start >/dev/null || die "start failed"
"$maestro" -f "$work/env.yaml" logs -F "$name" >"$work/out" 2>&1 &
follower=$!
waitfor() {  # waitfor PATTERN COUNT: until the output has COUNT matching lines (bounded: 20 s)
  for _ in $(seq 200); do
    (($(grep -c "$1" "$work/out" || true) >= $2)) && return 0
    sleep 0.1
  done
  cat "$work/out"
  die "timed out waiting for $2 line(s) matching '$1'"
}
waitfor "hello from run" 1
docker restart -t 1 "$name" >/dev/null
waitfor "has died, waiting for respawn" 1
waitfor "hello from run" 2
kill -INT "$follower"
rc=0
wait "$follower" || rc=$?
follower=
((rc == 130)) || die "logs -F exited $rc after Ctrl-C, expected 130"
cat "$work/out"
echo "PASS: logs -F followed $name across a restart and stopped on Ctrl-C"
