# shellcheck shell=bash
# Shared shell helpers for tools/setup, tools/testenv and tools/test. Source it; do not run it.
# Every wait here is bounded both in tries and in seconds.

MAESTRO_PROG=${MAESTRO_PROG:-$(basename "$0")}

log() { printf '[%s] %s\n' "$MAESTRO_PROG" "$*" >&2; }

# die MESSAGE [LOGFILE]: loud failure naming the part, with the tail of its log.
die() {
  local msg=$1 logfile=${2:-}
  printf '\n[%s] ERROR: %s\n' "$MAESTRO_PROG" "$msg" >&2
  if [[ -n $logfile && -f $logfile ]]; then
    printf '[%s] ---- last lines of %s ----\n' "$MAESTRO_PROG" "$logfile" >&2
    tail -n 40 "$logfile" >&2 || true
    printf '[%s] ---- end of %s ----\n' "$MAESTRO_PROG" "$logfile" >&2
  fi
  exit 1
}

# wait_until DESCRIPTION MAX_TRIES MAX_SECONDS INTERVAL COMMAND...
# Runs COMMAND until it succeeds; gives up after MAX_TRIES tries or MAX_SECONDS seconds.
wait_until() {
  local desc=$1 tries=$2 max_s=$3 interval=$4
  shift 4
  local start=$SECONDS i
  for ((i = 1; i <= tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ((SECONDS - start >= max_s)); then break; fi
    sleep "$interval"
  done
  log "gave up waiting for $desc after $((i > tries ? tries : i)) tries / $((SECONDS - start))s"
  return 1
}

# pid_alive PIDFILE [EXPECTED_SUBSTRING_OF_CMDLINE]: the pid in PIDFILE is a live process
# (and, if given, its command line contains the substring: guards against recycled pids).
pid_alive() {
  local pidfile=$1 expect=${2:-} pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -d /proc/$pid ]] || return 1
  if [[ -n $expect ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$expect" || return 1
  fi
  return 0
}

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }
