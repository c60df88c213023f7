# End to end: the stock monthly report on the sample data, read back from the
# PDF and the exported CSVs.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks report; exit 1; }

exits 0 "run the monthly report" \
    "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/r.pdf" --export "$T/x"
check "qpdf --check accepts the PDF" qpdf --check "$T/r.pdf"
pdftotext -q "$T/r.pdf" - | tr '\n' ' ' | tr -s ' ' >"$T/r.txt"
for s in "Monthly Customer Segment Performance Report" \
         "Segment Size and Value Analysis" "Retention and Churn Risk" "Engagement Metrics" \
         "How is Customer Distribution Changing Across Segments?" \
         "Average Order Value Trends by Segment" "Segment Retention Rates Over Time" \
         "Churn Risk Distribution by Segment" "Email Engagement Rates by Segment" \
         "Website Engagement by Segment" \
         "VIP" "Regular" "At Risk" "Inactive" "New" \
         "Feb 2024" "Mar 2024" "Apr 2024" "Page 1 of" \
         "Which segments are growing or shrinking the fastest?"; do
    contains "$T/r.txt" "$s"
done
pages=$(pdfinfo "$T/r.pdf" | awk '/^Pages:/ {print $2}')
# Sections flow and small charts share rows: the stock report fits in 7
# pages (10 when every section opened a page and every chart had a row).
[ "$pages" -le 7 ] && ok || bad "the monthly report takes $pages pages, more than 7"
contains "$T/r.txt" "Page $pages of $pages"
pdffonts "$T/r.pdf" | awk 'NR > 2 && $0 !~ / yes +yes +yes/ {bad = 1} END {exit bad}' \
    && ok || bad "a font is not embedded, subset and unicode"

# kpis.csv: the header, and a plain value for each KPI x segment x month.
K="$T/x/kpis.csv"
[ "$(head -n 1 "$K")" = "period,segment,kpi,value" ] && ok || bad "kpis.csv header"
for kpi in customer_count average_order_value retention_rate churn_risk_score \
           email_open_rate website_visits_per_customer; do
    for seg in VIP Regular "At Risk" Inactive New; do
        for p in 2024-02 2024-03 2024-04; do
            v=$(awk -F, -v p="$p" -v s="$seg" -v k="$kpi" \
                '$1 == p && $2 == s && $3 == k {print $4}' "$K")
            echo "$v" | grep -Eq '^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$' && ok \
                || bad "kpis.csv has no plain value for $kpi / $seg / $p (got '$v')"
        done
    done
done
# Rates are fractions between 0 and 1.
awk -F, '($3 == "retention_rate" || $3 == "email_open_rate") && ($4 < 0 || $4 > 1) {bad = 1}
         END {exit bad}' "$K" && ok || bad "a rate in kpis.csv is outside 0..1"

# customer_count agrees with segments.csv, for every segment and month.
S="$T/x/segments.csv"
[ "$(head -n 1 "$S")" = "customer_id,period,segment" ] && ok || bad "segments.csv header"
awk -F, 'NR > 1 {n[$2 "," $3]++} END {for (k in n) print k "," n[k]}' "$S" | sort > "$T/counted"
awk -F, 'NR > 1 && $3 == "customer_count" {print $1 "," $2 "," $4}' "$K" | sort > "$T/reported"
if cmp -s "$T/counted" "$T/reported"; then ok; else bad "customer_count differs from segments.csv"; diff "$T/counted" "$T/reported" >&2; fi
# Every customer has at most one segment per month.
dups=$(awk -F, 'NR > 1 {print $1 "," $2}' "$S" | sort | uniq -d | head -n 1)
[ -z "$dups" ] && ok || bad "a customer has two segments in one month: $dups"
# Customers move between segments over the months.
moves=$(awk -F, 'NR > 1 {if (($1) in seg && seg[$1] != $3) m++; seg[$1] = $3} END {print m + 0}' "$S")
[ "$moves" -gt 0 ] && ok || bad "no customer changed segment"

