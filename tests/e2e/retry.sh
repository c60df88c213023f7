# Retrying failed runs and running a period again, against the local CRM
# (tests/fixtures/crm_server.py) and webhook receiver on 127.0.0.1, started
# here: a run whose source is down (status 4) is rendered again by a later
# pass once its backoff has passed, up to run_retry's attempts; a spec or data
# error is not retried; each attempt is in the ledger with why; quire rerun
# renders and delivers a failed, skipped or half-delivered period, refuses
# one that was delivered unless --force, and never sends a recipient the same
# run twice.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks retry; exit 1; }
ROOT=$(pwd)
export CRM_TOKEN="crmtok-$$-Rt55aQ"
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print('|'.join(map(str,r))) for r in c.execute(sys.argv[2])]" "$@"; }

# A port nothing listens on (yet): the CRM is down.
CRM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
start_crm() {
    rm -f "$T/crm.port"
    timeout 300 python3 tests/fixtures/crm_server.py --customers "$DATA/customers.csv" \
        --port "$CRM_PORT" --port-file "$T/crm.port" >"$T/crm.log" 2>&1 &
    pids="$pids $!"
    i=0
    while [ ! -s "$T/crm.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$T/crm.port" ] && ok || { bad "the CRM server did not start"; cat "$T/crm.log" >&2; }
}
python3 tests/fixtures/webhook_server.py "$T/hook" "$T/hook.port" --fail 1 2>"$T/hook.log" &
pids="$pids $!"
i=0
while [ ! -s "$T/hook.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
HOOK=$(cat "$T/hook.port" 2>/dev/null)
[ -n "$HOOK" ] && ok || { bad "the webhook receiver did not start"; done_checks retry; exit 1; }

# make_spec FILE SCHEDULE-YAML: the CRM-backed stock report (one request
# per page, no retry of its own) with the schedule given.
make_spec() {
    sed -e "s#\.\./scripts/#$ROOT/scripts/#" -e "s#^    retries: 4#    retries: 1#" \
        reports/monthly_segments_crm.yaml >"$1"
    printf '%s\n' "$2" >>"$1"
}
make_spec "$T/r.yaml" "schedule:
  name: crm
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  period: previous_month
  retries: 1
  run_retry: { attempts: 3, backoff: 10m }
  deliver:
    - { folder: $T/archive, name: \"{report}-{period}.pdf\" }
    - { webhook: \"http://127.0.0.1:$HOOK/hook\", format: json }"
S=$T/state.db
P="--param data=$DATA --param crm_url=http://127.0.0.1:$CRM_PORT"

exits 0 "validate run_retry" "$QUIRE" validate "$T/r.yaml" $P

# 1. The CRM is down at the fire time: status 4, the run waits for a retry,
#    the ledger says why.
exits 4 "run-due with the CRM down" "$QUIRE" run-due "$T/r.yaml" --state "$S" \
    --now 2024-05-01T04:00:30Z $P -v
contains "$T/err" "failed for now (attempt 1 of 3)"
contains "$T/err" "a temporary failure (status 4): rendered again at 2024-05-01T06:10:30+02:00"
[ "$(sql "$S" "select status, attempts, next_attempt from runs")" = "retrying|1|1714536630" ] && ok ||
    bad "run after a transient failure: $(sql "$S" "select status, attempts, next_attempt, error from runs")"
[ "$(sql "$S" "select attempt, reason, result from attempts")" = "1|scheduled|transient" ] && ok ||
    bad "attempt not recorded: $(sql "$S" "select * from attempts")"
contains "$T/err" "127.0.0.1:$CRM_PORT"
[ ! -e "$T/archive/crm-2024-04.pdf" ] && ok || bad "a failed run delivered something"

# 2. Before its backoff: not rendered again; -v says what it waits for.
exits 0 "run-due before the run's retry time" "$QUIRE" run-due "$T/r.yaml" --state "$S" \
    --now 2024-05-01T04:05:00Z $P -v
contains "$T/err" "run 1 of crm for 2024-04 (failed for now, attempt 1 of 3) waits for its next attempt at 2024-05-01T06:10:30+02:00"
[ "$(sql "$S" "select count(*) from attempts")" = 1 ] && ok || bad "rendered again before the backoff"

# 3. Still down at the second attempt: the backoff doubles.
exits 4 "run-due, still down" "$QUIRE" run-due "$T/r.yaml" --state "$S" \
    --now 2024-05-01T04:11:00Z $P
[ "$(sql "$S" "select status, attempts, next_attempt from runs")" = "retrying|2|1714537860" ] && ok ||
    bad "second attempt: $(sql "$S" "select status, attempts, next_attempt, error from runs")"

# 4. The CRM is back: the third attempt renders and delivers; the webhook's
#    first request fails (500) and, with retries: 1, is not sent again.
start_crm
exits 3 "run-due, the CRM back" "$QUIRE" run-due "$T/r.yaml" --state "$S" \
    --now 2024-05-01T04:32:00Z $P
[ -f "$T/archive/crm-2024-04.pdf" ] && ok || bad "the retried run was not delivered to the folder"
check "retried PDF passes qpdf --check" qpdf --check "$T/archive/crm-2024-04.pdf"
[ "$(sql "$S" "select group_concat(reason || '/' || result, ' ') from attempts")" = "scheduled/transient retry/transient retry/rendered" ] && ok ||
    bad "attempts: $(sql "$S" "select * from attempts")"
[ "$(sql "$S" "select status from runs")" = undelivered ] && ok || bad "run: $(sql "$S" "select status, error from runs")"
[ "$(ls "$T/hook" 2>/dev/null | grep -c body)" = 0 ] && ok || bad "the failing webhook saved a body"

# 5. rerun of the half-delivered period: the webhook gets it now, the
#    folder (already sent) is not sent it again.
exits 0 "rerun an undelivered period" "$QUIRE" rerun "$T/r.yaml" 2024-04 --state "$S" \
    --now 2024-05-02T08:00:00Z $P
[ "$(ls "$T/hook" | grep -c body)" = 1 ] && ok || bad "webhook bodies after rerun: $(ls "$T/hook")"
[ "$(sql "$S" "select channel || ':' || status || ':' || attempts from deliveries order by id")" = "$(printf 'folder:sent:1\nwebhook:sent:2')" ] && ok ||
    bad "deliveries after rerun: $(sql "$S" "select * from deliveries")"
[ "$(sql "$S" "select status, attempts from runs")" = "done|3" ] && ok || bad "rerun: $(sql "$S" "select * from runs")"

# 6. A period delivered is refused (status 1), and nothing is sent.
exits 1 "rerun a delivered period" "$QUIRE" rerun "$T/r.yaml" 2024-04 --state "$S" $P
contains "$T/err" "crm for 2024-04 was delivered (run 1, done 2024-05-02T10:00:00+02:00): not run again; --force renders and delivers it again, as a new run"
[ "$(ls "$T/hook" | grep -c body)" = 1 ] && ok || bad "a refused rerun delivered"
# --force: a new run, delivered to everyone under its own identity.
exits 0 "rerun --force" "$QUIRE" rerun "$T/r.yaml" 2024-04 --state "$S" --force \
    --now 2024-05-03T08:00:00Z $P
[ "$(ls "$T/hook" | grep -c body)" = 2 ] && ok || bad "forced rerun: webhook bodies $(ls "$T/hook")"
[ "$(sql "$S" "select id, rerun, status from runs order by id")" = "$(printf '1|0|done\n2|1|done')" ] && ok ||
    bad "forced rerun runs: $(sql "$S" "select * from runs")"
k1=$(grep -h "^Idempotency-Key:" "$T/hook/0001.headers")
k2=$(grep -h "^Idempotency-Key:" "$T/hook/0002.headers")
[ -n "$k1" ] && [ "$k1" != "$k2" ] && ok || bad "forced rerun reused the delivery's key: $k1 / $k2"
exits 0 "history --attempts" "$QUIRE" history --state "$S" --attempts --tz Europe/Berlin
contains "$T/out" "(rerun 1)"
contains "$T/out" "render   try 1  rerun     2024-05-03T10:00:00+02:00  rendered"
contains "$T/out" "render   try 1  scheduled 2024-05-01T06:00:30+02:00  transient"

# 7. A data error is not retried: failed at once, and a later pass leaves it.
exits 2 "run-due with missing data" "$QUIRE" run-due "$T/r.yaml" --state "$S" \
    --now 2024-06-01T04:00:30Z --param data="$T/nodata" --param crm_url="http://127.0.0.1:$CRM_PORT" -v
contains "$T/err" "not retried: a data or script error (status 2), which another attempt would meet again"
[ "$(sql "$S" "select status, attempts from runs where period = '2024-05'")" = "failed|1" ] && ok ||
    bad "data error: $(sql "$S" "select * from runs where period = '2024-05'")"
[ "$(sql "$S" "select a.result from attempts a join runs r on r.id = a.run_id where r.period = '2024-05'")" = permanent ] && ok ||
    bad "data error attempt: $(sql "$S" "select * from attempts")"
exits 0 "run-due after a data error" "$QUIRE" run-due "$T/r.yaml" --state "$S" \
    --now 2024-06-01T06:00:30Z $P
[ "$(sql "$S" "select attempts from runs where period = '2024-05'")" = 1 ] && ok || bad "a data error was retried"
# rerun with the data fixed: rendered and delivered, recorded as a rerun.
exits 0 "rerun a failed period" "$QUIRE" rerun "$T/r.yaml" 2024-05 --state "$S" \
    --now 2024-06-02T08:00:00Z $P
[ -f "$T/archive/crm-2024-05.pdf" ] && ok || bad "the rerun did not deliver to the folder"
[ "$(sql "$S" "select r.status || ':' || a.reason || ':' || a.result from attempts a join runs r on r.id = a.run_id where r.period = '2024-05' and a.attempt = 2")" = "done:rerun:rendered" ] && ok ||
    bad "rerun of a failed period: $(sql "$S" "select * from attempts")"

# 8. Attempts run out: failed for good after the last.
make_spec "$T/once.yaml" "schedule:
  name: once
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  run_retry: { attempts: 2, backoff: 1m }
  deliver: [ { folder: $T/once } ]"
DOWN="--param data=$DATA --param crm_url=http://127.0.0.1:1"
exits 4 "first of two attempts" "$QUIRE" run-due "$T/once.yaml" --state "$T/once.db" --now 2024-05-01T04:00:30Z $DOWN
exits 2 "the last attempt" "$QUIRE" run-due "$T/once.yaml" --state "$T/once.db" --now 2024-05-01T04:02:00Z $DOWN -v
contains "$T/err" "failed (attempt 2 of 2)"
contains "$T/err" "a temporary failure, but no attempt is left"
[ "$(sql "$T/once.db" "select status, attempts from runs")" = "failed|2" ] && ok || bad "attempts ran out: $(sql "$T/once.db" "select * from runs")"
exits 0 "no third attempt" "$QUIRE" run-due "$T/once.yaml" --state "$T/once.db" --now 2024-05-01T05:00:00Z $DOWN
[ "$(sql "$T/once.db" "select attempts from runs")" = 2 ] && ok || bad "rendered after the last attempt"

# 9. rerun of a period the ledger has no run of (before the report's first
#    pass): the run of its fire time is recorded, rendered and delivered.
exits 0 "rerun a period no pass recorded" "$QUIRE" rerun "$T/once.yaml" 2024-02 --state "$T/once.db" \
    --now 2024-05-02T00:00:00Z $P
[ -f "$T/once/once-2024-02.pdf" ] && ok || bad "the period no pass recorded was not delivered"
[ "$(sql "$T/once.db" "select scheduled, status from runs where period = '2024-02'")" = "1709269200|done" ] && ok ||
    bad "the recorded run: $(sql "$T/once.db" "select * from runs")"
exits 1 "rerun a period of another kind" "$QUIRE" rerun "$T/once.yaml" 2024-Q1 --state "$T/once.db" $DOWN
contains "$T/err" "the ledger has no run of once for period 2024-Q1, and no fire time of its schedule reports on such a period"
exits 1 "rerun a period not due" "$QUIRE" rerun "$T/once.yaml" 2024-06 --state "$T/once.db" \
    --now 2024-05-02T00:00:00Z $DOWN
contains "$T/err" "once for 2024-06 is not due before 2024-07-01T06:00:00+02:00"
[ "$(sql "$T/once.db" "select count(*) from runs")" = 2 ] && ok || bad "a refused rerun recorded a run"
exits 1 "rerun without PERIOD" "$QUIRE" rerun "$T/once.yaml" --state "$T/once.db" $DOWN
contains "$T/err" "missing PERIOD"
exits 1 "rerun without a ledger" "$QUIRE" rerun "$T/once.yaml" 2024-04 --state "$T/none.db" $DOWN
contains "$T/err" "none.db: error: cannot open the state file: No such file or directory"
[ ! -e "$T/none.db" ] && ok || bad "rerun made a ledger"
exits 0 "rerun --help" "$QUIRE" rerun --help
contains "$T/out" "Usage: quire rerun SPEC PERIOD --state FILE"

# A ledger from before reruns and retries is upgraded in place, its runs kept.
python3 - "$T/old.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""
CREATE TABLE marks (report TEXT PRIMARY KEY, last_scheduled INTEGER NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, report TEXT NOT NULL, scheduled INTEGER NOT NULL,
  period TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL, status TEXT NOT NULL,
  output TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
  created INTEGER, started INTEGER, finished INTEGER, UNIQUE (report, scheduled));
CREATE TABLE deliveries (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
  channel TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0,
  error TEXT, started INTEGER, finished INTEGER, UNIQUE (run_id, channel, recipient));
INSERT INTO marks VALUES ('once', 1714536000);
INSERT INTO runs VALUES (7, 'once', 1714536000, '2024-04', '2024-04', '2024-04', 'failed',
  NULL, 'old error', 1, 1, 1, 1);
""")
c.commit()
EOF
exits 0 "history of an older ledger" "$QUIRE" history --state "$T/old.db" --attempts
contains "$T/out" "old error"
exits 0 "rerun on an older ledger" "$QUIRE" rerun "$T/once.yaml" 2024-04 --state "$T/old.db" \
    --now 2024-05-02T00:00:00Z --param data="$DATA" --param crm_url="http://127.0.0.1:$CRM_PORT"
[ "$(sql "$T/old.db" "select id, rerun, status, attempts from runs")" = "7|0|done|2" ] && ok ||
    bad "upgraded ledger: $(sql "$T/old.db" "select * from runs")"

done_checks retry
