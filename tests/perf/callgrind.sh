# A guard against slowdowns: tests/perf/workload.yaml (the stock segment rule
# and KPIs, no sections) on a sample of 10,000 customers and 300,000 orders,
# under valgrind --tool=callgrind, whose count of
# instructions is the same from run to run on a busy machine, where a time is
# not. Fails when the whole process (every thread) runs more than 10 % more
# instructions than tests/perf/instructions.txt records.
#
# A change that costs instructions on purpose, or another compiler or
# library version, re-records the figure:
#   QUIRE_PERF_RECORD=1 sh tests/perf/callgrind.sh
# Skipped (0 checks) without valgrind (scripts/install-deps.sh installs it)
# and for a sanitizer build, which valgrind cannot run.
. tests/lib.sh
REC=tests/perf/instructions.txt
if ! command -v valgrind >/dev/null 2>&1; then
    echo "perf: valgrind is not installed; skipped"
    done_checks perf
    exit 0
fi
if ldd "$QUIRE" 2>/dev/null | grep -q 'lib[at]san'; then
    echo "perf: $QUIRE is a sanitizer build; skipped"
    done_checks perf
    exit 0
fi

"$QUIRE" sample --out "$T/data" --customers 10000 --orders 300000 >/dev/null 2>&1 &&
    ok || bad "quire sample"
# SOURCE_DATE_EPOCH: the same dates in the PDF, so the same work every run.
SOURCE_DATE_EPOCH=1700000000 valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" \
    "$QUIRE" run tests/perf/workload.yaml -q --param data="$T/data" -o "$T/r.pdf" \
    >"$T/vg.log" 2>&1 &&
    ok || { bad "the report under callgrind"; cat "$T/vg.log" >&2; }
got=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$T/cg.out" | head -n 1)
case $got in ''|*[!0-9]*) bad "no instruction count in the callgrind output"; done_checks perf; exit 1 ;; esac

if [ "${QUIRE_PERF_RECORD:-}" = 1 ]; then
    {
        echo "# Instructions (valgrind --tool=callgrind, every thread) of the workload of"
        echo "# tests/perf/callgrind.sh; re-record with QUIRE_PERF_RECORD=1 sh tests/perf/callgrind.sh"
        echo "$got"
    } >"$REC"
    echo "perf: recorded $got instructions in $REC"
fi
want=$(grep -v '^#' "$REC" | head -n 1)
limit=$((want + want / 10))
echo "perf: $got instructions (recorded $want, limit $limit)"
if [ "$got" -le "$limit" ]; then ok; else
    bad "$got instructions is more than 10 % over the recorded $want: find what costs more (callgrind_annotate), or re-record if it is meant"
fi
if [ "$got" -lt $((want - want / 10)) ]; then
    echo "perf: more than 10 % under the recorded figure: re-record it to keep the guard tight"
fi
done_checks perf
