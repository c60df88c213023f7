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

# The charts of a value per customer (7 to 11): each one's file against the
# customers' values computed here, with the bins, quartiles (type 7) and
# sample (FNV-1a of the key) worked out again from their definitions.
for n in 07 08 09 10 11; do
    f=$(qpdf --list-attachments "$T/c.pdf" | sed -n "s/^\(chart-$n-[^ ]*\.csv\) .*/\1/p")
    qpdf --show-attachment="$f" "$T/c.pdf" >"$T/dist$n.csv" || bad "no attached chart $n"
done
for t in "Churn risk score, customers by segment" "Churn risk distribution by segment" \
    "Orders against revenue, a sample of customers" \
    "Days since the last order, Regular customers" "12-month revenue by segment" \
    "A sample of 300 of the 10,000 customers in Apr 2024" "Regular in Nov 2023"; do
    contains "$T/c.txt" "$t"
done
# the box plots' groups along x, left to right, on one line
grep -Eq "VIP +Regular +At Risk +Inactive +New +All customers" "$T/c.txt" \
    && ok || bad "no box plot's groups in order along x"

/usr/bin/python3 - "$DATA" "$T" <<'PY' && ok || bad "the charts of customers differ from their computation (above)"
import csv, datetime, math, sys
from fractions import Fraction
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
first_loaded = D(2022, 11, 1)
SEGS = ["VIP", "Regular", "At Risk", "Inactive", "New"]

def record(c, y, m):
    end = month_end(y, m)
    start12 = D(y - (1 if m < 12 else 0), m % 12 + 1, 1)
    own = [(d, a) for d, a in orders.get(c, []) if first_loaded <= d <= end]
    last = max((d for d, a in own), default=None)
    return {"revenue_12m": sum(a for d, a in own if d >= start12),
            "orders_12m": sum(1 for d, a in own if d >= start12),
            "tenure_months": (y * 12 + m) - (since[c].year * 12 + since[c].month),
            "days_since_last_order": (end - (last or since[c])).days}
def segment(r):
    if r["tenure_months"] < 2: return "New"
    if r["days_since_last_order"] > 120: return "Inactive"
    if r["days_since_last_order"] > 60: return "At Risk"
    if r["revenue_12m"] >= 2000 or r["orders_12m"] >= 12: return "VIP"
    return "Regular"
def churn_risk(r):                        # scripts/kpis/churn_risk_score.lua
    gap = 60.0
    if r["orders_12m"] > 0:
        gap = 30.44 * min(12, r["tenure_months"] + 1) / r["orders_12m"]
    q = r["days_since_last_order"] / gap
    q = q * q
    return 100 * q / (1 + q)
def customers(y, m):
    """(key, segment, record) of the customers of month y-m"""
    res = []
    for c in since:
        if since[c] > month_end(y, m):
            continue
        r = record(c, y, m)
        res.append((c, segment(r), r))
    return res
apr, nov = customers(2024, 4), customers(2023, 11)

failed = False
def fail(msg):
    global failed
    failed = True
    print(msg)
def rows(n):
    r = list(csv.reader(open(f"{out}/dist{n}.csv")))
    return r[0], r[1:]
def close(a, b):
    return abs(a - b) <= 1e-9 * max(1, abs(b))

def q7(xs, p):                            # R's type 7 over sorted xs
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])
def nice_widths(x):
    """1, 2, 5 times powers of ten, from the least that is >= x, exactly"""
    e = math.floor(math.log10(x))
    while True:
        for f in (1, 2, 5):
            w = Fraction(f) * Fraction(10) ** e
            if w >= Fraction(x) or (f == 5 and False):
                yield w
        e += 1
