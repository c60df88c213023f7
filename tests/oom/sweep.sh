#!/bin/sh
# The allocation-failure sweep (make check-oom): the stock report,
# reports/monthly_segments.yaml, on a small sample, run once to count its
# allocations, then again with the n-th allocation failed (tests/oom/fault.c)
# for n = 1, 1 + k, 1 + 2k, ... up to the count (k = OOM_STRIDE, default 1:
# every one). Each run must end cleanly:
#   - a report written in full (the failure was absorbed: Lua collects
#     garbage and retries), or a clean error: exit status 1 to 4 and a
#     message "...: error: ..." on stderr, with no PDF, no exports and no
#     temporary file left in the output folder;
#   - never a signal (abort, crash), a sanitizer report (ASan, LeakSanitizer,
#     UBSan) or a hang (60 s).
#   QUIRE       the fault-injection build (default build/asan/quire)
#   OOM_STRIDE  try every k-th allocation (default 1)
#   OOM_FROM    the first allocation to fail (default 1)
#   OOM_JOBS    runs at a time (default 2)
set -u
if [ "${1:-}" = --one ]; then
    # One run: n, and the verdict on one line.
    n=$2 d=$OOM_T/run$2
    mkdir -p "$d/out"
    QUIRE_FAIL_ALLOC=$n timeout 60 "$QUIRE" run reports/monthly_segments.yaml \
        --param data="$OOM_DATA" -o "$d/out/r.pdf" --export "$d/out/x" >"$d/stdout" 2>"$d/stderr"
    rc=$?
    why=""
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$d/stderr"; then
        why="sanitizer report"
    elif [ "$rc" -ge 124 ]; then
        why="killed or hung (exit $rc)"
    elif [ "$rc" -eq 0 ]; then
        head -c 5 "$d/out/r.pdf" 2>/dev/null | grep -q '^%PDF-' && tail -c 7 "$d/out/r.pdf" |
            grep -q '%%EOF' || why="exit 0 without a whole PDF"
    elif [ "$rc" -gt 4 ]; then
        why="exit $rc"
    elif ! grep -q 'error: ' "$d/stderr"; then
        why="exit $rc without an error message"
    elif [ -e "$d/out/r.pdf" ]; then
        why="exit $rc with a PDF written"
    elif [ -n "$(ls -A "$d/out/x" 2>/dev/null)" ]; then
        why="exit $rc with exports published"
    elif ls -a "$d/out" "$d/out/x" 2>/dev/null | grep -q '\.tmp\.'; then
        why="exit $rc leaving a temporary file"
    fi
    if [ -n "$why" ]; then
        echo "$n FAIL $why: $(grep -m1 -E 'error|ERROR|Sanitizer' "$d/stderr")"
    else
        echo "$n ok $rc"
        rm -rf "$d"
    fi
    exit 0
fi

. tests/lib.sh
QUIRE=${QUIRE:-build/asan/quire}
STRIDE=${OOM_STRIDE:-1}
JOBS=${OOM_JOBS:-2}
ASAN_OPTIONS=detect_leaks=1:exitcode=86
LSAN_OPTIONS=exitcode=86
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
OOM_T=$T OOM_DATA=$T/data
export QUIRE ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS OOM_T OOM_DATA

"$QUIRE" sample --out "$OOM_DATA" --customers 60 --orders 400 >/dev/null 2>&1 ||
    { bad "quire sample failed"; done_checks oom; exit 1; }
mkdir -p "$T/count"
QUIRE_ALLOC_COUNT=$T/total "$QUIRE" run reports/monthly_segments.yaml --param data="$OOM_DATA" \
    -o "$T/count/r.pdf" >/dev/null 2>"$T/count/stderr" && [ -s "$T/total" ] ||
    { bad "the run without failures failed: $(head -n 3 "$T/count/stderr")"; done_checks oom; exit 1; }
total=$(cat "$T/total")
start=$(date +%s)
seq "${OOM_FROM:-1}" "$STRIDE" "$total" | xargs -P "$JOBS" -n 1 sh "$0" --one >"$T/verdicts"
tried=$(wc -l <"$T/verdicts")
errors=$(awk '$2 == "ok" && $3 != 0' "$T/verdicts" | wc -l)
written=$(awk '$2 == "ok" && $3 == 0' "$T/verdicts" | wc -l)
failed=$(grep -c ' FAIL ' "$T/verdicts")
sort -n "$T/verdicts" | grep ' FAIL ' | head -n 20 >&2
echo "oom: $total allocations in the stock report; failed each of $tried (every $STRIDE):" \
    "$errors clean errors, $written reports written, $failed bad ends" \
    "in $(($(date +%s) - start)) s"
[ "$tried" -gt 0 ] && ok || bad "no run was tried"
[ "$failed" -eq 0 ] && ok || bad "$failed runs did not end cleanly"
done_checks oom
