# Shared by the end-to-end tests: checks that count, and a scratch folder.
#   . tests/lib.sh; ...; done_checks NAME
QUIRE=${QUIRE:-./quire}
pass=0 fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
    d=$1; shift
    if "$@" >/dev/null 2>&1; then ok; else bad "$d"; fi
}

# contains FILE TEXT: the file holds the text (fixed string).
contains() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$1 does not contain: $2"; fi
}

# exits CODE DESCRIPTION COMMAND...: the command exits with CODE.
exits() {
    want=$1 d=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$d: exit $got, wanted $want"; cat "$T/err" >&2; fi
}

done_checks() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

# A small sample data set shared by the suites (generated once per run).
sample_data() {
    SAMPLE=${SAMPLE_DIR:-build/test-sample}
    if [ ! -f "$SAMPLE/spend.csv" ]; then
        "$QUIRE" sample --out "$SAMPLE" >/dev/null 2>&1 || return 1
    fi
    echo "$SAMPLE"
}
