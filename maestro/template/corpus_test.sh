#!/bin/bash
# Differential corpus test: every testdata/templates/*.j2 is rendered by maestro's
# render_tool and by Python Jinja2 (/usr/bin/python3 + python3-jinja2) under the same fixed
# environment; both outputs must be byte-identical to each other and to the checked-in
# golden file (*.j2.out). Error templates (errors/*.j2) must fail with the message in *.err,
# and fail under Python Jinja2 too unless they say "maestro only" (a limit of ours).
set -uo pipefail
tool="$1"
dir="$2"
source "$dir/corpus_env.sh"
if ! /usr/bin/python3 -c 'import jinja2' 2>/dev/null; then
  echo "FAIL: /usr/bin/python3 cannot import jinja2 (install python3-jinja2)"
  exit 1
fi
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
count=0
for t in "$dir"/*.j2; do
  count=$((count + 1))
  name="$(basename "$t")"
  if ! "${CORPUS_ENV[@]}" "$tool" "$t" > "$tmp/maestro.out" 2> "$tmp/maestro.err"; then
    echo "FAIL $name: maestro error: $(cat "$tmp/maestro.err")"
    failures=$((failures + 1))
    continue
  fi
  "${CORPUS_ENV[@]}" /usr/bin/python3 "$dir/jinja2_render.py" "$t" > "$tmp/jinja2.out"
  if ! cmp -s "$tmp/maestro.out" "$tmp/jinja2.out"; then
    echo "FAIL $name: differs from Python Jinja2:"
    diff "$tmp/jinja2.out" "$tmp/maestro.out" | head -20
    failures=$((failures + 1))
  elif ! cmp -s "$tmp/maestro.out" "$t.out"; then
    echo "FAIL $name: differs from golden $name.out (run testdata/templates/regen_golden.sh?)"
    diff "$t.out" "$tmp/maestro.out" | head -20
    failures=$((failures + 1))
  fi
done
for t in "$dir"/errors/*.j2; do
  [ -e "$t" ] || continue
  count=$((count + 1))
  name="errors/$(basename "$t")"
  if "${CORPUS_ENV[@]}" "$tool" "$t" > /dev/null 2> "$tmp/maestro.err"; then
    echo "FAIL $name: rendered without error"
    failures=$((failures + 1))
  elif ! diff -u "${t%.j2}.err" "$tmp/maestro.err" > "$tmp/err.diff"; then
    echo "FAIL $name: unexpected error message:"
    cat "$tmp/err.diff"
    failures=$((failures + 1))
  elif ! grep -q "maestro only" "$t" &&
      "${CORPUS_ENV[@]}" /usr/bin/python3 "$dir/jinja2_render.py" "$t" > /dev/null 2>&1; then
    echo "FAIL $name: Python Jinja2 renders it without error"
    failures=$((failures + 1))
  fi
done
echo "$count templates, $failures failures"
[ "$failures" -eq 0 ]
