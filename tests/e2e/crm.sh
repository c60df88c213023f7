# End to end: the crm_rest plugin against the local CRM (tests/fixtures/crm_server.py)
# on 127.0.0.1: the three vendor shapes and a generic API, every pagination
# style and auth method, the faults and guards, the cache, TLS, the CRM-backed
# report against the CSV one, and no token in anything the run wrote.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks crm; exit 1; }
ROOT=$(pwd)
L="$T/logs"
mkdir -p "$L"

export CRM_TOKEN="crmtok-$$-Zq81xW"
export CRM_WRONG="crmwrong-$$-Pk27vB"
export CRM_USER=quire
SRV="" SRV_TLS=""
SRV_OTHER=""
trap 'for p in $SRV $SRV_TLS $SRV_OTHER; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# serve NAME ARGS...: start the CRM, wait for its port, set PORT.
serve() {
    name=$1; shift
    rm -f "$T/$name.port"
    timeout 300 python3 tests/fixtures/crm_server.py --customers "$DATA/customers.csv" \
        --port-file "$T/$name.port" "$@" >"$L/$name-server.log" 2>&1 &
    pid=$!
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$T/$name.port" 2>/dev/null)
    [ -n "$PORT" ] || { bad "the CRM server $name did not start"; cat "$L/$name-server.log" >&2; }
    eval "SRV_$name=$pid"
}
serve plain
SRV=$SRV_plain
URL="http://127.0.0.1:$PORT"

# spec NAME: the stock report with the customers source read from stdin
# (options of crm_rest, indented by four), orders and engagement from CSV.
spec() {
    {
        sed -n '1,/^sources:/p' reports/monthly_segments.yaml
        echo "  customers:"
        echo "    plugin: crm_rest"
        cat
        echo "    columns:"
        echo "      customer_id: integer"
        echo "      signup_date: date"
        echo "      email: string"
        sed -n '/^  orders:/,$p' reports/monthly_segments.yaml
    } | sed "s#\.\./#$ROOT/#g" >"$T/$1.yaml"
}

