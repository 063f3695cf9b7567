#!/bin/bash
# Regenerates the golden outputs (*.j2.out) of the differential corpus with Python Jinja2.
# Run from anywhere: testdata/templates/regen_golden.sh
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
source "$dir/corpus_env.sh"
for t in "$dir"/*.j2; do
  "${CORPUS_ENV[@]}" /usr/bin/python3 "$dir/jinja2_render.py" "$t" > "$t.out"
done
echo "regenerated $(ls "$dir"/*.j2 | wc -l) golden files"
