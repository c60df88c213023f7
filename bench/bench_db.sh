#!/bin/sh
# The reference workload (5,000,000 orders, 200,000 customers, 12 months; see
# docs/performance.md) read from PostgreSQL: a throwaway server on 127.0.0.1
# (tests/fixtures/pg_server.sh) loaded with the benchmark's data, then the
# stock report from the CSV files, from the database with pushdown (the facts
# step runs as a GROUP BY in the database), and without (every order row
# crosses the wire). Prints wall time, peak memory and the rows that crossed
# the wire. A benchmark, not a test: it asserts nothing. See docs/scaling.md.
set -eu
QUIRE=${QUIRE:-./quire}
DATA=${BENCH_DATA:-data/bench}
RUNS=${BENCH_RUNS:-2}

measure() {
    label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %U s user, %M KB peak" "$@"
}

if [ ! -f "$DATA/orders.csv" ]; then
    measure "generate" "$QUIRE" sample --out "$DATA" --customers 200000 --orders 5000000 \
        --from 2023-05 --months 12
fi
PGD=$(mktemp -d)
chmod 711 "$PGD"
trap 'sh tests/fixtures/pg_server.sh stop "$PGD/pg"; rm -rf "$PGD"' EXIT
PORT=$(sh tests/fixtures/pg_server.sh start "$PGD/pg")
measure "load into PostgreSQL" sh tests/fixtures/pg_server.sh load "$PGD/pg" "$DATA"
PGPASSWORD=$(cat "$PGD/pg/password")
export PGPASSWORD
CI="host=127.0.0.1 port=$PORT dbname=quire user=quire"
ARGS="--param from=2023-06 --param to=2024-04"
mkdir -p out

cat "$DATA"/*.csv >/dev/null
# shellcheck disable=SC2086
measure "csv" "$QUIRE" run reports/monthly_segments.yaml -q --param data="$DATA" $ARGS -o out/bench-db-csv.pdf
for pd in true false; do
    i=1
    while [ "$i" -le "$RUNS" ]; do
        # shellcheck disable=SC2086
        measure "postgres, pushdown $pd, run $i" "$QUIRE" run reports/monthly_segments_pg.yaml -q \
            --param conninfo="$CI" --param pushdown=$pd $ARGS -o out/bench-db-pg.pdf
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    "$QUIRE" run reports/monthly_segments_pg.yaml -v --param conninfo="$CI" --param pushdown=$pd \
        $ARGS -o out/bench-db-pg.pdf 2>&1 | sed -n "s/^quire: \[postgres:\([a-z]*\)\] /pushdown $pd: \1: /p"
done
