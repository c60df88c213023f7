# End to end: time grains and comparisons (tests/fixtures/grains). A sample
# data set of October 2019 to December 2021 is rendered by ISO week (eight
# weeks across New Year 2021, with week 53 of 2020), by fiscal quarter (a
# year from April; eight quarters, 29 February 2020 among them) and by
# fiscal year (from March, so FY2019/20 ends on 29 February). The attached
# CSV tables and the tiles' text (pdftotext -layout) are checked against the
# same figures computed here, in Python, straight from the CSV files, with
# its own calendar (datetime.isocalendar) and fiscal arithmetic.
. tests/lib.sh
DATA=build/test-grains-sample
if [ ! -f "$DATA/orders.csv" ]; then
    "$QUIRE" sample --out "$DATA" --customers 2000 --orders 60000 --from 2019-10 --months 27 \
        >/dev/null 2>&1 || { bad "quire sample failed"; done_checks grains; exit 1; }
fi
F=tests/fixtures/grains

# attached PDF NAME-PREFIX OUT: the attached file whose name starts so.
attached() {
    f=$(qpdf --list-attachments "$1" | sed -n "s/^\($2[^ ]*\.csv\) .*/\1/p")
    [ -n "$f" ] && qpdf --show-attachment="$f" "$1" >"$3" || bad "no attachment $2 in $1"
}

exits 0 "run the weekly report" "$QUIRE" run $F/weekly.yaml --param data="$DATA" -o "$T/w.pdf"
pdftotext -q -layout "$T/w.pdf" "$T/w.txt"
attached "$T/w.pdf" table-01 "$T/w1.csv"
attached "$T/w.pdf" table-02 "$T/w2.csv"
attached "$T/w.pdf" chart-01 "$T/wc.csv"
exits 0 "run the fiscal quarterly report" "$QUIRE" run $F/quarterly.yaml --param data="$DATA" \
    -o "$T/q.pdf"
pdftotext -q -layout "$T/q.pdf" "$T/q.txt"
attached "$T/q.pdf" table-01 "$T/q1.csv"
attached "$T/q.pdf" table-02 "$T/q2.csv"
exits 0 "run the fiscal yearly report" "$QUIRE" run $F/quarterly.yaml --param data="$DATA" \
    --param grain=year --param fiscal_year_start=3 --param from=2019-10 --param history=0 \
    -o "$T/y.pdf"
pdftotext -q -layout "$T/y.pdf" "$T/y.txt"
attached "$T/y.pdf" table-01 "$T/y1.csv"

python3 - "$DATA" "$T" <<'PY' || bad "the grains' figures differ from their computation (above)"
import csv, datetime, math, re, sys
data, out = sys.argv[1], sys.argv[2]
D, day = datetime.date, datetime.timedelta(days=1)
since = {int(r["customer_id"]): D.fromisoformat(r["signup_date"])
         for r in csv.DictReader(open(f"{data}/customers.csv", encoding="utf-8"))}
orders = [(int(r["customer_id"]), D.fromisoformat(r["order_date"]), float(r["amount"]))
          for r in csv.DictReader(open(f"{data}/orders.csv"))]
assert any(d == D(2020, 2, 29) for c, d, a in orders), "no order on 29 February 2020"
problems = []

def sums(start, end):
    """Revenue and orders of all customers (those signed up by the end)."""
    got = [a for c, d, a in orders if start <= d <= end and c in since and since[c] <= end]
    return math.fsum(got), len(got)

def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))

def table(path):
    return list(csv.DictReader(open(path)))

def num(s):
    return None if s == "" else float(s)

def check(label, got, want):
    if want is None or got is None:
        if got != want:
            problems.append(f"{label}: got {got}, wanted {want}")
    elif not close(got, want):
        problems.append(f"{label}: got {got!r}, wanted {want!r}")

def window(periods, i, j):
    """periods[i..j] (inclusive) as one span: revenue, orders."""
    return sums(periods[i][1], periods[j][2])

def pct(now, then):
    v = (now / then - 1) * 100
    return ("+" if v > 0 else "\u2212" if v < 0 else "") + f"{abs(v):.1f}%"

def money(v):
    return f"${v:,.0f}"

# ---- weeks: eight, 2020-W50 to 2021-W04, loaded from 60 weeks before
def iso_label(d):
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"
def monday(d):
    return d - d.weekday() * day
first_report = monday(D(2020, 12, 7))
weeks = []     # (label, start, end) of every loaded week
start = first_report - 60 * 7 * day
while start <= D(2021, 1, 31):
    weeks.append((iso_label(start), start, start + 6 * day))
    start += 7 * day
