# Spec error cases as data: each tests/errors/NNN-name.yaml is a small spec
# with one thing wrong, and its header says the exit status and the exact
# first line of standard error it must produce. tests/errors/README.md
# describes the header.
#
# Every case is run with `quire run`; every case whose status is 1 (a spec
# error), or that states what validate says, with `quire validate` too. The
# commands run inside tests/errors, so a message names the spec by its file
# name and its files by their paths from there.
. tests/lib.sh
DIR=tests/errors
case $QUIRE in /*) Q=$QUIRE ;; *) Q=$(pwd)/$QUIRE ;; esac
# Messages naming the plugin search path show the binary's folder as
# <quire-dir>; the path is the binary's own only.
QDIR=$(dirname "$(readlink -f "$Q")")
unset QUIRE_PLUGIN_PATH

# read_header FILE: the file's "# KEY: value" lines: the header at the top,
# and the markers of known gaps at the end (the last of a key wins).
read_header() {
    want_exit='' want='' args='' vgap='' rgap='' vexit='' vwant=''
    while IFS= read -r l; do
        case $l in
        '# expect-exit: '*) want_exit=${l#'# expect-exit: '} ;;
        '# expect: '*) want=${l#'# expect: '} ;;
        '# args: '*) args=${l#'# args: '} ;;
        '# validate-gap: '*) vgap=${l#'# validate-gap: '} ;;
        '# run-gap: '*) rgap=${l#'# run-gap: '} ;;
        '# validate-exit: '*) vexit=${l#'# validate-exit: '} ;;
        '# validate-expect: '*) vwant=${l#'# validate-expect: '} ;;
        esac
    done <"$1"
}

# quire COMMAND CASE ARGS...: run a command on a case inside tests/errors;
# sets got (the exit status) and line (the first line of stderr, with the
# binary's folder shown as <quire-dir>).
quire() {
    cmd=$1 name=$2; shift 2
    (cd "$DIR" && "$Q" "$cmd" "$name" "$@") >"$T/out" 2>"$T/err"
    got=$?
    line=''
    IFS= read -r line <"$T/err"
    while :; do
        case $line in
        *"$QDIR"*) line=${line%%"$QDIR"*}"<quire-dir>"${line#*"$QDIR"} ;;
        *) break ;;
        esac
    done
}

n=0 vgaps=0 rgaps=0
for f in "$DIR"/[0-9]*.yaml; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    name=${f##*/}
    read_header "$f"
    case $want_exit in
    [0-9]) ;;
    *) bad "$name: no \"# expect-exit: N\" line"; continue ;;
    esac
    [ -n "$want" ] || { bad "$name: no \"# expect: MESSAGE\" line"; continue; }
    if [ "$vgap" = yes ] && [ "$want_exit" -ne 1 ]; then
        bad "$name: validate-gap is for spec errors (expect-exit: 1)"; continue
    fi

    # quire run: the status, the message, and no PDF (nor a temporary file).
    rm -rf "$T/o"
    # shellcheck disable=SC2086 # args are words, split on spaces
    quire run "$name" -o "$T/o/out.pdf" $args
    if [ "$rgap" = yes ]; then
        rgaps=$((rgaps + 1))
        [ "$got" -eq 0 ] && ok ||
            bad "$name: quire run now rejects it (exit $got: $line); remove its run-gap marker"
    else
        [ "$got" -eq "$want_exit" ] && ok || bad "$name: quire run exit $got, wanted $want_exit"
        [ "$line" = "$want" ] && ok || bad "$name: quire run said
    $line
  wanted
    $want"
        if [ "$want_exit" -ne 0 ]; then
            [ -z "$(ls -A "$T/o" 2>/dev/null)" ] && ok ||
                bad "$name: the failed run left files: $(ls -A "$T/o")"
        fi
    fi

    # quire validate: what run rejects as a spec error, validate rejects alike.
    [ "$want_exit" -eq 1 ] || [ -n "$vexit" ] || continue
    # shellcheck disable=SC2086
    quire validate "$name" $args
    if [ "$vgap" = yes ]; then
        vgaps=$((vgaps + 1))
        if [ "$got" -eq 0 ] && grep -q ": ok (" "$T/out"; then ok; else
            bad "$name: quire validate now rejects it (exit $got: $line); remove its validate-gap marker"
        fi
        continue
    fi
    ve=${vexit:-$want_exit} vw=${vwant:-$want}
    [ "$got" -eq "$ve" ] && ok || bad "$name: quire validate exit $got, wanted $ve"
    [ "$line" = "$vw" ] && ok || bad "$name: quire validate said
    $line
  wanted
    $vw"
done

[ "$n" -ge 40 ] && ok || bad "only $n cases in $DIR"
echo "error_cases: $n cases; $vgaps that validate accepts and $rgaps that run accepts (see $DIR/README.md)"
done_checks error_cases
