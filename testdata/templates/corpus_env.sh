# The fixed process environment both renderers see (sourced by the corpus scripts).
CORPUS_ENV=(env -i LANG=C.UTF-8 HOME=/home/test FOO=bar USER=tester "LIST=a, b ,c" NUM=41)