lab_at = {w[0]: i for i, w in enumerate(weeks)}
rows = table(f"{out}/w1.csv")
want_labels = [iso_label(first_report + 7 * i * day) for i in range(8)]
if [r["week"] for r in rows] != want_labels:
    problems.append(f"weekly rows {[r['week'] for r in rows]}, wanted {want_labels}")
assert want_labels[3] == "2020-W53" and want_labels[4] == "2021-W01"
for r in rows:
    i = lab_at[r["week"]]
    rev, n = window(weeks, i, i)
    check(f"{r['week']} revenue", num(r["revenue"]), rev)
    check(f"{r['week']} order_value", num(r["order_value"]), rev / n)
    y, w = int(r["week"][:4]), int(r["week"][6:])
    py = f"{y - 1}-W{w:02d}"
    # a year has a week 53 when its 28 December falls in it
    exists = w < 53 or D(y - 1, 12, 28).isocalendar()[1] == 53
    pr, pn = window(weeks, lab_at[py], lab_at[py]) if exists else (None, None)
    check(f"{r['week']} revenue.last_year", num(r["revenue.last_year"]), pr)
    check(f"{r['week']} order_value.last_year", num(r["order_value.last_year"]),
          pr / pn if exists else None)
    rr, rn = window(weeks, i - 3, i)
    check(f"{r['week']} revenue.rolling_4", num(r["revenue.rolling_4"]), rr)
    check(f"{r['week']} order_value.rolling_4", num(r["order_value.rolling_4"]), rr / rn)
    yr, yn = window(weeks, lab_at[f"{y}-W01"], i)
    check(f"{r['week']} revenue.ytd", num(r["revenue.ytd"]), yr)
    check(f"{r['week']} order_value.ytd", num(r["order_value.ytd"]), yr / yn)
# the tiles of the last week, as printed
i = lab_at["2021-W04"]
rev, n = window(weeks, i, i)
prev, pn = window(weeks, i - 1, i - 1)
py, pyn = window(weeks, lab_at["2020-W04"], lab_at["2020-W04"])
r4, r4n = window(weeks, i - 3, i)
text = open(f"{out}/w.txt").read()
for want in [money(rev), pct(rev, prev), f"vs 2020-W04 \u25b2 {pct(rev, py)}",
             f"Last 4 weeks: {money(r4)}", f"Year to date: {money(r4)}",
             f"{rev / 150000 * 100:.1f}% of target $150,000", f"{n / 1000 * 100:.1f}% of target 1,000",
             "All customers, 2021-W04"]:
    if want not in text:
        problems.append(f"weekly tiles: no {want!r}")
# the weeks in order, as rows and as the chart's categories
body = text[text.find("\nWeeks\n"):]
pos = [body.find(l + " ") for l in want_labels]
if -1 in pos or pos != sorted(pos):
    problems.append(f"the weeks table does not list the weeks in order: {pos}")
cats = []
for r in table(f"{out}/wc.csv"):
    if r["category"] not in cats:
        cats.append(r["category"])
if cats != want_labels:
    problems.append(f"chart categories {cats}, wanted {want_labels}")
# the segments' orders against targets: VIP 300, All 1000, others none
for r in table(f"{out}/w2.csv"):
    want = {"VIP": 300.0, "All customers": 1000.0}.get(r["segment"])
    check(f"target of {r['segment']}", num(r["orders.target"]), want)
if not re.search(r"2020-W53 +\$[0-9,]+ +\u2013", text):
    problems.append("week 53 of 2020 does not say it has no same week last year")

# ---- fiscal quarters from April, and fiscal years from March
def add_months(y, m, k):
    t = y * 12 + m - 1 + k
    return t // 12, t % 12 + 1
def span(y, m, months):
    ey, em = add_months(y, m, months)
    return D(y, m, 1), D(ey, em, 1) - day
def fiscal(d, fy_start):
    """The fiscal year (its first calendar year) of a date."""
    return d.year if d.month >= fy_start else d.year - 1
def fy_name(y):
    return f"FY{y}/{(y + 1) % 100:02d}"

quarters = []  # Q3 FY2019/20 (the history quarter) to Q3 FY2021/22
y, m = 2019, 10
for k in range(9):
    s, e = span(y, m, 3)
    fy = fiscal(s, 4)
    q = ((s.year * 12 + s.month) - (fy * 12 + 4)) // 3 + 1
    quarters.append((f"Q{q} {fy_name(fy)}", s, e))
    y, m = add_months(y, m, 3)
