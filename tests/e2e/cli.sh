# The command line: help, version, plugins, validate, preview.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; # Progress is shown on a terminal only, and cleared before the final line.
"$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/p.pdf" 2>"$T/plain"
grep -q "segmenting" "$T/plain" && bad "progress printed without a terminal" || ok
if command -v script >/dev/null 2>&1; then
    script -qec "$QUIRE run reports/monthly_segments.yaml --param data=$DATA -o $T/p.pdf" \
        "$T/tty" >/dev/null 2>&1
    grep -q "segmenting" "$T/tty" && ok || bad "no progress on a terminal: $(cat -v "$T/tty")"
    grep -q "wrote $T/p.pdf" "$T/tty" && ok || bad "no final line on a terminal"
fi

done_checks cli; exit 1; }

exits 0 "--help" "$QUIRE" --help
contains "$T/out" "Usage: quire COMMAND"
for c in run validate preview plugins sample; do
    exits 0 "$c --help" "$QUIRE" $c --help
    contains "$T/out" "Usage: quire $c"
done
exits 0 "--version" "$QUIRE" --version
grep -Eq '^quire [0-9]+\.[0-9]+\.[0-9]+' "$T/out" && ok || bad "--version output"

# Libraries that only some runs need are loaded on first use
# (core/base/dynlib.h): the program links none of libcurl, ICU and
# libmicrohttpd; a report without a locale loads none of them, one with a
# locale loads ICU.
LAZY='lib\(curl\|icu[a-z0-9]*\|microhttpd\)\.so'
ldd "$QUIRE" >"$T/ldd" 2>&1
grep -q "libc\.so" "$T/ldd" && ok || bad "ldd $QUIRE: $(cat "$T/ldd")"
grep -q "$LAZY" "$T/ldd" && bad "linked at start: $(grep "$LAZY" "$T/ldd")" || ok
LD_DEBUG=files "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/lazy.pdf" \
    2>"$T/lazy" && ok || bad "the stock report under LD_DEBUG"
grep -q "file=.*csv\.so" "$T/lazy" && ok || bad "LD_DEBUG shows no library loaded"
grep -q "file=$LAZY" "$T/lazy" && bad "loaded for a report without a locale: $(grep "file=$LAZY" "$T/lazy" | head -3)" || ok
LD_DEBUG=files "$QUIRE" run tests/fixtures/locale/report.yaml --param data="$DATA" \
    --param locale=de_DE -o "$T/lazy-de.pdf" 2>"$T/lazy-de" && ok || bad "the de_DE report under LD_DEBUG"
grep -q "file=libicui18n" "$T/lazy-de" && ok || bad "ICU not loaded for a report in de_DE"
grep -q "file=lib\(curl\|microhttpd\)" "$T/lazy-de" && bad "libcurl or libmicrohttpd loaded for a report" || ok
exits 1 "unknown command" "$QUIRE" rn
contains "$T/err" 'did you mean "run"'
exits 1 "no command" "$QUIRE"
exits 1 "unknown option" "$QUIRE" run reports/monthly_segments.yaml --frobnicate

exits 0 "plugins" "$QUIRE" plugins
contains "$T/out" "csv "
contains "$T/out" "delimiter"
contains "$T/out" "template "

exits 0 "validate the stock report" "$QUIRE" validate reports/monthly_segments.yaml --param data="$DATA"
contains "$T/out" "ok"
# validate checks the schedule section too
sed -e "s#\.\./scripts/#$(pwd)/scripts/#" -e 's/^  tz: Europe\/Berlin/  tz: Europe\/Berlni/' \
    reports/monthly_segments.yaml > "$T/badtz.yaml"
exits 1 "validate a spec with a bad schedule time zone" "$QUIRE" validate "$T/badtz.yaml" --param data="$DATA"
grep -q "badtz.yaml:[0-9]*:[0-9]*: error: .*Berlni" "$T/err" && ok || bad "bad time zone message: $(cat "$T/err")"
exits 2 "validate names a missing data file" "$QUIRE" validate reports/monthly_segments.yaml --param data="$T/none"
contains "$T/err" "$T/none/customers.csv"

# preview: typed values exactly as parsed.
exits 0 "preview csv" "$QUIRE" preview reports/monthly_segments.yaml orders --rows 3 --param data="$DATA"
[ "$(wc -l < "$T/out")" -eq 4 ] && ok || bad "preview --rows 3 printed $(wc -l < "$T/out") lines"
head -n 1 "$T/out" | grep -q "order_id,customer_id,order_date,amount" && ok || bad "preview header: $(head -n 1 "$T/out")"
sed -n 2p "$T/out" | grep -Eq '^[0-9]+,[0-9]+,[0-9]{4}-[0-9]{2}-[0-9]{2},[0-9.]+$' && ok || bad "preview row: $(sed -n 2p "$T/out")"
exits 0 "preview json" "$QUIRE" preview reports/monthly_segments.yaml customers --rows 2 --format json --param data="$DATA"
python3 -c "
import json, sys
rows = json.load(open('$T/out'))
assert len(rows) == 2, rows
assert isinstance(rows[0]['customer_id'], int), rows[0]
assert len(rows[0]['signup_date']) == 10, rows[0]
" && ok || bad "preview json is not an array of 2 typed objects: $(cat "$T/out")"
# A Latin-1 export: bytes that are not UTF-8 still make valid JSON (as U+FFFD).
mkdir -p "$T/latin1"
cp "$DATA"/*.csv "$T/latin1/"
printf 'customer_id,name,email,signup_date\n1,Zo\353 M\374ller,z@example.com,2020-01-02\n' \
    >"$T/latin1/customers.csv"
exits 0 "preview json of a Latin-1 file" "$QUIRE" preview reports/monthly_segments.yaml customers \
    --format json --param data="$T/latin1"
python3 -c "
import json
rows = json.load(open('$T/out', encoding='utf-8'))
assert rows[0]['name'] == 'Zo\ufffd M\ufffdller', rows
" && ok || bad "preview json of Latin-1 input is not JSON: $(cat "$T/out")"
exits 1 "preview of an unknown source" "$QUIRE" preview reports/monthly_segments.yaml ordrs
contains "$T/err" "orders"
exits 1 "preview --format xml" "$QUIRE" preview reports/monthly_segments.yaml orders --format xml

# Progress is shown on a terminal only, and cleared before the final line.
"$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/p.pdf" 2>"$T/plain"
grep -q "segmenting" "$T/plain" && bad "progress printed without a terminal" || ok
if command -v script >/dev/null 2>&1; then
    script -qec "$QUIRE run reports/monthly_segments.yaml --param data=$DATA -o $T/p.pdf" \
        "$T/tty" >/dev/null 2>&1
    grep -q "segmenting" "$T/tty" && ok || bad "no progress on a terminal: $(cat -v "$T/tty")"
    grep -q "wrote $T/p.pdf" "$T/tty" && ok || bad "no final line on a terminal"
fi

done_checks cli
