# quire serve through its HTTP API with curl, on 127.0.0.1 and free ports:
# list, run with a parameter, poll, download the PDF and kpis.csv, the cache
# (a second request answered from it, ETag and 304), a failing render shown
# with its error while the server goes on, the bounded queue (503), then the
# security cases: spec errors as JSON with file:line:col, path parameters
# refused, path traversal, oversized bodies, forms without their CSRF token,
# HTML injection escaped, authentication (401), roles (403), sign-in
# cookies, rate limits, TLS, listening off loopback refused, no secret in
# the logs; SIGTERM exits cleanly.
. tests/lib.sh
srv=""
stop_server() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; srv=""; }
trap 'stop_server; rm -rf "$T"' EXIT

command -v curl >/dev/null || { bad "curl is missing (scripts/install-deps.sh installs it)"; done_checks serve_api; exit 1; }

"$QUIRE" sample --out "$T/data" --customers 300 --orders 3000 --months 24 --from 2023-01 \
    >/dev/null 2>&1 || { bad "quire sample failed"; done_checks serve_api; exit 1; }
mkdir -p "$T/reports"
# The stock report, its scripts and data by absolute path, and a string
# parameter shown in its subtitle (for the injection cases).
sed -e "s#\.\./scripts/#$PWD/scripts/#" -e "s#default: \.\./data/sample#default: $T/data#" \
    -e 's#^  to:$#  region:\n    type: string\n    default: All\n    help: the region named in the subtitle\n  to:#' \
    reports/monthly_segments.yaml >"$T/reports/monthly_segments.yaml"
# A report whose render fails: its KPI script raises an error (and it has
# no schedule).
mkdir -p "$T/kpis"
printf 'return {\n  label = "Broken",\n  unit = "count",\n  value = function(s)\n    error("no such figure")\n  end,\n}\n' >"$T/kpis/broken.lua"
sed -e "s#\.\./scripts/#$PWD/scripts/#" -e "s#default: \.\./data/sample#default: $T/data#" \
    reports/monthly_segments.yaml |
    awk -v k="$T/kpis/broken.lua" '/^schedule:/{skip=1; next} skip && /^[^ #]/{skip=0} skip{next}
        {print} /^kpis:/{print "  broken: " k}' >"$T/reports/broken.yaml"
"$QUIRE" validate "$T/reports/monthly_segments.yaml" >/dev/null 2>&1 && ok ||
    { bad "the test's report does not validate"; "$QUIRE" validate "$T/reports/monthly_segments.yaml"; }

# start ARGS...: the server on a free port; sets srv, PORT, URL.
start() {
    rm -f "$T/port"
    "$QUIRE" serve --reports "$T/reports" --state "$T/state.db" --listen 127.0.0.1:0 \
        --port-file "$T/port" --access-log "$T/access.log" "$@" 2>>"$T/server.log" &
    srv=$!
    i=0
    while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$T/port" 2>/dev/null)
    URL=${URL_SCHEME:-http}://127.0.0.1:$PORT
    [ -n "$PORT" ] && ok || bad "the server did not start: $(cat "$T/server.log")"
}
# req OUT ARGS...: curl, the body to OUT, prints the status code.
req() { out=$1; shift; curl -s -o "$out" -w '%{http_code}' "$@"; }
# status WANT DESCRIPTION ARGS...: the request's status is WANT.
status() {
    want=$1 d=$2; shift 2
    got=$(req "$T/body" "$@")
    if [ "$got" = "$want" ]; then ok; else bad "$d: status $got, wanted $want: $(head -c 400 "$T/body")"; fi
}
jget() { python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v.get(k) if isinstance(v,dict) else None
print("" if v is None else v)' "$@" 2>/dev/null; }
# wait_run ID: poll until the run ends; prints its status.
wait_run() {
    i=0 s=queued
    while [ $i -lt 600 ]; do
        req "$T/run.json" ${AUTH:+-H "$AUTH"} "$URL/api/runs/$1" >/dev/null
        s=$(jget "$T/run.json" status)
        case $s in queued|running) sleep 0.1; i=$((i + 1));; *) break;; esac
    done
    echo "$s"
}

start --workers 1 --queue 1
status 200 "healthz" "$URL/healthz"