rows = table(f"{out}/q1.csv")
if [r["quarter"] for r in rows] != [q[0] for q in quarters[1:]]:
    problems.append(f"quarters {[r['quarter'] for r in rows]}")
qtext = open(f"{out}/q.txt").read()
body = qtext[qtext.find("\nPeriods\n"):]
pos = [body.find(q[0] + " ") for q in quarters[1:]]
if -1 in pos or pos != sorted(pos):
    problems.append(f"quarter labels not all printed in order: {pos}")
for k, r in enumerate(rows, start=1):
    lab, s, e = quarters[k]
    rev, n = sums(s, e)
    check(f"{lab} revenue", num(r["revenue"]), rev)
    check(f"{lab} previous", num(r["revenue.previous"]), sums(*quarters[k - 1][1:])[0] if k > 1 else None)
    check(f"{lab} last year", num(r["revenue.last_year"]), sums(*quarters[k - 4][1:])[0] if k >= 4 else None)
    fy = fiscal(s, 4)
    ytd = sums(D(fy, 4, 1), e)[0] if D(fy, 4, 1) >= quarters[0][1] else None
    check(f"{lab} ytd", num(r["revenue.ytd"]), ytd)
    check(f"{lab} target", num(r["revenue.target"]), 2000000.0)
    printed = f"{rev / 2000000 * 100:.1f}%"
    if not re.search(re.escape(lab) + r" +\$[0-9,]+ .*" + re.escape(printed), qtext):
        problems.append(f"{lab}: no attainment {printed}")
for k, r in enumerate(table(f"{out}/q2.csv"), start=1):
    lab = quarters[k][0]
    rr, rn = sums(quarters[k - 1][1], quarters[k][2])
    check(f"{lab} order value, 2 quarters", num(r["order_value.rolling_2"]), rr / rn)
if not quarters[1][1] <= D(2020, 2, 29) <= quarters[1][2]:
    problems.append("29 February 2020 is not in Q4 FY2019/20")

years = [(fy_name(fy),) + span(fy, 3, 12) for fy in (2019, 2020, 2021)]
if years[0][2] != D(2020, 2, 29):
    problems.append("FY2019/20 from March does not end on 29 February")
rows = table(f"{out}/y1.csv")
if [r["year"] for r in rows] != [y[0] for y in years]:
    problems.append(f"fiscal years {[r['year'] for r in rows]}")
for k, r in enumerate(rows):
    lab, s, e = years[k]
    rev = sums(max(s, D(2019, 10, 1)), e)[0]
    check(f"{lab} revenue", num(r["revenue"]), rev)
    check(f"{lab} last year", num(r["revenue.last_year"]),
          sums(max(years[k - 1][1], D(2019, 10, 1)), years[k - 1][2])[0] if k else None)

if problems:
    print("\n".join(problems[:30]))
    sys.exit(1)
PY
[ $? -eq 0 ] && ok
# The real shop (data/online-retail) by ISO week and by quarter: the weeks'
# and the quarters' sales and orders add up to the months' of
# reports/online_retail.yaml, folded from the same rows by another grain.
R=reports/online_retail_grains.yaml
exits 0 "run the shop by month" "$QUIRE" run reports/online_retail.yaml -o "$T/om.pdf"
exits 0 "run the shop by week" "$QUIRE" run $R --param to=2011-02-28 -o "$T/ow.pdf"
exits 0 "run the shop by quarter" "$QUIRE" run $R --param grain=quarter -o "$T/oq.pdf"
attached "$T/om.pdf" table-02 "$T/om.csv"
attached "$T/ow.pdf" table-01 "$T/ow.csv"
attached "$T/oq.pdf" table-01 "$T/oq.csv"
pdftotext -q -layout "$T/ow.pdf" "$T/ow.txt"
pdftotext -q -layout "$T/oq.pdf" "$T/oq.txt"
python3 - "$T" <<'PY' || bad "the shop's weeks or quarters do not add up to its months (above)"
import csv, math, sys
t = sys.argv[1]
rows = lambda n: list(csv.DictReader(open(f"{t}/{n}.csv")))
months, weeks, quarters = rows("om"), rows("ow"), rows("oq")
problems = []
want_weeks = [f"2010-W{w}" for w in range(48, 53)] + [f"2011-W{w:02d}" for w in range(1, 10)]
if [r["week"] for r in weeks] != want_weeks:
    problems.append(f"weeks {[r['week'] for r in weeks]}")
if [r["quarter"] for r in quarters] != ["Q4 2010", "Q1 2011"]:
    problems.append(f"quarters {[r['quarter'] for r in quarters]}")
