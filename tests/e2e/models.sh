# End to end: the models stage on tests/fixtures/models, ten customers whose
# RFM scores in March 2024 are worked out here by hand, the rules that read
# them, the export, and the spec errors of the models section.
#
# The data (every order 10.00; the report's month ends 2024-03-31):
#   id  last order   days  orders_3m  revenue_3m
#    1  2024-03-26      5     13        130
#    2  2024-03-26      5      8         80
#    3  2024-03-21     10      5         50
#    4  2024-03-01     30      3         30
#    5  2024-03-01     30      2         20
#    6  2024-03-01     30      2         20
#    7  2024-01-31     60      1         10
#    8  2024-01-01     90      1         10
#    9  2023-09-13    200      0          0
#   10  2023-04-01    365      0          0
# written by:
#   for cid, last, n in rows: n - 1 orders on 2024-01-02, one on `last`
#   (customers 9 and 10 have their one order before January).
#
# Quintiles by R's type 7 (h = 9q, between the sorted values x[floor h] and
# the next), cut points = quintile + 1, score = 1 + cut points <= value:
#   days  5 5 10 30 30 30 60 90 200 365: quintiles 9 30 42 112, cuts 10 31 43 113,
#         bins 1 1 2 2 2 2 4 4 5 5, R = 6 - bin: 5 5 4 4 4 4 2 2 1 1
#   orders 0 0 1 1 2 2 3 5 8 13: quintiles 0.8 1.6 2.4 5.6, cuts 1.8 2.6 3.4 6.6,
#         F (ids 1..10): 5 5 4 3 2 2 1 1 1 1
#   revenue 0 0 10 10 20 20 30 50 80 130: quintiles 8 16 24 56, cuts 9 17 25 57,
#         M: 5 5 4 4 3 3 2 2 1 1 (10 reaches 9 where 1 order did not reach 1.8)
# Segments by the first rule that matches (docs/analytics.md): 555 and 444
# Champions; 434 Loyal Customers (R 2-5, F 3-5, M 3-5); 423 Potential
# Loyalist (R 3-5, F 1-3, M 1-3); 212 About To Sleep (R 2-3, F 1-2, M 1-2);
# 111 Lost (R 1, F 1, M 1-2).
# The threshold top_revenue, the 0.8 quantile of revenue_3m, is 56: customers
# 1 and 2 are at or above it.
# k-means, k = 2, on revenue_3m: {130, 80} and the rest (centres 105 and
# 17.5; sum of squares 1250 + 1950 = 3200, below {130} | rest, 5422, and
# {130, 80, 50} | rest, 3509); the larger cluster is cluster 1.
. tests/lib.sh
FX=tests/fixtures/models

exits 0 "run the models fixture" "$QUIRE" run "$FX/report.yaml" -o "$T/m.pdf" --export "$T/x"
cat > "$T/want" <<'CSV'
customer_id,period,rfm_r,rfm_f,rfm_m,rfm_score,rfm_segment,cluster_id,cluster
1,2024-03,5,5,5,555,Champions,2,Big
2,2024-03,5,5,5,555,Champions,2,Big
3,2024-03,4,4,4,444,Champions,1,Small
4,2024-03,4,3,4,434,Loyal Customers,1,Small
5,2024-03,4,2,3,423,Potential Loyalist,1,Small
6,2024-03,4,2,3,423,Potential Loyalist,1,Small
7,2024-03,2,1,2,212,About To Sleep,1,Small
8,2024-03,2,1,2,212,About To Sleep,1,Small
9,2024-03,1,1,1,111,Lost,1,Small
10,2024-03,1,1,1,111,Lost,1,Small
CSV
# (the last columns, churn_score and clv_*, are checked below)
{ head -n 1 "$T/x/models.csv" | cut -d, -f1-9
  grep ',2024-03,' "$T/x/models.csv" | cut -d, -f1-9; } > "$T/got"
cmp -s "$T/want" "$T/got" && ok || { bad "models.csv"; diff "$T/want" "$T/got" >&2; }

# Churn: every customer scored, from 0 to 100; the model's table in the PDF.
# (The fit itself is checked by hand in tests/unit/test_models.c.)
head -n 1 "$T/x/models.csv" | grep -q ',churn_score,clv_palive,clv_purchases,clv_value$' && ok ||
    bad "models.csv has no churn_score and clv columns"
awk -F, 'NR > 1 && !($10 != "" && $10 >= 0 && $10 <= 100) { bad = 1 } END { exit bad }' \
    "$T/x/models.csv" && ok || bad "a churn score outside 0-100"
# CLV: every customer bought (six of them more than once: customers 1-6), so
# all have values in March 2024 (P(alive) in
# 0-1, purchases and value not negative), none before.
awk -F, '$2 == "2024-03" && !($11 > 0 && $11 <= 1 && $12 >= 0 && $13 >= 0) { bad = 1 }
         $2 != "2024-03" && NR > 1 && $11 != "" { bad = 1 } END { exit bad }' \
    "$T/x/models.csv" && ok || bad "clv values"

# The rule of the first segmentation returns c.rfm.segment.
grep ',2024-03,' "$T/x/segments.csv" | cut -d, -f3 | tr '\n' '|' > "$T/segs"
[ "$(cat "$T/segs")" = "Champions|Champions|Champions|Loyal Customers|Potential Loyalist|Potential Loyalist|About To Sleep|About To Sleep|Lost|Lost|" ] \
    && ok || bad "segments.csv: $(cat "$T/segs")"
# A rule reading c.thresholds.top_revenue and c.rfm.r.
grep ',2024-03,' "$T/x/segments-recent.csv" | cut -d, -f3 | tr '\n' '|' > "$T/segs"
[ "$(cat "$T/segs")" = "Top|Top|Recent|Recent|Recent|Recent|Older|Older|Older|Older|" ] \
    && ok || bad "segments-recent.csv: $(cat "$T/segs")"

