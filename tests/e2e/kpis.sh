# End to end: the KPI library (scripts/kpis) on the hand-made fixture
# (tests/fixtures/kpis: six customers, orders 2023-12..2024-03, a report of
# 2024-02 and 2024-03), checked against values worked out by hand; then the
# stock KPI scorecard on the sample data; then a KPI added without a rebuild.
. tests/lib.sh
ROOT=$(pwd)
case $QUIRE in /*) Q=$QUIRE ;; *) Q=$ROOT/$QUIRE ;; esac
FIX=tests/fixtures/kpis

# kv FILE PERIOD SEGMENT KPI: the value in kpis.csv ("" when empty or absent).
kv() {
    awk -F, -v p="$2" -v s="$3" -v k="$4" '$1 == p && $2 == s && $3 == k {print $4}' "$1"
}
# allv PDF MONTH KPI: the All-customers value of KPI in MONTH ("Feb 2024")
# from the tables attached to PDF (kpis.csv holds the segments only; a
# `table: {by: month, segment: All}` carries All).
allv() {
    for a in $(qpdf --list-attachments "$1" | sed -n 's/^\(table-[^ ]*\.csv\) -> .*/\1/p'); do
        qpdf --show-attachment="$a" "$1"
    done | awk -F, -v m="$2" -v k="$3" '
        $1 == "month" {c = 0; for (i = 2; i <= NF; i++) if ($i == k) c = i; next}
        c && $1 == m {print $c; exit}'
}
# within GOT WANT WHAT: GOT is WANT within 1e-6 (relative, at least 1e-9).
within() {
    if [ -n "$1" ] && awk -v g="$1" -v w="$2" 'BEGIN {
            d = g - w; if (d < 0) d = -d; t = (w < 0 ? -w : w) * 1e-6; if (t < 1e-9) t = 1e-9
            exit !(d <= t) }'; then
        ok
    else
        bad "$3: got '$1', wanted $2"
    fi
}
# near PERIOD SEGMENT KPI WANT: the value in $K, or for segment All in the
# tables of $PDF, is WANT.
near() {
    if [ "$2" = All ]; then
        mon=$(echo "$1" | sed 's/-02$/ Feb/; s/-03$/ Mar/; s/-04$/ Apr/; s/^\([0-9]*\) \(.*\)/\2 \1/')
        got=$(allv "$PDF" "$mon" "$3")
    else
        got=$(kv "$K" "$1" "$2" "$3")
    fi
    within "$got" "$4" "$3 / $2 / $1"
}
# copy_fixture DIR: the fixture's spec, rule and data in DIR, the spec naming
# the KPI scripts of this tree by absolute path.
copy_fixture() {
    mkdir -p "$1"
    cp -r "$FIX/data" "$FIX/rule.lua" "$1/"
    sed "s#\.\./\.\./\.\./scripts/kpis/#$ROOT/scripts/kpis/#" "$FIX/report.yaml" > "$1/report.yaml"
}
# empty PERIOD SEGMENT KPI: no value (no data), not 0.
empty() {
    got=$(kv "$K" "$1" "$2" "$3")
    [ -z "$got" ] && ok || bad "$3 / $2 / $1: got '$got', wanted no value"
}

exits 0 "run the KPI fixture" "$QUIRE" run "$FIX/report.yaml" --export "$T/f" -o "$T/f.pdf"
K="$T/f/kpis.csv" PDF="$T/f.pdf"

# Segments, by the fixture's rule (Lost: no order for more than 40 days;
# Gold: 3-month revenue of 300 or more; else Silver), month ends Jan 31,
# Feb 29, Mar 31; the 3-month window of March is Jan..Mar, of February Dec..Feb:
#   2024-01  Gold {1}  Silver {3, 4}     Lost {2, 5}
#   2024-02  Gold {1}  Silver {2, 4, 6}  Lost {3, 5}   (6 signs up on Feb 5)
#   2024-03  Gold {1}  Silver {3, 6}     Lost {2, 4, 5}
# e.g. customer 4 in February: last order Jan 20, 11 + 29 = 40 days, not > 40,
# Silver; in March 71 days, Lost. Customer 1's 3-month revenue in March:
# 200 + 200 + 300 = 700, Gold.

