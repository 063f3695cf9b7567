#!/usr/bin/env bash
# `maestro swarm label` and `maestro export swarm` on a real three-node Swarm (tools/testenv
# swarm up): the nodes get their ships' labels, and the exported stack, deployed with `docker stack deploy`, puts every instance on its ship's node with its
# host-mode ports, mounts, labels and an environment identical to `maestro dump`'s; and
# `maestro-guest node-list` inside a task answers what it answers in a maestro-started
# container. Then, with --relaxed-placement, a service moves to another node when its node is
# drained, and its peers' variables name it by its Swarm DNS name. Then `export swarm --deploy`
# (the Engine API, no docker CLI) deploys the same environment as a second stack: every task on
# its ship's node with maestro dump's environment, its labels and healthcheck, the secret
# readable in the task (and never in the stack file or any output); a second --deploy changes
# nothing; `status --stack` shows each task running on its node.
# Usage: swarm_deploy_test.sh MAESTRO MAESTRO_GUEST
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$1
guest=$2
envfile=${MAESTRO_TESTENV_FILE:-}
[[ -n $envfile && -r $envfile ]] || die "MAESTRO_TESTENV_FILE is not set (tools/testenv up)"
swarm_env=$(dirname "$envfile")/swarm/swarm.env
[[ -r $swarm_env ]] || die "no $swarm_env: run tools/testenv swarm up"
# shellcheck disable=SC1090
source "$swarm_env"
export DOCKER_CONFIG=$(mktemp -d /tmp/swarm-e2e-cfg.XXXXXX)
mgr() { docker -H "$MAESTRO_SWARM_MANAGER" "$@"; }
node_sock() { local v="MAESTRO_SWARM_NODE$1_SOCKET"; echo "unix://${!v}"; }
node_id() { local v="MAESTRO_SWARM_NODE$1_ID"; echo "${!v}"; }

stack=se$$r$RANDOM
stack0=$stack
work=$(mktemp -d /tmp/swarm-e2e.XXXXXX) # /tmp: the nodes bind-mount the guest from here
cleanup() {
  mgr stack rm "$stack0" "${stack0}d" >/dev/null 2>&1 || true
  for n in 1 2 3; do
    mgr node update --availability active --label-rm maestro.ship "$(node_id "$n")" \
      >/dev/null 2>&1 || true
  done
  rm -rf "$work" "$DOCKER_CONFIG"
}
trap cleanup EXIT
cp "$guest" "$work/maestro-guest"
chmod 755 "$work" "$work/maestro-guest"

secret_value="tok\$en \"$RANDOM\" ${RANDOM}x"
printf '%s' "$secret_value" >"$work/token.txt"
cat >"$work/env.yaml" <<YAML
__maestro: {schema: 2}
name: $stack
secrets:
  token: {file: token.txt}
ships:
  node1: {ip: $MAESTRO_SWARM_NODE1_ADDR, socket_path: $MAESTRO_SWARM_NODE1_SOCKET}
  node2: {ip: $MAESTRO_SWARM_NODE2_ADDR, socket_path: $MAESTRO_SWARM_NODE2_SOCKET}
  node3: {ip: $MAESTRO_SWARM_NODE3_ADDR, socket_path: $MAESTRO_SWARM_NODE3_SOCKET}
services:
  zookeeper:
    image: $MAESTRO_SWARM_IMAGE
    env: {SECRET_PASSWORD: 'pa\$\$w"rd \${HOME}'}
    ports: {client: "2181:32181"}
    instances:
      zk-1: &zk {ship: node1, command: "httpd -f -p 2181", labels: {team: data},
                 volumes: {$work/maestro-guest: {target: /bin/maestro-guest, mode: ro}}}
      zk-2: {<<: *zk, ship: node2}
      zk-3: {<<: *zk, ship: node3}
  web:
    image: $MAESTRO_SWARM_IMAGE
    requires: [zookeeper]
    ports: {http: "8080:38080"}
    secrets: [{source: token, mode: 0444}]
    healthcheck: {test: [CMD, "true"], interval: 2s, retries: 3}
    instances:
      web-1: {<<: *zk, ship: node2, command: "httpd -f -p 8080"}
YAML