# A KPI reads the sums of the scores as s.rfm.r: Champions' R scores 5, 5, 4;
# About To Sleep's 2 and 2; Lost's 1 and 1.
contains "$T/x/kpis.csv" "2024-03,Champions,mean_r,4.666666666666667"
contains "$T/x/kpis.csv" "2024-03,Lost,mean_r,1"
contains "$T/x/kpis.csv" "2024-03,About To Sleep,mean_r,2"

# The blocks: the RFM segments table and the cluster profiles in the PDF.
pdftotext -q -layout "$T/m.pdf" "$T/m.txt"
grep -Eq 'Champions +3 +30\.0%' "$T/m.txt" && ok || bad "RFM segments table: Champions 3 30.0%"
grep -Eq 'Small +8 +80\.0% +17\.5' "$T/m.txt" && ok || bad "cluster profile: Small 8 80.0% 17.5"
grep -Eq 'Big +2 +20\.0% +105\.0' "$T/m.txt" && ok || bad "cluster profile: Big 2 20.0% 105.0"
grep -Eq 'Churn model: no order in the 3 months after Dec 2023; AUC' "$T/m.txt" && ok || bad "churn block title"
grep -Eq 'days_since_last_order +-?[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}' "$T/m.txt" && ok || bad "churn coefficients"
grep -q 'Lifetime value models, fitted at Mar 2024 on 10 customers (6 with a repeat' "$T/m.txt" \
    && ok || bad "clv block title"
qpdf --check "$T/m.pdf" >/dev/null 2>&1 && ok || bad "qpdf --check"

# Misuse: each an error at the spec's line and column.
# err LINE-SED EXPECTED: the fixture with one line changed fails validation so.
err() {
    sed "$1" "$FX/report.yaml" > "$FX/bad.yaml"
    "$QUIRE" validate "$FX/bad.yaml" >/dev/null 2>"$T/err"
    st=$?
    rm -f "$FX/bad.yaml"
    [ "$st" -eq 1 ] && ok || bad "exit $st for: $2"
    contains "$T/err" "$2"
}
err 's/recency: days_since_last_order/recency: days_since_last_ordr/' \
    'bad.yaml:26:14: error: rfm: "days_since_last_ordr" is not a field of the record'
err 's/monetary: revenue_3m/monetary: revenue_12m/' \
    'bad.yaml:28:15: error: rfm: "revenue_12m" is not a field of the record'
err 's/quantile: 0.8/quantile: 80/' \
    'bad.yaml:30:49: error: "quantile" must be a number from 0 to 1, not "80"'
err 's/    k: 2/    k: 40/' 'bad.yaml:33:8: error: "k" (clusters, or auto) must be a whole number from 2 to 12, not "40"'
err 's/active: orders/active: revenue/' 'bad.yaml:44:13: error: cohorts: "revenue" must be a count measure of the facts'
err 's/    label: orders/    label: revenue/' 'bad.yaml:38:12: error: churn: "revenue" must be a count measure of the facts'
err 's/    horizon: 3/    horizon: 30/' 'bad.yaml:39:14: error: "horizon" (months) must be a whole number from 1 to 12, not "30"'
err 's/show: clusters/show: cluster/' 'error: a model block shows rfm_grid, rfm_segments, clusters, cohorts, churn or clv, not "cluster"; did you mean "clusters"?'
err 's/  thresholds:/  threshold:/' 'bad.yaml:29:3: error: unknown key "threshold" in models; did you mean "thresholds"?'
# a block showing a model the section does not declare
sed -e '/^  clusters:/,/^    names:/d' "$FX/report.yaml" > "$FX/bad.yaml"
"$QUIRE" validate "$FX/bad.yaml" >/dev/null 2>"$T/err"
rm -f "$FX/bad.yaml"
contains "$T/err" 'error: a model block showing clusters needs "clusters" in the spec'"'"'s models section'

# A names script that returns no function: quire validate says so, as a run
# would.
printf 'return 42\n' > "$T/notfn.lua"
sed "s|names: names.lua|names: $T/notfn.lua|" "$FX/report.yaml" > "$FX/bad.yaml"
exits 1 "validate: a names script returning a number" "$QUIRE" validate "$FX/bad.yaml"
contains "$T/err" "notfn.lua: error: the script must return a function, not a number"
exits 0 "validate the fixture" "$QUIRE" validate "$FX/report.yaml"

# A names function that returns no name, and a segments function that fails:
# data errors (exit 2) that name the script.
printf 'return function(p) return nil end\n' > "$T/nonames.lua"
sed "s|names: names.lua|names: $T/nonames.lua|" "$FX/report.yaml" > "$FX/bad.yaml"
exits 2 "a names function returning nil" "$QUIRE" run "$FX/bad.yaml" -o "$T/bad.pdf"
contains "$T/err" "nonames.lua: error: the cluster names function (cluster 1) returned nil; it must return a name"
printf 'return function(r, f, m) if r == 3 then error("no") end return "X" end\n' > "$T/badseg.lua"
sed "s|    monetary: revenue_3m|    monetary: revenue_3m\n    segments: $T/badseg.lua|" "$FX/report.yaml" > "$FX/bad.yaml"
exits 2 "a segments function that fails" "$QUIRE" run "$FX/bad.yaml" -o "$T/bad.pdf"
contains "$T/err" "error: the RFM segments function (r=3, f=5, m=5): $T/badseg.lua:1: no"
rm -f "$FX/bad.yaml"
[ ! -e "$T/bad.pdf" ] && ok || bad "a failed run left a PDF"

done_checks models