# customer_count: March Lost = {2, 4, 5} = 3.
near 2024-03 Lost customer_count 3
# segment_share: February Silver 3 of 6 customers = 0.5.
near 2024-02 Silver segment_share 0.5
# revenue: March Silver = 70 (customer 3) + 60 (customer 6) = 130.
near 2024-03 Silver revenue 130
# average_order_value (12 months, here everything since Dec): February Silver
# = (50 + 30 + 60 + 50) / 4 orders = 47.5; March All = (280 + 300 + 280 + 430)
# / 13 orders = 1290 / 13.
near 2024-02 Silver average_order_value 47.5
near 2024-03 All average_order_value 99.23076923
# purchase_frequency: March Lost = (2 + 1 + 1) orders / 3 customers.
near 2024-03 Lost purchase_frequency 1.33333333
# repeat_purchase_rate: March Lost: customer 2 has 2 orders (1), 4 and 5 one
# each (0): 1 / 3.
near 2024-03 Lost repeat_purchase_rate 0.33333333
# sales_contribution: March Gold = 300 / 430; Lost bought nothing: 0.
near 2024-03 Gold sales_contribution 0.69767442
near 2024-03 Lost sales_contribution 0
# buyers: March Silver {3, 6} both ordered (Mar 5, Mar 20): 2.
near 2024-03 Silver buyers 2
# orders_per_buyer: February Gold: customer 1 ordered twice (Feb 3, Feb 25):
# 2; February Silver {2, 4, 6}: 2 and 6 ordered once: 2 / 2; March Lost
# bought nothing: no value.
near 2024-02 Gold orders_per_buyer 2
near 2024-02 Silver orders_per_buyer 1
empty 2024-03 Lost orders_per_buyer
# sales_gbp is revenue under another label; spend_per_buyer_gbp: March
# Silver 130 / 2 buyers.
near 2024-03 Silver sales_gbp 130
near 2024-03 Silver spend_per_buyer_gbp 65
empty 2024-03 Lost spend_per_buyer_gbp
# retention_rate: February's Silver {2, 4, 6}: only 6 orders in March: 1 / 3.
near 2024-03 Silver retention_rate 0.33333333
# churn_rate: February's Silver {2, 4, 6}: 2 and 4 are Lost in March: 2 / 3.
# All in February: January's customers outside Lost {1, 3, 4}, 3 is Lost: 1/3.
near 2024-03 Silver churn_rate 0.66666667
near 2024-02 All churn_rate 0.33333333
# churn_risk_score, March Silver: customer 3: 26 days since Mar 5, 2 orders,
# tenure 3 -> 4 months: gap 30.44 * 4 / 2 = 60.88, r = 26 / 60.88 = 0.42707,
# 100 r^2 / (1 + r^2) = 15.4245; customer 6: 11 days, 2 orders, tenure 1 ->
# 2 months: gap 30.44, r = 0.36137, 11.5505; mean 13.4879.
near 2024-03 Silver churn_risk_score 13.48785419
# clv_historical, March Silver: gross_margin 0.4 (the fixture's parameter)
# * lifetime revenue (110 + 110) / 2 customers = 44.
near 2024-03 Silver clv_historical 44
# clv_predicted, March Gold: customer 1's monthly revenue 850 / min(12, 9 + 1)
# = 85; retention 1 / 1 -> the 36-month cap: 0.4 * 85 * 36 = 1224.
# March Silver: monthly revenue 110 / 4 = 27.5 and 110 / 2 = 55, mean 41.25;
# retention 1 / 3 -> (1 - (1/3)^36) / (2/3) = 1.5 months: 0.4 * 41.25 * 1.5.
near 2024-03 Gold clv_predicted 1224
near 2024-03 Silver clv_predicted 24.75
# clv_growth, March Gold: February 550 / 9 = 61.111 a month, retention 1:
# 85 / 61.111 - 1 = 0.390909. February Gold: January has no retention (the
# first segmented month), February's (1) stands in: January 350 / 8 = 43.75,
# 61.111 / 43.75 - 1 = 0.396825.
near 2024-03 Gold clv_growth 0.39090909
near 2024-02 Gold clv_growth 0.39682540
# cac: March Lost: customers 2 (60) and 4 (30); 5 has none: 90 / 2 = 45.
near 2024-03 Lost cac 45
# cac_payback_months, March Silver: CAC (90 + 40) / 2 = 65 over the monthly
# margin 0.4 * 41.25 = 16.5: 3.939394.
near 2024-03 Silver cac_payback_months 3.93939394
# retention_cost: March Silver: February's Silver retention spend 90 over the
# one member kept (6): 90. March All: February's 60 + 90 + 30 = 180 over the
# two kept (1, 6): 90. February Lost: January's 40 over one won back (2): 40.
near 2024-03 Silver retention_cost 90
near 2024-03 All retention_cost 90
near 2024-02 Lost retention_cost 40
# csat (3 months, Jan..Mar): answers 2 (Feb, customer 2), 4 (4), 4 (1), 3 (6);
# customer 3's January answer has no csat: 2 satisfied of 4 = 0.5.
# March Silver {3, 6}: one answer, 3: 0 (a value, not "no data").
near 2024-03 All csat 0.5
near 2024-03 Silver csat 0
# nps, March All (Jan..Mar): 7 (3), 3 (2), 9 (1), 6 (6): one promoter, two
# detractors of four: 100 * (1 - 2) / 4 = -25.
near 2024-03 All nps -25
# nps_change, March Silver: March {3, 6}: 7 passive, 6 detractor: -50;
# February {2, 4, 6} (Dec..Feb): 3, a detractor: -100; -50 - (-100) = 50.
near 2024-03 Silver nps_change 50
# email_open_rate: March Silver: (1 + 5) opened / (5 + 5) sent = 0.6.
# February Lost: nothing sent: no value.
near 2024-03 Silver email_open_rate 0.6
empty 2024-02 Lost email_open_rate
# email_click_rate: February All: (1 + 0 + 0 + 1) / (10 + 4 + 0 + 4) = 2 / 18.
near 2024-02 All email_click_rate 0.11111111
# website_visits_per_customer: February Silver: (3 + 6 + 2) / 3.
near 2024-02 Silver website_visits_per_customer 3.66666667
# engagement_score, February Silver: customer 2: opens 1/4 = 0.25 of 0.5 ->
# 0.5, clicks 0, web 3/12 = 0.25, app 0: 25 * 0.75 = 18.75; customer 4: no
# mail, web 6/12 = 0.5, app 12/12 = 1: 37.5; customer 6: opens 2/4 -> 1,
# clicks 1/4 -> 1, web 2/12, app 3/12: 25 * 2.416667 = 60.416667;
# mean (18.75 + 37.5 + 60.416667) / 3 = 38.888889.
near 2024-02 Silver engagement_score 38.88888889
# support_tickets_per_customer: February Silver: tickets of 2 and 4: 2 / 3.
near 2024-02 Silver support_tickets_per_customer 0.66666667
# response_time_hours, March All (Jan..Mar): 2.0 + 10.0 + 4.5 + 1.5 over 4
# answered tickets (customer 4's has none) = 4.5.
near 2024-03 All response_time_hours 4.5
# feedback_score, March All: 5, 2, 4: 11 / 3.
near 2024-03 All feedback_score 3.66666667
# insight_penetration, March All: 4 has no age band; 5's survey (2023-10) is
# before the loaded months; 1, 2, 3 and 6 are complete and answered: 4 / 6.
near 2024-03 All insight_penetration 0.66666667
# brand_equity, March Silver {3, 6}: (4 + 4 + 4 + 2 + 3 + 1) / (3 * 2) = 3 on
# 1..5: 100 * (3 - 1) / 4 = 50. February Lost {3, 5}: no brand answer yet.
near 2024-03 Silver brand_equity 50
empty 2024-02 Lost brand_equity
# The segments' contributions add up to 1 in every month of the fixture.
for p in 2024-02 2024-03; do
    awk -F, -v p="$p" '$1 == p && $3 == "sales_contribution" && $2 != "All" {t += $4}
        END {d = t - 1; if (d < 0) d = -d; exit !(d < 1e-9)}' "$K" && ok \
        || bad "sales_contribution of $p does not add up to 1"
