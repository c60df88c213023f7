# End to end: insights answering the questions to consider. The stock report
# on the sample data (every question answered, a few answers checked against
# the exported numbers), the scripts of scripts/insights on hand-made data
# (tests/fixtures/insights: exact sentences), and insights that fail.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks insights; exit 1; }
ROOT=$(pwd)
FX=$ROOT/tests/fixtures/insights

# text PDF OUT: the PDF's text (layout kept; no-break spaces and minus signs as
# ASCII), and OUT.flat: all of it on one line, a word broken after its hyphen
# joined again.
text() {
    pdftotext -q -layout "$1" - | sed -e 's/\xc2\xa0/ /g' -e 's/\xe2\x88\x92/-/g' > "$2"
    awk '{ sub(/^[ \t]+/, ""); sub(/[ \t]+$/, ""); if ($0 == "") next
           if (s ~ /[^ ]-$/) s = s $0; else s = s (s == "" ? "" : " ") $0 }
         END { print s }' "$2" | tr -s ' ' > "$2.flat"
}

# answer FLAT START: the sentence(s) from START up to the next question.
answer() {
    sed -e "s/.*\($2\)/\1/" -e 's/ • .*//' -e 's/ Monthly Customer Segment Performance Report .*//' "$1"
}

# ------------------------------------------------------------ the stock report

exits 0 "run the monthly report" \
    "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/r.pdf" --export "$T/x"
text "$T/r.pdf" "$T/r.txt"
K="$T/x/kpis.csv"

