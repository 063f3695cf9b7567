#!/usr/bin/env bash
# The bash, zsh and fish completions agree: the same option-value flags (each a real option of
# maestro/cli/options.cc), each script asks `maestro complete` for the words. Then fish (a
# tools/setup package) completes for real against the built binary: commands, flags, the
# instances of -f FILE, and --format values.
# Usage: completion_test.sh MAESTRO BASH ZSH FISH OPTIONS_CC
set -euo pipefail
maestro=$(realpath "$1") bash_script=$2 zsh_script=$3 fish_script=$(realpath "$4") options_cc=$5
fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ $2 != "$3" ]]; then
    printf 'FAIL %s\n--- expected\n%s\n--- actual\n%s\n' "$1" "$2" "$3" >&2
    fail=1
  fi
}

# The value-taking flags after which no words are offered, from each script's one list.
flags() { grep -- '--concurrency' "$1" | grep -o -- '-\{1,2\}[a-z][a-z-]*' | sort -u; }
want=$(flags "$bash_script")
[[ -n $want ]] || { echo "FAIL: no flag list in $bash_script" >&2; exit 1; }
check "zsh flags = bash flags" "$want" "$(flags "$zsh_script")"
check "fish flags = bash flags" "$want" "$(flags "$fish_script")"
for f in $want; do
  grep -q -- "add_option(\"\([^\"]*,\)\?$f[,\"]" "$options_cc" ||
    { echo "FAIL: $f is not an option of maestro/cli/options.cc" >&2; fail=1; }
done
for s in "$bash_script" "$zsh_script" "$fish_script"; do
  grep -q ' complete ' "$s" || { echo "FAIL: $s does not call maestro complete" >&2; fail=1; }
done

# fish, for real.
command -v fish >/dev/null || { echo "FAIL: fish is not installed (tools/setup)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/home"
ln -s "$maestro" "$tmp/bin/maestro"
cat >"$tmp/env.yaml" <<'YAML'
name: comp
ships: {s1: {ip: 127.0.0.1}}
services:
  zk: {image: zookeeper, instances: {zk-1: {ship: s1}, zk-2: {ship: s1}}}
  kafka: {image: kafka, instances: {kafka-1: {ship: s1}}}
YAML
fish_complete() {  # the words fish offers for the command line $1
  (cd "$tmp" && HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home PATH="$tmp/bin:$PATH" \
    timeout 30 fish --no-config -c "source $fish_script; complete -C '$1'" |
    cut -f1 | sort)
}
check "commands" "$(printf '%s\n' start status stop | sort)" "$(fish_complete 'maestro st')"
check "instances of -f FILE" "$(printf '%s\n' zk zk-1 zk-2 | sort)" \
  "$(fish_complete 'maestro -f env.yaml start zk')"
check "--format values" "$(printf '%s\n' json text)" "$(fish_complete 'maestro status --format ')"
check "nothing after --concurrency" "" "$(fish_complete 'maestro start --concurrency ')"
check "files after -f" "env.yaml" "$(fish_complete 'maestro -f en')"
check "flags" "--only-if-changed" "$(fish_complete 'maestro restart --only-if')"
exit $fail
