#!/usr/bin/env bash
# Runs the Docker inspect benchmark briefly against the in-process fake daemon.
set -euo pipefail
"$1" fake 50 | grep -q "req/s"
