#!/bin/sh
# make bench-serve: quire serve under load (bench/serve_load.py) on
# 127.0.0.1 and a free port, the stock report over the default sample data.
# BENCH_CLIENTS (50), BENCH_SECONDS (30), BENCH_RENDERS (20), BENCH_WORKERS
# (2), BENCH_QUEUE (8). Prints figures; exits non-zero on errors or a broken
# bound (docs/server.md, "Load").
set -eu
QUIRE=${QUIRE:-./quire}
DATA=${BENCH_SERVE_DATA:-data/sample}
W=${BENCH_WORKERS:-2}
Q=${BENCH_QUEUE:-8}
T=$(mktemp -d)
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$T"' EXIT

[ -f "$DATA/orders.csv" ] || "$QUIRE" sample --out "$DATA" >/dev/null
mkdir -p "$T/reports"
sed -e "s#\.\./scripts/#$PWD/scripts/#" -e "s#default: \.\./data/sample#default: $(cd "$DATA" && pwd)#" \
    reports/monthly_segments.yaml >"$T/reports/monthly_segments.yaml"
# Requests are not rate-limited here: every client is 127.0.0.1.
"$QUIRE" serve --reports "$T/reports" --state "$T/state.db" --listen 127.0.0.1:0 \
    --port-file "$T/port" --access-log "$T/access.log" --workers "$W" --queue "$Q" \
    --rate-limit 0 --threads 4 2>"$T/server.log" &
srv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
$PY bench/serve_load.py "http://127.0.0.1:$(cat "$T/port")" "$srv" "$W" "$Q" \
    "${BENCH_CLIENTS:-50}" "${BENCH_SECONDS:-30}" "${BENCH_RENDERS:-20}"
rc=$?
kill -TERM "$srv"
wait "$srv" || rc=1
srv=""
echo "bench-serve: server stopped cleanly on SIGTERM; access log $(wc -l <"$T/access.log") lines"
exit $rc
