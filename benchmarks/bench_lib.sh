# Shared by the benchmark scripts (source it, never run it): the real test environment, the
# clean-up of a run's containers, the three ships of one daemon, and the timing arithmetic.
#   here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#   source "$here/bench_lib.sh"
# Needs bash; sets nothing until a function is called.

# bench_testenv: sources the test environment (MAESTRO_TESTENV_FILE, default
# /var/tmp/maestro-testenv/testenv.env; exit 2 without one) and sets sock, tcp (host:port),
# tcp_port, image and DOCKER_HOST (the unix socket) for the script.
bench_testenv() {
  local envfile=${MAESTRO_TESTENV_FILE:-/var/tmp/maestro-testenv/testenv.env}
  [[ -r $envfile ]] || { echo "no test environment ($envfile): run tools/testenv up" >&2; exit 2; }
  # shellcheck disable=SC1090
  source "$envfile"
  sock=${MAESTRO_TEST_DOCKER_SOCKET:-/var/run/docker.sock}
  tcp=${MAESTRO_TEST_DOCKER_TCP:-127.0.0.1:2375}
  tcp_port=${tcp##*:}
  image=${MAESTRO_TEST_IMAGE:-maestro-test/busybox:latest}
  export DOCKER_HOST=unix://$sock
}

# bench_remove_containers PREFIX: removes every container named PREFIX-* (errors ignored).
bench_remove_containers() {
  local ids
  ids=$(docker ps -aq --filter "name=^/$1-" 2>/dev/null || true)
  if [[ -n $ids ]]; then docker rm -f $ids >/dev/null 2>&1 || true; fi
}

# bench_ships [EXTRA]: the `ships:` section of an environment: ship1 on the unix socket, ship2
# and ship3 over TCP with ips 127.0.0.2/.3 (the same daemon). EXTRA (", timeout: 30") is added
# to each ship.
bench_ships() {
  local extra=${1:-}
  echo "ships:"
  echo "  ship1: {ip: 127.0.0.1, socket_path: $sock$extra}"
  echo "  ship2: {ip: 127.0.0.2, endpoint: ${tcp%:*}, docker_port: $tcp_port$extra}"
  echo "  ship3: {ip: 127.0.0.3, endpoint: ${tcp%:*}, docker_port: $tcp_port$extra}"
}

# ms: wall clock in milliseconds.
ms() { date +%s%3N; }

# median: the median of the numbers on stdin, one a line (the mean of the middle two for an even
# count).
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
