#!/usr/bin/env bash
# Integration: maestro itself starts an environment on the real test daemon with the static
# maestro-guest bind-mounted into busybox containers; `docker exec` then checks every
# subcommand's answer against the variables maestro injected (read back with docker inspect).
# Needs the test environment (MAESTRO_TESTENV_FILE); fails loudly without it.
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
guest=$(cd "$(dirname "$2")" && pwd -P)/$(basename "$2")
[[ -x $maestro && -x $guest ]] || die "usage: maestro_started_test.sh MAESTRO MAESTRO_GUEST"
envfile=${MAESTRO_TESTENV_FILE:-}
[[ -n $envfile && -r $envfile ]] || die "MAESTRO_TESTENV_FILE is not set or unreadable (tools/testenv up)"
image=$(sed -n 's/^MAESTRO_TEST_IMAGE=//p' "$envfile")
[[ -n $image ]] || die "MAESTRO_TEST_IMAGE missing from $envfile"

p=gs$$r$RANDOM  # unique container-name prefix
# Five host ports base+1..base+5 below the kernel's ephemeral range (32768-60999, where client
# sockets of other tests would collide), none of them accepting connections now; 50 tries.
base=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 12000))
  busy=0
  for i in 1 2 3 4 5; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((candidate + i))") 2>/dev/null; then busy=1; break; fi
  done
  if ((busy == 0)); then base=$candidate; break; fi
done
[[ -n $base ]] || die "no five free ports found in 50 tries"
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/guest-maestro.XXXXXX")
cp "$guest" "$work/maestro-guest"
cat >"$work/env.yaml" <<YAML
__maestro: {schema: 2}
name: guest-e2e
ships:
  local: {ip: 127.0.0.1, socket_path: /var/run/docker.sock}
services:
  zoo-keeper:
    image: $image
    instances:
      $p-zk-1:
        ship: local
        ports: {client: "2181:$((base + 1))", peer: "2888:$((base + 2))"}
        volumes: {$work/maestro-guest: {target: /bin/maestro-guest, mode: ro}}
        command: [sleep, "300"]
      $p-zk-2:
        ship: local
        ports: {client: "2181:$((base + 3))", peer: "2888:$((base + 4))"}
        volumes: {$work/maestro-guest: {target: /bin/maestro-guest, mode: ro}}
        command: [sleep, "300"]
  kafka:
    image: $image
    requires: [zoo-keeper]
    env: {SECRET_LEVEL: 7}
    instances:
      $p-kafka-1:
        ship: local
        ports: {broker: "9092:$((base + 5))"}
        volumes: {$work/maestro-guest: {target: /bin/maestro-guest, mode: ro}}
        command: [sleep, "300"]
YAML
cleanup() {
  "$maestro" -f "$work/env.yaml" kill -a >/dev/null 2>&1 || true
  "$maestro" -f "$work/env.yaml" clean >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$maestro" -f "$work/env.yaml" start >"$work/start.log" 2>&1 || { cat "$work/start.log"; die "maestro start failed"; }

# The injected variables, as the daemon holds them.
envof() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" | sed -n "s/^$2=//p"; }
ZK=ZOO_KEEPER
P=$(tr 'a-z-' 'A-Z_' <<<"$p")
g() { docker exec "$1" maestro-guest "${@:2}"; }
expect() {  # expect WHAT ACTUAL EXPECTED
  [[ $2 == "$3" ]] || die "$1: got '$2', expected '$3'"
  echo "ok: $1 = $3"
}

k=$p-kafka-1
expect environment-name "$(g "$k" environment-name)" "$(envof "$k" MAESTRO_ENVIRONMENT_NAME)"
expect service-name "$(g "$k" service-name)" kafka
expect container-name "$(g "$k" container-name)" "$k"
expect container-host-address "$(g "$k" container-host-address)" "$(envof "$k" CONTAINER_HOST_ADDRESS)"
expect "port broker" "$(g "$k" port broker)" "$(envof "$k" KAFKA_${P}_KAFKA_1_BROKER_INTERNAL_PORT)"
expect "node-list zoo-keeper client" "$(g "$k" node-list zoo-keeper client)" \
  "127.0.0.1:$(envof "$k" ${ZK}_${P}_ZK_1_CLIENT_PORT),127.0.0.1:$(envof "$k" ${ZK}_${P}_ZK_2_CLIENT_PORT)"
expect "node-list two ports, separator" "$(g "$k" node-list zoo-keeper client peer --separator ' ')" \
  "127.0.0.1:$((base + 1)):$((base + 2)) 127.0.0.1:$((base + 3)):$((base + 4))"
expect specific-host "$(g "$k" specific-host zoo-keeper "$p-zk-2")" "$(envof "$k" ${ZK}_${P}_ZK_2_HOST)"
expect specific-port "$(g "$k" specific-port zoo-keeper "$p-zk-2" client)" "$((base + 3))"
# Internal ports go to peers only: kafka does not see zookeeper's, a zookeeper peer does.
[[ -z $(envof "$k" ${ZK}_${P}_ZK_2_CLIENT_INTERNAL_PORT) ]] || die "kafka sees a zookeeper INTERNAL_PORT"
expect "specific-exposed-port default" "$(g "$k" specific-exposed-port zoo-keeper "$p-zk-2" client 99)" 99
expect "peer specific-exposed-port" "$(g "$p-zk-1" specific-exposed-port zoo-keeper "$p-zk-2" client)" 2181
expect "peer port" "$(g "$p-zk-2" port peer)" 2888

# Errors name what is missing and the variable looked up.
if out=$(g "$k" specific-host nosuch "$p-zk-1" 2>&1); then die "a missing service did not fail"; fi
grep -q "NOSUCH_" <<<"$out" || die "missing-service message does not name the variable: $out"
echo "ok: missing service -> $out"
if out=$(g "$k" node-list zoo-keeper client --minimum 3 2>&1); then die "--minimum 3 did not fail"; fi
echo "ok: --minimum 3 -> $out"

# --json carries the same view.
json=$(g "$k" --json)
grep -q "\"container\":\"$k\"" <<<"$json" || die "--json lacks the container: $json"
grep -q "\"client\":$((base + 3))" <<<"$json" || die "--json lacks zk-2's client port: $json"
echo "PASS: maestro-guest answers match what maestro injected"