# q NAME ARGS...: run quire, keeping its output in the logs; sets RC and SECS.
q() {
    name=$1; shift
    t0=$(date +%s.%N)
    timeout 60 "$QUIRE" "$@" >"$L/$name.out" 2>"$L/$name.err"
    RC=$?
    SECS=$(echo "$t0 $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
}

# preview NAME: every row of the spec's customers, as CSV.
preview() {
    q "$1" preview "$T/$1.yaml" customers --rows 1000000 --param data="$DATA"
}

# rows_match NAME: the preview of NAME has the CSV's customers, dates and emails.
python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    print("%s,%s,%s" % (r["customer_id"], r["signup_date"], r["email"]))' "$DATA/customers.csv" >"$T/want.csv"
rows_match() {
    preview "$1"
    if [ "$RC" -ne 0 ]; then bad "$1: preview exit $RC"; cat "$L/$1.err" >&2; return; fi
    tail -n +2 "$L/$1.out" >"$T/got.csv"
    if cmp -s "$T/got.csv" "$T/want.csv"; then ok; else
        bad "$1: rows differ from customers.csv"; diff "$T/got.csv" "$T/want.csv" | head -5 >&2
    fi
}

# fails NAME TEXT...: the last q failed with exit 2 and its stderr holds each TEXT.
fails() {
    name=$1; shift
    [ "$RC" -eq 2 ] && ok || { bad "$name: exit $RC, wanted 2"; cat "$L/$name.err" >&2; }
    for s in "$@"; do contains "$L/$name.err" "$s"; done
}
# fails_later NAME TEXT...: the same for a temporary failure (the CRM down or
# busy after the retries): exit 4, and the message says to try again later.
fails_later() {
    name=$1; shift
    [ "$RC" -eq 4 ] && ok || { bad "$name: exit $RC, wanted 4"; cat "$L/$name.err" >&2; }
    for s in "$@" "try again later"; do contains "$L/$name.err" "$s"; done
}

# ------------------------------------------------------------ the three CRMs

HUBSPOT="    url: $URL
    path: /crm/v3/objects/contacts
    records: results
    fields: customer_id=properties.customer_id, signup_date=properties.createdate, email=properties.email
    pagination: cursor
    cursor_path: paging.next.after
    cursor_param: after
    limit_param: limit
    auth: bearer
    token_env: CRM_TOKEN
    retry_backoff_ms: 50"

# HubSpot: cursor pagination, bearer token from the environment.
echo "$HUBSPOT
    page_size: 100" | spec hubspot
rows_match hubspot

# HubSpot search: POST with a JSON body that carries limit and cursor.
echo "    url: $URL
    path: /crm/v3/objects/contacts/search
    method: POST
    body: '{\"filterGroups\": [], \"properties\": [\"email\", \"createdate\"]}'
    records: results
    field_prefix: properties.
    fields: signup_date=properties.createdate
    pagination: cursor
    cursor_path: paging.next.after
    cursor_param: after
    limit_param: limit
    page_size: 100
    auth: bearer
    token_file: $T/secret/token" | spec hubspot_search
mkdir -p "$T/secret"
printf '%s\n' "$CRM_TOKEN" >"$T/secret/token"
rows_match hubspot_search

# Salesforce: next URL (relative) until done, batch size in a header,
# Customer_Id__c as a JSON number (1.0), CreatedDate with a +0000 offset.
echo "    url: $URL
    path: /services/data/v62.0/query
    query: q=SELECT+Id,Customer_Id__c,Email,CreatedDate+FROM+Contact
    headers: 'Sforce-Query-Options: batchSize=700; Accept: application/json'
    records: records
    fields: customer_id=Customer_Id__c, signup_date=CreatedDate, email=Email
    pagination: next_url
    next_path: nextRecordsUrl
    done_path: done
    auth: bearer
    token_env: CRM_TOKEN" | spec salesforce
rows_match salesforce

# Pipedrive: offset and limit with a "more items" flag and next_start, the
# API key in the query, an array by index, a date from epoch milliseconds.
PIPEDRIVE="    url: $URL
    path: /v1/persons
    records: data
    fields: customer_id=id, signup_date=9dc80c50d78a15643bfc4ca79d76156a73a1ca0e, email=email[0].value
    pagination: offset
    offset_param: start
    limit_param: limit
    page_size: 500
    more_path: additional_data.pagination.more_items_in_collection
    next_offset_path: additional_data.pagination.next_start
    auth: query
    auth_param: api_token
    token_env: CRM_TOKEN
    retry_backoff_ms: 50"
echo "$PIPEDRIVE" | spec pipedrive
rows_match pipedrive
# the same with add_time ("2020-04-30 10:00:00") and the offset counted here
echo "$PIPEDRIVE" | sed -e 's/=9dc80c50d78a15643bfc4ca79d76156a73a1ca0e/=add_time/' \
    -e '/more_path/d' -e '/next_offset_path/d' | spec pipedrive_count
rows_match pipedrive_count

# A generic API: Link header and basic auth; page numbers and an API key header.
echo "    url: $URL
    path: /api/v1/customers
    records: data
    pagination: link_header
    limit_param: per_page
    page_size: 300
    auth: basic
    user_env: CRM_USER
    password_env: CRM_TOKEN" | spec link_basic
rows_match link_basic
GENERIC_PAGE="    url: $URL
    path: /api/v1/customers
    records: data
    pagination: page
    page_param: page
    limit_param: per_page
    page_size: 250
    more_path: meta.has_more
    auth: header
    auth_header: X-API-Key
    token_env: CRM_TOKEN"
echo "$GENERIC_PAGE" | spec page_header
rows_match page_header
# page numbers without a flag: stops at the first short page
echo "$GENERIC_PAGE" | sed '/more_path/d' | spec page_short
rows_match page_short

# Types: booleans, numbers, arrays by index, missing fields as nulls.
{
    sed -n '1,/^sources:/p' reports/monthly_segments.yaml
    cat <<EOF
  customers:
    plugin: crm_rest
    url: $URL
    path: /api/v1/customers
    records: data
    fields: region2=tags[0], tag=tags.1, nothing=no.such.field
    pagination: page
    page_param: page
    limit_param: per_page
    page_size: 1000
    auth: header
    auth_header: X-API-Key
    token_env: CRM_TOKEN
    columns:
      customer_id: integer
      signup_date: date
      active: boolean
      score: number
      region2: string
      tag: string
      nothing: integer
EOF
    sed -n '/^  orders:/,$p' reports/monthly_segments.yaml
} | sed "s#\.\./#$ROOT/#g" >"$T/types.yaml"
q types preview "$T/types.yaml" customers --rows 7 --format json --param data="$DATA"
[ "$RC" -eq 0 ] && ok || { bad "types: exit $RC"; cat "$L/types.err" >&2; }
python3 - "$L/types.out" "$DATA/customers.csv" <<'EOF' && ok || bad "types: values differ"
import csv, json, sys
rows = json.load(open(sys.argv[1]))
want = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))[:7]
assert len(rows) == 7, rows
for r, w in zip(rows, want):
    cid = int(w["customer_id"])
    assert r["customer_id"] == cid, r
    assert r["signup_date"] == w["signup_date"], r
    assert r["active"] == (cid % 7 != 0), r
    assert abs(r["score"] - cid / 4) < 1e-9, r
    assert r["region2"] == w["region"], r
    assert r["tag"] == "t%d" % (cid % 3), r
    assert r["nothing"] is None, r
