# End to end: targets per period and from a file (tests/fixtures/targets,
# docs/spec.md "Targets per period and from a file"). The sample data set of
# tests/e2e/grains.sh is rendered by month; the tiles' text, the attached
# CSV tables and charts, the workbook and the HTML page are checked against
# the targets read here, in Python, from the spec's values and targets.csv
# (with the rule: this segment before every segment, this period before
# every period), and the values against sums computed from the CSV files.
. tests/lib.sh
DATA=build/test-grains-sample
if [ ! -f "$DATA/orders.csv" ]; then
    "$QUIRE" sample --out "$DATA" --customers 2000 --orders 60000 --from 2019-10 --months 27 \
        >/dev/null 2>&1 || { bad "quire sample failed"; done_checks targets; exit 1; }
fi
F=tests/fixtures/targets

attached() {
    f=$(qpdf --list-attachments "$1" | sed -n "s/^\($2[^ ]*\.csv\) .*/\1/p")
    [ -n "$f" ] && qpdf --show-attachment="$f" "$1" >"$3" || bad "no attachment $2 in $1"
}

exits 0 "run the targets report" "$QUIRE" run $F/report.yaml --param data="$DATA" \
    --format pdf,html,xlsx -o "$T/t.pdf"
pdftotext -q -layout "$T/t.pdf" "$T/t.txt"
for n in 01 02; do attached "$T/t.pdf" table-$n "$T/table$n.csv"; done
for n in 01 02 03; do attached "$T/t.pdf" chart-$n "$T/chart$n.csv"; done
mkdir -p "$T/x" && (cd "$T/x" && unzip -q ../t.xlsx) || bad "the workbook does not unzip"
contains "$T/t.html" "Target VIP \$520,000"
contains "$T/t.html" "stroke-dasharray"
# the tiles' comparisons in the HTML page and the workbook's summary, as in the PDF
[ "$(grep -o 'class="line">no target<' "$T/t.html" | wc -l)" -eq 2 ] && ok ||
    bad "the HTML tiles do not say \"no target\" twice"
contains "$T/x/xl/sharedStrings.xml" "no target"

python3 - "$DATA" "$T" "$F/targets.csv" <<'PY' || bad "targets differ from their computation (above)"
import csv, datetime, glob, math, re, sys
data, out, tfile = sys.argv[1:4]
D = datetime.date
since = {int(r["customer_id"]): D.fromisoformat(r["signup_date"])
         for r in csv.DictReader(open(f"{data}/customers.csv", encoding="utf-8"))}
orders = [(int(r["customer_id"]), D.fromisoformat(r["order_date"]), float(r["amount"]))
          for r in csv.DictReader(open(f"{data}/orders.csv"))]
months = [f"2021-{m:02d}" for m in range(1, 7)]
labels = {m: D(2021, int(m[5:]), 1).strftime("%b %Y") for m in months}
problems = []

