# Scheduling and delivery against a local SMTP server and webhook receiver
# (127.0.0.1, started here): delivery, per-recipient retry, no duplicate after
# a restart, catch-up policies, the single-scheduler lock, SIGTERM, and
# SIGKILL at random moments twenty times.
. tests/lib.sh
PY=tests/fixtures
pids=""
stop_servers() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap stop_servers EXIT

"$QUIRE" sample --out "$T/data" --customers 300 --orders 3000 --months 24 --from 2023-01 \
    >/dev/null 2>&1 || { bad "quire sample failed"; done_checks schedule; exit 1; }

# start_server NAME SCRIPT ARGS...: sets PORT
start_server() {
    name=$1 script=$2; shift 2
    python3 "$PY/$script" "$T/$name" "$T/$name.port" "$@" 2>"$T/$name.log" &
    pids="$pids $!"
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$T/$name.port" 2>/dev/null)
}
start_server mail smtp_server.py --fail-rcpt b@example.com:1
SMTP=$PORT
start_server hook webhook_server.py --fail 1
HOOK=$PORT
[ -n "$SMTP" ] && [ -n "$HOOK" ] && ok || { bad "test servers did not start"; done_checks schedule; exit 1; }

# make_spec FILE SCHEDULE-YAML: the stock report with paths made absolute.
make_spec() {
    sed -e "s#\.\./scripts/#$PWD/scripts/#" reports/monthly_segments.yaml |
        awk '/^schedule:/{skip=1; next} skip && /^[^ #]/{skip=0} !skip' >"$1"
    printf '%s\n' "$2" >>"$1"
}
sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print('|'.join(map(str,r))) for r in c.execute(sys.argv[2])]" "$@"; }
count() { ls "$1" 2>/dev/null | grep -c "$2"; }

