# End to end: the stock monthly report as an Excel workbook, read back with
# openpyxl: the sheets and their names, numbers as numbers equal to
# kpis.csv's, number formats by unit, bold frozen headers; and a failing
# write leaves nothing.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks xlsx; exit 1; }

# openpyxl is Debian's python3-openpyxl: the system's python3 has it even
# when another python3 comes first on the PATH.
PY=python3
$PY -c 'import openpyxl' 2>/dev/null || PY=/usr/bin/python3
$PY -c 'import openpyxl' 2>/dev/null || { bad "python3-openpyxl is missing (scripts/install-deps.sh)"; done_checks xlsx; exit 1; }

exits 0 "run the monthly report as xlsx" \
    "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/o/r.pdf" \
    --format xlsx --export "$T/x"
[ -s "$T/o/r.xlsx" ] && [ ! -e "$T/o/r.pdf" ] && ok || bad "r.xlsx not written alone: $(ls "$T/o")"
head -c 2 "$T/o/r.xlsx" | grep -q PK && ok || bad "r.xlsx is not a zip file"

cat >"$T/check.py" <<'PYEOF'
import csv, sys
import openpyxl

path, kpis_path, ncharts = sys.argv[1], sys.argv[2], int(sys.argv[3])
wb = openpyxl.load_workbook(path)
fails = []
names = wb.sheetnames
if names[0] != "Summary":
    fails.append("the first sheet is %r" % names[0])
if len(names) != 1 + 1 + ncharts:
    fails.append("%d sheets, wanted Summary, one table and %d charts: %r" % (len(names), ncharts, names))
if len(set(n.lower() for n in names)) != len(names):
    fails.append("sheet names not unique: %r" % names)
for n in names:
    if len(n) > 31 or any(c in n for c in "[]:*?/\\") or n != n.strip():
        fails.append("bad sheet name %r" % n)
for want in ("Key figures by segment", "Customer Base by Segment", "Website Engagement by Segment"):
    if want not in names:
        fails.append("no sheet %r" % want)

kpis = {}
for row in csv.DictReader(open(kpis_path)):
    kpis[(row["period"], row["segment"], row["kpi"])] = float(row["value"])

def near(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))

# The table: segments x KPIs in the last month, numbers with formats.
ws = wb["Key figures by segment"]
order = ["customer_count", "average_order_value", "retention_rate",
         "churn_risk_score", "email_open_rate", "website_visits_per_customer"]
formats = {"customer_count": "#,##0", "average_order_value": "$#,##0.00",
           "retention_rate": "0.0%", "email_open_rate": "0.0%",
           "churn_risk_score": "#,##0.0", "website_visits_per_customer": "#,##0.0"}
if ws.freeze_panes != "A2":
    fails.append("table: frozen at %r, not A2" % ws.freeze_panes)
for c in ws[1]:
    if not c.font.b:
        fails.append("table: header %r not bold" % c.value)
checked = 0
for r in range(2, 7):
    seg = ws.cell(r, 1).value
    for i, k in enumerate(order):
        c = ws.cell(r, i + 2)
        if c.data_type != "n" or not isinstance(c.value, (int, float)):
            fails.append("%s / %s is %r, not a number" % (seg, k, c.value))
            continue
        want = kpis.get(("2024-04", seg, k))
        if want is None or not near(c.value, want):
            fails.append("%s / %s is %r, kpis.csv %r" % (seg, k, c.value, want))
        if c.number_format != formats[k]:
            fails.append("%s / %s has format %r, not %r" % (seg, k, c.number_format, formats[k]))
        checked += 1
if checked != 30:
    fails.append("checked %d cells, not 30" % checked)
tot = [ws.cell(7, i + 2) for i in range(6)]
if not str(ws.cell(7, 1).value).startswith("All") or not all(c.font.b and c.data_type == "n" for c in tot):
    fails.append("no bold totals row of numbers")
for col in "ABCDEFG":
    w = ws.column_dimensions[col].width
    if not (8 <= w <= 60):
        fails.append("column %s width %r" % (col, w))