EOF

# ------------------------------------------------------------ the report

# The CRM-backed report gives the CSV report's KPIs and segments.
q csv_report run reports/monthly_segments.yaml --param data="$DATA" -o "$T/csv.pdf" --export "$T/xcsv"
q crm_report run reports/monthly_segments_crm.yaml --param data="$DATA" --param crm_url="$URL" \
    -o "$T/crm.pdf" --export "$T/xcrm"
[ "$RC" -eq 0 ] && ok || { bad "crm report: exit $RC"; cat "$L/crm_report.err" >&2; }
cmp -s "$T/xcsv/kpis.csv" "$T/xcrm/kpis.csv" && ok || bad "the CRM report's KPIs differ from the CSV report's"
cmp -s "$T/xcsv/segments.csv" "$T/xcrm/segments.csv" && ok || bad "the CRM report's segments differ"
pdftotext -q "$T/crm.pdf" "$L/crm.txt" 2>/dev/null
contains "$L/crm.txt" "Monthly Customer Segment Performance Report"
# The manifest records the CRM source by what it is: its URL (no token) and
# the SHA-256 of the records fetched, in the canonical form of
# docs/plugins/writing-a-plugin.md, computed here from customers.csv (which
# the CRM serves in its order); never the endpoint's path as a local file.
# manifest_check NAME PDF URL: the PDF's manifest names the customers source
# by URL with the records' hash, and holds no secret.
manifest_check() {
    qpdf --show-attachment=manifest.json "$2" >"$T/$1-manifest.json" 2>&1
    python3 - "$T/$1-manifest.json" "$DATA/customers.csv" "$3" "$CRM_TOKEN" <<'PYEOF' && ok || bad "$1: manifest: $(cat "$T/$1-manifest.json")"
import csv, hashlib, json, sys
m = json.load(open(sys.argv[1]))
reads = [i for i in m["inputs"] if i.get("source") == "customers"]
assert len(reads) == 1, reads
r = reads[0]
assert r["url"] == sys.argv[3], r["url"]
cols = r["columns"]
assert cols == sorted(cols) and "customer_id" in cols and "signup_date" in cols, cols
h, n = hashlib.sha256(), 0
for row in csv.DictReader(open(sys.argv[2], encoding="utf-8")):
    row["customer_id"] = str(int(row["customer_id"]))
    h.update(("\t".join("%s=%s" % (c, row[c]) for c in cols) + "\n").encode())
    n += 1
assert r["records"] == n, (r["records"], n)
assert r["records_sha256"] == h.hexdigest(), (r["records_sha256"], h.hexdigest())
assert not any("path" in i and "contacts" in i["path"] for i in m["inputs"]), m["inputs"]
assert sys.argv[4] not in open(sys.argv[1]).read()
PYEOF
}
manifest_check crm "$T/crm.pdf" "$URL/crm/v3/objects/contacts?archived=false"
# With the key in the query (Pipedrive) and the token in a file: the URL
# shows neither, and the token file is not hashed as an input.
echo "$PIPEDRIVE" | sed "s#^    token_env: CRM_TOKEN#    token_file: $T/secret/token#" | spec crm_query
q crm_query run "$T/crm_query.yaml" --param data="$DATA" -o "$T/crm_query.pdf"
[ "$RC" -eq 0 ] && ok || { bad "crm report with the key in the query: exit $RC"; cat "$L/crm_query.err" >&2; }
manifest_check crm_query "$T/crm_query.pdf" "$URL/v1/persons"
grep -q "secret/token" "$T/crm_query-manifest.json" && bad "the token file is in the manifest" || ok
# With the CRM down, on_error: use_cache renders from the cache and the PDF
# says so, with the cache's age, under "Data notes".
sed -e "s#^    retries: 4#    retries: 1\n    cache: $T/report.cache\n    cache_ttl: 0\n    on_error: use_cache#" \
    -e "s#\.\./scripts/#$(pwd)/scripts/#" reports/monthly_segments_crm.yaml >"$T/crm_cached.yaml"
