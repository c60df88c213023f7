# End to end: rankings and filters in tables (tests/fixtures/tables), read
# back from the PDF (pdftotext -layout) and from the CSV files attached to it,
# and checked against the same figures computed here, in Python, straight
# from the sample data's CSV files.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks tables; exit 1; }
SPEC=tests/fixtures/tables/report.yaml

exits 0 "run the tables report" "$QUIRE" run "$SPEC" --param data="$DATA" -o "$T/t.pdf"
pdftotext -q -layout "$T/t.pdf" "$T/t.txt"
for n in 1 2 3 5 6; do
    f=$(qpdf --list-attachments "$T/t.pdf" | sed -n "s/^\(table-0$n-[^ ]*\.csv\) .*/\1/p")
    qpdf --show-attachment="$f" "$T/t.pdf" >"$T/table$n.csv" || bad "no attached table $n"
done

# The expected tables, from the CSV files: the segment rule of
# scripts/segments/default.lua and the churn risk of
# scripts/kpis/churn_risk_score.lua written again, for April 2024.
python3 - "$DATA" "$T" <<'PY' || bad "the tables differ from their computation (above)"
import csv, datetime, sys
data, out = sys.argv[1], sys.argv[2]
D = datetime.date
def month_end(y, m):           # m 1-12
    return D(y + m // 12, m % 12 + 1, 1) - datetime.timedelta(days=1)
since, region = {}, {}
for r in csv.DictReader(open(f"{data}/customers.csv", encoding="utf-8")):
    since[int(r["customer_id"])] = D.fromisoformat(r["signup_date"])
    region[int(r["customer_id"])] = r["region"]
orders = {}
for r in csv.DictReader(open(f"{data}/orders.csv")):
    orders.setdefault(int(r["customer_id"]), []).append(
        (D.fromisoformat(r["order_date"]), float(r["amount"])))
first_loaded = D(2023, 2, 1)   # periods.history 12 before 2024-02

def record(c, y, m):           # y, m: the month (m 1-12)
    end = month_end(y, m)
    start12 = D(y - (1 if m < 12 else 0), m % 12 + 1, 1)
    own = [(d, a) for d, a in orders.get(c, []) if first_loaded <= d <= end]
    last = max((d for d, a in own), default=None)
    r = {"revenue_12m": sum(a for d, a in own if d >= start12),
         "orders_12m": sum(1 for d, a in own if d >= start12),
         "last_order": last,
         "tenure_months": (y * 12 + m) - (since[c].year * 12 + since[c].month),
         "days_since_last_order": (end - (last or since[c])).days}
    return r

def segment(c, y, m):
    if since[c] > month_end(y, m):
        return None
    r = record(c, y, m)
    if r["tenure_months"] < 2: return "New"
    if r["days_since_last_order"] > 120: return "Inactive"
    if r["days_since_last_order"] > 60: return "At Risk"
    if r["revenue_12m"] >= 2000 or r["orders_12m"] >= 12: return "VIP"
    return "Regular"

def churn_risk(r):
    gap = 60
    if r["orders_12m"] > 0:
        gap = 30.44 * min(12, r["tenure_months"] + 1) / r["orders_12m"]
    q = (r["days_since_last_order"] / gap) ** 2
    return 100 * q / (1 + q)

now = {c: segment(c, 2024, 4) for c in since}
before = {c: segment(c, 2024, 3) for c in since}
rec = {c: record(c, 2024, 4) for c in since if now[c]}
failed = False
def same(name, got, want):
    global failed
    if got != want:
        failed = True
        print(f"{name}: got\n  {got}\nwanted\n  {want}")

# Table 1: top 20 by revenue_12m, highest first.
top = sorted(rec, key=lambda c: (-rec[c]["revenue_12m"], c))[:20]
got = list(csv.reader(open(f"{out}/table1.csv")))
same("table 1 header", got[0], ["customer_id", "segment", "region", "revenue_12m",
                                "last_order", "churn_risk_score"])
same("table 1 rows", [(int(r[0]), r[1], r[2], round(float(r[3]), 2), r[4],
                       round(float(r[5]), 6)) for r in got[1:]],
     [(c, now[c], region[c], round(rec[c]["revenue_12m"], 2), rec[c]["last_order"].isoformat(),
       round(churn_risk(rec[c]), 6)) for c in top])
# ... and in the PDF, in that order, as the columns format them.
lines = [l.split() for l in open(f"{out}/t.txt", encoding="utf-8")]
shown = [l for l in lines if len(l) == 6 and l[0].isdigit() and l[3].startswith("$")]
same("table 1 in the PDF", [(int(l[0]), l[1], l[3], l[4], l[5]) for l in shown[:20]],
     [(c, now[c], "${:,.2f}".format(rec[c]["revenue_12m"]), rec[c]["last_order"].isoformat(),
       "{:.0f}".format(churn_risk(rec[c]))) for c in top])

# Table 2: VIP in March, At Risk in April, by 12-month revenue.
moved = sorted((c for c in rec if before[c] == "VIP" and now[c] == "At Risk"),
               key=lambda c: (-rec[c]["revenue_12m"], c))
if not moved:
    failed = True
    print("the sample data has no customer moving from VIP to At Risk: the test checks nothing")
got = list(csv.reader(open(f"{out}/table2.csv")))
same("table 2 rows", [(int(r[0]), round(float(r[1]), 2), int(r[2]), int(r[3])) for r in got[1:]],
     [(c, round(rec[c]["revenue_12m"], 2), rec[c]["days_since_last_order"],
       rec[c]["orders_12m"]) for c in moved])

# Table 3: segments whose average order (12-month revenue / orders) is over
# $50, the three with the most customers, most first.
segs = {}
for c, r in rec.items():
    s = segs.setdefault(now[c], [0, 0.0, 0])
    s[0] += 1; s[1] += r["revenue_12m"]; s[2] += r["orders_12m"]
want = sorted((s for s in segs if segs[s][2] and segs[s][1] / segs[s][2] > 50),
              key=lambda s: -segs[s][0])[:3]
got = list(csv.reader(open(f"{out}/table3.csv")))
same("table 3 rows", [(r[0], int(float(r[1])), round(float(r[2]), 6)) for r in got[1:]],
     [(s, segs[s][0], round(segs[s][1] / segs[s][2], 6)) for s in want])

# Table 5: a source's rows, filtered and ranked: April's ten largest orders.
april = [r for r in csv.DictReader(open(f"{data}/orders.csv"))
         if "2024-04-01" <= r["order_date"] <= "2024-04-30"]
big = sorted(april, key=lambda r: -float(r["amount"]))[:10]   # stable: ties in file order
got = list(csv.reader(open(f"{out}/table5.csv")))
same("table 5 rows", [(int(r[0]), int(r[1]), r[2], round(float(r[3]), 2)) for r in got[1:]],
     [(int(r["order_id"]), int(r["customer_id"]), r["order_date"], round(float(r["amount"]), 2))
      for r in big])
shown = [l for l in lines if len(l) == 4 and l[0].isdigit() and l[2].startswith("2024-04")
         and l[3].startswith("$")]
same("table 5 in the PDF", [(int(l[0]), l[3]) for l in shown],
     [(int(r["order_id"]), "${:,.2f}".format(float(r["amount"]))) for r in big])

# Table 6: VIP by month, from March, the month with the most VIPs first.
vips = {m: sum(1 for c in since if segment(c, 2024, m) == "VIP") for m in (3, 4)}
got = list(csv.reader(open(f"{out}/table6.csv")))
same("table 6 rows", [(r[0], int(float(r[1]))) for r in got[1:]],
     [(f"{'Mar' if m == 3 else 'Apr'} 2024", vips[m]) for m in sorted(vips, key=lambda m: -vips[m])])
sys.exit(1 if failed else 0)
PY
ok
contains "$T/t.txt" "Top 20 customers by 12-month revenue"
contains "$T/t.txt" "Moved from VIP to At Risk this month"
contains "$T/t.txt" "Avg order"
# A table no row passes says so under its header.
grep -A 3 "Customers with negative revenue" "$T/t.txt" | grep -q "No rows for this period" && ok \
    || bad "an empty table does not say it is empty"
[ "$(qpdf --show-attachment=table-04-customers-with-negative-revenue.csv "$T/t.pdf")" = \
  "customer_id,revenue_12m" ] && ok || bad "the empty table's CSV is not its header alone"
done_checks tables