total = lambda rs: math.fsum(float(r["sales_gbp"]) for r in rs)
for name, got in [("weeks", total(weeks)), ("quarters", total(quarters))]:
    if abs(got - total(months)) > 1e-6:
        problems.append(f"the {name}' sales add up to {got}, the months' to {total(months)}")
if abs(float(quarters[0]["sales_gbp"]) - float(months[0]["sales_gbp"])) > 1e-6:
    problems.append("Q4 2010 is not December 2010")
if abs(float(quarters[1]["sales_gbp"]) - total(months[1:])) > 1e-6:
    problems.append("Q1 2011 is not January and February 2011")
for path, labels in [(f"{t}/ow.txt", want_weeks), (f"{t}/oq.txt", ["Q4 2010", "Q1 2011"])]:
    text = open(path).read()
    for l in labels:
        if l not in text:
            problems.append(f"{path}: no {l}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
[ $? -eq 0 ] && ok
# The stock insights speak of the report's periods: weeks, quarters, years.
python3 - "$T" <<'PY' || bad "the insights' words do not follow the grain (above)"
import re, sys
t = sys.argv[1]
problems = []
for name, grain, n in [("w", "week", 8), ("q", "quarter", 8), ("y", "year", 3)]:
    text = open(f"{t}/{name}.txt").read()
    words = " ".join(text.split("In words", 1)[-1].split())
    # seasons are read from calendar months, which the sentence says
    left = words.replace("calendar months", "")
    for m in re.findall(r"[^.]*\bmonths?\b[^.]*", left, flags=re.I):
        problems.append(f"{name}: speaks of months: {m.strip()!r}")
    for want in [f"The report covers {n} {grain}s (", f"{grain.capitalize()} to {grain}, ",
                 f"segment-{grain}s", f"was the highest in "]:
        if want not in words:
            problems.append(f"{name}: no {want!r}")
    if not re.search(rf"(rising|falling) every {grain}\b|of {n - 1} {grain}s\b", words):
        problems.append(f"{name}: the trend's path is not counted in {grain}s")
    if not re.search(rf"highest in (all {n}|\d+ of {n}) {grain}s\b|both {grain}s", words):
        problems.append(f"{name}: the leader's record is not counted in {grain}s")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
[ $? -eq 0 ] && ok
# Schedules name periods at the report's grain: a Monday run of the weekly
# report covers the ISO week before (and the seven before it, show: 8); a
# quarterly run the fiscal quarter before (and seven more).
exits 0 "run-due the weekly report" "$QUIRE" run-due $F/weekly.yaml --state "$T/sw.db" \
    --now 2021-02-01T06:00:10Z --param data="$DATA" --param out="$T/sched"
exits 0 "run-due the quarterly report" "$QUIRE" run-due $F/quarterly.yaml --state "$T/sq.db" \
    --now 2022-01-03T06:00:10Z --param data="$DATA" --param out="$T/sched"
python3 - "$T" <<'PY' || bad "the scheduled periods differ from their computation (above)"
import datetime, os, subprocess, sys
t = sys.argv[1]
D, week = datetime.date, datetime.timedelta(days=7)
def wk(d):
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"
run = D(2021, 2, 1)
last, first = wk(run - week), wk(run - 8 * week)
def fq(y, m, fy=4):
    """The fiscal quarter (from April) holding month m of year y."""
    s = y if m >= fy else y - 1
    return f"FY{s}/{(s + 1) % 100:02d}", (m - fy) % 12 // 3 + 1
fyl, ql = fq(2021, 12)                     # the quarter before January 2022
fyf, qf = fq(2020, 1)                      # eight quarters: from January 2020
want = {f"weekly {last} {first} \u2013 {last}.pdf": f"Weekly Sales, {first} \u2013 {last}",
        f"quarterly {fyl.replace('/', '_')}-Q{ql} Q{qf} {fyf.replace('/', '_')} \u2013 Q{ql} "
        f"{fyl.replace('/', '_')}.pdf": f"Quarterly Sales, Q{qf} {fyf} \u2013 Q{ql} {fyl}"}
got = sorted(os.listdir(f"{t}/sched"))
problems = []
if got != sorted(want):
    problems.append(f"delivered {got}, wanted {sorted(want)}")
for name, title in want.items():
    path = f"{t}/sched/{name}"
    if os.path.exists(path):
        text = subprocess.run(["pdftotext", "-q", "-layout", path, "-"], capture_output=True,
                              text=True).stdout
        if title not in text:
            problems.append(f"{name}: no title {title!r}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
[ $? -eq 0 ] && ok
done_checks grains