# The list: names, titles, typed parameters, schedules.
status 200 "list" "$URL/api/reports"
cp "$T/body" "$T/list.json"
[ "$(jget "$T/list.json" reports.1.name)" = monthly_segments ] && ok || bad "list: $(cat "$T/list.json")"
[ "$(jget "$T/list.json" reports.1.title)" = "Monthly Customer Segment Performance Report" ] && ok ||
    bad "list: no title"
[ "$(jget "$T/list.json" reports.1.parameters.1.type)" = month ] && ok || bad "list: from is not a month"
[ "$(jget "$T/list.json" reports.1.parameters.1.help)" = "first month of the report" ] && ok || bad "list: no help"
[ "$(jget "$T/list.json" reports.1.schedule.cron)" = "0 6 1 * *" ] && ok || bad "list: no schedule"

# A run with a parameter, polled, downloaded.
status 202 "run" -H 'Content-Type: application/json' -d '{"parameters":{"from":"2024-03"}}' \
    "$URL/api/reports/monthly_segments/runs"
ID=$(jget "$T/body" id)
[ "$(wait_run "$ID")" = done ] && ok || bad "run $ID did not finish: $(cat "$T/run.json")"
status 200 "pdf" -D "$T/h.pdf" "$URL/api/runs/$ID/report.pdf"
mv "$T/body" "$T/r.pdf"
pdftotext "$T/r.pdf" - 2>/dev/null | tr '\n' ' ' | grep -q "Monthly Customer Segment Performance" && ok ||
    bad "the PDF lacks the title"
pdftotext -f 1 -l 1 "$T/r.pdf" - 2>/dev/null | grep -q "Mar" && ok || bad "the PDF does not start in March"
grep -qi '^content-type: application/pdf' "$T/h.pdf" && ok || bad "pdf content type"
grep -qi '^x-content-type-options: nosniff' "$T/h.pdf" && ok || bad "no nosniff"
grep -qi "^content-security-policy: default-src 'none'" "$T/h.pdf" && ok || bad "no CSP"
grep -qi '^x-frame-options: DENY' "$T/h.pdf" && ok || bad "no X-Frame-Options"
grep -qi '^referrer-policy: no-referrer' "$T/h.pdf" && ok || bad "no Referrer-Policy"
ETAG=$(grep -i '^etag:' "$T/h.pdf" | cut -d' ' -f2 | tr -d '\r')
[ -n "$ETAG" ] && ok || bad "no ETag"
# The HTML report (framed by the run page only, scripts off) and the workbook.
status 200 "report.html" -D "$T/h.html" "$URL/api/runs/$ID/report.html"
grep -q "Monthly Customer Segment Performance Report" "$T/body" && grep -q "<svg" "$T/body" && ok ||
    bad "report.html lacks its title or an SVG chart"
grep -qi "^content-security-policy: .*sandbox" "$T/h.html" && grep -qi '^x-frame-options: SAMEORIGIN' "$T/h.html" &&
    ok || bad "report.html is served without its sandbox: $(grep -i '^content-security' "$T/h.html")"
status 200 "report.xlsx" -D "$T/h.xlsx" "$URL/api/runs/$ID/report.xlsx"
[ "$(head -c 2 "$T/body")" = PK ] && grep -qi 'content-type: application/vnd.openxmlformats' "$T/h.xlsx" && ok ||
    bad "report.xlsx is not a workbook"
status 200 "kpis.csv" "$URL/api/runs/$ID/kpis.csv"
head -1 "$T/body" | grep -q ',' && [ "$(wc -l <"$T/body")" -gt 3 ] && ok || bad "kpis.csv: $(head -3 "$T/body")"

# The same request again: from the cache, same run, no render; 304 on the ETag.
status 200 "cached run" -H 'Content-Type: application/json' -d '{"parameters":{"from":"2024-03"}}' \
    "$URL/api/reports/monthly_segments/runs"
[ "$(jget "$T/body" id)" = "$ID" ] && [ "$(jget "$T/body" cached)" = True ] && ok ||
    bad "not answered from the cache: $(cat "$T/body")"
