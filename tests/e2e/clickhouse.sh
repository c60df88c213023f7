# End to end: the clickhouse plugin against a real two-shard ClickHouse
# cluster that this test starts on 127.0.0.1 (tests/fixtures/ch_server.sh:
# two clickhouse-server processes in a temporary folder, Distributed tables
# over a MergeTree table on each shard, the sample data split between them).
# The stock report from the cluster, with pushdown and without, against the
# CSV run; the rows that cross the wire; values bound as checked literals,
# never pasted; hostile names refused; the server's errors with their code;
# the password in no output; and a shard killed mid-run and before the
# query: a clear error, exit 2, and the PDF already at the output path left
# as it was.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks clickhouse; exit 1; }
ROOT=$(pwd)
L="$T/logs"
mkdir -p "$L"
db_server ch_server.sh "the ClickHouse servers" clickhouse
PASS=$(cat "$DB/password")
URL="http://127.0.0.1:$PORT"
export CLICKHOUSE_PASSWORD="$PASS"
unset CLICKHOUSE_USER
sql() { sh tests/fixtures/ch_server.sh client "$DB" 1 --query "$1"; }


# ---- the stock report: CSV, ClickHouse with pushdown, without
q csv run reports/monthly_segments.yaml --param data="$DATA" -o "$T/csv.pdf" --export "$T/csv"
[ "$RC" -eq 0 ] && ok || bad "the CSV run failed: $(cat "$L/csv.err")"
q push run reports/monthly_segments_clickhouse.yaml --param url="$URL" -v -o "$T/push.pdf" \
    --export "$T/push"
[ "$RC" -eq 0 ] && ok || bad "the run with pushdown failed: $(cat "$L/push.err")"
q stream run reports/monthly_segments_clickhouse.yaml --param url="$URL" --param pushdown=false \
    -v -o "$T/stream.pdf" --export "$T/stream"
[ "$RC" -eq 0 ] && ok || bad "the run without pushdown failed: $(cat "$L/stream.err")"
for run in push stream; do
    if out=$(kpis_equal "$T/csv/kpis.csv" "$T/$run/kpis.csv" 2>&1); then ok
    else bad "$run: the KPIs differ from the CSV run's: $out"; fi
    for f in "$T"/csv/*.csv; do
        [ "$(basename "$f")" = kpis.csv ] && continue
        cmp -s "$f" "$T/$run/$(basename "$f")" && ok ||
            bad "$run: $(basename "$f") differs from the CSV run's"
    done
done
if out=$(kpis_equal "$T/push/kpis.csv" "$T/stream/kpis.csv" 2>&1); then ok
else bad "pushdown on and off give different KPIs: $out"; fi
contains "$L/push.err" 'source "orders": the fact query ran in the source'
grep -q "fact query ran in the source" "$L/stream.err" && bad "pushdown: false pushed down" || ok
pdftotext "$T/push.pdf" "$T/push.txt" 2>/dev/null
contains "$T/push.txt" "Customer Base by Segment"

# preview: the first rows, the declared columns typed, with a LIMIT in the SQL.
q preview preview reports/monthly_segments_clickhouse.yaml customers --rows 2 --format json --param url="$URL"
contains "$L/preview.out" '{"customer_id": 1, "signup_date": "2020-04-30"}'
q preview3 preview reports/monthly_segments_clickhouse.yaml orders --rows 3 --param url="$URL"
[ "$(wc -l <"$L/preview3.out")" -eq 4 ] && ok || bad "preview --rows 3: $(cat "$L/preview3.out" "$L/preview3.err")"

# ---- rows over the wire: with pushdown, one per customer and month
orders=$(sql "SELECT count() FROM quire.orders")
groups=$(sql "SELECT count() FROM (SELECT DISTINCT customer_id, toStartOfMonth(order_date)
              FROM quire.orders WHERE order_date >= '2023-02-01' AND order_date < '2024-05-01')")
egroups=$(sql "SELECT count() FROM (SELECT DISTINCT customer_id, month FROM quire.engagement
               WHERE month >= '2023-02-01' AND month < '2024-05-01')")
got=$(sed -n 's/.*\[clickhouse:orders\] \([0-9]*\) rows of aggregates received.*/\1/p' "$L/push.err")
[ -n "$got" ] && [ "$got" -eq "$groups" ] && [ "$groups" -lt "$orders" ] && ok ||
    bad "orders with pushdown: ${got:-no} rows over the wire, wanted $groups (one per customer and month; $orders orders)"
got=$(sed -n 's/.*\[clickhouse:engagement\] \([0-9]*\) rows of aggregates received.*/\1/p' "$L/push.err")
[ -n "$got" ] && [ "$got" -eq "$egroups" ] && ok ||
    bad "engagement with pushdown: ${got:-no} rows over the wire, wanted $egroups"
