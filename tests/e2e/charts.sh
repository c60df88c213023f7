# End to end: the chart forms (tests/fixtures/charts): area, donut,
# bar_line, scatter and small_multiples over six months of the sample data.
# Each chart's attached CSV is checked against the same figures computed
# here, in Python, from the CSV files (the segment rule of
# scripts/segments/default.lua written again); the PDF's text must show the
# donut's shares and the charts' titles; the SVG canvas draws every form
# (build/tests/test_canvas).
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks charts; exit 1; }
SPEC=tests/fixtures/charts/report.yaml

exits 0 "run the charts report" "$QUIRE" run "$SPEC" --param data="$DATA" -o "$T/c.pdf"
pdftotext -q -layout "$T/c.pdf" "$T/c.txt"
for n in 1 2 3 4 5; do
    f=$(qpdf --list-attachments "$T/c.pdf" | sed -n "s/^\(chart-0$n-[^ ]*\.csv\) .*/\1/p")
    qpdf --show-attachment="$f" "$T/c.pdf" >"$T/chart$n.csv" || bad "no attached chart $n"
done
for t in "Customers by segment, stacked" "Share of revenue by segment" \
    "Revenue and average order value" "Segment size against average order value" \
    "Revenue by segment, one scale" "Average order value against its target"; do
    contains "$T/c.txt" "$t"
done

python3 - "$DATA" "$T" <<'PY' && ok || bad "the charts differ from their computation (above)"
import calendar, csv, datetime, re, sys
data, out = sys.argv[1], sys.argv[2]
D = datetime.date
def month_end(y, m):
    return D(y + m // 12, m % 12 + 1, 1) - datetime.timedelta(days=1)
since = {int(r["customer_id"]): D.fromisoformat(r["signup_date"])
         for r in csv.DictReader(open(f"{data}/customers.csv", encoding="utf-8"))}
orders = {}
for r in csv.DictReader(open(f"{data}/orders.csv")):
    orders.setdefault(int(r["customer_id"]), []).append(
        (D.fromisoformat(r["order_date"]), float(r["amount"])))
first_loaded = D(2022, 11, 1)            # periods.history 12 before 2023-11
months = [(2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 3), (2024, 4)]
label = {ym: f"{calendar.month_abbr[ym[1]]} {ym[0]}" for ym in months}
SEGS = ["VIP", "Regular", "At Risk", "Inactive", "New"]

def record(c, y, m):
    end = month_end(y, m)
    start12 = D(y - (1 if m < 12 else 0), m % 12 + 1, 1)
    own = [(d, a) for d, a in orders.get(c, []) if first_loaded <= d <= end]
    last = max((d for d, a in own), default=None)
    return {"revenue_12m": sum(a for d, a in own if d >= start12),
            "orders_12m": sum(1 for d, a in own if d >= start12),
            "revenue": sum(a for d, a in own if d >= D(y, m, 1)),
            "tenure_months": (y * 12 + m) - (since[c].year * 12 + since[c].month),
            "days_since_last_order": (end - (last or since[c])).days}

def segment(r):
    if r["tenure_months"] < 2: return "New"
    if r["days_since_last_order"] > 120: return "Inactive"
    if r["days_since_last_order"] > 60: return "At Risk"
    if r["revenue_12m"] >= 2000 or r["orders_12m"] >= 12: return "VIP"
    return "Regular"

agg = {}                                  # (ym, seg) -> [count, revenue, rev12, orders12]
for ym in months:
    for c in since:
        if since[c] > month_end(*ym):
            continue
        r = record(c, *ym)
        for key in ((ym, segment(r)), (ym, "All")):
            a = agg.setdefault(key, [0, 0.0, 0.0, 0])
            a[0] += 1; a[1] += r["revenue"]; a[2] += r["revenue_12m"]; a[3] += r["orders_12m"]
def get(ym, seg, i):
    return agg.get((ym, seg), [0, 0.0, 0.0, 0])[i]
def aov(ym, seg):
    o = get(ym, seg, 3)
    return get(ym, seg, 2) / o if o else None

failed = False
def check(name, rows, want):
    """rows: the CSV's (category, series, value); want: {(category, series): value}"""
    global failed
    got = {(c, s): (float(v) if v else None) for c, s, v in rows}
    if set(got) != set(want):
        failed = True
        print(f"{name}: cells {sorted(got)} wanted {sorted(want)}")
        return
    for k, w in want.items():
        g = got[k]
        if (g is None) != (w is None) or (w is not None and abs(g - w) > 1e-6 * max(1, abs(w))):
            failed = True
            print(f"{name}: {k}: got {g}, wanted {w}")
def rows(n):
    r = list(csv.reader(open(f"{out}/chart{n}.csv")))
    assert r[0] == ["category", "series", "value"], r[0]
    return r[1:]

last = months[-1]
# 1. area: customers by segment and month
check("area", rows(1), {(label[ym], s): get(ym, s, 0) for ym in months for s in SEGS})
# 2. donut: revenue by segment in the last month, and its shares in the PDF
check("donut", rows(2), {(s, label[last]): get(last, s, 1) for s in SEGS})
total = sum(get(last, s, 1) for s in SEGS)
text = open(f"{out}/c.txt", encoding="utf-8").read()
for s in SEGS:
    share = "{:.1f}%".format(100 * get(last, s, 1) / total + 1e-9)
    if not any(re.search(r"(^|\s)" + re.escape(s) + r"\s+" + re.escape(share) + "$", l.rstrip())
               for l in text.splitlines()):
        failed = True
        print(f"donut: no legend line '{s} ... {share}'")
# 3. bar_line: all customers' revenue (bars) and average order value (line)
check("bar_line", rows(3), {**{(label[ym], "Revenue"): get(ym, "All", 1) for ym in months},
                            **{(label[ym], "Average order value"): aov(ym, "All")
                               for ym in months}})
# 4. scatter: a point per segment in the last month, x customers, y average order
check("scatter", rows(4), {**{(s, "Customer count"): get(last, s, 0) for s in SEGS},
                           **{(s, "Average order value"): aov(last, s) for s in SEGS}})
# 5. small multiples: revenue by segment and month
check("small_multiples", rows(5), {(label[ym], s): get(ym, s, 1) for ym in months for s in SEGS})
sys.exit(1 if failed else 0)
PY

# The reference line's label, with its value in the KPI's format, and the
# axis from y_min: 0 (a line chart's axis otherwise starts near its data).
grep -Eq "Target \\\$250\.00$" "$T/c.txt" && ok || bad "no reference line label 'Target \$250.00'"
awk '/Average order value against its target/ {f = 1} f && /^ *\$0$/ {z = 1} END {exit !z}' "$T/c.txt" \
    && ok || bad "the y_min: 0 axis does not start at \$0"

# Every form through the SVG canvas too (what the HTML report draws).
if [ -x build/tests/test_canvas ]; then
    check "every chart form drawn into SVG" build/tests/test_canvas
fi
done_checks charts