status 304 "If-None-Match" -H "If-None-Match: $ETAG" "$URL/api/runs/$ID/report.pdf"
status 200 "other ETag" -H 'If-None-Match: "something-else"' "$URL/api/runs/$ID/report.pdf"
status 200 "form parameters with a token-free JSON-less body need CSRF, JSON is fine" \
    -H 'Content-Type: application/json' -d '{"from":"2024-03"}' "$URL/api/reports/monthly_segments/runs"

# Parameters are checked by the spec: errors with the spec's file:line:col.
status 422 "bad month" -H 'Content-Type: application/json' -d '{"parameters":{"from":"2024-13"}}' \
    "$URL/api/reports/monthly_segments/runs"
[ "$(jget "$T/body" error.spec.file)" = monthly_segments.yaml ] &&
    [ -n "$(jget "$T/body" error.spec.line)" ] && [ -n "$(jget "$T/body" error.spec.col)" ] && ok ||
    bad "bad month: no file:line:col: $(cat "$T/body")"
grep -q "monthly_segments.yaml:[0-9]*:[0-9]*: error: parameter from=2024-13: must be a month" "$T/body" && ok ||
    bad "bad month: $(cat "$T/body")"
grep -q "$T" "$T/body" && bad "an error shows the server's folders" || ok
status 422 "unknown parameter" -H 'Content-Type: application/json' -d '{"parameters":{"form":"2024-03"}}' \
    "$URL/api/reports/monthly_segments/runs"
status 400 "a path parameter from a request" -H 'Content-Type: application/json' \
    -d '{"parameters":{"data":"/etc"}}' "$URL/api/reports/monthly_segments/runs"
status 400 "a control character" -H 'Content-Type: application/json' \
    -d '{"parameters":{"region":"a\u0001b"}}' "$URL/api/reports/monthly_segments/runs"
status 400 "not JSON" -H 'Content-Type: application/json' -d '{"parameters":' \
    "$URL/api/reports/monthly_segments/runs"

# Reports are found by name in the folder only.
status 404 "traversal" -X POST -H 'Content-Type: application/json' -d '{}' "$URL/api/reports/..%2Fetc/runs"
status 404 "traversal (2)" "$URL/api/reports/..%2F..%2Fetc%2Fpasswd"
status 404 "traversal (3)" --path-as-is "$URL/api/reports/../../etc/passwd"
status 404 "dots" "$URL/api/reports/.."
status 404 "unknown report" -X POST -H 'Content-Type: application/json' -d '{}' "$URL/api/reports/nothing/runs"
status 404 "unknown run" "$URL/api/runs/999999"
status 404 "a file that is not a run's" "$URL/api/runs/$ID/run.log"
status 404 "a file by traversal" "$URL/api/runs/$ID/..%2F..%2Fstate.db"

# Bodies above the limit.
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
status 413 "oversized body" -H 'Content-Type: application/json' --data-binary @"$T/big" \
    "$URL/api/reports/monthly_segments/runs"

# A failing render: its error, with where, in the run and its page; the
# server goes on.
status 202 "broken run" -H 'Content-Type: application/json' -d '{}' "$URL/api/reports/broken/runs"
BID=$(jget "$T/body" id)
[ "$(wait_run "$BID")" = failed ] && ok || bad "the broken run did not fail: $(cat "$T/run.json")"
grep -q "broken.lua:[0-9]*: .*no such figure" "$T/run.json" && ok || bad "no error with where: $(cat "$T/run.json")"
[ -n "$(jget "$T/run.json" error.line)" ] || [ -n "$(jget "$T/run.json" error.file)" ] && ok ||
    bad "the error has no where: $(cat "$T/run.json")"
status 200 "page of the failed run" "$URL/runs/$BID"
grep -q 'class="error"' "$T/body" && grep -q "no such figure" "$T/body" && ok || bad "the page lacks the error"
status 200 "healthz after a failure" "$URL/healthz"

# The page's form: CSRF token required; injection escaped.
rm -f "$T/jar"
status 200 "report page" -c "$T/jar" "$URL/reports/monthly_segments"
grep -q 'type="month" pattern="\[0-9\]{4}-\[0-9\]{2}" name="from" value="2024-02"' "$T/body" && ok ||
    bad "no month input: $(grep -o '<input[^>]*from[^>]*>' "$T/body")"