# The nodes learn which ship they are (matched by address; every node has this machine's
# hostname).
"$maestro" -f "$work/env.yaml" swarm label >"$work/label.txt" 2>&1 ||
  die "swarm label failed: $(cat "$work/label.txt")"
for n in 1 2 3; do
  got=$(mgr node inspect "$(node_id "$n")" --format '{{index .Spec.Labels "maestro.ship"}}')
  [[ $got == "node$n" ]] || die "node$n carries maestro.ship='$got': $(cat "$work/label.txt")"
done
echo "ok: maestro swarm label: $(wc -l <"$work/label.txt") nodes labelled"
"$maestro" -f "$work/env.yaml" dump --show-secrets >"$work/dump.json"
"$maestro" -f "$work/env.yaml" export swarm -o "$work/stack.yml" 2>"$work/gaps.txt" ||
  die "export failed: $(cat "$work/gaps.txt")"
! grep -qF "$secret_value" "$work/stack.yml" "$work/gaps.txt" || die "the secret's value is in the export"
grep -q '    file: "'"$work"'/token.txt"' "$work/stack.yml" || die "the stack file names no secret file"
mgr stack deploy -c "$work/stack.yml" "$stack" >"$work/deploy.txt" 2>&1 ||
  die "docker stack deploy failed: $(cat "$work/deploy.txt")"

# The running task of SERVICE (instance name), within 120 s.
running_task() {
  local svc="${stack}_$1" i t t0=$SECONDS
  for ((i = 0; i < 240 && SECONDS - t0 < 120; i++)); do
    t=$(mgr service ps -q --filter desired-state=running "$svc" 2>/dev/null | head -1)
    if [[ -n $t && $(mgr inspect "$t" --format '{{.Status.State}}') == running ]]; then
      echo "$t"
      return 0
    fi
    sleep 0.5
  done
  mgr service ps --no-trunc "$svc" >&2 || true
  return 1
}

/usr/bin/python3 - "$work/dump.json" >"$work/expected.txt" <<'PY'
import json, sys
for i in json.load(open(sys.argv[1]))["instances"]:
    print(i["name"], i["ship"][-1], json.dumps(i["docker_env"], separators=(",", ":")))
PY

while read -r name node env_json; do
  task=$(running_task "$name") || die "$name: no running task within 120 s"
  got_node=$(mgr inspect "$task" --format '{{.NodeID}}')
  [[ $got_node == "$(node_id "$node")" ]] || die "$name: on node $got_node, want node$node"
  got_env=$(mgr inspect "$task" --format '{{json .Spec.ContainerSpec.Env}}')
  [[ $got_env == "$env_json" ]] || die "$name: environment differs:
 stack: $got_env
 maestro: $env_json"
  ports=$(mgr inspect "$task" --format '{{json .Status.PortStatus.Ports}}')
  case $name in
    zk-*) want='"TargetPort":2181,"PublishedPort":32181,"PublishMode":"host"' ;;
    web-1) want='"TargetPort":8080,"PublishedPort":38080,"PublishMode":"host"' ;;
  esac
  [[ $ports == *"$want"* ]] || die "$name: published ports $ports, want $want"
  mounts=$(mgr inspect "$task" --format '{{json .Spec.ContainerSpec.Mounts}}')
  [[ $mounts == *"\"Source\":\"$work/maestro-guest\",\"Target\":\"/bin/maestro-guest\",\"ReadOnly\":true"* ]] ||
    die "$name: mounts $mounts"
  labels=$(mgr inspect "$task" --format '{{json .Spec.ContainerSpec.Labels}}')
  [[ $labels == *"\"maestro.instance\":\"$name\""* ]] || die "$name: labels $labels"
  echo "ok: $name on node$node, env (${#env_json} bytes), ports, mounts, labels"
done <"$work/expected.txt"