got=$(sed -n 's/.*\[clickhouse:orders\] \([0-9]*\) rows received.*/\1/p' "$L/stream.err")
[ "$got" = "$orders" ] && ok || bad "orders without pushdown: ${got:-no} rows over the wire, wanted $orders"
# both shards hold orders: the GROUP BY ran on each and was merged
s1=$(sql "SELECT count() FROM quire.orders_local")
[ "$s1" -gt 0 ] && [ "$s1" -lt "$orders" ] && ok || bad "shard 1 holds $s1 of $orders orders"

# ---- a spec of our own: the orders from a query or a table named by parameters
# spec NAME: the stock ClickHouse report with the orders source from stdin
# (options of the clickhouse plugin, indented by four).
spec() {
    {
        sed -n '1,/^  orders:/p' reports/monthly_segments_clickhouse.yaml
        echo "    plugin: clickhouse"
        echo '    url: "${url}"'
        echo '    database: "${database}"'
        echo '    user: "${user}"'
        echo '    pushdown: ${pushdown}'
        cat
        sed -n '/^  orders:/,/^  engagement:/p' reports/monthly_segments_clickhouse.yaml | sed -n '/^    columns:/,$p'
        sed -n '/^  engagement:/,$p' reports/monthly_segments_clickhouse.yaml | sed 1d
    } | sed "s#\.\./#$ROOT/#g" >"$T/$1.yaml"
}
add_param() { # add_param SPEC NAME TYPE DEFAULT
    sed -i "s/^parameters:/parameters:\n  $2:\n    type: $3\n    default: \"$4\"/" "$T/$1.yaml"
}

# Values: checked against their placeholder's type and written as literals
# that no value can end (ClickHouse 18.16 has no server-side parameters).
printf '    query: SELECT * FROM orders WHERE toString(customer_id) != {param1:String}\n    param1: "${who}"\n' | spec bound
add_param bound who string 0
for who in "0' OR 1=1; DROP TABLE customers; --" "0\\' OR 1=1 --" "0\\\\' OR 1=1 --" "\\" "'"; do
    q bound run "$T/bound.yaml" --param url="$URL" --param who="$who" -o "$T/bound.pdf" --export "$T/bound"
    [ "$RC" -eq 0 ] && ok || bad "a hostile --param value ($who) broke the query: $(cat "$L/bound.err")"
    kpis_equal "$T/csv/kpis.csv" "$T/bound/kpis.csv" >/dev/null 2>&1 && ok ||
        bad "the bound parameter ($who) changed the numbers"
done
[ "$(sql "SELECT count() FROM quire.customers")" = 10000 ] && ok || bad "the customers table was touched"
# The same value as the one that is there: the query does filter on it.
q bound7 run "$T/bound.yaml" --param url="$URL" --param who=7 --param pushdown=false -v -o "$T/bound7.pdf"
n7=$(sql "SELECT count() FROM quire.orders WHERE customer_id != 7")
contains "$L/bound7.err" "[clickhouse:orders] $n7 rows received"
# A number is checked before it is written.
printf '    query: SELECT * FROM orders WHERE customer_id != {param1:Int64}\n    param1: "${who}"\n' | spec int
add_param int who string 0
q int run "$T/int.yaml" --param url="$URL" --param who="7" --param pushdown=false -v -o "$T/int.pdf"
contains "$L/int.err" "[clickhouse:orders] $n7 rows received"
q intbad run "$T/int.yaml" --param url="$URL" --param who="1 OR 1=1" -o "$T/intbad.pdf"
[ "$RC" -eq 1 ] && ok || bad "a hostile Int64 value: exit $RC, wanted 1"
contains "$L/intbad.err" 'param1: "1 OR 1=1" is not a whole number (Int64)'
# A parameter written into the query itself is refused: it would become SQL.
printf '    query: SELECT * FROM orders WHERE toString(customer_id) != '"'"'${who}'"'"'\n' | spec pasted
add_param pasted who string 0
q pasted run "$T/pasted.yaml" --param url="$URL" --param who="0' OR 1=1 --" -o "$T/pasted.pdf"
[ "$RC" -eq 1 ] && ok || bad "a parameter pasted into the query: exit $RC, wanted 1"
contains "$L/pasted.err" "option \"query\" is code the clickhouse plugin runs: a parameter cannot be written into it"
# A table name must be a name: a hostile one is refused before any SQL.
printf '    table: "${tbl}"\n' | spec tbl
add_param tbl tbl string orders
q tbl run "$T/tbl.yaml" --param url="$URL" --param tbl='orders; DROP TABLE engagement' -o "$T/tbl.pdf"
[ "$RC" -eq 1 ] && ok || bad "a hostile table name: exit $RC, wanted 1"
contains "$L/tbl.err" 'table "orders; DROP TABLE engagement" is not a ClickHouse table name'
q tbl2 run "$T/tbl.yaml" --param url="$URL" --param tbl='orders` UNION ALL SELECT 1' -o "$T/tbl.pdf"
[ "$RC" -eq 1 ] && ok || bad "a table name with a backquote: exit $RC, wanted 1"
[ "$(sql "SELECT count() FROM quire.engagement")" -gt 0 ] && ok || bad "the engagement table was touched"
[ -f "$T/tbl.pdf" ] && bad "a PDF was written for a failed run" || ok
q tbl3 run "$T/tbl.yaml" --param url="$URL" --param tbl=quire.orders -o "$T/tbl3.pdf" --export "$T/tbl3"
[ "$RC" -eq 0 ] && ok || bad "table database.name: $(cat "$L/tbl3.err")"