CSRF=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/body" | head -1)
[ ${#CSRF} -eq 64 ] && ok || bad "no CSRF token in the form"
grep -q 'quire_sid.*' "$T/jar" && ok || bad "no session cookie"
status 403 "form without CSRF" -b "$T/jar" -d 'from=2024-03' "$URL/reports/monthly_segments/runs"
status 403 "form with a wrong CSRF" -b "$T/jar" -d "from=2024-03&csrf=00$CSRF" "$URL/reports/monthly_segments/runs"
status 403 "form to the API without CSRF" -b "$T/jar" -d 'from=2024-03' "$URL/api/reports/monthly_segments/runs"
status 403 "CSRF of another session" -d "from=2024-03&csrf=$CSRF" "$URL/reports/monthly_segments/runs"
status 303 "form with CSRF" -D "$T/h" -b "$T/jar" --data-urlencode "csrf=$CSRF" \
    --data-urlencode 'from=2024-03' --data-urlencode 'region=<script>alert(1)</script>"&' \
    "$URL/reports/monthly_segments/runs"
LOC=$(grep -i '^location:' "$T/h" | cut -d' ' -f2 | tr -d '\r')
case $LOC in /runs/[0-9]*) ok;; *) bad "no redirect to the run: $LOC";; esac
status 200 "run page" -b "$T/jar" "$URL$LOC"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;' "$T/body" && ok || bad "parameter not escaped on the run page"
grep -q '<script>' "$T/body" && bad "a raw <script> in the page" || ok
status 400 "bad month in the form" -b "$T/jar" --data-urlencode "csrf=$CSRF" \
    --data-urlencode 'from=<img src=a onerror=alert(1)>' "$URL/reports/monthly_segments/runs"
grep -q '&lt;img src=a onerror=alert(1)&gt;' "$T/body" && ok || bad "bad value not escaped in the error"
grep -q '<img' "$T/body" && bad "a raw <img> in the page" || ok
grep -q 'monthly_segments.yaml:[0-9]*:[0-9]*: error' "$T/body" && ok || bad "the form's error has no file:line:col"
RID=${LOC#/runs/}
[ "$(wait_run "$RID")" = done ] && ok || bad "the injected run did not finish: $(cat "$T/run.json")"
status 200 "page of a finished run" "$URL/runs/$RID"
grep -q "/api/runs/$RID/report.pdf" "$T/body" && grep -q "/api/runs/$RID/kpis.csv" "$T/body" && ok ||
    bad "the run page has no links"
pdftotext "$T/r.pdf" /dev/null 2>/dev/null
status 200 "the list page" "$URL/"
grep -q 'Monthly Customer Segment Performance Report' "$T/body" && grep -q '0 6 1 \* \*' "$T/body" && ok ||
    bad "the list page lacks a title or schedule"

# The queue: one worker, one waiting; the third distinct render is refused.
codes=""
for m in 2023-06 2023-07 2023-08 2023-09; do
    c=$(req "$T/q$m" -D "$T/qh$m" -H 'Content-Type: application/json' -d "{\"parameters\":{\"from\":\"$m\"}}" \
        "$URL/api/reports/monthly_segments/runs")
    codes="$codes $c"
done
echo "$codes" | grep -q 503 && ok || bad "the queue took more than it holds:$codes"
grep -qi '^retry-after:' $(grep -l ' 503' "$T"/qh* | head -1) 2>/dev/null && ok || bad "a 503 without Retry-After"
status 200 "metrics" "$URL/metrics"
grep -q '^quire_serve_runs_total{status="done"} [1-9]' "$T/body" && ok || bad "metrics: no done runs"
grep -q '^quire_serve_runs_total{status="failed"} [1-9]' "$T/body" && ok || bad "metrics: no failed run"
grep -q '^quire_serve_cache_hits_total [1-9]' "$T/body" && ok || bad "metrics: no cache hit"
grep -q '^quire_serve_queue_length [0-9]' "$T/body" && ok || bad "metrics: no queue length"
grep -q '^quire_serve_run_duration_seconds_bucket{le="+Inf"} [1-9]' "$T/body" && ok || bad "metrics: no histogram"
grep -q '^# TYPE quire_serve_rate_limited_total counter' "$T/body" && ok || bad "metrics: no rate limit counter"

# SIGTERM while a render may still run: a clean exit, status 0.
kill -TERM "$srv"
wait "$srv"
rc=$?
srv=""
[ "$rc" -eq 0 ] && ok || bad "SIGTERM: exit $rc"
grep -q "quire serve: stopped" "$T/server.log" && ok || bad "no clean stop in the log"
grep -c 'status=' "$T/access.log" | grep -q '^[1-9]' && ok || bad "no access log"
grep -q 'time=.* client=127.0.0.1 method=GET path=/healthz status=200' "$T/access.log" && ok || bad "access log format"

# ---- authentication: users and tokens make it required.
QUIRE_PASSWORD=viewer-secret-1 "$QUIRE" user add vera --role viewer --state "$T/state.db" 2>/dev/null &&
    ok || bad "user add"
printf 'editor-secret-2\n' >"$T/pw"
"$QUIRE" user add ed --role editor --state "$T/state.db" --password-file "$T/pw" 2>/dev/null && ok || bad "user add (file)"
exits 1 "a short password" env QUIRE_PASSWORD=short "$QUIRE" user add bob --role viewer --state "$T/state.db"
exits 1 "no password" env -u QUIRE_PASSWORD "$QUIRE" user add bob --role viewer --state "$T/state.db"
"$QUIRE" token add vera --role viewer --state "$T/state.db" --out "$T/vt" 2>/dev/null && ok || bad "token add"
ET=$("$QUIRE" token add ed --role editor --state "$T/state.db" 2>/dev/null)
VT=$(cat "$T/vt")
[ "$(stat -c %a "$T/vt")" = 600 ] && ok || bad "the token file is not 0600"
case $ET in qt_*) ok;; *) bad "token add printed: $ET";; esac
python3 -c 'import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
rows=list(c.execute("select hash from serve_tokens"))+list(c.execute("select password from serve_users"))
blob=repr(rows)
sys.exit(1 if any(s in blob for s in sys.argv[2:]) else 0)' "$T/state.db" "$VT" "$ET" viewer-secret-1 editor-secret-2 &&
    ok || bad "a secret is stored in the clear"