# maestro-guest inside the web task answers what it answers in a maestro-started container
# (the same variables, given here by hand).
task=$(running_task web-1)
cid=$(mgr inspect "$task" --format '{{.Status.ContainerStatus.ContainerID}}')
got=$(docker -H "$(node_sock 2)" exec "$cid" maestro-guest node-list zookeeper client)
want=$(/usr/bin/python3 - "$work/dump.json" <<'PY' | env -i bash -c 'set -a; source /dev/stdin; exec "$0" node-list zookeeper client' "$guest"
import json, shlex, sys
for i in json.load(open(sys.argv[1]))["instances"]:
    if i["name"] == "web-1":
        for e in i["docker_env"]:
            k, _, v = e.partition("=")
            print(f"{k}={shlex.quote(v)}")
PY
)
[[ $got == "$want" && $got == "$MAESTRO_SWARM_NODE1_ADDR:32181,$MAESTRO_SWARM_NODE2_ADDR:32181,$MAESTRO_SWARM_NODE3_ADDR:32181" ]] ||
  die "node-list in the task: '$got', outside: '$want'"
echo "ok: maestro-guest node-list zookeeper client in a task: $got"
got=$(docker -H "$(node_sock 2)" exec "$cid" cat /run/secrets/token)
[[ $got == "$secret_value" ]] || die "the secret in the web-1 task (docker stack deploy) is '$got'"
echo "ok: the secret file of the web-1 task holds the value (docker stack deploy, file:)"

# Relaxed placement: web-1 may move; zk's view of it is its Swarm DNS name and container port.
"$maestro" -f "$work/env.yaml" export swarm --relaxed-placement web -o "$work/relaxed.yml" \
  2>/dev/null || die "relaxed export failed"
grep -q '"WEB_WEB_1_HOST=web-1"' "$work/relaxed.yml" || die "relaxed: peers do not name web-1"
grep -q '"WEB_WEB_1_HTTP_PORT=8080"' "$work/relaxed.yml" || die "relaxed: peers' port is not 8080"
mgr stack deploy -c "$work/relaxed.yml" "$stack" >"$work/deploy2.txt" 2>&1 ||
  die "redeploy failed: $(cat "$work/deploy2.txt")"
sleep 2
task=$(running_task web-1) || die "web-1 (relaxed) does not run"
from=$(mgr inspect "$task" --format '{{.NodeID}}')
mgr node update --availability drain "$from" >/dev/null
moved=
t0=$SECONDS
for ((i = 0; i < 240 && SECONDS - t0 < 120; i++)); do
  t=$(mgr service ps -q --filter desired-state=running "${stack}_web-1" | head -1)
  if [[ -n $t && $(mgr inspect "$t" --format '{{.Status.State}} {{.NodeID}}') == "running "* ]]; then
    to=$(mgr inspect "$t" --format '{{.NodeID}}')
    if [[ $to != "$from" ]]; then moved=$to; break; fi
  fi
  sleep 0.5
done
mgr node update --availability active "$from" >/dev/null
[[ -n $moved ]] || die "web-1 was not rescheduled off the drained node $from within 120 s"
echo "ok: relaxed web-1 moved from $from to $moved after the drain"
# The pinned services stayed where they were (zk-2 shares the drained node only if web-1 was on
# node2: then it has no running task now, which is what pinning means).

# The first stack goes (its host-mode ports would keep the second's tasks pending).
mgr stack rm "$stack" >/dev/null 2>&1 || die "docker stack rm $stack failed"
t0=$SECONDS
for ((i = 0; i < 240 && SECONDS - t0 < 120; i++)); do
  left=
  for n in 1 2 3; do
    left+=$(docker -H "$(node_sock "$n")" ps -aq --filter "label=com.docker.stack.namespace=$stack")
  done
  [[ -z $left ]] && break
  sleep 0.5
done
[[ -z $left ]] || die "the tasks of $stack are still there 120 s after docker stack rm"

# `export swarm --deploy`: the same environment under another name (so its secret is another
# Swarm secret), as a stack of its own, through the Engine API only.
sed "s/^name: $stack\$/name: ${stack}d/" "$work/env.yaml" >"$work/env2.yaml"
stack=${stack}d
"$maestro" -f "$work/env2.yaml" dump --show-secrets >"$work/dump2.json"
"$maestro" -f "$work/env2.yaml" export swarm --deploy "$stack" >"$work/api.txt" 2>"$work/api.err" ||
  die "export swarm --deploy failed: $(cat "$work/api.txt" "$work/api.err")"