q crm_fill run "$T/crm_cached.yaml" --param data="$DATA" --param crm_url="$URL" -o "$T/fill.pdf"
[ "$RC" -eq 0 ] && [ -f "$T/report.cache" ] && ok || { bad "crm report with a cache: exit $RC"; cat "$L/crm_fill.err" >&2; }
sed -e "s#^    headers: \"Accept: application/json\"#    headers: 'X-Crm-Fault: 503,times=0,tag=repdown'#" \
    "$T/crm_cached.yaml" >"$T/crm_down.yaml"
q crm_down run "$T/crm_down.yaml" --param data="$DATA" --param crm_url="$URL" \
    -o "$T/down.pdf" --export "$T/xdown"
[ "$RC" -eq 0 ] && ok || { bad "crm report from the cache: exit $RC"; cat "$L/crm_down.err" >&2; }
pdftotext -q "$T/down.pdf" "$L/down.txt" 2>/dev/null
contains "$L/down.txt" "Data notes"
contains "$L/down.txt" "the CRM did not answer"
contains "$L/down.txt" "cached table fetched"
cmp -s "$T/xcsv/kpis.csv" "$T/xdown/kpis.csv" && ok || bad "the cached report's KPIs differ"
grep -q "Data notes" "$L/crm.txt" && bad "a report from a live CRM has data notes" || ok

# ------------------------------------------------------------ faults

# Each fault is a header the local CRM acts on; a tag keeps the counts apart.
fault() { # NAME BASE FAULT [EXTRA OPTIONS...]
    n=$1 base=$2 f=$3; shift 3
    { echo "$base"; echo "    headers: 'X-Crm-Fault: $f,tag=$n'"; for o in "$@"; do echo "    $o"; done; } | spec "$n"
}

# 429 without Retry-After: backoff, then success.
fault r429 "$HUBSPOT" "429,times=2,from=3"
rows_match r429
contains "$L/r429.err" "HTTP 429 Too Many Requests; retry 1 of 4"
# 429 with Retry-After in seconds and as an HTTP date: waited, then success.
fault r429s "$HUBSPOT" "429-seconds,retry_after=1,from=2"
rows_match r429s
contains "$L/r429s.err" "retry 1 of 4 in 1.0 s"
awk -v s="$SECS" 'BEGIN {exit !(s >= 1.0)}' && ok || bad "Retry-After: 1 was not waited ($SECS s)"
fault r429d "$HUBSPOT" "429-date,retry_after=2,from=2"
rows_match r429d
awk -v s="$SECS" 'BEGIN {exit !(s >= 0.9)}' && ok || bad "Retry-After as a date was not waited ($SECS s)"
# a Retry-After beyond retry_after_max: a clear error, no long wait
fault r429long "$HUBSPOT" "429-seconds,retry_after=3600" "retry_after_max: 60"
preview r429long
fails_later r429long "asks to wait 3600 s (Retry-After), more than retry_after_max (60 s)"
# 500 and 503: retried; when they persist, an error after the retries
fault r500 "$PIPEDRIVE" "500,times=2,from=2"
rows_match r500
fault r503 "$PIPEDRIVE" "503,times=0" "retries: 2"
preview r503
fails_later r503 "HTTP 503 after 3 attempts" "page 1" "/v1/persons"
# slow answers: a timeout, retried once, then a clear error, within bounds
fault slow "$HUBSPOT" "slow,delay=4,times=0" "timeout: 1" "retries: 1"
preview slow
fails_later slow "no complete response within 1 s (timeout) (2 attempts)"
awk -v s="$SECS" 'BEGIN {exit !(s < 8)}' && ok || bad "the timeout took $SECS s"
fault slow_once "$HUBSPOT" "slow,delay=3,from=2" "timeout: 1"
rows_match slow_once
# truncated JSON: retried (the next attempt parses); when it persists, an
# error naming the page, the byte offset and the attempts
fault truncate "$HUBSPOT" "truncate,from=2"
rows_match truncate
contains "$L/truncate.err" "page 2: invalid JSON at byte"
contains "$L/truncate.err" "retry 1 of 4"
fault truncate_always "$HUBSPOT" "truncate,from=2,times=0" "retries: 1"
preview truncate_always
fails truncate_always "page 2: invalid JSON at byte" "after=" "/crm/v3/objects/contacts" "(2 attempts)"
# a single attempt is one attempt, not "1 attempts"
fault r503_once "$PIPEDRIVE" "503,times=0" "retries: 0"
preview r503_once
fails_later r503_once "HTTP 503 after 1 attempt:"
# a connection cut short: retried, and an error when it persists
fault cutoff "$HUBSPOT" "cutoff,from=2"
rows_match cutoff
fault cutoff_always "$HUBSPOT" "cutoff,times=0" "retries: 1"
preview cutoff_always
fails_later cutoff_always "(2 attempts)" "page 1"
# cursors, next URLs and offsets that come back: an error, not a loop
fault loop_cursor "$HUBSPOT" "cursor-loop,times=0"
preview loop_cursor
fails loop_cursor "a second time; stopping instead of looping" "page 2"
fault loop_next "    url: $URL
    path: /services/data/v62.0/query
    query: q=SELECT+Id+FROM+Contact
    records: records
    fields: customer_id=Customer_Id__c, signup_date=CreatedDate, email=Email
    pagination: next_url
    next_path: nextRecordsUrl
    auth: bearer
    token_env: CRM_TOKEN" "cursor-loop,times=0"