# ---- errors, with the server's code
printf '    table: orders\n' | spec col
sed -i 's/^      amount: number/      amout: number/; s/sum(amount)/sum(amout)/' "$T/col.yaml"
q col run "$T/col.yaml" --param url="$URL" -o "$T/col.pdf"
[ "$RC" -eq 1 ] && ok || bad "a missing column: exit $RC, wanted 1"
contains "$L/col.err" 'column "amout" is not in table "orders"; its columns: order_id, customer_id, order_date, amount'
printf '    table: orders\n' | spec type
sed -i 's/^      order_date: date/      order_date: date\n      order_id: date/; s/max(order_date)/max(order_id)/' "$T/type.yaml"
q type run "$T/type.yaml" --param url="$URL" -o "$T/type.pdf"
[ "$RC" -eq 2 ] && ok || bad "an unexpected type: exit $RC, wanted 2"
contains "$L/type.err" 'column "order_id" is Int64 in the database, but the spec declares it date'
printf '    query: SELECT * FORM orders\n' | spec syntax
q syntax run "$T/syntax.yaml" --param url="$URL" -o "$T/syntax.pdf"
[ "$RC" -eq 1 ] && ok || bad "a bad query: exit $RC, wanted 1"
contains "$L/syntax.err" "$T/syntax.yaml:$(grep -n '^    query:' "$T/syntax.yaml" | cut -d: -f1):5: error: the server refused the query: Syntax error"
contains "$L/syntax.err" "(Code 62)"
printf '    table: ordrs\n' | spec notable
q notable run "$T/notable.yaml" --param url="$URL" -o "$T/notable.pdf"
[ "$RC" -eq 1 ] && ok || bad "a missing table: exit $RC, wanted 1"
contains "$L/notable.err" "Table quire.ordrs doesn't exist. (Code 60)"
printf '    query: SELECT * FROM orders WHERE customer_id > {param2:Int32}\n    param1: "1"\n' | spec noparam
q noparam validate "$T/noparam.yaml"
[ "$RC" -eq 1 ] && ok || bad "a {param2} without param2: exit $RC, wanted 1"
contains "$L/noparam.err" 'the query uses {param2:...}: give param2'
# A timeout: the server stops the statement after max_execution_time.
printf '    query: SELECT * FROM orders WHERE sleepEachRow(0.00005) = 0\n    timeout: 1\n' | spec slow
q slow run "$T/slow.yaml" --param url="$URL" --param pushdown=false -o "$T/slow.pdf"
[ "$RC" -eq 4 ] && ok || bad "a timeout: exit $RC, wanted 4: $(cat "$L/slow.err")"
contains "$L/slow.err" "the server stopped the query after timeout (1 s)"
contains "$L/slow.err" "(Code 159)"
# Credentials: a wrong password is said without it; none in the URL.
WRONG="wrong-$$-Vq93kZ"
CLICKHOUSE_PASSWORD=$WRONG q badpw run reports/monthly_segments_clickhouse.yaml --param url="$URL" -o "$T/badpw.pdf"
[ "$RC" -eq 2 ] && ok || bad "a bad password: exit $RC, wanted 2"
contains "$L/badpw.err" 'refused the credentials of user "quire": Wrong password for user quire (Code 193)'
grep -qF -- "$WRONG" "$L/badpw.err" "$L/badpw.out" && bad "the wrong password was shown" || ok
q inurl run reports/monthly_segments_clickhouse.yaml --param url="http://quire:$WRONG@127.0.0.1:$PORT" -o "$T/inurl.pdf"
[ "$RC" -eq 1 ] && ok || bad "a password in the url: exit $RC, wanted 1"
contains "$L/inurl.err" "url holds credentials"
grep -qF -- "$WRONG" "$L/inurl.err" && bad "the password in the url was shown" || ok
# password_env and password_file (on every source), over a wrong CLICKHOUSE_PASSWORD.
printf '    table: orders\n' | spec pwenv
sed -i 's/^    url: .*/&\n    password_env: QUIRE_CH_PASSWORD/' "$T/pwenv.yaml"
CLICKHOUSE_PASSWORD=$WRONG QUIRE_CH_PASSWORD=$PASS q pwenv run "$T/pwenv.yaml" --param url="$URL" -o "$T/pwenv.pdf"
[ "$RC" -eq 0 ] && ok || bad "password_env: $(cat "$L/pwenv.err")"
printf '%s\n' "$PASS" >"$T/pwfile"
printf '    table: orders\n' | spec pwfile
sed -i "s#^    url: .*#&\\n    password_file: $T/pwfile#" "$T/pwfile.yaml"
CLICKHOUSE_PASSWORD=$WRONG q pwfile run "$T/pwfile.yaml" --param url="$URL" -o "$T/pwfile.pdf"
[ "$RC" -eq 0 ] && ok || bad "password_file: $(cat "$L/pwfile.err")"
env -u CLICKHOUSE_PASSWORD QUIRE_CH_PASSWORD= "$QUIRE" validate "$T/pwenv.yaml" \
    >"$L/pwunset.out" 2>"$L/pwunset.err"