start
status 401 "no token" "$URL/api/reports"
grep -qi 'www-authenticate: Bearer' "$T/body" 2>/dev/null || true
status 401 "a wrong token" -H "Authorization: Bearer qt_$(printf '%064d' 7)" "$URL/api/reports"
status 401 "not a bearer" -H "Authorization: Basic dmVyYTp2aWV3ZXItc2VjcmV0LTE=" "$URL/api/reports"
status 401 "metrics need a token" "$URL/metrics"
status 200 "healthz stays open" "$URL/healthz"
status 200 "viewer lists" -H "Authorization: Bearer $VT" "$URL/api/reports"
status 200 "viewer runs" -H "Authorization: Bearer $VT" -d 'from=2024-03' "$URL/api/reports/monthly_segments/runs"
status 200 "viewer reads" -H "Authorization: Bearer $VT" "$URL/api/runs/$ID/report.pdf"
status 403 "viewer deletes a run (editor only)" -X DELETE -H "Authorization: Bearer $VT" "$URL/api/runs/$BID"
status 200 "editor deletes a run" -X DELETE -H "Authorization: Bearer $ET" "$URL/api/runs/$BID"
status 404 "the deleted run" -H "Authorization: Bearer $ET" "$URL/api/runs/$BID"
# Subscriptions and alerts: editors only.
status 403 "viewer adds an alert" -H "Authorization: Bearer $VT" -H 'Content-Type: application/json' \
    -d '{"kpi":"churn_risk_score","segment":"VIP","condition":"value > 50","email":"ops@example.com"}' \
    "$URL/api/reports/monthly_segments/alerts"
status 403 "viewer subscribes" -H "Authorization: Bearer $VT" -H 'Content-Type: application/json' \
    -d '{"channel":"email","address":"a@example.com"}' "$URL/api/reports/monthly_segments/subscriptions"
status 403 "viewer lists subscriptions" -H "Authorization: Bearer $VT" "$URL/api/reports/monthly_segments/subscriptions"
status 201 "editor adds an alert" -H "Authorization: Bearer $ET" -H 'Content-Type: application/json' \
    -d '{"kpi":"churn_risk_score","segment":"VIP","condition":"value > 50","email":"ops@example.com"}' \
    "$URL/api/reports/monthly_segments/alerts"
