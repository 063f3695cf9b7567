#!/usr/bin/env bash
# `maestro export swarm` read back by the real Docker CLI's Compose loader (`docker stack
# config`, the code `docker stack deploy` runs before it talks to a manager): the file must
# load, keep every instance pinned to its ship with host-mode ports, and give each service an
# environment equal, variable for variable and byte for byte, to the one `maestro start`
# injects (`maestro dump --show-secrets`'s docker_env), `$` included.
# Usage: export_swarm_test.sh MAESTRO
set -euo pipefail
die() { echo "FAIL: $*" >&2; exit 1; }
maestro=$1
[[ -x $maestro ]] || die "usage: export_swarm_test.sh MAESTRO"
command -v docker >/dev/null || die "the docker CLI is missing (tools/testenv up installs it)"
docker stack config --help >/dev/null 2>&1 || die "this docker CLI has no 'stack config'"
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/export-swarm.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/env.yaml" <<'YAML'
__maestro: {schema: 2}
name: swarm-export
ships:
  alpha: {ip: 10.0.0.1}
  beta: {ip: 10.0.0.2}
services:
  zookeeper:
    image: zk:3.4
    env: {JVMFLAGS: "-Xmx1g", PASSWORD: "p$a$$w'o\"rd ${NOT_A_VAR}", QUOTE: "it's"}
    ports: {client: 2181, peer: "2888:12888"}
    instances:
      zk-1: {ship: alpha, env: {ZOO_MY_ID: 1}}
      zk-2: {ship: beta, env: {ZOO_MY_ID: 2}, volumes: {/srv/zk: {target: /data, mode: ro}}}
  web:
    image: shop/web:1.2
    requires: [zookeeper]
    instances:
      web-1: {ship: alpha, command: 'sh -c "echo $CONTAINER_NAME && exec httpd -f"', ports: {http: "80:8080"}, restart: {name: on-failure, maximum_retry_count: 2}}
YAML

"$maestro" -f "$work/env.yaml" export swarm -o "$work/stack.yml" 2>"$work/gaps.txt" ||
  die "export failed: $(cat "$work/gaps.txt")"
grep -q "web-1: requires: Swarm starts services in no order" "$work/gaps.txt" ||
  die "the requires gap was not reported: $(cat "$work/gaps.txt")"
docker stack config -c "$work/stack.yml" >"$work/config.yml" 2>"$work/err.txt" ||
  die "docker stack config rejected the file: $(cat "$work/err.txt")"
"$maestro" -f "$work/env.yaml" dump --show-secrets >"$work/dump.json"

/usr/bin/python3 - "$work/config.yml" "$work/dump.json" <<'PY'
import json, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
dump = json.load(open(sys.argv[2]))
services = config["services"]
fail = []
for inst in dump["instances"]:
    name = inst["name"]
    svc = services.get(name)
    if svc is None:
        fail.append(f"{name}: missing from the stack"); continue
    want = {}
    for e in inst["docker_env"]:
        k, _, v = e.partition("=")
        want[k] = v
    got = {k: ("" if v is None else str(v)) for k, v in (svc.get("environment") or {}).items()}
    if got != want:
        for k in sorted(set(want) | set(got)):
            if want.get(k) != got.get(k):
                fail.append(f"{name}: env {k}: stack {got.get(k)!r} != maestro {want.get(k)!r}")
    constraint = svc["deploy"]["placement"]["constraints"]
    if constraint != [f"node.labels.maestro.ship == {inst['ship']}"]:
        fail.append(f"{name}: placement {constraint}")
    for p in svc.get("ports", []):
        if p.get("mode") != "host":
            fail.append(f"{name}: port {p} not in host mode")
    if svc["image"] != inst["image"]:
        fail.append(f"{name}: image {svc['image']} != {inst['image']}")
    if svc.get("command") != inst["command"]:
        fail.append(f"{name}: command {svc.get('command')!r} != {inst['command']!r}")
web = services["web-1"]
if web["deploy"]["restart_policy"] != {"condition": "on-failure", "max_attempts": 2}:
    fail.append(f"web-1: restart policy {web['deploy']['restart_policy']}")
if {"target": 80, "published": "8080", "protocol": "tcp", "mode": "host"} not in web["ports"] and \
   {"target": 80, "published": 8080, "protocol": "tcp", "mode": "host"} not in web["ports"]:
    fail.append(f"web-1: ports {web['ports']}")
zk2 = services["zk-2"]
if {"type": "bind", "source": "/srv/zk", "target": "/data", "read_only": True} not in zk2["volumes"]:
    fail.append(f"zk-2: volumes {zk2['volumes']}")
if fail:
    print("\n".join(fail)); sys.exit(1)
print(f"{len(dump['instances'])} services: environment, placement, ports, image, command match")
PY
echo PASS