[ $? -eq 1 ] && ok || bad "password_env naming an unset variable: wanted exit 1"
contains "$L/pwunset.err" "environment variable QUIRE_CH_PASSWORD (option password_env) is not set"

# ---- a shard dies: mid-run, then before the query, then the server asked
echo "an earlier report" >"$T/kept.pdf"
cp "$T/kept.pdf" "$T/kept.orig"
# The table slow: on shard 1 its orders four times over, sent at once; on
# shard 2 they come after 2.4 s (ClickHouse sleeps per block): the server
# has sent rows when shard 2 is killed.
sql "CREATE VIEW quire.slow_local AS SELECT o.order_id, o.customer_id, o.order_date, o.amount
     FROM quire.orders_local AS o ARRAY JOIN range(4) AS r"
sh tests/fixtures/ch_server.sh client "$DB" 2 --query "CREATE VIEW quire.slow_local AS
     SELECT * FROM quire.orders_local WHERE sleepEachRow(0.00005) = 0"
for n in 1 2; do
    sh tests/fixtures/ch_server.sh client "$DB" $n --query \
        "CREATE TABLE quire.slow AS quire.orders_local ENGINE = Distributed(quire, quire, slow_local)"
done
printf '    table: slow\n' | spec sleepy
"$QUIRE" run "$T/sleepy.yaml" --param url="$URL" --param pushdown=false -v -o "$T/kept.pdf" \
    >"$L/midrun.out" 2>"$L/midrun.err" &
qpid=$!
i=0
while ! grep -q "clickhouse:customers" "$L/midrun.err" && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
sleep 0.8
sh tests/fixtures/ch_server.sh kill "$DB" 2
wait $qpid
RC=$?
[ "$RC" -eq 2 ] && ok || bad "a shard killed mid-run: exit $RC, wanted 2: $(cat "$L/midrun.err")"
contains "$L/midrun.err" 'source "orders": error: a server of the cluster failed while the rows were read: '
contains "$L/midrun.err" "the report was not made"
cmp -s "$T/kept.pdf" "$T/kept.orig" && ok || bad "the PDF at the output path was changed by a failed run"
grep -q "clickhouse:orders.*rows received from the server" "$L/midrun.err" &&
    bad "the killed read was taken as complete" || ok
q before run reports/monthly_segments_clickhouse.yaml --param url="$URL" -o "$T/kept.pdf"
[ "$RC" -eq 2 ] && ok || bad "a shard down before the query: exit $RC, wanted 2: $(cat "$L/before.err")"
contains "$L/before.err" "a server of the cluster failed"
contains "$L/before.err" "(Code 279)"
cmp -s "$T/kept.pdf" "$T/kept.orig" && ok || bad "the PDF at the output path was changed by a failed run"
sh tests/fixtures/ch_server.sh kill "$DB" 1
q down run reports/monthly_segments_clickhouse.yaml --param url="$URL" -o "$T/down.pdf"
[ "$RC" -eq 2 ] && ok || bad "the server down: exit $RC, wanted 2"
contains "$L/down.err" "cannot connect to the server at $URL"
[ -e "$T/down.pdf" ] && bad "a PDF was written for a failed run" || ok

# The password is in no output: logs, exports, the PDF (uncompressed).
qpdf --qdf --object-streams=disable "$T/push.pdf" "$T/push.qdf.pdf" 2>/dev/null
if grep -rqF -- "$PASS" "$L" "$T/push" "$T/stream" "$T/push.qdf.pdf"; then bad "the password appears in an output"; else ok; fi

done_checks clickhouse
