#!/usr/bin/env bash
# Side by side: maestro's client (unix socket, SSH tunnel to the unix socket, one reused
# connection each) vs `curl --unix-socket` (one process and connection per request), all doing
# GET /containers/{id}/json on the real test environment (tools/testenv up).
# Usage: benchmarks/docker_inspect_benchmark.sh <path to docker_inspect_benchmark> [count]
set -euo pipefail
BIN=${1:?path to docker_inspect_benchmark}
COUNT=${2:-1000}
ENV_FILE=${MAESTRO_TESTENV_FILE:-/var/tmp/maestro-testenv/testenv.env}
# shellcheck disable=SC1090
source "$ENV_FILE"
SOCK=$MAESTRO_TEST_DOCKER_SOCKET
NAME=maestro-bench-$$
ID=$(curl -sf --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$MAESTRO_TEST_IMAGE\",\"Cmd\":[\"true\"],\"Labels\":{\"maestro.test\":\"1\"}}" \
  "http://docker/containers/create?name=$NAME" | sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
trap 'curl -sf --unix-socket "$SOCK" -X DELETE "http://docker/containers/$ID?force=1" >/dev/null || true' EXIT
"$BIN" unix "$SOCK" "$ID" "$COUNT"
"$BIN" ssh "$MAESTRO_TEST_SSH_HOST" "$MAESTRO_TEST_SSH_PORT" "$MAESTRO_TEST_SSH_USER" \
  "$MAESTRO_TEST_SSH_KEY" "$MAESTRO_TEST_SSH_KNOWN_HOSTS" "$SOCK" "$ID" "$COUNT"
CURL_COUNT=$(( COUNT < 300 ? COUNT : 300 ))
start=$(date +%s%N)
for ((i = 0; i < CURL_COUNT; i++)); do
  curl -sf --unix-socket "$SOCK" "http://docker/containers/$ID/json" >/dev/null
done
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "curl-unix $CURL_COUNT requests in $ms ms: $(( CURL_COUNT * 1000 / (ms > 0 ? ms : 1) )) req/s, $CURL_COUNT process(es)"
