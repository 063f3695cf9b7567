#!/usr/bin/env bash
# The static maestro binary needs nothing from its host: it runs inside an image that holds
# only the binary, an /etc/hosts and an environment file, and reaches the real daemon by host
# name (resolved by c-ares from /etc/hosts, without glibc's NSS). Integration test: needs the
# test environment (MAESTRO_TESTENV_FILE) and fails when it is missing.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n ${MAESTRO_TESTENV_FILE:-} && -r ${MAESTRO_TESTENV_FILE} ]] ||
  fail "MAESTRO_TESTENV_FILE is not set or unreadable: run tools/testenv up (tools/test does)"
# shellcheck disable=SC1090
source <(grep -E '^MAESTRO_TEST_[A-Z_]+=' "$MAESTRO_TESTENV_FILE" | sed 's/^/export /')
MAESTRO=$(cd "$(dirname "$0")/../.." && pwd)/maestro/maestro
[[ -x $MAESTRO ]] || MAESTRO=${TEST_SRCDIR:-}/maestro/maestro/maestro
[[ -x $MAESTRO ]] || fail "maestro binary not found"
file -L "$MAESTRO" | grep -q "statically linked" || fail "maestro is not statically linked"

tag=$$-$RANDOM
image=maestro-test/maestro-only:$tag
name=static-$tag
work=$(mktemp -d)
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/root/tmp"
cp "$MAESTRO" "$work/root/maestro"
cat >"$work/root/env.yaml" <<YAML
__maestro: {schema: 2}
name: static-test
ships:
  box: {ip: 127.0.0.1, endpoint: dockerhost.test, docker_port: 2375, timeout: 10}
services:
  app:
    image: ${MAESTRO_TEST_IMAGE}
    instances:
      ${name}: {ship: box, command: [sleep, "300"]}
YAML
tar -C "$work/root" -cf "$work/root.tar" .
docker import "$work/root.tar" "$image" >/dev/null

# With host networking Docker mounts its own /etc/hosts over the image's; --add-host puts the
# name there. The image has no libc, no NSS modules and no resolver besides maestro's own.
run() {
  docker run --rm --network host --add-host dockerhost.test:127.0.0.1 "$image" \
    /maestro -f /env.yaml "$@"
}

out=$(run start 2>&1) || fail "start failed inside the binary-only image:"$'\n'"$out"
echo "$out"
[[ $(docker inspect -f '{{.State.Running}}' "$name") == true ]] || fail "$name is not running"
out=$(run --no-color status 2>&1) || fail "status failed:"$'\n'"$out"
echo "$out"
grep -q "$name .*running" <<<"$out" || fail "status does not show $name running"
grep -q "host down" <<<"$out" && fail "the ship was not reached by name"
run stop -a >/dev/null || fail "stop failed"
run clean >/dev/null || fail "clean failed"
docker inspect "$name" >/dev/null 2>&1 && fail "$name still exists after clean"
echo "PASS: the static maestro reached dockerhost.test:2375 from an image holding only itself"
