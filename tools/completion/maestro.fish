# fish completion for maestro.
#
# Install (one of):
#   source /path/to/tools/completion/maestro.fish             # in ~/.config/fish/config.fish
#   cp tools/completion/maestro.fish ~/.config/fish/completions/maestro.fish
#
# Completes commands, flags, and the service and instance names of the environment file:
# the one given with -f/--file earlier on the line, else ./maestro.yaml. The words come from
# `maestro [-f FILE] complete "<the line up to the cursor>"` (as for bash and zsh), which never
# fails: without a loadable file it offers commands and flags only.

function __maestro_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l prev ''
    if test (count $tokens) -gt 0
        set prev $tokens[-1]
    end
    # Option values: files for -f (below), the two formats for --format, nothing for
    # numbers/globs.
    switch $prev
        case -f --file
            return 0
        case --format
            printf '%s\n' text json
            return 0
        case -c --concurrency -C --container-filter -S --ship-filter -n --step-delay --stop-start-delay
            return 0
    end
    if string match -q -- '--file=*' $cur
        return 0
    end

    # The words before the cursor, without -f FILE (maestro takes it as a global option, and
    # `complete` would otherwise read FILE as the command).
    set -l file ''
    set -l words
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set file $t
            set skip 0
            continue
        end
        switch $t
            case -f --file
                set skip 1
                continue
            case '--file=*'
                set file (string replace -- '--file=' '' $t)
                continue
        end
        set -a words $t
    end
    set -a words $cur

    set -l bin maestro
    if test (count $tokens) -gt 0
        set bin $tokens[1]
    end
    set bin (string replace -r -- '^~' $HOME $bin)
    set file (string replace -r -- '^~' $HOME $file)
    # -f - (stdin) cannot be read while completing: offer commands and flags only.
    if test "$file" = -
        set file /dev/null
    end
    set -l global
    if test -n "$file"
        set global -f $file
    end
    $bin $global complete (string join ' ' -- $words) </dev/null 2>/dev/null
end

complete -c maestro -f -a '(__maestro_complete)'
complete -c maestro -s f -l file -r -F -d 'environment file'