done

# A KPI whose data the spec does not provide shows no value, not 0: the
# fixture without the brand survey facts (and with a gross_margin of 0.3).
copy_fixture "$T/nb"
awk '/^  - source: brand$/ {skip = 1; next} skip && /^  - / {skip = 0} !skip' "$T/nb/report.yaml" \
    | sed 's/^  gross_margin: { type: number, default: 0.4 }/  gross_margin: { type: number, default: 0.3 }/' \
    > "$T/nb/nobrand.yaml"
exits 0 "run the fixture without brand facts" \
    "$QUIRE" run "$T/nb/nobrand.yaml" --export "$T/nb/x" -o "$T/nb.pdf"
cp "$T/err" "$T/nb.err"
n=$(awk -F, '$3 == "brand_equity" && $4 != ""' "$T/nb/x/kpis.csv" | wc -l)
rows=$(awk -F, '$3 == "brand_equity"' "$T/nb/x/kpis.csv" | wc -l)
[ "$n" -eq 0 ] && [ "$rows" -gt 0 ] && ok || bad "brand_equity without brand data: $n values in $rows rows"
K="$T/nb/x/kpis.csv" PDF="$T/nb.pdf"
near 2024-03 Silver nps_change 50     # the others are untouched
# clv_historical, March Silver, with the spec's margin: 0.3 * 220 / 2 = 33.
near 2024-03 Silver clv_historical 33
pdftotext -q "$T/nb.pdf" "$T/nb.txt"
# and the data notes say what is missing
contains "$T/nb.txt" "Brand equity index: no data"
tr '\n' ' ' < "$T/nb.txt" | grep -q "has no awareness_12m, quality_12m, loyalty_12m, *brand_answers_12m" \
    && ok || bad "the data notes do not name brand_equity's missing fields"

