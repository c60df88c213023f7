#!/bin/sh
# Instructions per stage of a report run, counted by valgrind --tool=callgrind
# (every thread; the same count on a busy machine, where times are not):
#   bench/stages.sh [DATA [SPEC [ARGS...]]]
# DATA defaults to build/stages-sample, made once with `quire sample
# --customers 20000 --orders 500000` (a tenth of the benchmark); SPEC to the
# monthly report over every month of the data. Prints the whole process and
# the stages: read (the entity and fact sources, read and folded, on their
# threads), hash (the inputs' digest, on its thread), segments (the segment
# pass, both workers), KPIs, insights, document and PDF.
set -eu
QUIRE=${QUIRE:-./quire}
DATA=${1:-build/stages-sample}
SPEC=${2:-reports/monthly_segments.yaml}
[ $# -gt 2 ] && shift 2 || set --
[ "$SPEC" = reports/monthly_segments.yaml ] && [ $# -eq 0 ] && set -- --param from=2023-06 --param to=2024-04
command -v valgrind >/dev/null || { echo "stages: needs valgrind (scripts/install-deps.sh)" >&2; exit 1; }
if [ ! -f "$DATA/orders.csv" ]; then
    "$QUIRE" sample --out "$DATA" --customers 20000 --orders 500000 >/dev/null
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SOURCE_DATE_EPOCH=1700000000 valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$T/cg" "$QUIRE" run "$SPEC" -q --param data="$DATA" "$@" \
    -o "$T/out.pdf" >/dev/null 2>"$T/log" || { cat "$T/log" >&2; exit 1; }
total=0 read=0 seg=0 hash=0 main=
# incl FILE NAME: the inclusive instructions of function NAME in one thread's
# file (0 when absent). A thread's file can hold two threads in turn (valgrind
# reuses the number of one that ended), so stages add up functions, not files.
incl() { v=$(grep -E "[ :]$2 \[" "$1" | head -n 1 | awk '{gsub(",", "", $1); print $1}'); echo "${v:-0}"; }
for f in "$T"/cg*; do
    case $f in *.txt) continue ;; esac
    callgrind_annotate --inclusive=yes "$f" > "$f.txt" 2>/dev/null || continue
    n=$(sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$f.txt" | tr -d ,)
    [ -n "$n" ] || continue
    total=$((total + n))
    if grep -q 'run\.c:run_report ' "$f.txt"; then main=$f.txt; continue; fi
    read=$((read + $(incl "$f.txt" fold_thread) + $(incl "$f.txt" fold_piped)))
    seg=$((seg + $(incl "$f.txt" worker_thread)))
    hash=$((hash + $(incl "$f.txt" hash_all)))
done
fn() { v=$(grep -E "[ :]$1 \[" "$main" | head -n 1 | awk '{gsub(",", "", $1); print $1}'); echo "${v:-0}"; }
printf '%-10s %15s\n' total "$total" read $(( $(fn facts_build) + read )) hash "$hash" \
    segments $(( $(fn segments_assign) + seg )) KPIs "$(fn kpis_evaluate)" \
    insights "$(fn insights_run)" document "$(fn report_build)" PDF "$(fn pdf_render_batch)"