preview loop_next
fails loop_next "next page's URL" "a second time"
fault loop_offset "$PIPEDRIVE" "cursor-loop,times=0"
preview loop_offset
fails loop_offset "sent offset 500 a second time"
fault loop_link "$(echo "$GENERIC_PAGE" | sed -e 's/pagination: page/pagination: link_header/' -e '/page_param/d' -e '/more_path/d')" "cursor-loop,times=0"
preview loop_link
fails loop_link "a second time"
# a next URL on another server: not followed (it would get the token)
echo "    url: $URL
    path: /services/data/v62.0/query
    query: q=SELECT+Id+FROM+Contact
    headers: 'X-Crm-Fault: foreign-next,times=0,tag=foreign'
    records: records
    fields: customer_id=Customer_Id__c, signup_date=CreatedDate, email=Email
    pagination: next_url
    next_path: nextRecordsUrl
    auth: bearer
    token_env: CRM_TOKEN" | spec foreign
preview foreign
fails foreign "on another server than url; not following it"

# a redirect to another server (a second local CRM): refused, naming both
# origins; the other server never sees the key, whatever the auth method
PLAIN_PORT=${URL##*:}
serve other
SRV_OTHER=$SRV_other
OTHER_PORT=$PORT
other_stats() { python3 -c "import json,urllib.request; d = json.load(urllib.request.urlopen('http://127.0.0.1:$OTHER_PORT/_stats')); print(d['requests'], d['credentials'])"; }
fault redirect_header "$GENERIC_PAGE" "redirect,to=$OTHER_PORT,times=0"
preview redirect_header
fails redirect_header "HTTP 302 redirects to http://127.0.0.1:$OTHER_PORT/api/v1/customers" \
    "on another server (http://127.0.0.1:$OTHER_PORT) than the request (http://127.0.0.1:$PLAIN_PORT); not following it"
fault redirect_bearer "$HUBSPOT" "redirect,to=$OTHER_PORT,from=2,times=0"
preview redirect_bearer
fails redirect_bearer "page 2: HTTP 302 redirects to" "not following it"
[ "$(other_stats)" = "0 0" ] && ok || bad "the other server was sent requests (requests, credentials): $(other_stats)"
# a redirect on the same server is followed
fault redirect_same "$GENERIC_PAGE" "redirect,to=$PLAIN_PORT,from=2"
rows_match redirect_same

# wrong credentials: 401 naming the auth method, never the token
sed 's/token_env: CRM_TOKEN/token_env: CRM_WRONG/' "$T/hubspot.yaml" >"$T/wrong_bearer.yaml"
preview wrong_bearer
fails wrong_bearer "HTTP 401 Unauthorized" "bearer token from environment variable CRM_WRONG"
sed 's/token_env: CRM_TOKEN/token_env: CRM_WRONG/' "$T/pipedrive.yaml" >"$T/wrong_query.yaml"
preview wrong_query
fails wrong_query "HTTP 401" "API key in query parameter api_token" "api_token=***"
sed 's/password_env: CRM_TOKEN/password_env: CRM_WRONG/' "$T/link_basic.yaml" >"$T/wrong_basic.yaml"
preview wrong_basic
fails wrong_basic "HTTP 401" "basic auth (user from CRM_USER, password from environment variable CRM_WRONG)"
sed 's/token_env: CRM_TOKEN/token_env: CRM_WRONG/' "$T/page_header.yaml" >"$T/wrong_header.yaml"
preview wrong_header
fails wrong_header "HTTP 401" "API key in header X-API-Key"
sed 's/token_env: CRM_TOKEN/token_env: CRM_UNSET_VARIABLE/' "$T/hubspot.yaml" >"$T/unset.yaml"
preview unset
[ "$RC" -ne 0 ] && ok || bad "an unset token variable was accepted"
contains "$L/unset.err" "environment variable CRM_UNSET_VARIABLE"
# 404, a missing records path
sed 's#path: /crm/v3/objects/contacts#path: /crm/v3/objects/nothing#' "$T/hubspot.yaml" >"$T/nf.yaml"
preview nf
fails nf "HTTP 404 Not Found" "/crm/v3/objects/nothing"
sed 's/records: results/records: items/' "$T/hubspot.yaml" >"$T/norec.yaml"
preview norec
fails norec "page 1: nothing at records path \"items\"" "top-level keys: results paging"
# nothing listening: connection refused, retried, then an error
sed -e "s#url: $URL#url: http://127.0.0.1:9#" -e 's/retry_backoff_ms: 50/retry_backoff_ms: 20/' \
    "$T/hubspot.yaml" >"$T/refused.yaml"
preview refused
fails_later refused "(5 attempts)" "127.0.0.1:9"
# configuration errors are spec errors (exit 1) at the option's place: an
# enum's value checked by Quire, with a hint; a URL checked by the plugin
echo "$HUBSPOT" | sed 's/pagination: cursor/pagination: cursr/' | spec enum_typo
preview enum_typo
[ "$RC" -eq 1 ] && ok || { bad "enum typo: exit $RC, wanted 1"; cat "$L/enum_typo.err" >&2; }
line=$(grep -n "^    pagination: cursr" "$T/enum_typo.yaml" | cut -d: -f1)
contains "$L/enum_typo.err" "enum_typo.yaml:$line:5: error: option \"pagination\" must be one of none, cursor, next_url, link_header, offset, page, not \"cursr\"; did you mean \"cursor\"?"
echo "$HUBSPOT" | sed "s#url: $URL#url: ftp://127.0.0.1#" | spec bad_url
preview bad_url
[ "$RC" -eq 1 ] && ok || { bad "bad url: exit $RC, wanted 1"; cat "$L/bad_url.err" >&2; }
line=$(grep -n "^    url: ftp" "$T/bad_url.yaml" | cut -d: -f1)
contains "$L/bad_url.err" "bad_url.yaml:$line:5: error: option \"url\" must start with http:// or https://, not \"ftp://127.0.0.1\" (source \"customers\")"
# an unset variable named by token_env points at token_env
line=$(grep -n "^    token_env: CRM_UNSET_VARIABLE" "$T/unset.yaml" | cut -d: -f1)
contains "$L/unset.err" "unset.yaml:$line:5: error: environment variable CRM_UNSET_VARIABLE"
# a secret in the spec's headers is refused
{ echo "$HUBSPOT" | sed 's/auth: bearer/auth: none/'; echo "    headers: 'Authorization: Bearer literal'"; } | spec inline
preview inline
[ "$RC" -ne 0 ] && ok || bad "an Authorization header in the spec was accepted"
contains "$L/inline.err" "no Authorization header in the spec"

# ------------------------------------------------------------ guards

echo "$HUBSPOT
    max_pages: 3" | spec g_pages
preview g_pages
fails g_pages "more than max_pages (3) pages"
echo "$HUBSPOT
    max_records: 250" | spec g_records
preview g_records
fails g_records "more than max_records (250) records"
echo "$PIPEDRIVE
    max_response_bytes: 4096" | spec g_bytes
preview g_bytes
fails g_bytes "larger than max_response_bytes (4096 bytes)"
# the host's row limit stops early and cleanly
q g_rows preview "$T/hubspot.yaml" customers --rows 5 --param data="$DATA"
[ "$RC" -eq 0 ] && [ "$(wc -l <"$L/g_rows.out")" -eq 6 ] && ok || bad "--rows 5 gave $(wc -l <"$L/g_rows.out") lines"
# a client-side rate: 5 requests at 4 a second take a second or more
echo "$GENERIC_PAGE
    rate_limit: 4" | sed 's/page_size: 250/page_size: 2000/' | spec rate
rows_match rate
awk -v s="$SECS" 'BEGIN {exit !(s >= 0.95)}' && ok || bad "rate_limit 4/s: 5 requests in $SECS s"

# ------------------------------------------------------------ cache

stats() { python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen('$URL/_stats'))['requests'])"; }
echo "$HUBSPOT
    page_size: 100
    cache: $T/customers.cache
    cache_ttl: 3600
    on_error: use_cache" | spec cache
