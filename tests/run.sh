#!/bin/sh
# Run every suite: the unit test programs, the end-to-end scripts, then the
# instruction-count guard (tests/perf).
# Each suite prints "NAME: N passed, N failed"; this prints the total last.
#   QUIRE     the quire binary to test (default ./quire)
#   UNIT_DIR  where the unit test programs are (default build/tests)
set -u
QUIRE=${QUIRE:-./quire}
UNIT_DIR=${UNIT_DIR:-build/tests}
export QUIRE
PLUGIN_DIR=$(dirname "$QUIRE")/plugins
export PLUGIN_DIR

pass=0 fail=0 broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_suite() {
    name=$1; shift
    "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    else
        p=0 f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or exited non-zero after its last report
    fi
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$f" -ne 0 ]; then
        broken="$broken $name"
        echo "---- $name (exit $rc):"
        tail -n 40 "$log"
    fi
    printf '%-28s %s\n' "$name" "${line:-no result (exit $rc)}"
}

for t in "$UNIT_DIR"/test_*; do
    [ -x "$t" ] || continue
    run_suite "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
    run_suite "e2e/$(basename "$t" .sh)" sh "$t"
done
for t in tests/perf/*.sh; do
    run_suite "perf/$(basename "$t" .sh)" sh "$t"
done

[ -n "$broken" ] && echo "failing suites:$broken"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
