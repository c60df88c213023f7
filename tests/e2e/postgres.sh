# End to end: the postgres plugin against a real PostgreSQL server that this
# test starts on 127.0.0.1 (tests/fixtures/pg_server.sh: a cluster in a
# temporary folder, owned by an unprivileged user, password authentication).
# The stock report from the database, with pushdown and without, against the
# CSV run; the rows that cross the wire; parameters that are bound, never
# pasted; and the errors: bad credentials (no password shown), a refused
# connection, a missing table or column, a type the spec does not expect, a
# timeout.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks postgres; exit 1; }
ROOT=$(pwd)
L="$T/logs"
mkdir -p "$L"
db_server pg_server.sh "the PostgreSQL server" postgres
PASS=$(cat "$DB/password")
CI="host=127.0.0.1 port=$PORT dbname=quire user=quire"
export PGPASSWORD="$PASS"
sql() { sh tests/fixtures/pg_server.sh psql "$DB" -At -c "$1"; }


# ---- the stock report: CSV, PostgreSQL with pushdown, without
q csv run reports/monthly_segments.yaml --param data="$DATA" -o "$T/csv.pdf" --export "$T/csv"
[ "$RC" -eq 0 ] && ok || bad "the CSV run failed: $(cat "$L/csv.err")"
q push run reports/monthly_segments_pg.yaml --param conninfo="$CI" -v -o "$T/push.pdf" \
    --export "$T/push"
[ "$RC" -eq 0 ] && ok || bad "the run with pushdown failed: $(cat "$L/push.err")"
q stream run reports/monthly_segments_pg.yaml --param conninfo="$CI" --param pushdown=false -v \
    -o "$T/stream.pdf" --export "$T/stream"
[ "$RC" -eq 0 ] && ok || bad "the run without pushdown failed: $(cat "$L/stream.err")"
for run in push stream; do
    if out=$(kpis_equal "$T/csv/kpis.csv" "$T/$run/kpis.csv" 2>&1); then ok
    else bad "$run: the KPIs differ from the CSV run's: $out"; fi
    if cmp -s "$T/csv/segments.csv" "$T/$run/segments.csv"; then ok
    else bad "$run: the segments differ from the CSV run's"; fi
done
# Without pushdown the rows stream as from CSV: the KPIs are the very same bytes.
cmp -s "$T/csv/kpis.csv" "$T/stream/kpis.csv" && ok || bad "streamed KPIs are not the CSV run's bytes"
pdftotext "$T/push.pdf" "$T/push.txt" 2>/dev/null
contains "$T/push.txt" "Customer Base by Segment"

# preview: the first rows, the declared columns typed, with a LIMIT in the SQL.
q preview preview reports/monthly_segments_pg.yaml customers --rows 2 --format json --param conninfo="$CI"
contains "$L/preview.out" '{"customer_id": 2, "signup_date": "2020-04-30"}'
q preview3 preview reports/monthly_segments_pg.yaml orders --rows 3 --param conninfo="$CI"
[ "$(wc -l <"$L/preview3.out")" -eq 4 ] && ok || bad "preview --rows 3: $(cat "$L/preview3.out" "$L/preview3.err")"

# ---- rows over the wire: with pushdown, one per customer and month
orders=$(sql "SELECT count(*) FROM orders")
groups=$(sql "SELECT count(*) FROM (SELECT DISTINCT customer_id, date_trunc('month', order_date)
              FROM orders WHERE order_date >= '2023-02-01' AND order_date < '2024-05-01') g")
egroups=$(sql "SELECT count(*) FROM (SELECT DISTINCT customer_id, month FROM engagement
               WHERE month >= '2023-02-01' AND month < '2024-05-01') g")
got=$(sed -n 's/.*\[postgres:orders\] \([0-9]*\) rows of aggregates received.*/\1/p' "$L/push.err")
[ -n "$got" ] && [ "$got" -eq "$groups" ] && [ "$groups" -lt "$orders" ] && ok ||
    bad "orders with pushdown: ${got:-no} rows over the wire, wanted $groups (one per customer and month; $orders orders)"
got=$(sed -n 's/.*\[postgres:engagement\] \([0-9]*\) rows of aggregates received.*/\1/p' "$L/push.err")
[ -n "$got" ] && [ "$got" -eq "$egroups" ] && ok ||
    bad "engagement with pushdown: ${got:-no} rows over the wire, wanted $egroups"
got=$(sed -n 's/.*\[postgres:orders\] \([0-9]*\) rows received.*/\1/p' "$L/stream.err")
[ "$got" = "$orders" ] && ok || bad "orders without pushdown: ${got:-no} rows over the wire, wanted $orders"

