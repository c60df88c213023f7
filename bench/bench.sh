#!/bin/sh
# The reference benchmark (docs/performance.md): 5,000,000 orders for
# 200,000 customers over 12 months, rendered into the monthly report.
# Prints whole-process wall time and peak memory of each step, measured with
# /usr/bin/time when present. A benchmark, not a test: it asserts nothing.
set -eu
QUIRE=${QUIRE:-./quire}
DATA=${BENCH_DATA:-data/bench}
RUNS=${BENCH_RUNS:-3}

measure() {
    label=$1; shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "$label: %e s wall, %U s user, %M KB peak" "$@"
    else
        start=$(date +%s.%N)
        "$@"
        echo "$label: $(echo "$(date +%s.%N) - $start" | bc) s wall"
    fi
}

if [ ! -f "$DATA/orders.csv" ]; then
    measure "generate" "$QUIRE" sample --out "$DATA" --customers 200000 --orders 5000000 \
        --from 2023-05 --months 12
fi
ls -l "$DATA"
# Warm the page cache, then time the whole report: every month of the data.
cat "$DATA"/*.csv > /dev/null
i=1
while [ "$i" -le "$RUNS" ]; do
    measure "report run $i" "$QUIRE" run reports/monthly_segments.yaml -q \
        --param data="$DATA" --param from=2023-06 --param to=2024-04 -o out/bench.pdf
    i=$((i + 1))
done
"$QUIRE" run reports/monthly_segments.yaml -v --param data="$DATA" \
    --param from=2023-06 --param to=2024-04 -o out/bench.pdf
# Ingest alone (bench/ingest.yaml): customers.csv and orders.csv read and
# folded, the "facts" time of -v, and the bytes per second it makes.
bytes=$(($(wc -c < "$DATA/customers.csv") + $(wc -c < "$DATA/orders.csv")))
i=1
while [ "$i" -le "$RUNS" ]; do
    t=$("$QUIRE" run bench/ingest.yaml -v --param data="$DATA" -o out/bench-ingest.pdf 2>&1 |
        sed -n 's/^quire: facts: .* in \([0-9.]*\) s .*/\1/p')
    echo "ingest run $i: $bytes bytes of customers and orders read and folded in $t s" \
        "($(awk -v b="$bytes" -v t="$t" 'BEGIN { if (t > 0) printf "%.0f", b / t / 1e6 }') MB/s)"
    i=$((i + 1))
done
# The renderer alone: the stock monthly report on the sample data, its
# document-building and PDF render times (from -v), page count and file size.
SAMPLE=build/bench-sample
[ -f "$SAMPLE/orders.csv" ] || "$QUIRE" sample --out "$SAMPLE" >/dev/null
i=1
while [ "$i" -le "$RUNS" ]; do
    "$QUIRE" run reports/monthly_segments.yaml -v --param data="$SAMPLE" -o out/bench-monthly.pdf 2>&1 \
        | sed -n 's/^quire: //; s/^\(document\|pdf\): /render run '"$i"': \1: /p'
    i=$((i + 1))
done
echo "render: stock monthly report, $(pdfinfo out/bench-monthly.pdf 2>/dev/null | awk '/^Pages:/ {print $2}') pages," \
    "$(wc -c < out/bench-monthly.pdf) bytes"
