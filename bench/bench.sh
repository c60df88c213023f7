#!/bin/sh
# The reference benchmark (docs/performance.md): 5,000,000 orders for
# 200,000 customers over 12 months, rendered into the monthly report.
# Prints whole-process wall time and peak memory of each run, measured with
# /usr/bin/time, then the medians against the targets of docs/performance.md.
# A benchmark, not a test: it asserts nothing.
#   BENCH_DATA  the data folder (default data/bench, generated once)
#   BENCH_RUNS  runs of each measure (default 3)
#   BENCH_20M   1: also generate (once, 650 MB) and time 20M orders
set -eu
QUIRE=${QUIRE:-./quire}
DATA=${BENCH_DATA:-data/bench}
RUNS=${BENCH_RUNS:-3}
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT

# run LABEL FILE CMD...: time one run, print it and keep "wall user peakKB" in FILE.
run() {
    label=$1 file=$2; shift 2
    /usr/bin/time -o "$R/t" -f "%e %U %M" "$@"
    read -r w u m < "$R/t"
    echo "$w $u $m" >> "$R/$file"
    echo "$label: $w s wall, $u s user, $m KB peak"
}
# median FILE COLUMN
median() {
    cut -d' ' -f"$2" "$R/$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# report FILE LABEL DATA: time the monthly report over 2023-06..2024-04.
report() {
    run "$2" "$1" "$QUIRE" run reports/monthly_segments.yaml -q --param data="$3" \
        --param from=2023-06 --param to=2024-04 -o out/bench.pdf
}

if [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time is needed (Debian package time)" >&2
    exit 1
fi
mkdir -p out
if [ ! -f "$DATA/orders.csv" ]; then
    "$QUIRE" sample --out "$DATA" --customers 200000 --orders 5000000 --from 2023-05 --months 12
fi
ls -l "$DATA"
# Warm the page cache, then time the whole report: every month of the data.
cat "$DATA"/*.csv > /dev/null
i=1
while [ "$i" -le "$RUNS" ]; do
    report report "report run $i" "$DATA"
    i=$((i + 1))
done
# The stages of one run, and the segment pass's time of each.
i=1
while [ "$i" -le "$RUNS" ]; do
    "$QUIRE" run reports/monthly_segments.yaml -v --param data="$DATA" \
        --param from=2023-06 --param to=2024-04 -o out/bench.pdf 2> "$R/v"
    [ "$i" -eq 1 ] && sed -n 's/^quire: //p' "$R/v"
    sed -n 's/^quire: segments: \([0-9.]*\) s.*/\1/p' "$R/v" >> "$R/segments"
    i=$((i + 1))
done
# Ingest alone (bench/ingest.yaml): customers.csv and orders.csv read and
# folded, the "facts" time of -v, and the bytes per second it makes.
bytes=$(($(wc -c < "$DATA/customers.csv") + $(wc -c < "$DATA/orders.csv")))
i=1
while [ "$i" -le "$RUNS" ]; do
    t=$("$QUIRE" run bench/ingest.yaml -v --param data="$DATA" -o out/bench-ingest.pdf 2>&1 |
        sed -n 's/^quire: facts: .* in \([0-9.]*\) s .*/\1/p')
    mbs=$(awk -v b="$bytes" -v t="$t" 'BEGIN { if (t > 0) printf "%.0f", b / t / 1e6 }')
    echo "$mbs" >> "$R/ingest"
    echo "ingest run $i: $bytes bytes of customers and orders read and folded in $t s ($mbs MB/s)"
    i=$((i + 1))
done
# The renderer alone: the stock monthly report on the sample data, its
# document-building and PDF render times (from -v), page count and file size.
SAMPLE=build/bench-sample
[ -f "$SAMPLE/orders.csv" ] || "$QUIRE" sample --out "$SAMPLE" >/dev/null
i=1
while [ "$i" -le "$RUNS" ]; do
    "$QUIRE" run reports/monthly_segments.yaml -v --param data="$SAMPLE" -o out/bench-monthly.pdf 2> "$R/v"
    sed -n 's/^quire: //; s/^\(document\|pdf\): /render run '"$i"': \1: /p' "$R/v"
    sed -n 's/^quire: pdf: .* rendered in \([0-9.]*\) s/\1/p' "$R/v" >> "$R/render"
    i=$((i + 1))
done
echo "render: stock monthly report, $(pdfinfo out/bench-monthly.pdf 2>/dev/null | awk '/^Pages:/ {print $2}') pages," \
    "$(wc -c < out/bench-monthly.pdf) bytes"
# The fixed cost (DESIGN.md section 8): the stock report over 1,000 orders of
# 50 customers, twenty reports in a row a measure (one is shorter than
# /usr/bin/time's hundredth of a second resolves well).
S1K=build/bench-1k
[ -f "$S1K/orders.csv" ] || "$QUIRE" sample --out "$S1K" --customers 50 --orders 1000 >/dev/null
i=1
while [ "$i" -le "$RUNS" ]; do
    /usr/bin/time -o "$R/t" -f "%e" sh -c 'k=0; while [ $k -lt 20 ]; do
        "$0" run reports/monthly_segments.yaml -q --param data="$1" -o out/bench-1k.pdf || exit 1
        k=$((k + 1)); done' "$QUIRE" "$S1K"
    ms=$(awk '{ printf "%.0f", $1 * 1000 / 20 }' "$R/t")
    echo "$ms" >> "$R/fixed"
    echo "1,000 orders run $i: $ms ms a report (20 in a row)"
    i=$((i + 1))
done
# 20M orders: four times the data, the same customers and months.
if [ "${BENCH_20M:-0}" = 1 ]; then
    D20=${DATA}-20m
    [ -f "$D20/orders.csv" ] ||
        "$QUIRE" sample --out "$D20" --customers 200000 --orders 20000000 --from 2023-05 --months 12
    cat "$D20"/*.csv > /dev/null
    i=1
    while [ "$i" -le "$RUNS" ]; do
        report report20 "20M report run $i" "$D20"
        i=$((i + 1))
    done
fi

echo
echo "medians of $RUNS runs (docs/performance.md, targets on an idle 2-core machine):"
printf '| %-48s | %-12s | %-11s |\n' "measure" "figure" "target"
printf '| %-48s | %-12s | %-11s |\n' "5M orders, 200k customers, 12 months to PDF" "$(median report 1) s" "<= 0.5 s"
printf '| %-48s | %-12s | %-11s |\n' "segment pass, 2.4M customer-months (-v)" "$(median segments 1) s" "<= 0.2 s"
printf '| %-48s | %-12s | %-11s |\n' "CSV ingest and fold (bench/ingest.yaml)" "$(median ingest 1) MB/s" ">= 600 MB/s"
printf '| %-48s | %-12s | %-11s |\n' "peak memory, 5M orders" "$(($(median report 3 | cut -d. -f1) / 1000)) MB" "<= 100 MB"
printf '| %-48s | %-12s | %-11s |\n' "PDF render, stock monthly report (-v)" "$(median render 1) s" "<= 0.02 s"
printf '| %-48s | %-12s | %-11s |\n' "1,000 orders to PDF (the fixed cost)" "$(median fixed 1) ms" "<= 20 ms"
if [ -f "$R/report20" ]; then
    printf '| %-48s | %-12s | %-11s |\n' "20M orders to PDF" "$(median report20 1) s" "<= 1.5 s"
    printf '| %-48s | %-12s | %-11s |\n' "peak memory, 20M orders" "$(($(median report20 3 | cut -d. -f1) / 1000)) MB" "<= 100 MB"
fi