# ---- a spec of our own: the orders from a query or a table named by parameters
# spec NAME: the stock PostgreSQL report with the orders source from stdin
# (options of the postgres plugin, indented by four).
spec() {
    {
        sed -n '1,/^  orders:/p' reports/monthly_segments_pg.yaml
        echo "    plugin: postgres"
        echo '    conninfo: "${conninfo}"'
        echo '    pushdown: ${pushdown}'
        cat
        sed -n '/^  orders:/,/^  engagement:/p' reports/monthly_segments_pg.yaml | sed -n '/^    columns:/,$p'
        sed -n '/^  engagement:/,$p' reports/monthly_segments_pg.yaml | sed 1d
    } | sed "s#\.\./#$ROOT/#g" >"$T/$1.yaml"
}

# Parameters: bound to $1..$9 of a query, never pasted into it.
printf '    query: SELECT * FROM orders WHERE customer_id::text <> $1\n    param1: "${who}"\n' | spec bound
sed -i 's/^parameters:/parameters:\n  who:\n    type: string\n    default: "0"/' "$T/bound.yaml"
q bound run "$T/bound.yaml" --param conninfo="$CI" --param who="0' OR true; DROP TABLE customers; --" \
    -o "$T/bound.pdf" --export "$T/bound"
[ "$RC" -eq 0 ] && ok || bad "a hostile --param value broke the query: $(cat "$L/bound.err")"
[ "$(sql "SELECT count(*) FROM customers")" = 10000 ] && ok || bad "the customers table was touched"
kpis_equal "$T/csv/kpis.csv" "$T/bound/kpis.csv" >/dev/null 2>&1 && ok ||
    bad "the bound parameter changed the numbers"
# The same value as the one that is there: the query does filter on it.
q bound7 run "$T/bound.yaml" --param conninfo="$CI" --param who=7 --param pushdown=false -v \
    -o "$T/bound7.pdf"
n7=$(sql "SELECT count(*) FROM orders WHERE customer_id <> 7")
contains "$L/bound7.err" "[postgres:orders] $n7 rows received"

# A parameter written into the query itself is refused: it would become SQL.
printf '    query: SELECT * FROM orders WHERE customer_id::text <> '"'"'${who}'"'"'\n' | spec pasted
sed -i 's/^parameters:/parameters:\n  who:\n    type: string\n    default: "0"/' "$T/pasted.yaml"
q pasted run "$T/pasted.yaml" --param conninfo="$CI" --param who="0' OR true; --" -o "$T/pasted.pdf"
[ "$RC" -eq 1 ] && ok || bad "a parameter pasted into the query: exit $RC, wanted 1"
contains "$L/pasted.err" "$T/pasted.yaml:$(grep -n '^    query:' "$T/pasted.yaml" | cut -d: -f1):5: error: option \"query\" is code the postgres plugin runs: a parameter cannot be written into it"

# A table name is an identifier, quoted: a hostile one names no table.
printf '    table: "${tbl}"\n' | spec tbl
sed -i 's/^parameters:/parameters:\n  tbl:\n    type: string\n    default: orders/' "$T/tbl.yaml"
q tbl run "$T/tbl.yaml" --param conninfo="$CI" --param tbl='orders; DROP TABLE engagement' -o "$T/tbl.pdf"
[ "$RC" -eq 1 ] && ok || bad "a hostile table name: exit $RC, wanted 1"
contains "$L/tbl.err" 'relation "orders; DROP TABLE engagement" does not exist'
contains "$L/tbl.err" "$T/tbl.yaml:"
[ "$(sql "SELECT count(*) FROM engagement")" -gt 0 ] && ok || bad "the engagement table was touched"
[ -f "$T/tbl.pdf" ] && bad "a PDF was written for a failed run" || ok

