#!/bin/sh
# The reference workload (5,000,000 orders, 200,000 customers, 12 months; see
# docs/performance.md) read from databases: a throwaway PostgreSQL server on
# 127.0.0.1 (tests/fixtures/pg_server.sh) and a throwaway two-shard ClickHouse
# cluster (tests/fixtures/ch_server.sh), each loaded with the benchmark's
# data, then the stock report from the CSV files, and from each database with
# pushdown (the facts step runs as a GROUP BY in the database) and without
# (every order row crosses the wire). Prints wall time, peak memory and the
# rows that crossed the wire. A benchmark, not a test: it asserts nothing.
# See docs/scaling.md.
#   BENCH_DB         the databases: "postgres clickhouse" (default), or one
#   BENCH_CH_SCALE   N > 1: then the cluster's orders N times over (N=10:
#                    50,000,000), rendered with pushdown (Quire's memory stays
#                    flat: it receives one row per customer and month)
set -eu
QUIRE=${QUIRE:-./quire}
DATA=${BENCH_DATA:-data/bench}
RUNS=${BENCH_RUNS:-2}
DBS=${BENCH_DB:-postgres clickhouse}
SCALE=${BENCH_CH_SCALE:-1}

measure() {
    label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %U s user, %M KB peak" "$@"
}
want() {
    case " $DBS " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

if [ ! -f "$DATA/orders.csv" ]; then
    measure "generate" "$QUIRE" sample --out "$DATA" --customers 200000 --orders 5000000 \
        --from 2023-05 --months 12
fi
PGD=$(mktemp -d)
CHD=$(mktemp -d)
chmod 711 "$PGD"
trap 'sh tests/fixtures/pg_server.sh stop "$PGD/pg"; sh tests/fixtures/ch_server.sh stop "$CHD/ch"; rm -rf "$PGD" "$CHD"' EXIT
ARGS="--param from=2023-06 --param to=2024-04"
mkdir -p out

cat "$DATA"/*.csv >/dev/null
# shellcheck disable=SC2086
measure "csv" "$QUIRE" run reports/monthly_segments.yaml -q --param data="$DATA" $ARGS -o out/bench-db-csv.pdf

if want postgres; then
    PORT=$(sh tests/fixtures/pg_server.sh start "$PGD/pg")
    measure "load into PostgreSQL" sh tests/fixtures/pg_server.sh load "$PGD/pg" "$DATA"
    PGPASSWORD=$(cat "$PGD/pg/password")
    export PGPASSWORD
    CI="host=127.0.0.1 port=$PORT dbname=quire user=quire"
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
    sh tests/fixtures/pg_server.sh stop "$PGD/pg"
fi

if want clickhouse; then
    CHPORT=$(sh tests/fixtures/ch_server.sh start "$CHD/ch")
    measure "load into ClickHouse (two shards)" sh tests/fixtures/ch_server.sh load "$CHD/ch" "$DATA"
    CLICKHOUSE_PASSWORD=$(cat "$CHD/ch/password")
    export CLICKHOUSE_PASSWORD
    URL="http://127.0.0.1:$CHPORT"
    for pd in true false; do
        i=1
        while [ "$i" -le "$RUNS" ]; do
            # shellcheck disable=SC2086
            measure "clickhouse, pushdown $pd, run $i" "$QUIRE" run reports/monthly_segments_clickhouse.yaml -q \
                --param url="$URL" --param pushdown=$pd $ARGS -o out/bench-db-ch.pdf
            i=$((i + 1))
        done
        # shellcheck disable=SC2086
        "$QUIRE" run reports/monthly_segments_clickhouse.yaml -v --param url="$URL" --param pushdown=$pd \
            $ARGS -o out/bench-db-ch.pdf 2>&1 | sed -n "s/^quire: \[clickhouse:\([a-z]*\)\] /pushdown $pd: \1: /p"
    done
    if [ "$SCALE" -gt 1 ]; then
        # the same orders SCALE times over, each copy with ids of its own
        for n in 1 2; do
            measure "orders x$SCALE on shard $n" sh tests/fixtures/ch_server.sh client "$CHD/ch" "$n" \
                --query "INSERT INTO quire.orders_local SELECT order_id + (k + 1) * 1000000000, customer_id,
                         order_date, amount FROM quire.orders_local ARRAY JOIN range($((SCALE - 1))) AS k"
        done
        echo "orders in the cluster: $(sh tests/fixtures/ch_server.sh client "$CHD/ch" 1 \
            --query 'SELECT count() FROM quire.orders')"
        i=1
        while [ "$i" -le "$RUNS" ]; do
            # shellcheck disable=SC2086
            measure "clickhouse x$SCALE, pushdown true, run $i" "$QUIRE" run \
                reports/monthly_segments_clickhouse.yaml -q --param url="$URL" $ARGS -o out/bench-db-ch.pdf
            i=$((i + 1))
        done
        # shellcheck disable=SC2086
        "$QUIRE" run reports/monthly_segments_clickhouse.yaml -v --param url="$URL" $ARGS \
            -o out/bench-db-ch.pdf 2>&1 | sed -n "s/^quire: \[clickhouse:\([a-z]*\)\] /x$SCALE, pushdown true: \1: /p"
    fi
fi
