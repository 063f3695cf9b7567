#!/usr/bin/env bash
# Integration: registry credentials from the docker CLI's configuration. A credential helper
# (a script installed as docker-credential-maestrotest, as the docker CLI would run it) gives
# maestro the credentials of the test environment's authenticated registry:
#   1. through `credsStore`, for an image whose registry the environment file does not list;
#   2. through `credHelpers`, for a listed registry without a username in the file;
#   3. a helper that cannot be run is an error naming it; no password is ever printed.
# Needs the test environment (MAESTRO_TESTENV_FILE).
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
envfile=${MAESTRO_TESTENV_FILE:-}
[[ -n $envfile && -r $envfile ]] || die "MAESTRO_TESTENV_FILE is not set or unreadable (tools/testenv up)"
get() { sed -n "s/^$1=//p" "$envfile"; }
registry=$(get MAESTRO_TEST_REGISTRY)
user=$(get MAESTRO_TEST_REGISTRY_USER)
pass=$(get MAESTRO_TEST_REGISTRY_PASSWORD)
socket=$(get MAESTRO_TEST_DOCKER_SOCKET)
p=ch-$$-$RANDOM
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/credential-helper.XXXXXX")
# Our own repository in the registry, so no other test's image is touched.
image=$registry/maestro/credhelper
tag=$p
cleanup() {
  docker -H "unix://$socket" image rm -f "$image:$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

docker -H "unix://$socket" tag "$(get MAESTRO_TEST_IMAGE)" "$image:$tag"
mkdir -p "$work/login"
echo "$pass" | DOCKER_CONFIG=$work/login docker -H "unix://$socket" login -u "$user" \
  --password-stdin "$registry" >/dev/null 2>&1 || die "docker login to the test registry failed"
DOCKER_CONFIG=$work/login timeout 120 docker -H "unix://$socket" push "$image:$tag" >/dev/null ||
  die "docker push of the test image failed"
docker -H "unix://$socket" image rm "$image:$tag" >/dev/null

mkdir -p "$work/bin" "$work/cfg"
cat >"$work/bin/docker-credential-maestrotest" <<HELPER
#!/bin/sh
[ "\$1" = get ] || exit 2
read -r server || true
echo "get \$server" >>"$work/helper.log"
if [ "\$server" = "$registry" ]; then
  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$server" "$user" "$pass"
else
  echo "credentials not found in native keychain"
  exit 1
fi
HELPER
chmod +x "$work/bin/docker-credential-maestrotest"

write_env() {  # $1: registries section (may be empty)
  cat >"$work/env.yaml" <<YAML
__maestro: {schema: 2}
name: credential-helper-test
$1
ships:
  local: {ip: 127.0.0.1, socket_path: $socket, timeout: 20}
services:
  pulled:
    image: $image:$tag
    instances:
      $p-pulled: {ship: local, command: sleep 1000, stop_timeout: 1}
YAML
}
run_pull() {
  set +e
  DOCKER_CONFIG=$work/cfg PATH=$work/bin:$PATH timeout 120 "$maestro" -f "$work/env.yaml" pull \
    >"$work/out" 2>&1
  rc=$?
  set -e
  if grep -qF -- "$pass" "$work/out"; then die "the registry password was printed"; fi
}

# 1. credsStore, registry not listed in the file.
echo '{"credsStore": "maestrotest"}' >"$work/cfg/config.json"
write_env ""
run_pull
[[ $rc == 0 ]] || { cat "$work/out"; die "pull through credsStore exited $rc"; }
grep -qx "get $registry" "$work/helper.log" || die "the helper was not asked for $registry"
docker -H "unix://$socket" image inspect "$image:$tag" >/dev/null 2>&1 ||
  die "the image was not pulled"
docker -H "unix://$socket" image rm "$image:$tag" >/dev/null

# 2. credHelpers for a listed registry without credentials in the file.
printf '{"credHelpers": {"%s": "maestrotest"}}\n' "$registry" >"$work/cfg/config.json"
write_env "registries:
  testreg: {registry: \"http://$registry/v2/\"}"
: >"$work/helper.log"
run_pull
[[ $rc == 0 ]] || { cat "$work/out"; die "pull through credHelpers exited $rc"; }
grep -qx "get $registry" "$work/helper.log" || die "credHelpers: the helper was not asked"
docker -H "unix://$socket" image inspect "$image:$tag" >/dev/null 2>&1 ||
  die "credHelpers: the image was not pulled"
docker -H "unix://$socket" image rm "$image:$tag" >/dev/null

# 3. A helper that does not exist: an error naming it, nothing pulled.
echo '{"credsStore": "absent-helper"}' >"$work/cfg/config.json"
run_pull
[[ $rc != 0 ]] || die "a missing credential helper was not an error"
grep -q "credential helper docker-credential-absent-helper for $registry" "$work/out" ||
  { cat "$work/out"; die "the error does not name the helper"; }
if docker -H "unix://$socket" image inspect "$image:$tag" >/dev/null 2>&1; then
  die "the image was pulled although the helper failed"
fi
echo "PASS"