def sums(ym):
    y, m = int(ym[:4]), int(ym[5:])
    start = D(y, m, 1)
    end = D(y + m // 12, m % 12 + 1, 1) - datetime.timedelta(days=1)
    got = [a for c, d, a in orders if start <= d <= end and c in since and since[c] <= end]
    return math.fsum(got), len(got)

# every target given: (kpi, segment or None, period or None) -> value
given = {("revenue", "All", m): v for m, v in
         [("2021-04", 560000.0), ("2021-05", 570000.0), ("2021-06", 600000.0)]}
given[("revenue", "VIP", None)] = 520000.0
for r in csv.DictReader(open(tfile)):
    given[(r["kpi"], r["segment"] or None, r["period"] or None)] = float(r["target"])

def target(kpi, seg, ym):
    for key in [(kpi, seg, ym), (kpi, seg, None), (kpi, None, ym), (kpi, None, None)]:
        if key in given:
            return given[key]
    return None

def num(s):
    return None if s == "" else float(s)

def check(what, got, want):
    if (got is None) != (want is None) or (want is not None and abs(got - want) > 1e-6 * max(1, abs(want))):
        problems.append(f"{what}: {got}, wanted {want}")

def money(v):
    return f"${v:,.0f}"

# the months' table: values and targets of all customers
rows = list(csv.DictReader(open(f"{out}/table01.csv")))
check("months", len(rows), 6)
for r, ym in zip(rows, months):
    rev, n = sums(ym)
    check(f"{ym} revenue", num(r["revenue"]), rev)
    check(f"{ym} orders", num(r["orders"]), n)
    check(f"{ym} revenue target", num(r["revenue.target"]), target("revenue", "All", ym))
    check(f"{ym} orders target", num(r["orders.target"]), target("orders", "All", ym))

# the segments' table (June): every segment's target, the attainment printed
txt = open(f"{out}/t.txt").read()
rows = list(csv.DictReader(open(f"{out}/table02.csv")))
for r in rows:
    seg = "All" if r["segment"] == "All customers" else r["segment"]
    for k in ("revenue", "orders"):
        t = target(k, seg, "2021-06")
        check(f"{seg} {k} target", num(r[k + ".target"]), t)
        if t is not None and r["segment"] == "All customers":
            pct = f"{float(r[k]) / t * 100:.1f}%"
            line = [l for l in txt.splitlines() if l.strip().startswith("All customers") and pct in l]
            if not line:
                problems.append(f"segments' table: no {pct} of target for all customers' {k}")

# the tiles: June against its targets; March has none ("no target", never 0 %)
rev, n = sums("2021-06")
for want in [f"{rev / 600000 * 100:.1f}% of target $600,000",
             f"{n / 2500 * 100:,.1f}% of target 2,500"]:
    if want not in txt:
        problems.append(f"tiles: no {want!r}")
if txt.count("no target") != 2:
    problems.append(f"tiles: {txt.count('no target')} times \"no target\", wanted 2 (March)")
if re.search(r"\b0\.0% of target", txt):
    problems.append("a 0.0 % of target printed")

# the charts' targets, as attached
def series(path):
    got = {}
    for r in csv.DictReader(open(path)):
        got.setdefault(r["series"], {})[r["category"]] = num(r["value"])
    return got
c1 = series(f"{out}/chart01.csv")          # line by segment: VIP alone has a target
if sorted(k for k in c1 if k.startswith("Target")) != ["Target VIP"]:
    problems.append(f"line chart: target lines {sorted(c1)}")
for ym in months:
    check(f"line target {ym}", c1.get("Target VIP", {}).get(labels[ym]), 520000.0)
c2 = series(f"{out}/chart02.csv")          # stacked: all customers' target, by month
for ym in months:
    check(f"stacked target {ym}", c2.get("Target (all customers)", {}).get(labels[ym]),
          target("orders", "All", ym))
c3 = series(f"{out}/chart03.csv")          # bars: a target per segment and month
for ym in months:
    s = c3.get(f"Target {labels[ym]}", {})
    for seg in ["VIP", "Regular", "At Risk", "Inactive", "New"]:
        check(f"bar target {seg} {ym}", s.get(seg), target("orders", seg, ym))

# the workbook's chart sheets carry the same target columns
sheets = open(f"{out}/x/xl/sharedStrings.xml").read()
for name in ["Target VIP", "Target (all customers)", "Target Jun 2021"]:
    if name not in sheets:
        problems.append(f"workbook: no column {name!r}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
[ $? -eq 0 ] && ok

# The targets file lies under the data root like every input.
W=build/test-targets
rm -rf "$W" && mkdir -p "$W"
sed -e 's#\.\./\.\./\.\./#../../#g' -e 's#\.\./grains/#../../tests/fixtures/grains/#' \
    $F/report.yaml >"$W/report.yaml"
cp $F/targets.csv "$T/targets.csv"
ln -s "$T/targets.csv" "$W/targets.csv"
exits 1 "a targets file outside the data root" "$QUIRE" run "$W/report.yaml" \
    --param data="$DATA" --data-root . -o "$T/root.pdf"
contains "$T/err" "is outside the data root"
rm -f "$W/targets.csv" && cp $F/targets.csv "$W/targets.csv"
exits 0 "a targets file inside the data root" "$QUIRE" run "$W/report.yaml" \
    --param data="$DATA" --data-root . -o "$W/root.pdf"
rm -rf "$W"
done_checks targets
