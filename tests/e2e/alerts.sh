# Subscriptions, alerts and the emails' summary against a local SMTP server
# and webhook receiver (127.0.0.1, started here): a subscriber gets each run
# once; an alert fires once for a breach, not again after a restart or a
# second pass over the same period, and again for the next period in
# breach; the scheduled email is text and HTML (the tiles' values those of
# kpis.csv) with the PDF attached; no secret in logs or errors.
. tests/lib.sh
PY=tests/fixtures
pids=""
stop_servers() { for p in $pids; do kill "$p" 2>/dev/null; done; [ -n "$KEEP" ] && cp -r "$T" "$KEEP"; rm -rf "$T"; }
trap stop_servers EXIT

"$QUIRE" sample --out "$T/data" --customers 300 --orders 3000 --months 24 --from 2023-01 \
    >/dev/null 2>&1 || { bad "quire sample failed"; done_checks alerts; exit 1; }

start_server() {
    name=$1 script=$2; shift 2
    python3 "$PY/$script" "$T/$name" "$T/$name.port" "$@" 2>"$T/$name.log" &
    pids="$pids $!"
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$T/$name.port" 2>/dev/null)
}
start_server mail smtp_server.py --auth quire:smtp-Secret-77
SMTP=$PORT
start_server hook webhook_server.py --token hook-Secret-42
HOOK=$PORT
[ -n "$SMTP" ] && [ -n "$HOOK" ] && ok || { bad "test servers did not start"; done_checks alerts; exit 1; }

sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print('|'.join(map(str,r))) for r in c.execute(sys.argv[2])]" "$@"; }
count() { ls "$1" 2>/dev/null | grep -c "$2"; }
mails_to() { grep -l "X-Envelope-To: $1" "$T"/mail/*.eml 2>/dev/null | wc -l; }

sed -e "s#\.\./scripts/#$PWD/scripts/#" reports/monthly_segments.yaml |
    awk '/^schedule:/{skip=1; next} skip && /^[^ #]/{skip=0} !skip' >"$T/spec.yaml"
cat >>"$T/spec.yaml" <<YAML
schedule:
  name: monthly
  cron: "0 6 1 * *"
  tz: Europe/Berlin
  period: previous_month
  show: 12
  catch_up: latest
  retries: 2
  backoff: 60s
  deliver:
    - email: [owner@example.com]
      smtp_url: "smtp://127.0.0.1:$SMTP"
      from: quire@example.com
      subject: "Report {period}"
      username_env: T_SMTP_USER
      password_env: T_SMTP_PASSWORD
      tls: never
YAML
export T_SMTP_USER=quire T_SMTP_PASSWORD=smtp-Secret-77 T_HOOK_TOKEN=hook-Secret-42
S=$T/state.db
P="--param data=$T/data"

# The numbers the alerts and the summary must match: the run's KPIs as
# kpis.csv has them (the run of 2024-05-01 shows May 2023 to April 2024).
exits 0 "export kpis.csv" "$QUIRE" run "$T/spec.yaml" -o "$T/ref.pdf" --export "$T/ref" $P \
    --param from=2023-05 --param to=2024-04
kpi() { awk -F, -v p="$1" -v s="$2" -v k="$3" '$1==p && $2==s && $3==k {print $4}' "$T/ref/kpis.csv"; }
AR_APR=$(kpi 2024-04 "At Risk" customer_count)
AR_MAR=$(kpi 2024-03 "At Risk" customer_count)
[ -n "$AR_APR" ] && [ -n "$AR_MAR" ] && ok || bad "no At Risk customer_count in kpis.csv"

# 1. Subscriptions and alerts, added before the scheduler's first pass.
exits 0 "subscribe an email" "$QUIRE" subscribe monthly --email sub@example.com --state "$S"
SUB1=$(cat "$T/out")
exits 0 "subscribe a webhook" "$QUIRE" subscribe monthly --webhook "http://127.0.0.1:$HOOK/sub" \
    --token-env T_HOOK_TOKEN --format json --state "$S"
exits 1 "the same address twice" "$QUIRE" subscribe monthly --email sub@example.com --state "$S"
contains "$T/err" "already subscribed"
exits 1 "not an address" "$QUIRE" subscribe monthly --email "a@b.com
RCPT TO:<c@d.com>" --state "$S"
exits 0 "subscriptions list" "$QUIRE" subscriptions list --state "$S"
contains "$T/out" "sub@example.com"
contains "$T/out" "T_HOOK_TOKEN"
# A breach: At Risk has customers in April. Its size compared with itself,
# so the alert fires whatever the sample holds.
exits 0 "an alert on a value" "$QUIRE" alert monthly --kpi customer_count --segment "At Risk" \
    --if "value >= $AR_APR" --name "At Risk size" --email ops@example.com \
    --webhook "http://127.0.0.1:$HOOK/alert" --token-env T_HOOK_TOKEN --state "$S"
A1=$(cat "$T/out")
exits 0 "an alert that does not breach" "$QUIRE" alert monthly --kpi customer_count \
    --segment "At Risk" --if "value > 1000000" --email quiet@example.com --state "$S"
exits 0 "an alert on the change" "$QUIRE" alert monthly --kpi customer_count --segment "At Risk" \
    --if "change > -100%" --name "At Risk change" --email change@example.com --state "$S"
exits 0 "an alert on a KPI the report has not" "$QUIRE" alert monthly --kpi no_such_kpi \
    --if "value > 1" --email never@example.com --state "$S"
exits 1 "a condition that is not one" "$QUIRE" alert monthly --kpi customer_count \
    --if "value => 5" --email x1@example.com --state "$S"
contains "$T/err" "is not \"value OP NUMBER\""

# 2. The run of 2024-05-01 (period 2024-04).
exits 0 "run-due at the fire time" "$QUIRE" run-due "$T/spec.yaml" --state "$S" \
    --now 2024-05-01T04:00:30Z --base-url https://quire.example.com/ $P -v
cp "$T/err" "$T/pass1.err"
[ "$(mails_to owner@example.com)" -eq 1 ] && ok || bad "owner@: $(mails_to owner@example.com) emails"
[ "$(mails_to sub@example.com)" -eq 1 ] && ok || bad "subscriber: $(mails_to sub@example.com) emails"
[ "$(mails_to ops@example.com)" -eq 1 ] && ok || bad "alert email: $(mails_to ops@example.com)"
[ "$(mails_to change@example.com)" -eq 1 ] && ok || bad "change alert email: $(mails_to change@example.com)"
[ "$(mails_to quiet@example.com)" -eq 0 ] && ok || bad "an alert that does not breach fired"
[ "$(mails_to never@example.com)" -eq 0 ] && ok || bad "an alert without a value fired"
contains "$T/pass1.err" "no value of no_such_kpi"
[ "$(count "$T/hook" body)" -eq 2 ] && ok || bad "webhooks: $(count "$T/hook" body), wanted 2"
[ "$(sql "$S" "select status from runs")" = done ] && ok || bad "run: $(sql "$S" "select status, error from runs")"
[ "$(sql "$S" "select count(*) from alert_events where alert_id=$A1 and period='2024-04'")" = 1 ] && ok || bad "alert event not recorded"

# The alert's email: value, threshold, report, segment, period, link.
AM=$(grep -l "X-Envelope-To: ops@example.com" "$T"/mail/*.eml)
contains "$AM" "Subject: Quire alert: At Risk size (monthly, 2024-04)"
contains "$AM" "Value: $AR_APR"
contains "$AM" "Threshold: value >= $AR_APR"
contains "$AM" "Segment: At Risk"
contains "$AM" "Period: 2024-04"
contains "$AM" "Report page: https://quire.example.com/reports/monthly?period=2024-04"
CM=$(grep -l "X-Envelope-To: change@example.com" "$T"/mail/*.eml)
contains "$CM" "from $AR_MAR the month before"
# The alert's webhook: JSON with the same numbers, the token sent.
AH=$(grep -l '"name": "At Risk size"' "$T"/hook/*.body)
contains "${AH%.body}.headers" "Authorization: Bearer (checked)"
python3 - "$AH" "$AR_APR" <<'PYEOF' && ok || bad "alert webhook body"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["report"] == "monthly" and d["period"] == "2024-04" and d["segment"] == "At Risk", d
assert d["kpi"] == "customer_count" and d["op"] == ">=" and d["value"] == float(sys.argv[2]), d
assert d["threshold"] == float(sys.argv[2]), d
assert d["link"] == "https://quire.example.com/reports/monthly?period=2024-04", d
PYEOF

# 3. The scheduled email: multipart/mixed of a multipart/alternative (text
#    and HTML summary) and the PDF; the tiles' values are kpis.csv's.
OM=$(grep -l "X-Envelope-To: owner@example.com" "$T"/mail/*.eml)
RUNPDF=$(sql "$S" "select output from runs where period='2024-04' and rerun=0")
python3 - "$OM" "$T/ref/kpis.csv" "$T/mailed.pdf" "$RUNPDF" <<'PYEOF' && ok || bad "the scheduled email's parts"
import csv, email, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
assert msg.get_content_type() == "multipart/mixed", msg.get_content_type()
parts = msg.get_payload()
assert [p.get_content_type() for p in parts] == ["multipart/alternative", "application/pdf"], parts
alt = parts[0].get_payload()
assert [p.get_content_type() for p in alt] == ["text/plain", "text/html"], alt
text = alt[0].get_payload(decode=True).decode("utf-8")
html = alt[1].get_payload(decode=True).decode("utf-8")
open(sys.argv[3], "wb").write(parts[1].get_payload(decode=True))
# All customers' count in April: the sum of the segments' in kpis.csv.
rows = list(csv.DictReader(open(sys.argv[2])))
total = sum(float(r["value"]) for r in rows if r["period"] == "2024-04" and r["kpi"] == "customer_count")
shown = "{:,}".format(int(total))
m = re.search(r"Customers?[^:\n]*: ([0-9,]+)", text)
assert m and m.group(1) == shown, (m and m.group(1), shown, text[:600])
assert shown in html, "tile value not in the HTML"
assert "<script" not in html.lower() and "<style" not in html.lower()
assert "style=" in html
# the summary whole, as the run wrote it beside its PDF
side_text = open(sys.argv[4] + ".summary.txt", encoding="utf-8").read()
side_html = open(sys.argv[4] + ".summary.html", encoding="utf-8").read()
assert text.replace("\r\n", "\n").endswith("\n\n" + side_text), "the text part's summary"
assert side_html in html.replace("\r\n", "\n"), "the HTML part's summary"
assert side_html.rstrip().endswith("</div>")
# the top answers are there, in both
assert "Which segments are growing or shrinking the fastest?" in text
assert "Which segments are growing or shrinking the fastest?" in html
PYEOF
check "the mailed PDF passes qpdf --check" qpdf --check "$T/mailed.pdf"

# 4. A restart at the same --now, then a second pass: nothing sent again.
NM=$(count "$T/mail" eml); NH=$(count "$T/hook" body)
exits 0 "run-due again at the same time" "$QUIRE" run-due "$T/spec.yaml" --state "$S" \
    --now 2024-05-01T04:00:30Z --base-url https://quire.example.com $P
exits 0 "run-due later" "$QUIRE" run-due "$T/spec.yaml" --state "$S" \
    --now 2024-05-01T05:00:00Z --base-url https://quire.example.com $P
[ "$(count "$T/mail" eml)" -eq "$NM" ] && [ "$(count "$T/hook" body)" -eq "$NH" ] && ok || bad "sent again after a restart"
# A forced rerun of the period is a new run: its subscribers get it, but the
# alert for this period was sent and is not sent again.
exits 0 "rerun --force" "$QUIRE" rerun "$T/spec.yaml" 2024-04 --force --state "$S" \
    --now 2024-05-01T05:10:00Z $P
[ "$(mails_to ops@example.com)" -eq 1 ] && ok || bad "the alert was sent again by a forced rerun"
[ "$(mails_to sub@example.com)" -eq 2 ] && ok || bad "subscriber did not get the forced rerun"

# 5. Killed after the alert was recorded but before it was sent: sent once
#    on restart. (The delivery is left pending, as a crash leaves it.)
exits 0 "the next period" "$QUIRE" run-due "$T/spec.yaml" --state "$S" \
    --now 2024-06-01T04:00:30Z $P
# At Risk in May against the value of April: breached or not, as kpis.csv says;
# the change alert (any change above -100 %) fires for the new period.
[ "$(mails_to change@example.com)" -eq 2 ] && ok || bad "change alert, new period: $(mails_to change@example.com)"
[ "$(sql "$S" "select count(*) from alert_events where period='2024-05'")" -ge 1 ] && ok || bad "no event for 2024-05"
exits 0 "the next period again" "$QUIRE" run-due "$T/spec.yaml" --state "$S" \
    --now 2024-06-01T04:00:30Z $P
[ "$(mails_to change@example.com)" -eq 2 ] && ok || bad "change alert sent twice for 2024-05"

# 6. Remove: no more deliveries to them.
exits 0 "subscriptions rm" "$QUIRE" subscriptions rm "$SUB1" --state "$S"
exits 1 "subscriptions rm again" "$QUIRE" subscriptions rm "$SUB1" --state "$S"
exits 0 "alerts list" "$QUIRE" alerts list --state "$S"
contains "$T/out" "At Risk size"
contains "$T/out" "fired: 2024-05 2024-04"
exits 0 "alerts rm" "$QUIRE" alerts rm "$A1" --state "$S"
exits 0 "the period after" "$QUIRE" run-due "$T/spec.yaml" --state "$S" \
    --now 2024-07-01T04:00:30Z $P
[ "$(mails_to sub@example.com)" -eq 3 ] && ok || bad "an unsubscribed address got a run: $(mails_to sub@example.com)"
[ "$(mails_to ops@example.com)" -le 2 ] && ok || bad "a removed alert fired"

# 7. The daemon, stopped and started again at the same time: the alert of
#    its run fires once.
sed -e 's/name: monthly/name: daemon/' "$T/spec.yaml" >"$T/daemon.yaml"
exits 0 "an alert for the daemon" "$QUIRE" alert daemon --kpi customer_count \
    --if "value > 0" --email daemon-ops@example.com --state "$T/daemon.db"
for n in 1 2; do
    "$QUIRE" schedule "$T/daemon.yaml" --state "$T/daemon.db" --now 2024-05-01T04:00:30Z $P \
        2>>"$T/daemon.err" &
    dpid=$!
    i=0
    while [ "$(sql "$T/daemon.db" "select count(*) from runs where status='done'")" != 1 ] && [ $i -lt 600 ]; do
        sleep 0.1; i=$((i + 1))
    done
    sleep 0.3
    kill -TERM $dpid 2>/dev/null
    wait $dpid
done
[ "$(mails_to daemon-ops@example.com)" -eq 1 ] && ok || bad "daemon alert: $(mails_to daemon-ops@example.com) emails"

# 8. SIGKILL at random moments while four runs, each breaching an alert, are
#    caught up; then a last pass finishes the work. Each (alert, period) is
#    one event, sent to its target under one Message-ID (email is at least
#    once: a kill between the server's answer and the ledger's record sends
#    the same message again, which the Message-ID lets a mail system drop).
sed -e 's/name: monthly/name: crash/' -e 's/catch_up: latest/catch_up: all\n  catch_up_max: 4/' \
    "$T/spec.yaml" >"$T/crash.yaml"
C=$T/crash.db
exits 0 "an alert for the crash runs" "$QUIRE" alert crash --kpi customer_count \
    --if "value > 0" --email crash-ops@example.com --state "$C"
exits 0 "the crash report's first pass" "$QUIRE" run-due "$T/crash.yaml" --state "$C" \
    --now 2024-01-01T05:05:00Z $P -q
i=0
while [ $i -lt 8 ]; do
    "$QUIRE" schedule "$T/crash.yaml" --state "$C" --now 2024-05-15T12:00:00Z $P -q 2>/dev/null &
    k=$!
    sleep "0.$(od -An -N1 -tu1 /dev/urandom | awk '{printf "%02d", $1 % 90}')"
    kill -KILL $k 2>/dev/null
    wait $k 2>/dev/null
    i=$((i + 1))
done
for n in 1 2 3 4; do
    timeout 120 "$QUIRE" run-due "$T/crash.yaml" --state "$C" --now 2024-05-15T12:00:00Z $P -q
    [ "$(sql "$C" "select count(*) from runs where status in ('pending','running','abandoned','delivering')")" = 0 ] && break
done
[ "$(sql "$C" "select count(*) from runs where status='done'")" = 5 ] && ok || bad "crash: runs: $(sql "$C" "select period, status from runs")"
[ "$(sql "$C" "select count(*) from alert_events")" = 5 ] && ok || bad "crash: events: $(sql "$C" "select period from alert_events")"
[ "$(sql "$C" "select count(*) from deliveries where channel='alert' and status='sent'")" = 5 ] && ok || bad "crash: alert deliveries: $(sql "$C" "select status, recipient from deliveries where channel='alert'")"
python3 - "$T/mail" <<'PYEOF' && ok || bad "crash: alert emails by period"
import email, glob, sys
ids = {}
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"))
    if m["X-Envelope-To"] != "crash-ops@example.com":
        continue
    period = m["Subject"].split()[-1].rstrip(")")
    ids.setdefault(period, set()).add(m["Message-ID"])
assert sorted(ids) == ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"], ids
assert all(len(v) == 1 for v in ids.values()), ids
PYEOF

# 9. Secrets: never in the ledger, the logs or the errors.
for f in "$T"/*.err "$T/err" "$T/out" "$T/mail.log" "$T/hook.log"; do
    [ -f "$f" ] || continue
    if grep -q -e "smtp-Secret-77" -e "hook-Secret-42" "$f"; then bad "a secret in $f"; else ok; fi
done
if sql "$S" "select * from deliveries" "select * from subscriptions" | grep -q "Secret"; then bad "a secret in the ledger"; else ok; fi
strings "$S" | grep -q "Secret" && bad "a secret in the state file" || ok

done_checks alerts
