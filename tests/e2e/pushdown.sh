# Aggregate pushdown (plugin ABI 1.3) end to end, without a database: the
# aggfix plugin (tests/fixtures/plugins/aggfix.c) makes up orders and answers
# the fact query over them as a database would. Its sums are exact in any
# order, so the report's exports must be the very same bytes whether the
# rows stream (pushdown: false), the plugin sends one row per customer and
# month, or partial rows the host merges; a plugin that declines is scanned;
# a bad answer is a data error. (tests/e2e/postgres.sh does the same against
# a real PostgreSQL.)
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks pushdown; exit 1; }
ROOT=$(pwd)
P="$T/plugins"
mkdir -p "$P"
export QUIRE_PLUGIN_PATH="$P"
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -O1 -fPIC -fvisibility=hidden -shared -Wl,-z,defs \
    -Icore/include -o "$P/aggfix.so" tests/fixtures/plugins/aggfix.c 2>"$T/cc.log"; then ok
else bad "cannot build the aggfix fixture: $(cat "$T/cc.log")"; done_checks pushdown; exit 1; fi

# spec NAME PUSHDOWN ANSWER: the stock report with its orders from aggfix,
# and more measures: every aggregate a fact can have.
spec() {
    {
        sed -n '1,/^  orders:/p' reports/monthly_segments.yaml
        printf '    plugin: aggfix\n    answer: %s\n    pushdown: %s\n' "$3" "$2"
        sed -n '/^  orders:/,$p' reports/monthly_segments.yaml | sed '1,3d'
    } | sed "s#\.\./#$ROOT/#g" |
        sed 's/^      last_order: max(order_date)/&\n      first_order: min(order_date)\n      big_orders: count(amount > 100)\n      priced: count(amount)\n      top_amount: max(amount)\n      low_amount: min(amount)/' >"$T/$1.yaml"
}
run() {
    name=$1; shift
    "$QUIRE" run "$T/$name.yaml" --param data="$DATA" -v -o "$T/$name.pdf" --export "$T/$name" \
        >"$T/$name.out" 2>"$T/$name.err"
    RC=$?
}

spec stream false one
run stream
[ "$RC" -eq 0 ] && ok || bad "the streamed run failed: $(cat "$T/stream.err")"
grep -q "fact query ran in the source" "$T/stream.err" && bad "pushdown: false pushed down" || ok
grep -q "first_order" "$T/stream.yaml" && ok || bad "the spec lacks the extra measures"

for answer in one split decline; do
    spec "$answer" true "$answer"
    run "$answer"
    [ "$RC" -eq 0 ] && ok || bad "answer $answer: exit $RC: $(cat "$T/$answer.err")"
    for f in kpis.csv segments.csv; do
        cmp -s "$T/stream/$f" "$T/$answer/$f" && ok || bad "answer $answer: $f differs from the streamed run's"
    done
done
contains "$T/one.err" 'source "orders": the fact query ran in the source'
contains "$T/split.err" 'source "orders": the fact query ran in the source'
grep -q "fact query ran in the source" "$T/decline.err" && bad "a declined query was taken as answered" || ok
# one row per customer and month: as many as the streamed rows' distinct pairs
rows_one=$(sed -n 's/.*the fact query ran in the source: \([0-9]*\) rows.*/\1/p' "$T/one.err")
rows_split=$(sed -n 's/.*the fact query ran in the source: \([0-9]*\) rows.*/\1/p' "$T/split.err")
[ -n "$rows_one" ] && [ "$rows_one" -lt 60000 ] && [ "$rows_split" -gt "$rows_one" ] && ok ||
    bad "rows of aggregates: one ${rows_one:-none}, split ${rows_split:-none}"

spec badtype true badtype
run badtype
[ "$RC" -eq 2 ] && ok || bad "a bad answer: exit $RC, wanted 2"
contains "$T/badtype.err" 'the aggfix plugin sent a bad batch: column 3 is "orders" (number) where "orders" (integer) was asked for'
[ -f "$T/badtype.pdf" ] && bad "a PDF was written for a failed run" || ok

spec late true late
run late
[ "$RC" -eq 2 ] && ok || bad "a decline after rows: exit $RC, wanted 2"
contains "$T/late.err" 'the aggfix plugin failed to aggregate it'

# pushdown is Quire's key: a plugin may not declare an option of that name,
# and a value that is not a boolean is a spec error at its place.
spec word maybe one
run word
[ "$RC" -eq 1 ] && ok || bad "pushdown: maybe: exit $RC, wanted 1"
contains "$T/word.err" "pushdown must be true or false, not \"maybe\""

done_checks pushdown
