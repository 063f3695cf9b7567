#!/usr/bin/env bash
# Smoke test helper: runs a benchmark binary with the given arguments and checks that it
# exits 0 and prints something. Asserts nothing about speed.
set -euo pipefail
out=$("$@")
echo "$out"
[[ -n $out ]]