# A chart's data: months down, segments across, counts.
ws = wb["Customer Base by Segment"]
head = [c.value for c in ws[1]]
if head[1:] != ["VIP", "Regular", "At Risk", "Inactive", "New"]:
    fails.append("chart sheet header %r" % head)
months = {"Feb 2024": "2024-02", "Mar 2024": "2024-03", "Apr 2024": "2024-04"}
for r in range(2, ws.max_row + 1):
    m = months.get(ws.cell(r, 1).value)
    if m is None:
        fails.append("chart sheet row %r" % ws.cell(r, 1).value)
        continue
    for i, seg in enumerate(head[1:]):
        c = ws.cell(r, i + 2)
        want = kpis.get((m, seg, "customer_count"))
        if c.data_type != "n" or want is None or not near(c.value, want):
            fails.append("chart %s / %s is %r, kpis.csv %r" % (m, seg, c.value, want))
        if c.number_format != "#,##0":
            fails.append("chart counts formatted %r" % c.number_format)

# The summary: the title, the period, the tiles with their values.
ws = wb["Summary"]
if ws["A1"].value != "Monthly Customer Segment Performance Report" or not ws["A1"].font.b:
    fails.append("summary title %r" % ws["A1"].value)
vals = {row[0].value: row[1] for row in ws.iter_rows(min_row=1) if row[0].value}
if "Period" not in vals or "2024" not in str(vals["Period"].value):
    fails.append("no period on the summary")
tile = vals.get("Retention rate")
if tile is None or tile.data_type != "n" or tile.number_format != "0.0%":
    fails.append("retention tile %r" % (tile and (tile.value, tile.number_format)))
tile = vals.get("Customer count")
if tile is None or tile.value != 10000:
    fails.append("customer count tile %r" % (tile and tile.value))
for f in fails:
    print(f)
sys.exit(1 if fails else 0)
PYEOF
nch=$(grep -c '^ *- chart:' reports/monthly_segments.yaml)
$PY "$T/check.py" "$T/o/r.xlsx" "$T/x/kpis.csv" "$nch" >"$T/py.out" 2>&1 && ok \
    || bad "the workbook: $(cat "$T/py.out")"

# The same bytes for the same inputs (SOURCE_DATE_EPOCH fixes the dates).
for n in 1 2; do
    SOURCE_DATE_EPOCH=1700000000 "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" \
        -o "$T/rep$n.xlsx" --format xlsx -q
done
cmp -s "$T/rep1.xlsx" "$T/rep2.xlsx" && ok || bad "two runs give different workbooks"

# Long and clashing titles make valid, unique sheet names.
mkdir -p "$T/n"
sed -e "s|\.\./scripts/|$PWD/scripts/|" \
    -e 's|title: Customer Base by Segment|title: "Customer Base: [all] segments / by month? * yes"|' \
    -e 's|title: Website Engagement by Segment|title: "Customer Base: [all] segments / by month? * yes"|' \
    reports/monthly_segments.yaml >"$T/n/n.yaml"
exits 0 "run with clashing chart titles" \
    "$QUIRE" run "$T/n/n.yaml" --param data="$DATA" -o "$T/n/n.xlsx" --format xlsx
$PY - "$T/n/n.xlsx" >"$T/py.out" 2>&1 <<'PYEOF' && ok || bad "sheet names: $(cat "$T/py.out")"
import sys, openpyxl
names = openpyxl.load_workbook(sys.argv[1]).sheetnames
bad = [n for n in names if len(n) > 31 or any(c in n for c in "[]:*?/\\")]
clash = [n for n in names if n.startswith("Customer Base")]
ok = not bad and len(set(n.lower() for n in names)) == len(names) and len(clash) == 2
print(names)
sys.exit(0 if ok else 1)
PYEOF

# A workbook that cannot be written: exit 3, the path named, nothing left.
echo "a file" >"$T/file"
exits 3 "an output folder that is a file" "$QUIRE" run reports/monthly_segments.yaml \
    --param data="$DATA" -o "$T/file/r.xlsx" --format xlsx
grep -q "$T/file" "$T/err" && ok || bad "the error does not name the path: $(cat "$T/err")"
[ "$(cat "$T/file")" = "a file" ] && ok || bad "the file in the way changed"

done_checks xlsx