# Exported files are created like any new file: mode 0666 less the umask (the
# PDF is 0644 whatever the umask).
( umask 002 && "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" \
    -o "$T/m1.pdf" --export "$T/m1" -q ) && ok || bad "run under umask 002"
[ "$(stat -c %a "$T/m1/kpis.csv") $(stat -c %a "$T/m1/segments.csv")" = "664 664" ] && ok \
    || bad "exports under umask 002: $(stat -c %a "$T/m1/kpis.csv") $(stat -c %a "$T/m1/segments.csv"), wanted 664"
( umask 077 && "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" \
    -o "$T/m2.pdf" --export "$T/m2" -q ) && ok || bad "run under umask 077"
[ "$(stat -c %a "$T/m2/kpis.csv") $(stat -c %a "$T/m2.pdf")" = "600 644" ] && ok \
    || bad "under umask 077: kpis.csv $(stat -c %a "$T/m2/kpis.csv"), PDF $(stat -c %a "$T/m2.pdf")"

# Same inputs, same bytes.
"$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/r2.pdf" -q
cmp -s "$T/r.pdf" "$T/r2.pdf" && ok || bad "two runs gave different PDFs"

# The default output path and SOURCE_DATE_EPOCH.
ROOT=$(pwd)
case $QUIRE in /*) Q=$QUIRE ;; *) Q=$ROOT/$QUIRE ;; esac
( mkdir -p "$T/w" && cd "$T/w" && SOURCE_DATE_EPOCH=1714521600 \
  "$Q" run "$ROOT/reports/monthly_segments.yaml" --param data="$ROOT/$DATA" -q ) \
    && [ -f "$T/w/out/monthly_segments.pdf" ] && ok || bad "default output out/monthly_segments.pdf"
pdfinfo "$T/w/out/monthly_segments.pdf" 2>/dev/null | grep -q "2024" && ok || bad "PDF dates from SOURCE_DATE_EPOCH"

# A segment that no customer is in: its series has no value in any month.
# The line charts draw nothing for it and the legend says so (this stopped
# the whole render with a libharu error once).
sed -e "s#\.\./scripts/#$ROOT/scripts/#" \
    -e 's#^\(  *\)- { name: New,.*#&\n\1- { name: Dormant }#' \
    reports/monthly_segments.yaml >"$T/dormant.yaml"
grep -q 'name: Dormant' "$T/dormant.yaml" && ok || bad "the Dormant segment was not added"
exits 0 "a segment with no customers renders" \
    "$QUIRE" run "$T/dormant.yaml" --param data="$DATA" -o "$T/dormant.pdf"
pdftotext -q "$T/dormant.pdf" "$T/dormant.txt"
contains "$T/dormant.txt" "Dormant (no data)"
# The same over a single month.
exits 0 "one month with an empty segment renders" \
    "$QUIRE" run "$T/dormant.yaml" --param data="$DATA" --param from=2024-04 --param to=2024-04 \
    -o "$T/dormant1.pdf"

# Two years of months: every month label stays readable (short months with
# the year once per year, never cut with an ellipsis), and a bar chart with
# one bar per month becomes lines.
"$QUIRE" sample --out "$T/s24" --customers 2000 --orders 40000 --from 2022-05 --months 24 \
    >/dev/null 2>&1
exits 0 "a 23-month report renders" "$QUIRE" run reports/monthly_segments.yaml \
    --param data="$T/s24" --param from=2022-06 --param to=2024-04 -o "$T/m24.pdf"
pdftotext -q "$T/m24.pdf" "$T/m24.txt"
grep -q '…' "$T/m24.txt" && bad "a label is cut with an ellipsis: $(grep '…' "$T/m24.txt" | head -3)" || ok
for y in 2022 2023 2024; do
    [ "$(grep -cx "$y" "$T/m24.txt")" -ge 3 ] && ok || bad "year $y is not under the month axes"
done
# (bars by segment had a legend entry per month: "Jun 2022" on a line alone)
[ "$(grep -cx 'Jun 2022' "$T/m24.txt")" -eq 0 ] && ok || bad "a chart still has a bar per month"

done_checks report