def bins(xs, max_bins):
    xs = sorted(xs)
    n, lo, hi = len(xs), xs[0], xs[-1]
    k = max_bins
    if not k:
        iqr = q7(xs, 0.75) - q7(xs, 0.25)
        if iqr > 0 and hi > lo:
            k = min(math.ceil((hi - lo) / (2 * iqr / n ** (1 / 3))), 60)
        else:
            k = math.ceil(math.log2(n)) + 1
        k = max(1, min(k, 60))
    whole = all(v == int(v) for v in xs)
    for w in nice_widths((hi - lo) / k if hi > lo else max(abs(lo), 1) / 10):
        if whole and w < 1:
            continue
        start = math.floor(Fraction(lo) / w)
        nb = 1
        while start * w + nb * w <= Fraction(hi):
            nb += 1
        if nb <= k:
            return [float((start + i) * w) for i in range(nb + 1)]
def check_hist(name, n, values, groups, max_bins):
    """values: (group, value); groups: the series in order"""
    head, body = rows(n)
    if head != ["category", "series", "value"]:
        return fail(f"{name}: header {head}")
    edges = bins([v for g, v in values], max_bins)
    want = {}
    for g in groups:
        for i in range(len(edges) - 1):
            want[(f"[{edges[i]:g}, {edges[i + 1]:g})", g)] = 0
    for g, v in values:
        i = max(i for i in range(len(edges) - 1) if edges[i] <= v)
        assert v < edges[i + 1]
        want[(f"[{edges[i]:g}, {edges[i + 1]:g})", g)] += 1
    got = {}
    for cat, ser, val in body:
        lo, hi = cat.strip("[)").split(", ")
        got[(f"[{float(lo):g}, {float(hi):g})", ser)] = float(val)
    if got != want:
        fail(f"{name}: got {sorted(got.items())}\nwanted {sorted(want.items())}")

# 7. churn risk score, all customers in April, stacked by segment, automatic bins
check_hist("histogram", "07", [(s, churn_risk(r)) for c, s, r in apr], SEGS, 0)
# 10. days since the last order of the Regular customers in November, at most 12 bins
check_hist("histogram of one segment", "10",
           [(s, r["days_since_last_order"]) for c, s, r in nov if s == "Regular"],
           ["Regular"], 12)

def check_box(name, n, value):
    head, body = rows(n)
    got = {(c, s): float(v) for c, s, v in body}
    for g in SEGS + ["All customers"]:
        xs = sorted(value(r) for c, s, r in apr if g == "All customers" or s == g)
        q1, q3 = q7(xs, 0.25), q7(xs, 0.75)
        inside = [v for v in xs if q1 - 1.5 * (q3 - q1) <= v <= q3 + 1.5 * (q3 - q1)]
        want = {"Lower whisker": inside[0], "Q1": q1, "Median": q7(xs, 0.5), "Q3": q3,
                "Upper whisker": inside[-1], "Outliers": len(xs) - len(inside),
                "Customers": len(xs)}
        for k, w in want.items():
            if (g, k) not in got or not close(got[(g, k)], w):
                fail(f"{name}: {g} {k}: got {got.get((g, k))}, wanted {w}")
    if len(got) != 6 * 7:
        fail(f"{name}: {len(got)} cells")
    return got
check_box("box of churn risk", "08", churn_risk)
rev = check_box("box of revenue", "11", lambda r: r["revenue_12m"])
if rev[("All customers", "Outliers")] == 0:
    fail("box of revenue: no outliers, so the test of outliers tests nothing")

# 9. the scatter: the 300 customers of April whose key has the least FNV-1a
# hash, in that order, with their segment, orders and revenue over 12 months
def fnv1a(s):
    h = 14695981039346656037
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) % 2 ** 64
    return h
want = sorted(apr, key=lambda t: (fnv1a(str(t[0])), t[0]))[:300]
head, body = rows("09")
if head != ["customer", "segment", "orders_12m", "revenue_12m"]:
    fail(f"scatter: header {head}")
if [int(b[0]) for b in body] != [c for c, s, r in want]:
    fail("scatter: not the customers of the least hashes, in order")
for b, (c, s, r) in zip(body, want):
    if b[1] != s or not close(float(b[2]), r["orders_12m"]) or not close(float(b[3]), r["revenue_12m"]):
        fail(f"scatter: customer {c}: got {b}, wanted {s} {r['orders_12m']} {r['revenue_12m']}")
        break
sys.exit(1 if failed else 0)
PY

