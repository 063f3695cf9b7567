#!/usr/bin/env bash
# `maestro -f FILE deptree` on the 6,000-instance environment (testdata/deptree_6000.yaml.j2)
# against Python doing only the first steps MaestroNG does with the same file: Jinja2 render
# and a PyYAML C-loader parse (python_render_parse.py). Runs interleaved (maestro, python,
# maestro, ...), prints each side's median wall time and peak RSS, and the ratio.
#
# Usage: deptree_benchmark.sh MAESTRO_BINARY [RUNS=9] [UNIT=1000] [FILE=testdata/deptree_6000.yaml.j2]
#   bazel build -c opt //maestro && benchmarks/deptree_benchmark.sh bazel-out/k8-opt/bin/maestro/maestro
# UNIT scales the file: 1000 -> 6,000 instances. FILE testdata/scale_100k.yaml.j2 is the
# 100,000-instance environment (UNIT = its instance count, e.g. 100000). FILE
# testdata/chain.yaml.j2 is a chain of UNIT services each requiring the previous (issue #10,
# e.g. 3000); time `dump` and `deptree THING` on it by hand with /usr/bin/time -v
# (docs/benchmarks.md §1). Needs /usr/bin/python3 with python3-jinja2 and python3-yaml for the
# reference (skipped with a note when missing).
set -euo pipefail
maestro=$1
runs=${2:-9}
unit=${3:-1000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
source "$here/bench_lib.sh"
file=$here/${4:-testdata/deptree_6000.yaml.j2}
py=/usr/bin/python3
export MAESTRO_BENCH_UNIT=$unit
(( runs >= 1 && runs <= 100 )) || { echo "runs must be 1..100" >&2; exit 2; }

have_python=1
if ! "$py" -c 'import jinja2, yaml; yaml.CSafeLoader' 2>/dev/null; then
  have_python=0
  echo "note: $py with jinja2 and yaml (libyaml) not found; measuring maestro only" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One timed run: appends "wall_ms maxrss_kb" to $1.
timed() {
  local out=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2
    echo "failed: $*" >&2
    exit 1
  }
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 )) $(tail -1 "$tmp/rss")" >>"$out"
}

"$maestro" -f "$file" deptree >"$tmp/tree"  # warm the page cache; check it works
grep -q '^[a-z]' "$tmp/tree" || { echo "unexpected deptree output" >&2; cat "$tmp/tree" >&2; exit 1; }
for ((i = 0; i < runs; i++)); do
  timed "$tmp/maestro" "$maestro" -f "$file" deptree
  if (( have_python )); then timed "$tmp/python" "$py" "$here/python_render_parse.py" "$file"; fi
done

m_ms=$(cut -d' ' -f1 "$tmp/maestro" | median)
m_rss=$(cut -d' ' -f2 "$tmp/maestro" | median)
printf '%-44s %12s %14s\n' "deptree, $(basename "$file") unit $unit, $runs runs" "median ms" "median maxrss"
printf '%-44s %12.1f %11d KB\n' "maestro -f $(basename "$file") deptree" "$(awk -v x="$m_ms" "BEGIN{print x/1000}")" "$m_rss"
if (( have_python )); then
  p_ms=$(cut -d' ' -f1 "$tmp/python" | median)
  p_rss=$(cut -d' ' -f2 "$tmp/python" | median)
  printf '%-44s %12.1f %11d KB\n' "python3 jinja2 render + yaml CSafeLoader" "$(awk -v x="$p_ms" "BEGIN{print x/1000}")" "$p_rss"
  printf 'maestro / python = %.3f (goal <= 0.25)\n' "$(awk -v a="$m_ms" -v b="$p_ms" "BEGIN{print a/b}")"
fi
