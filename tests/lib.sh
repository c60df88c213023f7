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

# q NAME ARGS...: run quire (at most 120 s), its output kept in $L/NAME.out
# and $L/NAME.err; sets RC.
q() {
    name=$1; shift
    timeout 120 "$QUIRE" "$@" >"$L/$name.out" 2>"$L/$name.err"
    RC=$?
}

# db_server FIXTURE WHAT NAME: the database server of a plugin's test, from
# tests/fixtures/FIXTURE (start DIR, load DIR DATA, stop DIR), started in a
# temporary folder with the sample data in $DATA loaded: PORT its port, DB
# its folder (DB/password the password). Stopped at exit, the logs in $L
# copied to $KEEP_LOGS when set. When it fails, WHAT "did not start" is a
# failed check and the test NAME ends.
db_server() {
    DB_FIXTURE=tests/fixtures/$1
    DB_ROOT=$(mktemp -d)
    DB=$DB_ROOT/db
    chmod 711 "$DB_ROOT" # a server may run as an unprivileged user, who must reach it
    trap 'sh "$DB_FIXTURE" stop "$DB"; [ -n "${KEEP_LOGS:-}" ] && cp -r "$L" "$KEEP_LOGS"; rm -rf "$DB_ROOT" "$T"' EXIT
    if ! PORT=$(sh "$DB_FIXTURE" start "$DB" 2>"$L/start.err"); then
        bad "$2 did not start: $(cat "$L/start.err")"
        done_checks "$3"
        exit 1
    fi
    if ! sh "$DB_FIXTURE" load "$DB" "$DATA" >"$L/load.out" 2>&1; then
        bad "loading the sample data failed: $(cat "$L/load.out")"
        done_checks "$3"
        exit 1
    fi
}

# kpis_equal A B: two exports' KPI rows are the same, every value equal
# (within 1e-9).
kpis_equal() {
    python3 - "$1" "$2" <<'PY'
import csv, sys
def rows(p):
    with open(p, newline='') as f:
        return list(csv.reader(f))
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if len(a) != len(b) or len(a) < 2:
    sys.exit("%d rows against %d" % (len(a), len(b)))
for ra, rb in zip(a, b):
    if len(ra) != len(rb):
        sys.exit("row %s against %s" % (ra, rb))
    for x, y in zip(ra, rb):
        if x == y:
            continue
        try:
            if abs(float(x) - float(y)) <= 1e-9:
                continue
        except ValueError:
            pass
        sys.exit("%s against %s" % (ra, rb))
PY
}
