#!/usr/bin/env bash
# `tools/testenv swarm up|down|status`: a real three-node Docker Swarm beside the main test
# daemon, which it leaves untouched, for the `maestro export swarm` integration tests.
#
# Each node is a test host of its own: a network namespace `maestro-swN` joined to the others
# by a veth pair on the bridge `bswnet` (10.231.0.N/24, no route anywhere else), running a
# dockerd (Debian's 20.10) with its own --data-root, --exec-root, --pidfile and unix socket
# $SWARM/nodeN/docker.sock (the file system is shared: the host reaches each daemon through its
# socket, and bind mounts of host paths work). Inside its namespace each daemon has its own
# docker0 and docker_gwbridge, and its own VXLAN sockets: nodes that shared the host's network
# namespace collided on the overlay network's VXLAN device ("file exists"). --iptables=false
# --ip-masq=false keep the daemons off any firewall. Node 1 runs `swarm init` on 10.231.0.1;
# nodes 2 and 3 join. The test image reaches each node with `docker save | docker load`. All
# nodes share this machine's hostname: tests place work with node labels. Host-mode published
# ports are recorded on the task (`docker inspect`) and listen inside the node's namespace.
#
# Contract: $SWARM/swarm.env (MAESTRO_SWARM_MANAGER, MAESTRO_SWARM_NODE{1,2,3}_SOCKET,
# MAESTRO_SWARM_NODE{1,2,3}_ID, MAESTRO_SWARM_NODE{1,2,3}_ADDR, MAESTRO_SWARM_IMAGE). `down`
# leaves the swarm, stops the daemons, deletes the namespaces and the bridge and removes the
# state. Every wait is bounded.
set -euo pipefail
export MAESTRO_PROG=testenv-swarm
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
for d in /usr/local/sbin /usr/sbin /sbin; do
  [[ :$PATH: == *:$d:* ]] || PATH=$PATH:$d
done
export PATH

STATE=$(realpath -m "${MAESTRO_TESTENV_DIR:-/var/tmp/maestro-testenv}")
SWARM=$STATE/swarm
ENV_FILE=$SWARM/swarm.env
NODES=(1 2 3)
IMAGE=maestro-test/busybox:latest
DOCKER_BIN=/usr/bin/docker
[[ -x $DOCKER_BIN ]] || DOCKER_BIN=$(command -v docker || echo docker)

