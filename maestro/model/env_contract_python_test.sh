#!/bin/bash
# Exhaustive differential test of the env-var naming rule: for every Unicode code point, maestro's
# ToEnvVarName must equal MaestroNG's re.sub(r'[^\w]', '_', name).upper() under /usr/bin/python3.
# A mismatch after a Python upgrade means regenerating maestro/model/unicode_tables.h with
# tools/unicode/gen_unicode_tables.py.
set -euo pipefail
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
"$1" > "$tmp/maestro.txt"
/usr/bin/python3 - > "$tmp/python.txt" <<'PY'
import re
import sys
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    sys.stdout.write(re.sub(r'[^\w]', '_', chr(cp)).upper().encode('utf-8').hex() + '\n')
PY
if ! cmp -s "$tmp/maestro.txt" "$tmp/python.txt"; then
  echo "FAIL: ToEnvVarName differs from Python for these code points (line = code point order):"
  diff "$tmp/python.txt" "$tmp/maestro.txt" | head -20
  exit 1
fi
echo "all code points match Python"