! grep -qF "$secret_value" "$work/api.txt" "$work/api.err" || die "--deploy printed the secret's value"
grep -q "^service ${stack}_web-1: created" "$work/api.txt" || die "--deploy said: $(cat "$work/api.txt")"
grep -q "^secret ${stack}_token_[0-9a-f]*: created" "$work/api.txt" ||
  die "--deploy made no secret: $(cat "$work/api.txt")"
echo "ok: export swarm --deploy:"
sed 's/^/    /' "$work/api.txt"
/usr/bin/python3 - "$work/dump2.json" >"$work/expected2.txt" <<'PY'
import json, sys
for i in json.load(open(sys.argv[1]))["instances"]:
    print(i["name"], i["ship"][-1], json.dumps(i["docker_env"], separators=(",", ":")))
PY
while read -r name node env_json; do
  task=$(running_task "$name") || die "--deploy: $name: no running task within 120 s"
  got_node=$(mgr inspect "$task" --format '{{.NodeID}}')
  [[ $got_node == "$(node_id "$node")" ]] || die "--deploy: $name: on node $got_node, want node$node"
  got_env=$(mgr inspect "$task" --format '{{json .Spec.ContainerSpec.Env}}')
  [[ $got_env == "$env_json" ]] || die "--deploy: $name: environment differs:
 api: $got_env
 maestro: $env_json"
  labels=$(mgr inspect "$task" --format '{{json .Spec.ContainerSpec.Labels}}')
  [[ $labels == *"\"maestro.instance\":\"$name\""* && $labels == *"\"com.docker.stack.namespace\":\"$stack\""* ]] ||
    die "--deploy: $name: labels $labels"
  ports=$(mgr inspect "$task" --format '{{json .Status.PortStatus.Ports}}')
  case $name in
    zk-*) want='"TargetPort":2181,"PublishedPort":32181,"PublishMode":"host"' ;;
    web-1) want='"TargetPort":8080,"PublishedPort":38080,"PublishMode":"host"' ;;
  esac
  [[ $ports == *"$want"* ]] || die "--deploy: $name: published ports $ports, want $want"
  echo "ok: --deploy: $name on node$node, env (${#env_json} bytes), labels, ports"
done <"$work/expected2.txt"
task=$(running_task web-1)
hc=$(mgr inspect "$task" --format '{{json .Spec.ContainerSpec.Healthcheck}}')
[[ $hc == '{"Test":["CMD","true"],"Interval":2000000000,"Retries":3}' ]] ||
  die "--deploy: web-1 healthcheck $hc"
cid=$(mgr inspect "$task" --format '{{.Status.ContainerStatus.ContainerID}}')
got=$(docker -H "$(node_sock 2)" exec "$cid" cat /run/secrets/token)
[[ $got == "$secret_value" ]] || die "--deploy: the secret in the web-1 task is '$got'"
mode=$(docker -H "$(node_sock 2)" exec "$cid" stat -c %a /run/secrets/token)
[[ $mode == 444 ]] || die "--deploy: the secret's mode is $mode, want 444"
echo "ok: --deploy: web-1 healthcheck, secret readable (mode $mode) in the task"
# Idempotent: nothing changed, nothing is sent.
"$maestro" -f "$work/env2.yaml" export swarm --deploy "$stack" >"$work/api2.txt" 2>"$work/api2.err" ||
  die "second --deploy failed: $(cat "$work/api2.txt" "$work/api2.err")"
[[ $(cat "$work/api2.txt") == "stack $stack: nothing changed ("*") (through node1)" ]] ||
  die "second --deploy: $(cat "$work/api2.txt")"
echo "ok: a second --deploy: $(cat "$work/api2.txt")"
"$maestro" -f "$work/env2.yaml" status --stack "$stack" >"$work/status.txt" 2>&1 ||
  die "status --stack failed: $(cat "$work/status.txt")"
for n in zk-1:1 zk-2:2 zk-3:3 web-1:2; do
  grep -Eq "^${n%:*} +${stack}_${n%:*} +running +.*maestro.ship=node${n#*:}" "$work/status.txt" ||
    die "status --stack: no running ${n%:*} on node${n#*:}: $(cat "$work/status.txt")"
done
echo "ok: status --stack:"
cat "$work/status.txt"
echo PASS
