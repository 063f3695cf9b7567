#!/usr/bin/env bash
# Ctrl-C while a large environment file is still being loaded ends maestro at once with exit
# 130, even when the parent left SIGINT ignored (as a shell does for background jobs).
set -uo pipefail
MAESTRO=$1
DIR=${TEST_TMPDIR:-$(mktemp -d)}
ENV=$DIR/big.yaml
/usr/bin/python3 - "$ENV" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name: big\nships:\n  s1: {ip: 127.0.0.1}\nservices:\n")
    for s in range(4000):
        f.write(f"  svc{s}:\n    image: busybox\n    instances:\n")
        for i in range(25):
            f.write(f"      svc{s}-{i}: {{ship: s1, ports: {{p: {10000 + i}}}}}\n")
PY
fail=0
for how in plain ignored; do
  if [[ $how == ignored ]]; then
    # `trap '' INT` makes the child start with SIGINT ignored.
    (trap '' INT; exec "$MAESTRO" -f "$ENV" status >/dev/null 2>"$DIR/err") &
  else
    "$MAESTRO" -f "$ENV" status >/dev/null 2>"$DIR/err" &
  fi
  pid=$!
  sleep 0.5
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL ($how): maestro ended before the signal (the file loads too fast for this test)"
    fail=1
    continue
  fi
  start=$(date +%s%N)
  kill -INT "$pid"
  # Bounded wait: at most 10 s.
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "FAIL ($how): maestro still runs 10 s after SIGINT"
    kill -KILL "$pid"
    fail=1
    continue
  fi
  wait "$pid"
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  if [[ $rc -ne 130 ]]; then
    echo "FAIL ($how): exit code $rc, expected 130; stderr: $(cat "$DIR/err")"
    fail=1
  elif ! grep -q "maestro: interrupted" "$DIR/err"; then
    echo "FAIL ($how): no 'maestro: interrupted' on stderr: $(cat "$DIR/err")"
    fail=1
  else
    echo "ok ($how): exit 130 ${ms} ms after SIGINT"
  fi
done
exit $fail