# ---- errors
# A missing column: the columns the table has.
printf '    table: orders\n' | spec col
sed -i 's/^      amount: number/      amout: number/; s/sum(amount)/sum(amout)/' "$T/col.yaml"
q col run "$T/col.yaml" --param conninfo="$CI" -o "$T/col.pdf"
[ "$RC" -eq 1 ] && ok || bad "a missing column: exit $RC, wanted 1"
contains "$L/col.err" 'column "amout" is not in table "orders"; its columns: order_id, customer_id, order_date, amount'
# A type the spec does not expect.
printf '    table: orders\n' | spec type
sed -i 's/^      order_date: date/      order_date: date\n      order_id: date/; s/max(order_date)/max(order_id)/' "$T/type.yaml"
q type run "$T/type.yaml" --param conninfo="$CI" -o "$T/type.pdf"
[ "$RC" -eq 2 ] && ok || bad "an unexpected type: exit $RC, wanted 2"
contains "$L/type.err" 'column "order_id" is bigint in the database, but the spec declares it date'
# A query the server refuses: a spec error at the query, with the server's words.
printf '    query: SELECT * FORM orders\n' | spec syntax
q syntax run "$T/syntax.yaml" --param conninfo="$CI" -o "$T/syntax.pdf"
[ "$RC" -eq 1 ] && ok || bad "a bad query: exit $RC, wanted 1"
contains "$L/syntax.err" "$T/syntax.yaml:$(grep -n '^    query:' "$T/syntax.yaml" | cut -d: -f1):5: error: the server refused the query: syntax error at or near \"FORM\" (SQLSTATE 42601)"
# A $n without its param, and a param the query does not use.
printf '    query: SELECT * FROM orders WHERE customer_id > $2\n    param1: "1"\n' | spec noparam
q noparam validate "$T/noparam.yaml"
[ "$RC" -eq 1 ] && ok || bad "a \$2 without param2: exit $RC, wanted 1"
contains "$L/noparam.err" 'the query uses $2: give param2'
# A timeout: the server cancels the statement.
printf '    query: SELECT o.* FROM orders o, pg_sleep(3) s\n    statement_timeout: 1\n' | spec slow
q slow run "$T/slow.yaml" --param conninfo="$CI" -o "$T/slow.pdf"
[ "$RC" -eq 4 ] && ok || bad "a timeout: exit $RC, wanted 4"
contains "$L/slow.err" "the server cancelled the query after statement_timeout (1 s)"
# A refused connection: a port nothing listens on.
FREE=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
q refused run reports/monthly_segments_pg.yaml --param conninfo="host=127.0.0.1 port=$FREE dbname=quire user=quire connect_timeout=5" -o "$T/refused.pdf"
[ "$RC" -eq 4 ] && ok || bad "a refused connection: exit $RC, wanted 4"
contains "$L/refused.err" "cannot connect"
contains "$L/refused.err" "Connection refused"
# Bad credentials: said, without the password.
WRONG="wrong-$$-Vq93kZ"
PGPASSWORD=$WRONG q badpw run reports/monthly_segments_pg.yaml --param conninfo="$CI" -o "$T/badpw.pdf"
[ "$RC" -eq 2 ] && ok || bad "a bad password: exit $RC, wanted 2"
contains "$L/badpw.err" 'the server refused the credentials'
contains "$L/badpw.err" 'password authentication failed for user "quire"'
grep -qF -- "$WRONG" "$L/badpw.err" "$L/badpw.out" && bad "the wrong password was shown" || ok
# No password at all.
env -u PGPASSWORD PGPASSFILE=/nonexistent "$QUIRE" run reports/monthly_segments_pg.yaml \
    --param conninfo="$CI" -o "$T/nopw.pdf" >"$L/nopw.out" 2>"$L/nopw.err"
[ $? -eq 2 ] && ok || bad "no password: wanted exit 2"
contains "$L/nopw.err" "asks for a password and none was given"
# A password in the spec is refused, and not echoed.
q inspec run reports/monthly_segments_pg.yaml --param conninfo="$CI password=$WRONG" -o "$T/inspec.pdf"
[ "$RC" -eq 1 ] && ok || bad "a password in conninfo: exit $RC, wanted 1"
contains "$L/inspec.err" "conninfo holds a password"
grep -qF -- "$WRONG" "$L/inspec.err" && bad "the password in conninfo was shown" || ok
q inuri run reports/monthly_segments_pg.yaml --param conninfo="postgresql://quire:$WRONG@127.0.0.1:$PORT/quire" -o "$T/inuri.pdf"
[ "$RC" -eq 1 ] && ok || bad "a password in a URI: exit $RC, wanted 1"
grep -qF -- "$WRONG" "$L/inuri.err" && bad "the password in the URI was shown" || ok
# password_env and password_file (on every source), over a wrong PGPASSWORD.
printf '    table: orders\n' | spec pwenv
sed -i 's/^    conninfo: .*/&\n    password_env: QUIRE_PG_PASSWORD/' "$T/pwenv.yaml"
PGPASSWORD=$WRONG QUIRE_PG_PASSWORD=$PASS q pwenv run "$T/pwenv.yaml" --param conninfo="$CI" -o "$T/pwenv.pdf"
[ "$RC" -eq 0 ] && ok || bad "password_env: $(cat "$L/pwenv.err")"
printf '%s\n' "$PASS" >"$T/pwfile"
printf '    table: orders\n' | spec pwfile
sed -i "s#^    conninfo: .*#&\\n    password_file: $T/pwfile#" "$T/pwfile.yaml"
PGPASSWORD=$WRONG q pwfile run "$T/pwfile.yaml" --param conninfo="$CI" -o "$T/pwfile.pdf"
[ "$RC" -eq 0 ] && ok || bad "password_file: $(cat "$L/pwfile.err")"
env -u PGPASSWORD QUIRE_PG_PASSWORD= PGPASSFILE=/nonexistent "$QUIRE" run "$T/pwenv.yaml" \
    --param conninfo="$CI" -o "$T/pwunset.pdf" >"$L/pwunset.out" 2>"$L/pwunset.err"
[ $? -eq 1 ] && ok || bad "password_env naming an unset variable: wanted exit 1"
contains "$L/pwunset.err" "environment variable QUIRE_PG_PASSWORD (option password_env) is not set"
# The password is in no output: logs, exports, the PDF (uncompressed).
qpdf --qdf --object-streams=disable "$T/push.pdf" "$T/push.qdf.pdf" 2>/dev/null
if grep -rqF -- "$PASS" "$L" "$T/push" "$T/push.qdf.pdf"; then bad "the password appears in an output"; else ok; fi

done_checks postgres
