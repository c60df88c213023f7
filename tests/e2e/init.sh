# End to end: quire init on the sample data and on a small copy of a real
# shop's messy export (tests/fixtures/online-retail): the reports it writes
# validate and render as they are, the segment rule's thresholds are the
# data's quantiles, and the segments and customers the PDFs show are the
# ones a separate Python reading of the CSV files finds.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks init; exit 1; }
RETAIL=tests/fixtures/online-retail/online_retail_2010-12.csv

# 1. The sample data: customers, orders and four more files.
exits 0 "init on the sample data" "$QUIRE" init "$DATA"/*.csv -o "$T/s"
for f in report.yaml segments.lua kpis/customer_count.lua kpis/revenue.lua; do
    [ -f "$T/s/$f" ] && ok || bad "init wrote no $f"
done
head -n 1 "$T/s/report.yaml" | grep -q '^# A first report' && ok || bad "report.yaml has no comment on top"
grep -q '^-- What to edit' "$T/s/segments.lua" && ok || bad "segments.lua says nothing of what to edit"
contains "$T/s/report.yaml" "orders.csv               95847 rows; the orders, customer key customer_id, date order_date, amount amount"
contains "$T/s/report.yaml" "customers.csv            10000 rows; the customers"
contains "$T/s/report.yaml" "spend.csv                60 rows; not used: no customer key column"
exits 0 "validate the sample report" "$QUIRE" validate "$T/s/report.yaml"
exits 0 "run the sample report" "$QUIRE" run "$T/s/report.yaml" -o "$T/s.pdf" --export "$T/sx"
grep -q warning "$T/err" && bad "the sample report warns: $(cat "$T/err")" || ok
check "qpdf --check accepts it" qpdf --check "$T/s.pdf"
pdftotext -q -layout "$T/s.pdf" "$T/s.txt"
contains "$T/s.txt" "Customer Segments, Feb–Apr 2024"
contains "$T/s.txt" "Top 20 customers"
contains "$T/s.txt" "Moved from VIP to At Risk this month"

python3 - "$DATA" "$T" <<'PY' || bad "the sample report's thresholds or segments differ (above)"
import csv, datetime, math, re, sys
data, out = sys.argv[1], sys.argv[2]
D = datetime.date
rule = open(f"{out}/s/segments.lua").read()
got = {k: float(v) for k, v in re.findall(r"^local (\w+) = ([\d.]+)", rule, re.M)}
orders = [(int(r["customer_id"]), D.fromisoformat(r["order_date"]), float(r["amount"]))
          for r in csv.DictReader(open(f"{data}/orders.csv"))]
last_day = max(d for _, d, _ in orders)
end = D(last_day.year + last_day.month // 12, last_day.month % 12 + 1, 1) - datetime.timedelta(1)
start = D(end.year - 1, end.month, 1) + datetime.timedelta(days=32)
start = D(start.year, start.month, 1)                  # the first of the 12 months
last, amount12 = {}, {}
for c, d, a in orders:
    last[c] = max(last.get(c, d), d)
    if d >= start:
        amount12[c] = amount12.get(c, 0) + a
buyers = sorted(amount12)
rec = sorted((end - last[c]).days for c in buyers)
val = sorted(amount12[c] for c in buyers)
q = lambda v, p: v[math.floor(p * (len(v) - 1))]
at_risk = math.ceil(q(rec, .75))
inactive = max(math.ceil(q(rec, .90)), at_risk + 1)
x = q(val, .80); p10 = 10 ** (math.floor(math.log10(x)) - 1)
vip = round(x / p10) * p10
want = {"NEW_MONTHS": 2, "AT_RISK_DAYS": at_risk, "INACTIVE_DAYS": inactive, "VIP_REVENUE": vip}
bad = [k for k in want if abs(got.get(k, -1) - want[k]) > 1e-6 * max(1, want[k])]
if bad:
    print("thresholds: got", got, "wanted", want)
# The rule over the customers of the last month, as the report counts them.
since = {int(r["customer_id"]): D.fromisoformat(r["signup_date"])
         for r in csv.DictReader(open(f"{data}/customers.csv", encoding="utf-8"))}
count = {}
for c, s in since.items():
    if s > end:
        continue
    tenure = (end.year * 12 + end.month) - (s.year * 12 + s.month)
    r = (end - last.get(c, s)).days
    seg = ("New" if tenure < 2 else "Inactive" if r > inactive else "At Risk" if r > at_risk
           else "VIP" if amount12.get(c, 0) >= vip else "Regular")
    count[seg] = count.get(seg, 0) + 1
shown = {}
for r in csv.DictReader(open(f"{out}/sx/kpis.csv")):
    if r["kpi"] == "customer_count" and r["period"] == end.strftime("%Y-%m") and r["segment"] != "All":
        shown[r["segment"]] = int(float(r["value"]))
if shown != count:
    print("customers by segment: got", shown, "wanted", count)
sys.exit(1 if bad or shown != count else 0)
PY
ok

# 2. A real export: no customer file, no amount column, a BOM, CRLF, times
#    after the dates, lines without a customer.
exits 0 "init on the online retail export" "$QUIRE" init "$RETAIL" -o "$T/r"
contains "$T/r/report.yaml" "the orders, customer key CustomerID, date InvoiceDate"
contains "$T/r/report.yaml" "There is no file of customers"
contains "$T/r/report.yaml" "No column reads as an amount"
exits 0 "validate the online retail report" "$QUIRE" validate "$T/r/report.yaml"
exits 0 "run the online retail report" "$QUIRE" run "$T/r/report.yaml" -o "$T/r.pdf" --export "$T/rx"
check "qpdf --check accepts it" qpdf --check "$T/r.pdf"
pdftotext -q -layout "$T/r.pdf" "$T/r.txt"
contains "$T/r.txt" "Customer Segments, Dec 2010"
python3 - "$RETAIL" "$T" <<'PY' || bad "the online retail report's customers differ (above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
keys = {r["CustomerID"] for r in rows if r["CustomerID"].strip()}
lines = {}
for r in rows:
    if r["CustomerID"].strip():
        lines[r["CustomerID"]] = lines.get(r["CustomerID"], 0) + 1
got = {"All": sum(float(r["value"]) for r in csv.DictReader(open(sys.argv[2] + "/rx/kpis.csv"))
              if r["kpi"] == "customer_count")}
top = sorted(lines, key=lambda k: (-lines[k], int(k)))[0]
ok = got.get("All") == len(keys)
txt = open(sys.argv[2] + "/r.txt", encoding="utf-8").read()
ok = ok and f"{top} " in txt.split("Top 20 customers")[1].split("\n")[2]
if not ok:
    print("customers: got", got.get("All"), "wanted", len(keys), "; top customer", top)
sys.exit(0 if ok else 1)
PY
ok

# 3. What init refuses.
exits 1 "init on a file without a customer key" "$QUIRE" init "$DATA/spend.csv" -o "$T/x"
contains "$T/err" "spend.csv: no column reads as a customer key"
exits 1 "init over an existing report" "$QUIRE" init "$RETAIL" -o "$T/r"
contains "$T/err" "report.yaml: error: already exists"
exits 0 "init --force over it" "$QUIRE" init "$RETAIL" -o "$T/r" --force
exits 2 "init on a missing file" "$QUIRE" init "$T/nope.csv" -o "$T/y"
exits 1 "init without files" "$QUIRE" init -o "$T/y"
done_checks init
