#compdef maestro
# zsh completion for maestro.
#
# Install (one of):
#   source /path/to/tools/completion/maestro.zsh      # in ~/.zshrc, after `compinit`
#   cp tools/completion/maestro.zsh ~/.zsh/completions/_maestro
#     (with `fpath=(~/.zsh/completions $fpath)` before `compinit` in ~/.zshrc)
#
# Completes commands, flags, and the service and instance names of the environment file:
# the one given with -f/--file earlier on the line, else ./maestro.yaml. The words come from
# `maestro [-f FILE] complete "<the words up to the cursor>"`, which never fails: without a
# loadable file it offers commands and flags only.

_maestro() {
  local cur prev file="" line="" bin i
  local -a global out
  cur="${PREFIX}"
  prev="${words[CURRENT-1]}"

  # Option values: files for -f, the two formats for --format, nothing for numbers/globs.
  case "$prev" in
    -f|--file) _files; return ;;
    --format) compadd -- text json; return ;;
    -c|--concurrency|-C|--container-filter|-S|--ship-filter|-n|--step-delay|--stop-start-delay)
      return 1 ;;
  esac
  if [[ $cur == --file=* ]]; then
    compset -P '--file='
    _files
    return
  fi

  # The words before the cursor, without -f FILE (maestro takes it as a global option, and
  # `complete` would otherwise read FILE as the command).
  for (( i = 1; i < CURRENT; i++ )); do
    case "${words[i]}" in
      -f|--file)
        if (( i + 1 < CURRENT )); then file="${words[i+1]}"; fi
        (( i++ ))
        continue ;;
      --file=*)
        file="${words[i]#--file=}"
        continue ;;
    esac
    line+="${words[i]} "
  done
  line+="$cur"

  bin="${words[1]:-maestro}"
  bin="${bin/#\~/$HOME}"
  file="${file/#\~/$HOME}"
  # -f - (stdin) cannot be read while completing: offer commands and flags only.
  [[ $file == "-" ]] && file=/dev/null
  [[ -n $file ]] && global=(-f "$file")

  out=("${(@f)$("$bin" "${global[@]}" complete "$line" </dev/null 2>/dev/null)}")
  out=(${out:#})  # drop empty lines
  (( ${#out} )) || return 1
  compadd -Q -- "${out[@]}"
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  # Autoloaded from $fpath as _maestro.
  _maestro "$@"
else
  # Sourced.
  compdef _maestro maestro
fi