# The gross margin is the spec's parameter, with no default in the scripts:
# a spec that lists the KPIs that read it without declaring it is an error
# that names the parameter, in validate as in run.
grep -v '^  gross_margin:' "$T/nb/report.yaml" > "$T/nb/nomargin.yaml"
exits 2 "validate the fixture without gross_margin" "$QUIRE" validate "$T/nb/nomargin.yaml"
cp "$T/err" "$T/nm.err"
exits 2 "run the fixture without gross_margin" "$QUIRE" run "$T/nb/nomargin.yaml" -o "$T/nm.pdf"
for e in "$T/nm.err" "$T/err"; do
    grep -Eq '(cac_payback_months|clv_historical|clv_predicted).lua:[0-9]+: the spec has no parameter "gross_margin"; declare it under parameters:' \
        "$e" && ok || bad "without gross_margin: $(cat "$e")"
done
[ ! -e "$T/nm.pdf" ] && ok || bad "a PDF was written without gross_margin"

# The scorecard on the sample data: all ten KPIs have a value for every
# segment and month, and the contributions add up to 1.
DATA="$T/sample"     # fresh: an older build/test-sample may lack the newer files
"$QUIRE" sample --out "$DATA" >/dev/null 2>&1 || { bad "quire sample failed"; done_checks kpis; exit 1; }
exits 0 "run the KPI scorecard" \
    "$QUIRE" run reports/kpi_scorecard.yaml --param data="$DATA" -o "$T/s.pdf" --export "$T/s"
K="$T/s/kpis.csv"
for kpi in clv_growth cac_payback_months churn_rate csat nps_change average_order_value \
           retention_cost sales_contribution insight_penetration brand_equity; do
    for seg in VIP Regular "At Risk" Inactive New All; do
        for p in 2024-02 2024-03 2024-04; do
            if [ "$seg" = All ]; then
                v=$(allv "$T/s.pdf" "$(echo "$p" | sed 's/2024-02/Feb 2024/; s/2024-03/Mar 2024/; s/2024-04/Apr 2024/')" "$kpi")
            else
                v=$(kv "$K" "$p" "$seg" "$kpi")
            fi
            echo "$v" | grep -Eq '^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$' && ok \
                || bad "scorecard: no value for $kpi / $seg / $p (got '$v')"
        done
    done
done
for p in 2024-02 2024-03 2024-04; do
    awk -F, -v p="$p" '$1 == p && $3 == "sales_contribution" && $2 != "All" {t += $4; n++}
        END {d = t - 1; if (d < 0) d = -d; exit !(n == 5 && d < 1e-9)}' "$K" && ok \
        || bad "scorecard: sales_contribution of $p does not add up to 1"
done
pdftotext -q "$T/s.pdf" "$T/s.txt"
for s in "Customer Segmentation KPI Scorecard" "CLV Growth by Segment" \
         "CAC Payback Period by Segment" "Churn Rate by Segment" \
         "Customer Satisfaction by Segment" "NPS Change by Segment" \
         "Average Order Value by Segment" "Retention Cost per Retained Customer" \
         "Contribution to Sales by Segment" "Customer Insight Penetration by Segment" \
         "Brand Equity by Segment"; do
    contains "$T/s.txt" "$s"
done

# A KPI added without a rebuild: a copy of the fixture, a new Lua file in a
# kpis folder beside it, named in the spec.
copy_fixture "$T/user"
mkdir -p "$T/user/kpis"
sed 's#^kpis:$#kpis:\n  orders_per_customer: kpis/orders_per_customer.lua#' "$T/user/report.yaml" \
    > "$T/user/r.yaml" && mv "$T/user/r.yaml" "$T/user/report.yaml"
cat > "$T/user/kpis/orders_per_customer.lua" <<'LUA'
return {
  label = "Orders per customer",
  unit = "number",
  decimals = 2,
  needs = { "orders" },
  value = function(s)
    if s.customers == 0 then return nil end
    return s.orders / s.customers
  end,
}
LUA
( cd "$T/user" && "$Q" run report.yaml --export x -o r.pdf -q ) && ok || bad "run the spec with a user KPI"
K="$T/user/x/kpis.csv" PDF="$T/user/r.pdf"
# February Silver: customers 2, 4, 6 placed 1 + 0 + 1 orders: 2 / 3;
# March Gold: customer 1, one order.
near 2024-02 Silver orders_per_customer 0.66666667
near 2024-03 Gold orders_per_customer 1

done_checks kpis