AID=$(jget "$T/body" id)
[ "$(jget "$T/body" condition)" = "value > 50" ] && ok || bad "alert: $(cat "$T/body")"
status 400 "an alert on no KPI" -H "Authorization: Bearer $ET" -H 'Content-Type: application/json' \
    -d '{"kpi":"nothing","condition":"value > 50","email":"ops@example.com"}' \
    "$URL/api/reports/monthly_segments/alerts"
status 400 "a bad condition" -H "Authorization: Bearer $ET" -H 'Content-Type: application/json' \
    -d '{"kpi":"churn_risk_score","condition":"value ~ 50","email":"ops@example.com"}' \
    "$URL/api/reports/monthly_segments/alerts"
status 201 "editor subscribes" -H "Authorization: Bearer $ET" -H 'Content-Type: application/json' \
    -d '{"channel":"email","address":"a@example.com"}' "$URL/api/reports/monthly_segments/subscriptions"
SID=$(jget "$T/body" id)
status 400 "a webhook's token from any variable" -H "Authorization: Bearer $ET" -H 'Content-Type: application/json' \
    -d '{"channel":"webhook","address":"https://hooks.example.com/q","token_env":"PGPASSWORD"}' \
    "$URL/api/reports/monthly_segments/subscriptions"
status 409 "a report without a schedule" -H "Authorization: Bearer $ET" -H 'Content-Type: application/json' \
    -d '{"channel":"email","address":"a@example.com"}' "$URL/api/reports/broken/subscriptions"
status 200 "editor lists" -H "Authorization: Bearer $ET" "$URL/api/reports/monthly_segments/alerts"
[ "$(jget "$T/body" alerts.0.id)" = "$AID" ] && [ "$(jget "$T/body" subscriptions.0.address)" = a@example.com ] &&
    ok || bad "list: $(cat "$T/body")"
"$QUIRE" alerts list --state "$T/state.db" 2>/dev/null | grep -q "churn_risk_score" && ok ||
    bad "the alert is not in the ledger the scheduler reads"
status 403 "viewer removes an alert" -X DELETE -H "Authorization: Bearer $VT" "$URL/api/alerts/$AID"
status 200 "editor removes the subscription" -X DELETE -H "Authorization: Bearer $ET" "$URL/api/subscriptions/$SID"
status 200 "editor removes the alert" -X DELETE -H "Authorization: Bearer $ET" "$URL/api/alerts/$AID"
status 404 "removed twice" -X DELETE -H "Authorization: Bearer $ET" "$URL/api/alerts/$AID"
status 303 "pages need a session" "$URL/"
# Sign in through the form.
rm -f "$T/jar"
status 200 "sign-in page" -c "$T/jar" "$URL/login"
CSRF=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/body" | head -1)
status 403 "sign-in without CSRF" -b "$T/jar" --data-urlencode 'user=vera' --data-urlencode 'password=viewer-secret-1' "$URL/login"
status 401 "wrong password" -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode 'user=vera' \
    --data-urlencode 'password=nope-nope-nope' "$URL/login"
status 303 "sign in" -D "$T/h" -b "$T/jar" -c "$T/jar" --data-urlencode "csrf=$CSRF" \
    --data-urlencode 'user=vera' --data-urlencode 'password=viewer-secret-1' "$URL/login"
grep -i '^set-cookie: quire_sid=' "$T/h" | grep -i 'HttpOnly' | grep -qi 'SameSite=Strict' && ok ||
    bad "the session cookie lacks HttpOnly or SameSite=Strict: $(grep -i set-cookie "$T/h")"
status 200 "the list, signed in" -b "$T/jar" "$URL/"
grep -q 'vera (viewer)' "$T/body" && ok || bad "not signed in as vera"
status 403 "a viewer's session deletes a run" -X DELETE -b "$T/jar" "$URL/api/runs/$ID"
CSRF=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/body" | head -1)
status 403 "a viewer's form adds an alert" -b "$T/jar" --data-urlencode "csrf=$CSRF" \
    --data-urlencode 'kpi=churn_risk_score' --data-urlencode 'condition=value > 50' \
    --data-urlencode 'email=ops@example.com' "$URL/reports/monthly_segments/alerts"