make_spec "$T/full.yaml" "schedule:
  name: monthly
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  period: previous_month
  catch_up: latest
  retries: 3
  backoff: 60s
  deliver:
    - { folder: $T/archive, name: \"{report}-{period}.pdf\" }
    - { email: [a@example.com, b@example.com], smtp_url: \"smtp://127.0.0.1:$SMTP\", from: quire@example.com, subject: \"Report {period}, {to:month}\" }
    - { webhook: \"http://127.0.0.1:$HOOK/hook\", format: json }
  on_failure: { email: ops@example.com }"

exits 0 "validate with a schedule" "$QUIRE" validate "$T/full.yaml" --param data="$T/data"
exits 0 "next --spec" "$QUIRE" next --spec "$T/full.yaml" --from 2024-01-15T00:00:00 -n 2 --param data="$T/data"
contains "$T/out" "2024-02-01T06:00:00+01:00  period 2024-01 (2024-01 to 2024-01)"

# 1. First pass at 06:00:30 Berlin: a@ and the folder get it, b@ (451) and the
#    webhook (500) fail once and wait for their retry.
S=$T/state.db
exits 3 "run-due with failing recipients" "$QUIRE" run-due "$T/full.yaml" --state "$S" \
    --now 2024-05-01T04:00:30Z --param data="$T/data"
contains "$T/err" "b@example.com"
[ -f "$T/archive/monthly-2024-04.pdf" ] && ok || bad "folder delivery missing"
check "archived PDF passes qpdf --check" qpdf --check "$T/archive/monthly-2024-04.pdf"
[ "$(count "$T/mail" eml)" -eq 1 ] && ok || bad "expected 1 email after pass 1, got $(count "$T/mail" eml)"
grep -l "X-Envelope-To: a@example.com" "$T"/mail/*.eml >/dev/null 2>&1 && ok || bad "a@ did not get the first email"
[ "$(sql "$S" "select status from deliveries where recipient='b@example.com'")" = retrying ] && ok || bad "b@ is not retrying"
# 2. Before the backoff: nothing is sent again.
exits 0 "run-due before the retry time" "$QUIRE" run-due "$T/full.yaml" --state "$S" \
    --now 2024-05-01T04:01:00Z --param data="$T/data"
[ "$(count "$T/mail" eml)" -eq 1 ] && ok || bad "sent before the backoff"
# 3. After it: b@ and the webhook succeed; a@ is not sent it again.
exits 0 "run-due after the retry time" "$QUIRE" run-due "$T/full.yaml" --state "$S" \
    --now 2024-05-01T04:02:00Z --param data="$T/data"
[ "$(count "$T/mail" eml)" -eq 2 ] && ok || bad "expected 2 emails, got $(count "$T/mail" eml)"
[ "$(grep -l "X-Envelope-To: a@example.com" "$T"/mail/*.eml | wc -l)" -eq 1 ] && ok || bad "a@ got the report twice"
[ "$(grep -l "X-Envelope-To: b@example.com" "$T"/mail/*.eml | wc -l)" -eq 1 ] && ok || bad "b@ did not get the report once"
[ "$(count "$T/hook" body)" -eq 1 ] && ok || bad "webhook deliveries: $(count "$T/hook" body)"
contains "$T/hook/0001.body" '"period": "2024-04"'
contains "$T/hook/0001.headers" "Idempotency-Key: quire.monthly."
[ "$(sql "$S" "select status from runs")" = done ] && ok || bad "run not done: $(sql "$S" "select status, error from runs")"
# The attachment is a PDF qpdf accepts, for each recipient.
for f in "$T"/mail/*.eml; do
    python3 - "$f" "$T/att.pdf" <<'PYEOF' && check "emailed PDF passes qpdf --check" qpdf --check "$T/att.pdf" || bad "no PDF attachment in $f"
import email, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
parts = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
assert len(parts) == 1
open(sys.argv[2], "wb").write(parts[0].get_payload(decode=True))
PYEOF
done
grep -q "^Subject: Report 2024-04, April 2024" "$T/mail/0001.eml" && ok || bad "subject template"
# 4. A restart (a new pass) sends nothing again.
exits 0 "run-due again" "$QUIRE" run-due "$T/full.yaml" --state "$S" --now 2024-05-01T05:00:00Z --param data="$T/data"
[ "$(count "$T/mail" eml)" -eq 2 ] && [ "$(count "$T/hook" body)" -eq 1 ] && ok || bad "duplicate after restart"
exits 0 "history" "$QUIRE" history --state "$S" --deliveries --tz Europe/Berlin
contains "$T/out" "2024-05-01T06:00:00+02:00"
contains "$T/out" "b@example.com"

# 5. A render failure is recorded and notifies on_failure's address once.
exits 2 "a failing run" "$QUIRE" run-due "$T/full.yaml" --state "$S" --now 2024-06-01T04:00:30Z --param data="$T/nodata"
[ "$(sql "$S" "select status from runs where period='2024-05'")" = failed ] && ok || bad "failed run not recorded"
grep -l "X-Envelope-To: ops@example.com" "$T"/mail/*.eml >/dev/null 2>&1 && ok || bad "on_failure not notified"

# 6. Catch-up: down from 2024-01-01 to 2024-05-15; four monthly runs missed.
for policy in skip latest all; do
    make_spec "$T/cu-$policy.yaml" "schedule:
  name: cu-$policy
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  catch_up: $policy
  catch_up_max: 3
  deliver: [ { folder: $T/cu-$policy } ]"
    exits 0 "$policy: first pass" "$QUIRE" run-due "$T/cu-$policy.yaml" --state "$T/cu-$policy.db" --now 2024-01-01T05:05:00Z --param data="$T/data"
    exits 0 "$policy: after the gap" "$QUIRE" run-due "$T/cu-$policy.yaml" --state "$T/cu-$policy.db" --now 2024-05-15T12:00:00Z --param data="$T/data"
done
[ "$(ls "$T/cu-skip" | tr '\n' ' ')" = "cu-skip-2023-12.pdf " ] && ok || bad "skip: $(ls "$T/cu-skip")"
[ "$(sql "$T/cu-skip.db" "select count(*) from runs where status='skipped'")" = 4 ] && ok || bad "skip: missed runs not recorded"
[ "$(ls "$T/cu-latest" | tr '\n' ' ')" = "cu-latest-2023-12.pdf cu-latest-2024-04.pdf " ] && ok || bad "latest: $(ls "$T/cu-latest")"
[ "$(ls "$T/cu-all" | tr '\n' ' ')" = "cu-all-2023-12.pdf cu-all-2024-02.pdf cu-all-2024-03.pdf cu-all-2024-04.pdf " ] && ok || bad "all (cap 3): $(ls "$T/cu-all")"
pdftotext "$T/cu-all/cu-all-2024-02.pdf" - 2>/dev/null | grep -q "Feb 2024" && ok || bad "caught-up run does not report on its own period"
[ "$(sql "$T/cu-all.db" "select period_from||'/'||period_to from runs where period='2024-03'")" = "2024-03/2024-03" ] && ok || bad "period parameters"

# --now without an offset is read in the schedule's zone, as next --from is:
# 05:59 in Berlin is before the 06:00 fire (read as UTC it was 07:59 there).
make_spec "$T/zone.yaml" "schedule:
  name: zone
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  deliver: [ { folder: $T/zone } ]"
exits 0 "next --from in the zone" "$QUIRE" next --spec "$T/zone.yaml" --from 2024-05-01T05:59:00 -n 1 --param data="$T/data"
contains "$T/out" "2024-05-01T06:00:00+02:00"
exits 0 "first pass" "$QUIRE" run-due "$T/zone.yaml" --state "$T/zone.db" --now 2024-04-01T06:00:30 --param data="$T/data" -q
exits 0 "run-due --now in the zone" "$QUIRE" run-due "$T/zone.yaml" --state "$T/zone.db" --now 2024-05-01T05:59:00 --param data="$T/data" -v
[ "$(sql "$T/zone.db" "select count(*) from runs where period='2024-04'")" = 0 ] && ok || bad "--now without an offset was not read in the schedule's zone"
# -v says what was considered and why nothing ran.
contains "$T/err" "zone: no fire time after 2024-04-01T06:00:00+02:00 up to now (2024-05-01T05:59:00+02:00): nothing is due; the next is 2024-05-01T06:00:00+02:00"
exits 0 "run-due at the fire" "$QUIRE" run-due "$T/zone.yaml" --state "$T/zone.db" --now 2024-05-01T06:00:30 --param data="$T/data" -v
[ "$(sql "$T/zone.db" "select status from runs where period='2024-04'")" = done ] && ok || bad "the 06:00 fire did not run at 06:00:30 Berlin"
contains "$T/err" "zone: 1 fire time after 2024-04-01T06:00:00+02:00 up to now (2024-05-01T06:00:30+02:00): 2024-05-01T06:00:00+02:00 is due (period 2024-04)"
exits 0 "run-due earlier" "$QUIRE" run-due "$T/zone.yaml" --state "$T/zone.db" --now 2024-05-01T05:00:00 --param data="$T/data" -v
contains "$T/err" "zone: nothing to consider: the last fire time planned (2024-05-01T06:00:00+02:00) is not before now (2024-05-01T05:00:00+02:00)"
# Specs in different zones: a time without an offset would be ambiguous.
make_spec "$T/zone-ny.yaml" "schedule:
  name: zone-ny
  cron: \"0 6 1 * *\"
  tz: America/New_York
  deliver: [ { folder: $T/zone } ]"
exits 1 "--now without an offset, specs in two zones" "$QUIRE" run-due "$T/zone.yaml" "$T/zone-ny.yaml" --state "$T/zone2.db" --now 2024-05-01T05:59:00 --param data="$T/data"
contains "$T/err" "give the offset"
exits 0 "--now with an offset, specs in two zones" "$QUIRE" run-due "$T/zone.yaml" "$T/zone-ny.yaml" --state "$T/zone2.db" --now 2024-05-01T05:59:00+02:00 --param data="$T/data"

# A state file that is not a ledger: status 1 (a state-file error), not 3.
echo "this is not a database, it is a text file long enough to have a header" >"$T/junk.db"
exits 1 "a state file that is not a ledger" "$QUIRE" run-due "$T/cu-all.yaml" --state "$T/junk.db" --param data="$T/data"
contains "$T/err" "junk.db: error: file is not a database"

# 7. One scheduler per state file; SIGTERM stops it cleanly.
"$QUIRE" schedule "$T/cu-all.yaml" --state "$T/cu-all.db" --now 2024-05-15T12:00:00Z --param data="$T/data" 2>"$T/daemon.err" &
dpid=$!
sleep 0.5
exits 1 "a second scheduler" "$QUIRE" run-due "$T/cu-all.yaml" --state "$T/cu-all.db" --param data="$T/data"
contains "$T/err" "another scheduler is using this state file (pid $dpid)"
# Another name for the same file is the same ledger: a symlink, a hard link.
ln -s "$T/cu-all.db" "$T/cu-all-symlink.db"
ln "$T/cu-all.db" "$T/cu-all-hardlink.db"
exits 1 "a second scheduler through a symlink" "$QUIRE" run-due "$T/cu-all.yaml" --state "$T/cu-all-symlink.db" --param data="$T/data"
contains "$T/err" "another scheduler is using this state file (pid $dpid)"
exits 1 "a second scheduler through a hard link" "$QUIRE" run-due "$T/cu-all.yaml" --state "$T/cu-all-hardlink.db" --param data="$T/data"
contains "$T/err" "another scheduler is using this state file (pid $dpid)"
rm -f "$T/cu-all-symlink.db" "$T/cu-all-hardlink.db"
kill -TERM $dpid
timeout 10 sh -c "while kill -0 $dpid 2>/dev/null; do sleep 0.1; done"
wait $dpid; [ $? -eq 0 ] && ok || bad "scheduler did not exit 0 on SIGTERM"
contains "$T/daemon.err" "stopped by signal 15"

# 8. SIGKILL at random moments, twenty times, while six runs with four
#    recipients each are caught up; then a last start finishes the work.
make_spec "$T/crash.yaml" "schedule:
  name: crash
  cron: \"0 6 1 * *\"
  tz: America/New_York
  catch_up: all
  catch_up_max: 6
  deliver:
    - { folder: $T/crash-out }
    - { email: [c@example.com, d@example.com], smtp_url: \"smtp://127.0.0.1:$SMTP\", from: quire@example.com }
    - { webhook: \"http://127.0.0.1:$HOOK/crash\", format: pdf }"
rm -f "$T"/hook/*
C=$T/crash.db
"$QUIRE" run-due "$T/crash.yaml" --state "$C" --now 2023-12-01T11:05:00Z --param data="$T/data" -q
i=0
while [ $i -lt 20 ]; do
    "$QUIRE" schedule "$T/crash.yaml" --state "$C" --now 2024-06-15T12:00:00Z --param data="$T/data" -q 2>/dev/null &
    k=$!
    sleep "0.$(od -An -N1 -tu1 /dev/urandom | awk '{printf "%02d", $1 % 60}')"
    kill -KILL $k 2>/dev/null
    wait $k 2>/dev/null
    i=$((i + 1))
done
# (Each pass is bounded; slow builds, e.g. under sanitizers, may need several.)
for n in 1 2 3 4; do
    timeout 120 "$QUIRE" run-due "$T/crash.yaml" --state "$C" --now 2024-06-15T12:00:00Z --param data="$T/data" -q
    [ "$(sql "$C" "select count(*) from runs where status in ('pending','running','abandoned','delivering')")" = 0 ] && break
done
[ "$(sql "$C" "select count(*) from runs where report='crash' and status='done'")" = 7 ] && ok || bad "crash: runs: $(sql "$C" "select period, status from runs")"
[ "$(sql "$C" "select count(*) from (select scheduled from runs group by scheduled having count(*) > 1)")" = 0 ] && ok || bad "crash: a run recorded twice"
[ "$(count "$T/crash-out" pdf)" -eq 7 ] && ok || bad "crash: folder has $(count "$T/crash-out" pdf) PDFs"
# Every recipient has each run once (by its stable Message-ID); a message
# received twice is allowed only where the ledger shows the send was cut off.
for r in c@example.com d@example.com; do
    ids=$(grep -l "X-Envelope-To: $r" "$T"/mail/*.eml | xargs grep -h '^Message-ID:' | sort)
    [ "$(echo "$ids" | uniq | wc -l)" -eq 7 ] && ok || bad "crash: $r got $(echo "$ids" | uniq | wc -l) distinct runs"
    dups=$(echo "$ids" | uniq -d | wc -l)
    cut=$(sql "$C" "select count(*) from deliveries where recipient='$r' and attempts > 1")
    [ "$dups" -le "$cut" ] && ok || bad "crash: $r got $dups duplicates, only $cut sends were cut off"
done
keys=$(cat "$T"/hook/*.headers 2>/dev/null | grep '^Idempotency-Key' | sort)
[ "$(echo "$keys" | uniq | wc -l)" -eq 7 ] && ok || bad "crash: webhook got $(echo "$keys" | uniq | wc -l) distinct runs"
[ "$(sql "$C" "select count(*) from deliveries where status != 'sent'")" = 0 ] && ok || bad "crash: deliveries left: $(sql "$C" "select recipient, status from deliveries where status != 'sent'")"

done_checks schedule