rows_match cache
[ -f "$T/customers.cache" ] && ok || bad "no cache file"
before=$(stats)
q cache_fresh preview -v "$T/cache.yaml" customers --rows 1000000 --param data="$DATA"
tail -n +2 "$L/cache_fresh.out" | cmp -s - "$T/want.csv" && ok || bad "cache: rows differ"
contains "$L/cache_fresh.err" "using the cached table"
[ "$(stats)" = "$before" ] && ok || bad "a fresh cache still fetched ($before, $(stats) requests)"
# the CRM is down and the cache is stale: the cached table, with its age
sed -e 's/cache_ttl: 3600/cache_ttl: 0/' "$T/cache.yaml" >"$T/cache_down.yaml"
sed -i "s#^    token_env: CRM_TOKEN#    token_env: CRM_TOKEN\n    headers: 'X-Crm-Fault: 503,times=0,tag=down'\n    retries: 1#" "$T/cache_down.yaml"
rows_match cache_down
contains "$L/cache_down.err" "the data comes from the cached table fetched"
contains "$L/cache_down.err" "s old"
contains "$L/cache_down.err" "HTTP 503"
# the CRM fails halfway: the previous cache is kept whole
sed -e 's/503,times=0,tag=down/truncate,from=3,times=0,tag=half/' "$T/cache_down.yaml" >"$T/cache_half.yaml"
rows_match cache_half
[ ! -f "$T/customers.cache.tmp" ] && ok || bad "a partial cache file was left behind"
# on_error: fail
sed -e 's/on_error: use_cache/on_error: fail/' "$T/cache_down.yaml" >"$T/cache_fail.yaml"
preview cache_fail
fails_later cache_fail "HTTP 503 after 2 attempts"

