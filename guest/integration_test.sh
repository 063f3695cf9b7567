#!/usr/bin/env bash
# Integration: the static maestro-guest inside real containers of the test environment
# (tools/testenv up). Reads the environment contract from $MAESTRO_TESTENV_FILE (KEY=VALUE
# lines) and fails loudly without it. Checks:
#   1. bind-mounted into maestro-test/busybox: answers from `docker run -e ...` variables,
#      container-internal-address equals the address docker inspect reports;
#   2. in an image holding nothing but the binary (docker import of a one-file tarball):
#      it runs (no libc, no NSS), renders a template, resolves a peer name through the
#      /etc/hosts docker writes (--add-host) and wait-for reaches a real busybox httpd peer.
# Everything it creates is labelled maestro.test=1 and removed on exit.
set -euo pipefail

die() { echo "FAIL: $*" >&2; exit 1; }

bin="${1:?usage: integration_test.sh PATH_TO_MAESTRO_GUEST}"
bin="$(cd "$(dirname "$bin")" && pwd -P)/$(basename "$bin")"
[[ -x $bin ]] || die "maestro-guest binary not found at $bin"

envfile="${MAESTRO_TESTENV_FILE:-}"
[[ -n $envfile ]] || die "MAESTRO_TESTENV_FILE is not set (run tools/testenv up; then bazel test --test_env=MAESTRO_TESTENV_FILE=/var/tmp/maestro-testenv/testenv.env ...)"
[[ -r $envfile ]] || die "MAESTRO_TESTENV_FILE=$envfile is not readable"
declare -A T
while IFS= read -r line; do
  [[ $line == *=* && $line != \#* ]] || continue
  T[${line%%=*}]=${line#*=}
done < "$envfile"
for key in MAESTRO_TEST_DOCKER_SOCKET MAESTRO_TEST_IMAGE; do
  [[ -n ${T[$key]:-} ]] || die "$key missing from $envfile"
done

work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/guest-it.XXXXXX")"
mkdir -p "$work/docker-config"
dk() { DOCKER_CONFIG="$work/docker-config" docker -H "unix://${T[MAESTRO_TEST_DOCKER_SOCKET]}" "$@"; }
dk version >/dev/null 2>&1 || die "docker daemon at ${T[MAESTRO_TEST_DOCKER_SOCKET]} does not answer"

tag="guest-it-$$-$(date +%s)"
image_only="maestro-test/guest-only:$tag"
containers=()
cleanup() {
  for c in "${containers[@]}"; do dk rm -f "$c" >/dev/null 2>&1 || true; done
  dk rmi -f "$image_only" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

expect_eq() { # expect_eq WHAT EXPECTED ACTUAL
  [[ $2 == "$3" ]] || die "$1: expected '$2', got '$3'"
  echo "ok: $1"
}

busybox="${T[MAESTRO_TEST_IMAGE]}"
envs=(-e MAESTRO_ENVIRONMENT_NAME=it -e SERVICE_NAME=kafka -e CONTAINER_NAME=kafka-2
      -e CONTAINER_HOST_ADDRESS=localhost
      -e ZOOKEEPER_INSTANCES=zk-node-1,zk-node-2
      -e ZOOKEEPER_ZK_NODE_1_HOST=192.168.10.2 -e ZOOKEEPER_ZK_NODE_1_CLIENT_PORT=2181
      -e ZOOKEEPER_ZK_NODE_2_HOST=192.168.10.3 -e ZOOKEEPER_ZK_NODE_2_CLIENT_PORT=2182
      -e KAFKA_KAFKA_2_BROKER_INTERNAL_PORT=9092)

# --- 1. bind-mounted into busybox -------------------------------------------------------
run_bb() { dk run --rm --label maestro.test=1 -v "$bin:/usr/local/bin/maestro-guest:ro" \
             "${envs[@]}" "$busybox" /usr/local/bin/maestro-guest "$@"; }
expect_eq "busybox environment-name" "it" "$(run_bb environment-name)"
expect_eq "busybox node-list" "192.168.10.2:2181,192.168.10.3:2182" \
  "$(run_bb node-list zookeeper client)"
expect_eq "busybox port" "9092" "$(run_bb port broker)"
expect_eq "busybox host address --ip (localhost via /etc/hosts)" "127.0.0.1" \
  "$(run_bb container-host-address --ip)"
set +e
err="$(run_bb specific-port zookeeper zk-node-1 peer 2>&1 >/dev/null)"; code=$?
set -e
expect_eq "busybox missing port exit code" "1" "$code"
[[ $err == *"ZOOKEEPER_ZK_NODE_1_PEER_PORT is not set"* ]] || die "busybox missing port message: $err"

name="guest-it-bb-$tag"
dk run -d --name "$name" --label maestro.test=1 -v "$bin:/usr/local/bin/maestro-guest:ro" \
  "$busybox" sleep 60 >/dev/null
containers+=("$name")
inspect_ip="$(dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")"
[[ -n $inspect_ip ]] || die "docker inspect gave no IP address for $name"
expect_eq "busybox container-internal-address (eth0)" "$inspect_ip" \
  "$(dk exec "$name" /usr/local/bin/maestro-guest container-internal-address)"

# --- 2. an image with nothing but the binary ---------------------------------------------
mkdir -p "$work/rootfs"
cp "$bin" "$work/rootfs/maestro-guest"
printf '{%% for n in get_node_list("zookeeper", ["client"]) %%}server.{{ loop.index }}={{ n }}\n{%% endfor %%}' \
  > "$work/rootfs/zoo.cfg.j2"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" maestro-guest zoo.cfg.j2
dk import --change 'LABEL maestro.test=1' "$work/rootfs.tar" "$image_only" >/dev/null
run_only() { dk run --rm --label maestro.test=1 "$@"; }
expect_eq "binary-only image node-list" "192.168.10.2:2181,192.168.10.3:2182" \
  "$(run_only "${envs[@]}" "$image_only" /maestro-guest node-list zookeeper client)"
expect_eq "binary-only image render" $'server.1=192.168.10.2:2181\nserver.2=192.168.10.3:2182' \
  "$(run_only "${envs[@]}" "$image_only" /maestro-guest render /zoo.cfg.j2)"

web="guest-it-web-$tag"
dk run -d --name "$web" --label maestro.test=1 "$busybox" \
  sh -c 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www' >/dev/null
containers+=("$web")
web_ip="$(dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$web")"
[[ -n $web_ip ]] || die "docker inspect gave no IP address for $web"
wait_envs=(-e WEB_INSTANCES=web-1 -e WEB_WEB_1_HOST=web1.it.test -e WEB_WEB_1_HTTP_PORT=8080)
out="$(run_only --add-host "web1.it.test:$web_ip" "${wait_envs[@]}" "$image_only" \
        /maestro-guest wait-for web http --timeout 20 --interval 100)"
expect_eq "binary-only image wait-for (name from /etc/hosts)" \
  "web: 1 of 1 endpoints accept connections" "$out"
expect_eq "binary-only image specific-host" "web1.it.test" \
  "$(run_only "${wait_envs[@]}" "$image_only" /maestro-guest specific-host web web-1)"
set +e
err="$(run_only "${wait_envs[@]}" -e WEB_WEB_1_HTTP_PORT=8081 --add-host "web1.it.test:$web_ip" \
        "$image_only" /maestro-guest wait-for web http --timeout 1 2>&1 >/dev/null)"; code=$?
set -e
expect_eq "binary-only image wait-for timeout exit code" "1" "$code"
[[ $err == *"not ready: web-1 http ($web_ip:8081: Connection refused)"* ]] ||
  die "wait-for timeout message: $err"
echo "PASS: maestro-guest integration"