# Every question of the spec names an insight.
asks=$(grep -c '^ *- ask: ' reports/monthly_segments.yaml)
ins=$(grep -c '^ *insight: \.\./scripts/insights/' reports/monthly_segments.yaml)
[ "$asks" -eq 18 ] && [ "$ins" -eq 18 ] && ok || bad "18 questions with insights wanted: $asks asks, $ins insights"
for f in scripts/insights/*.lua; do
    head -n 1 "$f" | grep -q "^-- $(basename "$f"): " && ok || bad "$f does not start with its header comment"
    grep -q '^-- Example: ' "$f" && ok || bad "$f has no example sentence"
done

# answered TEXT SPEC: under each question of SPEC, before the next one, a line
# of answer in the PDF's TEXT.
answered() {
    sed -n 's/^ *- ask: //p' "$2" > "$T/asks"
    while IFS= read -r q; do
        awk -v q="$q" '
            found && NF { if ($0 ~ /^ *•/ || $0 ~ /Questions to Consider|Page [0-9]+ of [0-9]+/) exit 1
                          exit !($0 ~ /^   +[A-Z]/ && length($0) > 40) }
            index($0, "• " q) { found = 1 }
            END { if (!found) exit 2 }' "$1"
        case $? in
            0) ok ;;
            2) bad "question not in the PDF: $q" ;;
            *) bad "no answer under: $q" ;;
        esac
    done < "$T/asks"
}
answered "$T/r.txt" reports/monthly_segments.yaml

# The KPI scorecard's ten questions are answered too.
exits 0 "run the KPI scorecard" \
    "$QUIRE" run reports/kpi_scorecard.yaml --param data="$DATA" -o "$T/sc.pdf"
text "$T/sc.pdf" "$T/sc.txt"
[ "$(grep -c '^ *insight: \.\./scripts/insights/' reports/kpi_scorecard.yaml)" -eq 10 ] && ok \
    || bad "the scorecard's ten questions should name insights"
answered "$T/sc.txt" reports/kpi_scorecard.yaml
grep -q "error\|nil\|table:" "$T/r.txt.flat" && bad "an answer shows an error or nil" || ok

# fmt N: a whole number with thousands separators, as the report prints it.
fmt() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# value PERIOD SEGMENT KPI: a value of kpis.csv.
value() { awk -F, -v p="$1" -v s="$2" -v k="$3" '$1 == p && $2 == s && $3 == k {print $4}' "$K"; }

# The fastest-growing and fastest-shrinking segments by customer count are
# those of kpis.csv, with their figures.
awk -F, '$3 == "customer_count" && $2 != "All" && $1 == "2024-02" {a[$2] = $4}
         $3 == "customer_count" && $2 != "All" && $1 == "2024-04" {b[$2] = $4}
         END {for (s in a) printf "%s,%.6f\n", s, b[s] / a[s] - 1}' "$K" | sort -t, -k2,2g > "$T/growth"
grower=$(tail -n 1 "$T/growth" | cut -d, -f1)
shrinker=$(head -n 1 "$T/growth" | cut -d, -f1)
A=$(answer "$T/r.txt.flat" "Between Feb 2024 and Apr 2024, [A-Za-z ]* grew the fastest")
echo "$A" | grep -q "^Between Feb 2024 and Apr 2024, $grower grew the fastest (customer count " \
    && ok || bad "fastest-growing segment is $grower: $A"
echo "$A" | grep -q "; $shrinker shrank the fastest (" && ok || bad "fastest-shrinking segment is $shrinker: $A"
pct=$(awk -F, -v s="$grower" '$1 == s {printf "+%.1f%%", $2 * 100}' "$T/growth")
old=$(value 2024-02 "$grower" customer_count) new=$(value 2024-04 "$grower" customer_count)
echo "$A" | grep -qF "$grower grew the fastest (customer count $(fmt "$old") to $(fmt "$new"), $pct)" \
    && ok || bad "the grower's counts ($old, $new) and change ($pct): $A"

# The highest average order value in the last month, with its value.
top=$(awk -F, '$1 == "2024-04" && $3 == "average_order_value" && $2 != "All" {print $4 "," $2}' "$K" \
      | sort -t, -k1,1gr | head -n 1)
A=$(answer "$T/r.txt.flat" "In Apr 2024, [A-Za-z ]* has the highest average order value")
want=$(echo "$top" | awk -F, '{printf "In Apr 2024, %s has the highest average order value, $%.2f", $2, $1}')
case $A in "$want"*) ok ;; *) bad "highest AOV: wanted '$want', got '$A'" ;; esac

# Upgrades: the moves up and down the ladder, counted in segments.csv.
awk -F, 'BEGIN { r["Inactive"] = 1; r["At Risk"] = 2; r["Regular"] = 3; r["VIP"] = 4 }
    NR > 1 && $2 == "2024-03" { m[$1] = $3 }
    NR > 1 && $2 == "2024-04" { n[$1] = $3 }
    END { for (c in n) if ((c in m) && (m[c] in r) && (n[c] in r)) {
            if (r[n[c]] > r[m[c]]) up++; else if (r[n[c]] < r[m[c]]) down++ }
          for (c in m) if (m[c] in r && m[c] != "VIP") low++
          printf "%d %d %d\n", up, down, low }' "$T/x/segments.csv" > "$T/moves"
read -r up down low < "$T/moves"
A=$(answer "$T/r.txt.flat" "In Apr 2024, [0-9,]* customers moved up")
echo "$A" | grep -qF "In Apr 2024, $(fmt "$up") customers moved up the ladder Inactive → At Risk → Regular → VIP and $(fmt "$down") moved down" \
    && ok || bad "upgrades: $up up, $down down wanted: $A"
echo "$A" | grep -qF "Of the $(fmt "$low") customers on the lower rungs in Mar 2024, " && ok || bad "upgrades: $low on the lower rungs wanted: $A"

# Retention rates ranked as in kpis.csv.
order=$(awk -F, '$1 == "2024-04" && $3 == "retention_rate" && $2 != "All" {print $4 "," $2}' "$K" \
        | sort -t, -k1,1gr | cut -d, -f2 | tr '\n' '|')
got=$(answer "$T/r.txt.flat" "In Apr 2024, retention rate is highest" \
      | sed 's/;.*//; s/ ([0-9.]*%)//g; s/In Apr 2024, retention rate is highest for //; s/, then /|/; s/, /|/g; s/ and /|/')
[ "$got|" = "$order" ] && ok || bad "retention ranking: wanted $order, got $got"

# The same answers on a twelve-month report: a longer period reads as one.
exits 0 "a twelve-month report" "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" \
    --param from=2023-05 --param to=2024-04 -o "$T/y.pdf"
text "$T/y.pdf" "$T/y.txt"
contains "$T/y.txt.flat" "The report covers 12 months (May 2023 to Apr 2024), too short to separate seasonal patterns from trend"

# ------------------------------------------------------------ hand-made data