# ------------------------------------------------------------ TLS

if command -v openssl >/dev/null 2>&1 &&
   openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
       -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" \
       >"$L/openssl.log" 2>&1; then
    serve tls --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
    SRV_TLS=$SRV_tls
    sed "s#url: $URL#url: https://127.0.0.1:$PORT#" "$T/hubspot.yaml" >"$T/tls_default.yaml"
    preview tls_default
    fails tls_default "TLS failed" "ca_file"
    sed "s#^    auth: bearer#    ca_file: $T/cert.pem\n    auth: bearer#" "$T/tls_default.yaml" >"$T/tls_ca.yaml"
    rows_match tls_ca
    sed "s#^    auth: bearer#    insecure: true\n    auth: bearer#" "$T/tls_default.yaml" >"$T/tls_insecure.yaml"
    rows_match tls_insecure
    contains "$L/tls_insecure.err" "TLS certificates of https://127.0.0.1:$PORT/crm/v3/objects/contacts are NOT verified"
else
    bad "openssl could not make a test certificate"
fi

# ------------------------------------------------------------ secrets

# No token in any log, error, output, PDF, cache or spec of this run.
pdftotext -q "$T/crm.pdf" "$L/crm-pdf.txt" 2>/dev/null
if grep -rlaF --exclude-dir=secret -e "$CRM_TOKEN" -e "$CRM_WRONG" "$T" >"$T/leaks" 2>/dev/null; then
    bad "a token was written to: $(tr '\n' ' ' <"$T/leaks")"
else
    ok
fi

done_checks crm