# Positions (pdftotext -bbox): the churn risk histogram's value axis is
# linear, its ticks 0 to 100 evenly spaced left to right on one line, and
# the box plot's groups are evenly spaced along x.
pdftotext -q -bbox "$T/c.pdf" "$T/c.html"
/usr/bin/python3 - "$T/c.html" <<'PY' && ok || bad "the distribution charts' labels are not where they belong"
import re, sys
from collections import defaultdict
lines = defaultdict(list)                 # (page, y) -> [(x centre, word)]
for page, text in enumerate(open(sys.argv[1], encoding="utf-8").read().split("<page ")):
    for x0, y0, x1, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            text):
        lines[(page, round(float(y0), 1))].append(((float(x0) + float(x1)) / 2, t))
def spaced(want):
    for y, ws in lines.items():
        ws.sort()
        texts = [t for x, t in ws]
        for i in range(len(texts) - len(want) + 1):
            if texts[i:i + len(want)] == want:
                xs = [x for x, t in ws[i:i + len(want)]]
                gaps = [b - a for a, b in zip(xs, xs[1:])]
                if max(gaps) - min(gaps) < 1.0 and min(gaps) > 10:
                    return True
    return False
ok = spaced(["0", "20", "40", "60", "80", "100"])
boxes = 0
for y, ws in lines.items():
    at = {t: x for x, t in ws}
    if all(k in at for k in ("VIP", "Regular", "Inactive", "New", "All", "customers")):
        slot = at["Regular"] - at["VIP"]
        want = {"Inactive": 3 * slot, "New": 4 * slot}
        boxes += all(abs(at[k] - at["VIP"] - d) < 1.0 for k, d in want.items()) and slot > 20
ok &= boxes == 2                          # the churn risk and the revenue box plots
sys.exit(0 if ok else 1)
PY

# The same output twice: the sample does not move.
"$QUIRE" run "$SPEC" --param data="$DATA" -o "$T/c2.pdf" -q
f=$(qpdf --list-attachments "$T/c2.pdf" | sed -n "s/^\(chart-09-[^ ]*\.csv\) .*/\1/p")
qpdf --show-attachment="$f" "$T/c2.pdf" | cmp -s - "$T/dist09.csv" \
    && ok || bad "the scatter's sample differs from one run to the next"

# The workbook: the scatter's sheet lists its customers with their values and
# segment; the HTML page draws every chart as SVG.
exits 0 "the charts report as HTML and a workbook" "$QUIRE" run "$SPEC" --param data="$DATA" \
    -o "$T/w.pdf" --format html,xlsx -q
/usr/bin/python3 - "$T" <<'PY' && ok || bad "the workbook's sheet of the customer scatter"
import csv, re, sys, zipfile
out = sys.argv[1]
z = zipfile.ZipFile(f"{out}/w.xlsx")
names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
sheet = z.read(f"xl/worksheets/sheet{names.index('Orders against revenue, a') + 1}.xml").decode()
strings = [re.sub(r"<[^>]+>", "", si) for si in
           re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode())]
def cell(ref):
    m = re.search(r'<c r="%s"([^>]*)>(?:<v>([^<]*)</v>)?' % ref, sheet)
    return strings[int(m.group(2))] if 't="s"' in m.group(1) else m.group(2)
assert [cell(c + "1") for c in "ABCD"] == ["Customer", "Orders 12m", "Revenue 12m", "Segment"], \
    [cell(c + "1") for c in "ABCD"]
body = list(csv.reader(open(f"{out}/dist09.csv")))[1:]
assert len(re.findall(r'<row r="', sheet)) == 301, "rows"
for i in (0, 150, 299):
    key, seg, x, y = body[i]
    got = [cell(f"{c}{i + 2}") for c in "ABCD"]
    assert got[0] == key and got[3] == seg and abs(float(got[1]) - float(x)) < 1e-9 \
        and abs(float(got[2]) - float(y)) < 1e-6, (got, body[i])
PY
[ "$(grep -c '<svg' "$T/w.html")" -ge 11 ] && ok || bad "the HTML page does not draw every chart"

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