exits 0 "run the insight fixture" "$QUIRE" run "$FX/report.yaml" -o "$T/f.pdf"
text "$T/f.pdf" "$T/f.txt"
F="$T/f.txt.flat"
contains "$F" "Between Jan 2024 and Mar 2024, High grew the fastest (customer count 2 to 4, +100.0%); Low shrank the fastest (4 to 2, -50.0%); Mid did not change. All customers: 10 to 10 (0.0%)."
contains "$F" "In Mar 2024, 3 customers moved up the ladder Low → Mid → High and 1 moved down, a net 2 up. Of the 7 customers on the lower rungs in Feb 2024, 42.9% moved up; the most common step up was Low → Mid (2 customers). The share moving up was 12.5% in Jan 2024 and 25.0% in Feb 2024."
contains "$F" "In Mar 2024, spend per customer ranges from \$10.00 (Low) to \$115.00 (High): a gap of \$105.00, High's being 11.5 times Low's. In Jan 2024 the gap was \$90.00 (10.0 times): it has widened."
contains "$F" "Between Jan 2024 and Mar 2024, the spend per customer fell by more than 10% in 1 segment: Mid (\$40.00 to \$35.00, -12.5%)."
contains "$F" "Segments with higher visits per customer tend to have higher spend per customer (r = 0.97, a strong relationship, across 9 segment-months). With 3 segments this describes how the segments differ, not what causes what."
# A question without an insight has no answer: the next question follows.
grep -q "Do visits and spend go together?.*• A question without an insight" "$F" && ok || bad "the question without insight"

# Seasonality on 38 months: High has 8 customers in December, 3 in
# February, 5 otherwise; the total never changes.
mkdir -p "$T/sea"
awk -v dir="$T/sea" 'BEGIN {
    print "customer_id,signup_date" > (dir "/customers.csv")
    for (c = 1; c <= 20; c++) print c ",2020-01-01" > (dir "/customers.csv")
    print "customer_id,month,tier,spend,visits" > (dir "/tiers.csv")
    for (k = 0; k < 39; k++) {
        y = 2020 + int((11 + k) / 12); m = (11 + k) % 12 + 1
        high = m == 12 ? 8 : m == 2 ? 3 : 5
        for (c = 1; c <= 20; c++) printf "%d,%04d-%02d,%d,0,0\n", c, y, m, c <= high ? 3 : 1 > (dir "/tiers.csv")
    }
}'
exits 0 "run the seasonal fixture" "$QUIRE" run "$FX/seasonal.yaml" --param data="$T/sea" -o "$T/s.pdf"
text "$T/s.pdf" "$T/s.txt"
contains "$T/s.txt.flat" "Over 38 months (Jan 2021 to Feb 2024), the customer count of all customers shows no seasonal swing; the most seasonal segment, High, runs highest in Dec (+57.4% against its 12-month moving average, above it in 2 of 2 years) and lowest in Feb (-41.0%, below it in 2 of 2 years)."
exits 0 "the seasonal fixture over 14 months" "$QUIRE" run "$FX/seasonal.yaml" --param data="$T/sea" \
    --param from=2023-01 -o "$T/s14.pdf"
text "$T/s14.pdf" "$T/s14.txt"
contains "$T/s14.txt.flat" "The report covers 14 months (Jan 2023 to Feb 2024): each calendar month appears at most twice, too little to establish a seasonal pattern. Year over year, the customer count of all customers did not change (2 months compared). In the first 12 months, High peaked in Dec 2023 (8) and was lowest in Feb 2023 (3), but a single year cannot show whether that shape repeats."

# Zeros are values. High starts empty (customers 1-3 join it in Feb) and Low
# spends $0 every month: High is new (0 to 3), not missing, and Low's $0 to
# $0 is no change, not "no data". Mid spends $0 until Feb, then $40: new.
mkdir -p "$T/zero"
awk -v dir="$T/zero" 'BEGIN {
    print "customer_id,signup_date" > (dir "/customers.csv")
    for (c = 1; c <= 10; c++) print c ",2023-01-15" > (dir "/customers.csv")
    print "customer_id,month,tier,spend,visits" > (dir "/tiers.csv")
    split("2023-12 2024-01 2024-02 2024-03", ms, " ")
    for (k = 1; k <= 4; k++) for (c = 1; c <= 10; c++) {
        tier = c <= 3 ? (k >= 3 ? 3 : 2) : c <= 6 ? 2 : 1
        spend = tier == 3 ? 100 : tier == 2 && k >= 3 ? 40 : 0
        printf "%d,%s,%d,%d,%d\n", c, ms[k], tier, spend, c % 4 + tier > (dir "/tiers.csv")
    }
}'
exits 0 "run the insight fixture on data with zeros" "$QUIRE" run "$FX/report.yaml" --param data="$T/zero" -o "$T/z.pdf"
text "$T/z.pdf" "$T/z.txt"
contains "$T/z.txt.flat" "Between Jan 2024 and Mar 2024, High is new this period (0 to 3); Mid shrank the fastest (customer count 6 to 3, -50.0%); Low did not change. All customers: 10 to 10 (0.0%)."
contains "$T/z.txt.flat" "No segment's spend per customer fell by more than 10% between Jan 2024 and Mar 2024: every segment held steady or improved. No data for High in Jan 2024 or Mar 2024."
grep -q "no segment grew\|No data for High in one of\|No data for Low\|No data for Mid" "$T/z.txt.flat" && bad "a zero read as missing: $(cat "$T/z.txt.flat")" || ok