# An editor's session: the forms on the report's page.
rm -f "$T/jar"
req "$T/body" -c "$T/jar" "$URL/login" >/dev/null
CSRF=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/body" | head -1)
status 303 "editor signs in" -b "$T/jar" -c "$T/jar" --data-urlencode "csrf=$CSRF" \
    --data-urlencode 'user=ed' --data-urlencode 'password=editor-secret-2' "$URL/login"
status 200 "editor's report page" -b "$T/jar" "$URL/reports/monthly_segments"
grep -q 'id="add-alert"' "$T/body" && grep -q 'id="subscribe"' "$T/body" && ok || bad "no alert or subscription form"
CSRF=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/body" | head -1)
status 403 "alert form without CSRF" -b "$T/jar" --data-urlencode 'kpi=churn_risk_score' \
    --data-urlencode 'condition=value > 50' --data-urlencode 'email=ops@example.com' \
    "$URL/reports/monthly_segments/alerts"
status 303 "alert form" -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode 'kpi=churn_risk_score' \
    --data-urlencode 'segment=VIP' --data-urlencode 'condition=change > 10%' \
    --data-urlencode 'email=ops@example.com' "$URL/reports/monthly_segments/alerts"
status 400 "alert form with a bad address" -b "$T/jar" --data-urlencode "csrf=$CSRF" \
    --data-urlencode 'kpi=churn_risk_score' --data-urlencode 'condition=change > 10%' \
    --data-urlencode 'email=<b>not an address' "$URL/reports/monthly_segments/alerts"
grep -q 'id="manage-error"' "$T/body" && ok || bad "the form's error is not shown"
grep -q '<b>' "$T/body" && bad "a raw <b> in the page" || ok
status 303 "subscription form" -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode 'channel=email' \
    --data-urlencode 'address=team@example.com' "$URL/reports/monthly_segments/subscriptions"
status 200 "the report page lists them" -b "$T/jar" "$URL/reports/monthly_segments"
grep -q 'team@example.com' "$T/body" && grep -q 'change &gt; 10%' "$T/body" && ok || bad "not listed"
stop_server

# Rate limit: a burst beyond it gets 429. The 40 requests go from one curl
# process over one connection, so a slow machine does not spread them over
# the seconds that would refill the bucket (a burst of 10, 2 a second).
start --rate-limit 2
urls=""
for i in $(seq 40); do urls="$urls -o /dev/null $URL/healthz"; done
# shellcheck disable=SC2086 # "-o /dev/null URL" for each request
curl -s -w '%{http_code}\n' $urls >"$T/codes"
n200=$(grep -c '^200$' "$T/codes") n429=$(grep -c '^429$' "$T/codes")
[ "$n200" -ge 10 ] && [ "$n429" -gt 0 ] && [ $((n200 + n429)) -eq 40 ] && ok ||
    bad "a burst of 40 past the rate limit: $n200 ok, $n429 refused (429)"
stop_server

# Off the loopback address: refused without TLS.
exits 1 "listen off loopback without TLS" "$QUIRE" serve --reports "$T/reports" --state "$T/state.db" \
    --listen 0.0.0.0:0
grep -q "refusing to listen" "$T/err" && ok || bad "no refusal message: $(cat "$T/err")"
exits 1 "a key without a certificate" "$QUIRE" serve --reports "$T/reports" --state "$T/state.db" \
    --listen 127.0.0.1:0 --tls-key "$T/pw"
# TLS on loopback: HTTPS, Secure cookies.
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 >/dev/null 2>&1; then
    URL_SCHEME=https start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
    status 200 "https" -k -H "Authorization: Bearer $VT" "$URL/api/reports"
    status 200 "https sign-in page" -k -D "$T/h" "$URL/login"
    grep -i '^set-cookie:' "$T/h" | grep -qi 'Secure' && ok || bad "no Secure cookie under TLS"
    grep -qi '^strict-transport-security:' "$T/h" && ok || bad "no HSTS under TLS"
    stop_server
else
    bad "openssl could not make a test certificate"
fi

# No secret in any log.
for s in "$VT" "$ET" viewer-secret-1 editor-secret-2; do
    if grep -qF -- "$s" "$T/access.log" "$T/server.log"; then bad "a secret is in a log"; else ok; fi
done
done_checks serve_api
