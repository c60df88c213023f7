#!/bin/sh
# The crm_rest plugin's memory as the customer count grows: the local CRM
# (tests/fixtures/crm_server.py) serves N generated customers in HubSpot's
# shape, `quire preview` reads them all in pages of 100, and GNU time reports
# the peak resident memory. Flat memory: the same peak at 1,000 and 100,000.
#   bench/crm_bench.sh [N...]      (default 1000 10000 100000)
set -u
QUIRE=${QUIRE:-./quire}
ROOT=$(pwd)
T=$(mktemp -d)
SRV=""
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"' EXIT
CRM_TOKEN="bench-$$-$(date +%s)"
export CRM_TOKEN
[ -x /usr/bin/time ] || { echo "crm_bench: needs /usr/bin/time (package time)" >&2; exit 1; }

printf '%-10s %-7s %-9s %-10s %s\n' customers pages seconds "peak RSS" "rows read"
for n in ${*:-1000 10000 100000}; do
    rm -f "$T/port"
    timeout 900 python3 tests/fixtures/crm_server.py --generate "$n" --port-file "$T/port" \
        >"$T/server.log" 2>&1 &
    SRV=$!
    i=0
    while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    {
        sed -n '1,/^sources:/p' reports/monthly_segments.yaml
        cat <<EOF
  customers:
    plugin: crm_rest
    url: http://127.0.0.1:$(cat "$T/port")
    path: /crm/v3/objects/contacts
    records: results
    fields: customer_id=properties.customer_id, signup_date=properties.createdate, email=properties.email
    pagination: cursor
    cursor_path: paging.next.after
    cursor_param: after
    limit_param: limit
    page_size: 100
    auth: bearer
    token_env: CRM_TOKEN
    columns:
      customer_id: integer
      signup_date: date
      email: string
EOF
        sed -n '/^  orders:/,$p' reports/monthly_segments.yaml
    } | sed "s#\.\./#$ROOT/#g" >"$T/spec.yaml"
    /usr/bin/time -f "%e %M" -o "$T/time" "$QUIRE" preview "$T/spec.yaml" customers \
        --rows 100000000 >"$T/rows.csv" 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
    rows=$(($(wc -l <"$T/rows.csv") - 1))
    read -r secs kb <"$T/time"
    printf '%-10s %-7s %-9s %-10s %s\n' "$n" $(((n + 99) / 100)) "$secs" "$((kb / 1024)) MB" "$rows"
    kill "$SRV" 2>/dev/null
    wait "$SRV" 2>/dev/null
    SRV=""
done