# Only the last month has data: every customer is Low before it, so Low
# "leads" Jan and Feb alone. highest.lua counts a month as led only when two
# segments have a value: it says nothing of the other months, not "in all 3".
mkdir -p "$T/one"
awk -v dir="$T/one" 'BEGIN {
    print "customer_id,signup_date" > (dir "/customers.csv")
    for (c = 1; c <= 6; c++) print c ",2023-01-15" > (dir "/customers.csv")
    print "customer_id,month,tier,spend,visits" > (dir "/tiers.csv")
    for (c = 1; c <= 6; c++) printf "%d,2024-03,%d,%d,%d\n", c, c % 3 + 1, 10 * c, c > (dir "/tiers.csv")
}'
sed -e "s#\.\./\.\./\.\./#$ROOT/#g" -e "s#\([ :]\)\([a-z_]*\.lua\)#\1$FX/\2#" \
    -e "s#insight: .*/relationship.lua#insight: $ROOT/scripts/insights/highest.lua#" \
    -e "s#with: { x: visits_per_customer, y: spend_per_customer }#with: { kpi: spend_per_customer }#" \
    "$FX/report.yaml" > "$T/one.yaml"
exits 0 "the highest insight with one month of data" "$QUIRE" run "$T/one.yaml" --param data="$T/one" -o "$T/one.pdf"
text "$T/one.pdf" "$T/one.txt"
contains "$T/one.txt.flat" "In Mar 2024, Low has the highest spend per customer, \$45.00: \$10.00 more than High (\$35.00). The lowest is Mid (\$25.00); all customers: \$35.00. •"

# ------------------------------------------------------------ failures

# with SCRIPT [ARGS]: the fixture in $T with its last insight replaced; every
# other path made absolute.
with() {
    sed -e "s#\.\./\.\./\.\./#$ROOT/#g" -e "s#\([ :]\)\([a-z_]*\.lua\)#\1$FX/\2#" \
        -e "s#default: data #default: $FX/data #" \
        -e "s#insight: .*/relationship.lua#insight: $1#" \
        -e "s#with: { x: visits_per_customer, y: spend_per_customer }#with: ${2:-{\}}#" \
        "$FX/report.yaml" > "$T/with.yaml"
    rm -f "$T/fail.pdf"
}

# An insight that errors: exit 2, the script and the question named, no PDF.
with "$FX/broken.lua"
exits 2 "an insight that errors" "$QUIRE" run "$T/with.yaml" -o "$T/fail.pdf"
grep -q 'insight for "Do visits and spend go together?"' "$T/err" && ok || bad "the failing question is not named: $(cat "$T/err")"
grep -q "broken.lua:3: the report has no KPI \"no_such_kpi\"" "$T/err" && ok || bad "the failing script and line are not named: $(cat "$T/err")"
[ ! -e "$T/fail.pdf" ] && ok || bad "a PDF was written despite a failing insight"

# An insight returning a number: an error naming the script.
with "$FX/number.lua"
exits 2 "an insight returning a number" "$QUIRE" run "$T/with.yaml" -o "$T/fail.pdf"
grep -q "number.lua: error: the insight for \"Do visits and spend go together?\" returned a number" "$T/err" \
    && ok || bad "a number answer: $(cat "$T/err")"
[ ! -e "$T/fail.pdf" ] && ok || bad "a PDF was written despite a number answer"

# A ladder naming a segment that does not exist.
with "$ROOT/scripts/insights/upgrades.lua" "{ ladder: [Low, Middle, High] }"
exits 2 "a ladder with an unknown segment" "$QUIRE" run "$T/with.yaml" -o "$T/fail.pdf"
grep -q 'upgrades.lua:[0-9]*: the ladder names "Middle", which is not a segment of segments' "$T/err" \
    && ok || bad "unknown ladder segment: $(cat "$T/err")"

# A KPI the report does not have.
with "$ROOT/scripts/insights/trend.lua" "{ kpi: revenue }"
exits 2 "an insight on a KPI the report lacks" "$QUIRE" run "$T/with.yaml" -o "$T/fail.pdf"
grep -q 'trend.lua:[0-9]*: the report has no KPI "revenue"' "$T/err" && ok || bad "unknown KPI: $(cat "$T/err")"

done_checks insights