sock() { echo "$SWARM/node$1/docker.sock"; }
dn() { # dn N ARGS...: the docker CLI against node N, with a private config dir
  local n=$1
  shift
  DOCKER_CONFIG=$SWARM/docker-config "$DOCKER_BIN" -H "unix://$(sock "$n")" "$@"
}
ping_node() { [[ $(curl -sS -m 3 --unix-socket "$(sock "$1")" http://docker/_ping 2>/dev/null) == OK ]]; }
node_state() { dn "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo down; }

netns() { echo "maestro-sw$1"; }
addr() { echo "10.231.0.$1"; }

# The node's test host: namespace, veth to bswnet, address, loopback.
make_host() {
  local n=$1 ns
  ns=$(netns "$n")
  if ! ip link show bswnet >/dev/null 2>&1; then
    ip link add bswnet type bridge || die "cannot create the bridge bswnet (root needed)"
  fi
  ip link set bswnet up
  # Docker's FORWARD policy is DROP and bridged frames pass through iptables (br_netfilter):
  # let the nodes reach each other on bswnet, and nothing else.
  local chain=DOCKER-USER
  iptables -n -L DOCKER-USER >/dev/null 2>&1 || chain=FORWARD
  if ! iptables -C "$chain" -i bswnet -o bswnet -j ACCEPT 2>/dev/null; then
    iptables -I "$chain" -i bswnet -o bswnet -j ACCEPT ||
      die "cannot let the swarm nodes talk on bswnet (iptables)"
  fi
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns" || die "node$n: cannot create network namespace $ns"
  fi
  if ! ip link show "vsw$n" >/dev/null 2>&1; then
    ip link add "vsw$n" type veth peer name "vsw${n}p"
    ip link set "vsw${n}p" netns "$ns"
    ip -n "$ns" link set "vsw${n}p" name eth0
    ip -n "$ns" addr add "$(addr "$n")/24" dev eth0
  fi
  ip link set "vsw$n" master bswnet up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
}

start_node() {
  local n=$1 dir=$SWARM/node$1 lg=$SWARM/node$1/dockerd.log
  mkdir -p "$dir"
  if ping_node "$n"; then
    log "node$n: running"
    return 0
  fi
  make_host "$n"
  rm -f "$(sock "$n")"
  log "node$n: starting dockerd in network namespace $(netns "$n") ($(addr "$n"))"
  # setsid: the daemon outlives this script and the Bazel test that may call it. nsenter
  # switches the network namespace only (ip netns exec would give it a mount namespace too).
  (cd / && setsid nsenter --net="/var/run/netns/$(netns "$n")" dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    -H "unix://$(sock "$n")" --iptables=false --ip-masq=false >>"$lg" 2>&1 </dev/null &)
  wait_until "node$n dockerd" 120 60 0.5 ping_node "$n" || die "node$n: dockerd did not answer" "$lg"
}

load_images() {
  local n=$1
  if dn "$n" image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
  log "node$n: loading $IMAGE"
  DOCKER_CONFIG=$SWARM/docker-config "$DOCKER_BIN" save "$IMAGE" | dn "$n" load >/dev/null ||
    die "node$n: could not load $IMAGE (run tools/testenv up first)"
}

cmd_up() {
  command -v dockerd >/dev/null || die "dockerd is missing (tools/testenv up installs docker.io)"
  "$DOCKER_BIN" image inspect "$IMAGE" >/dev/null 2>&1 ||
    die "$IMAGE is missing on the main daemon: run tools/testenv up first"
  mkdir -p "$SWARM/docker-config"
  local n t0=$SECONDS
  for n in "${NODES[@]}"; do start_node "$n"; done
  if [[ $(node_state 1) != active ]]; then
    log "node1: swarm init"
    dn 1 swarm init --advertise-addr "$(addr 1)" --listen-addr "$(addr 1):2377" \
      >/dev/null || die "node1: swarm init failed" "$SWARM/node1/dockerd.log"
  fi
  local token
  token=$(dn 1 swarm join-token -q worker) || die "node1: no join token"
  for n in "${NODES[@]:1}"; do
    if [[ $(node_state "$n") != active ]]; then
      log "node$n: joining"
      dn "$n" swarm join --advertise-addr "$(addr "$n")" --listen-addr "$(addr "$n"):2377" \
        --token "$token" "$(addr 1):2377" >/dev/null ||
        die "node$n: swarm join failed" "$SWARM/node$n/dockerd.log"
    fi
  done
  for n in "${NODES[@]}"; do load_images "$n"; done
  ready() { [[ $(dn 1 node ls --format '{{.Status}}' | grep -c Ready) -eq ${#NODES[@]} ]]; }
  wait_until "three Ready nodes" 120 60 0.5 ready || die "the swarm did not get three Ready nodes"
  {
    echo "MAESTRO_SWARM_MANAGER=unix://$(sock 1)"
    for n in "${NODES[@]}"; do
      echo "MAESTRO_SWARM_NODE${n}_SOCKET=$(sock "$n")"
      echo "MAESTRO_SWARM_NODE${n}_ID=$(dn "$n" info --format '{{.Swarm.NodeID}}')"
      echo "MAESTRO_SWARM_NODE${n}_ADDR=$(addr "$n")"
    done
    echo "MAESTRO_SWARM_IMAGE=$IMAGE"
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  log "swarm up in $((SECONDS - t0))s; contract in $ENV_FILE"
}

cmd_down() {
  local n pid
  for n in "${NODES[@]}"; do
    if ping_node "$n"; then
      dn "$n" swarm leave --force >/dev/null 2>&1 || true
    fi
  done
  for n in "${NODES[@]}"; do
    if pid_alive "$SWARM/node$n/docker.pid" dockerd; then
      pid=$(<"$SWARM/node$n/docker.pid")
      kill "$pid" 2>/dev/null || true
      local i
      for ((i = 0; i < 60; i++)); do
        [[ -d /proc/$pid ]] || break
        sleep 0.5
      done
      if [[ -d /proc/$pid ]]; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    ip link del "vsw$n" 2>/dev/null || true
    ip netns del "$(netns "$n")" 2>/dev/null || true
  done
  ip link del bswnet 2>/dev/null || true
  local chain
  for chain in DOCKER-USER FORWARD; do
    while iptables -D "$chain" -i bswnet -o bswnet -j ACCEPT 2>/dev/null; do :; done
  done
  # What the daemons left mounted (their data roots, sandbox namespaces), deepest first.
  local m
  for m in $(awk -v p="$SWARM/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  if ! grep -q " $SWARM/" /proc/mounts; then
    rm -rf "$SWARM"
  else
    log "left $SWARM in place: something is still mounted there"
  fi
  log "swarm down"
}

cmd_status() {
  local n bad=0
  for n in "${NODES[@]}"; do
    if ping_node "$n"; then
      log "node$n: $(node_state "$n")"
    else
      log "node$n: down"
      bad=1
    fi
  done
  [[ -f $ENV_FILE ]] || bad=1
  return $bad
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: tools/testenv swarm up|down|status" >&2
    exit 2
    ;;
esac
