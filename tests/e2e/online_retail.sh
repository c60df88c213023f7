# reports/online_retail.yaml renders from the raw exports in data/online-retail/
# (two formats, one source), and its numbers are the ones a separate reading of
# the same files computes: the data notes on the title page (rows read, dropped
# by reason, kept, by source), the KPIs of every segment and month in the
# exported kpis.csv, and the month-by-month table of all customers in the PDF.
# The separate reading is the python3 script below (its csv module, not Quire).
. tests/lib.sh
command -v python3 >/dev/null || { bad "python3 is needed"; done_checks online_retail; exit 1; }

exits 0 "render the report" env SOURCE_DATE_EPOCH=1700000000 \
    "$QUIRE" run reports/online_retail.yaml -o "$T/or.pdf" --export "$T/exp"
check "qpdf --check" qpdf --check "$T/or.pdf"
# The manifest hashes each export once, though two sources read both.
qpdf --show-attachment=manifest.json "$T/or.pdf" >"$T/manifest.json" 2>/dev/null
for f in online_retail_2010-12.csv online_retail_2011-01_2011-02_spark.csv; do
    n=$(grep -c "/$f\", \"sha256\": \"$(sha256sum "data/online-retail/$f" | cut -d' ' -f1)\"" "$T/manifest.json")
    [ "$n" -eq 1 ] && ok || bad "the manifest lists $f $n times"
done
# The text of the PDF, one space between words, page 1 and page 2.
pdftotext -f 1 -l 1 "$T/or.pdf" - 2>/dev/null | tr -s ' \n' '  ' >"$T/page1.txt"
pdftotext -layout -f 2 -l 2 "$T/or.pdf" - 2>/dev/null | tr -s ' ' >"$T/page2.txt"

cat >"$T/expect.py" <<'PY'
import csv, sys
from collections import Counter, defaultdict

data, exported, page1, page2 = sys.argv[1:5]
files = ["online_retail_2010-12.csv", "online_retail_2011-01_2011-02_spark.csv"]
NONPRODUCT = {"POST", "D", "M", "m", "S", "C2", "DOT", "BANK CHARGES", "AMAZONFEE",
              "DCGS0003", "DCGS0070", "DCGS0076", "gift_0001_40", "gift_0001_50"}
read = Counter(); drop = Counter(); seen = set(); lines = []
for name in files:
    with open(f"{data}/{name}", newline="", encoding="utf-8-sig") as f:
        for raw in csv.DictReader(f):
            read[name] += 1
            r = {k: v.strip() for k, v in raw.items()}
            if r["CustomerID"] == "": drop["no customer"] += 1; continue
            if r["InvoiceNo"].startswith("C"): drop["cancelled"] += 1; continue
            if r["StockCode"] in NONPRODUCT: drop["non-product"] += 1; continue
            if float(r["UnitPrice"]) <= 0: drop["zero price"] += 1; continue
            lines.append(r)
invoices = {}
for r in lines:
    invoices.setdefault(r["InvoiceNo"], r)
kept = []
for r in lines:
    key = tuple(sorted(r.items()))
    if key in seen: drop["duplicate"] += 1; continue
    seen.add(key); kept.append(r)

def n(v): return f"{v:,}"
def note(src, last, nkept):
    return (f"{src}: {n(sum(read.values()))} rows read ({n(read[files[0]])} from {files[0]}, "
            f"{n(read[files[1]])} from {files[1]}); dropped: {n(drop['no customer'])} no customer, "
            f"{n(drop['cancelled'])} cancelled, {n(drop['non-product'])} non-product, "
            f"{n(drop['zero price'])} zero price, {last}; {n(nkept)} kept.")
expected = [note("lines", f"{n(drop['duplicate'])} duplicate", len(kept)),
            note("orders", f"{n(len(lines) - len(invoices))} with the InvoiceNo of an earlier row",
                 len(invoices))]
text = open(page1).read()
bad = [e for e in expected if e not in text]

months = ["2010-12", "2011-01", "2011-02"]
cid = lambda r: int(float(r["CustomerID"]))
since, rev, has, orders = {}, defaultdict(float), set(), Counter()
for r in kept:
    c, m = cid(r), r["InvoiceDate"][:7]
    since[c] = min(since.get(c, m), m)
    rev[c, m] += int(r["Quantity"]) * float(r["UnitPrice"])
    has.add((c, m))
for r in invoices.values():
    orders[cid(r), r["InvoiceDate"][:7]] += 1

def segment(c, m):
    if (c, m) not in has: return "Lapsed"
    if rev[c, m] >= 1000: return "Top buyers"
    return "New" if since[c] == m else "Returning"

def ratio(a, b): return a / b if b else None
members = {m: {c: segment(c, m) for c in since if since[c] <= m} for m in months}
want = {}
for i, m in enumerate(months):
    total = sum(rev[c, m] for c in members[m])
    for s in ["Top buyers", "Returning", "New", "Lapsed", None]:
        cs = [c for c, g in members[m].items() if s is None or g == s]
        buyers = sum((c, m) in has for c in cs)
        sales = sum(rev[c, m] for c in cs)
        # last month's members; for All, those outside the churned segment (Lapsed)
        cohort = [c for c, g in members[months[i - 1]].items()
                  if (g != "Lapsed" if s is None else g == s)] if i else []
        want[m, s] = {"customer_count": len(cs), "buyers": buyers, "sales_gbp": sales,
                      "spend_per_buyer_gbp": ratio(sales, buyers),
                      "orders_per_buyer": ratio(sum(orders[c, m] for c in cs), buyers),
                      "sales_contribution": ratio(sales, total),
                      "retention_rate": ratio(sum((c, m) in has for c in cohort), len(cohort))}
checked = 0
with open(exported, newline="") as f:
    for row in csv.DictReader(f):
        w = want[row["period"], row["segment"]][row["kpi"]]
        got = float(row["value"]) if row["value"] else None
        if (w is None) != (got is None) or (w is not None and abs(got - w) > 1e-6 * max(1, abs(w))):
            bad.append(f"kpis.csv {row['period']} {row['segment']} {row['kpi']}: {got}, expected {w}")
        checked += 1
if checked != 3 * 4 * 7:
    bad.append(f"kpis.csv holds {checked} values, expected {3 * 4 * 7}")

# The month-by-month table of all customers, as the PDF prints it.
table = open(page2).read()
names = {"2010-12": "Dec 2010", "2011-01": "Jan 2011", "2011-02": "Feb 2011"}
for m in months:
    k = want[m, None]
    ret = "–" if k["retention_rate"] is None else f"{100 * k['retention_rate']:.1f}%"
    row = (f"{names[m]} {n(k['customer_count'])} {n(k['buyers'])} {k['sales_gbp']:,.0f} "
           f"{k['spend_per_buyer_gbp']:,.0f} {k['orders_per_buyer']:.2f} {ret}")
    if row not in table:
        bad.append(f"page 2 has no row: {row}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
if python3 "$T/expect.py" data/online-retail "$T/exp/kpis.csv" "$T/page1.txt" "$T/page2.txt" >"$T/diff"; then
    ok
else
    bad "the report's numbers differ from the separate computation:"
    cat "$T/diff" >&2
fi
done_checks online_retail
