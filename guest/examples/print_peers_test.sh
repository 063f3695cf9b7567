#!/bin/sh
# Runs the example service with a sample maestro environment (env -i: nothing inherited)
# and checks what it prints; then without zookeeper, where it must fail naming the variable.
set -eu
bin="$1"
out="$(env -i \
  MAESTRO_ENVIRONMENT_NAME=prod SERVICE_NAME=kafka CONTAINER_NAME=kafka-2 \
  CONTAINER_HOST_ADDRESS=192.168.10.2 \
  KAFKA_INSTANCES=kafka-1,kafka-2 \
  KAFKA_KAFKA_1_HOST=192.168.10.1 KAFKA_KAFKA_1_BROKER_PORT=9092 \
  KAFKA_KAFKA_2_HOST=192.168.10.2 KAFKA_KAFKA_2_BROKER_PORT=19092 \
  KAFKA_KAFKA_2_BROKER_INTERNAL_PORT=9093 \
  ZOOKEEPER_INSTANCES=zk-node-1,zk-node-2,zk-node-3 \
  ZOOKEEPER_ZK_NODE_1_HOST=192.168.10.2 ZOOKEEPER_ZK_NODE_1_CLIENT_PORT=2181 \
  ZOOKEEPER_ZK_NODE_2_HOST=192.168.10.2 ZOOKEEPER_ZK_NODE_2_CLIENT_PORT=2182 \
  ZOOKEEPER_ZK_NODE_3_HOST=192.168.10.2 ZOOKEEPER_ZK_NODE_3_CLIENT_PORT=2183 \
  "$bin")"
expected="environment: prod
me: kafka-2 of kafka on 192.168.10.2
listen port: 9093
peers: 192.168.10.1:9092 192.168.10.2:19092
zookeeper.connect=192.168.10.2:2181,192.168.10.2:2182,192.168.10.2:2183"
if [ "$out" != "$expected" ]; then
  echo "unexpected output:"; echo "$out"; echo "expected:"; echo "$expected"; exit 1
fi

set +e
err="$(env -i SERVICE_NAME=kafka CONTAINER_NAME=kafka-1 KAFKA_INSTANCES=kafka-1 \
  KAFKA_KAFKA_1_HOST=10.0.0.1 KAFKA_KAFKA_1_BROKER_PORT=9092 "$bin" 2>&1 >/dev/null)"
code=$?
set -e
[ "$code" -eq 1 ] || { echo "expected exit 1 without zookeeper, got $code"; exit 1; }
case "$err" in
  *"No or not enough zookeeper nodes configured (ZOOKEEPER_INSTANCES is not set)"*) ;;
  *) echo "unexpected error: $err"; exit 1 ;;
esac
echo "print_peers: ok"
