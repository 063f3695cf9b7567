# bash completion for maestro.
#
# Install (one of):
#   source /path/to/tools/completion/maestro.bash               # in ~/.bashrc
#   cp tools/completion/maestro.bash /etc/bash_completion.d/maestro
#   cp tools/completion/maestro.bash ~/.local/share/bash-completion/completions/maestro
#
# Completes commands, flags, and the service and instance names of the environment file:
# the one given with -f/--file earlier on the line, else ./maestro.yaml. The words come from
# `maestro [-f FILE] complete "<the line up to the cursor>"`, which never fails: without a
# loadable file it offers commands and flags only.

_maestro() {
  local cur prev bin file="" line="" w i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
  # bash splits "--file=x" into "--file" "=" "x" (COMP_WORDBREAKS); see through the "=".
  if [[ $prev == "=" && COMP_CWORD -gt 1 ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi
  if [[ $cur == "=" ]]; then cur=""; fi

  # Option values: files for -f, the two formats for --format, nothing for numbers/globs.
  case "$prev" in
    -f|--file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
      ;;
    --format)
      mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
      return 0
      ;;
    -c|--concurrency|-C|--container-filter|-S|--ship-filter|-n|--step-delay|--stop-start-delay)
      COMPREPLY=()
      return 0
      ;;
  esac

  # The words before the cursor, without -f FILE (maestro takes it as a global option, and
  # `complete` would otherwise read FILE as the command).
  for (( i = 0; i < COMP_CWORD; i++ )); do
    w="${COMP_WORDS[i]}"
    case "$w" in
      -f|--file)
        if [[ ${COMP_WORDS[i+1]} == "=" ]]; then (( i++ )); fi
        if (( i + 1 < COMP_CWORD )); then file="${COMP_WORDS[i+1]}"; fi
        (( i++ ))
        continue
        ;;
    esac
    line+="$w "
  done
  line+="$cur"

  bin="${COMP_WORDS[0]:-maestro}"
  bin="${bin/#\~/$HOME}"
  file="${file/#\~/$HOME}"
  # -f - (stdin) cannot be read while completing: offer commands and flags only.
  if [[ $file == "-" ]]; then file=/dev/null; fi

  local -a global=()
  if [[ -n $file ]]; then global=(-f "$file"); fi
  mapfile -t COMPREPLY < <("$bin" "${global[@]}" complete "$line" </dev/null 2>/dev/null)
  return 0
}

complete -F _maestro maestro
