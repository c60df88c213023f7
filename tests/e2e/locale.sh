# End to end: a report in its readers' locale (tests/fixtures/locale), in
# de_DE and fr_FR. The PDF's text (pdftotext -layout) must show the numbers,
# money, dates and months as each locale writes them, computed here in
# Python straight from the sample data's CSV files; the CSV files attached to
# it keep a dot as the decimal point and ISO dates and months.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks locale; exit 1; }
SPEC=tests/fixtures/locale/report.yaml

for loc in de_DE fr_FR; do
    exits 0 "run the $loc report" "$QUIRE" run "$SPEC" --param data="$DATA" \
        --param locale="$loc" -o "$T/$loc.pdf"
    pdftotext -q -layout "$T/$loc.pdf" "$T/$loc.txt"
    for a in table-01 chart-01; do
        f=$(qpdf --list-attachments "$T/$loc.pdf" | sed -n "s/^\($a-[^ ]*\.csv\) .*/\1/p")
        qpdf --show-attachment="$f" "$T/$loc.pdf" >"$T/$loc-$a.csv" || bad "$loc: no $a"
    done
    python3 - "$DATA" "$T" "$loc" <<'PY' && ok || bad "$loc: the report differs from its computation (above)"
import csv, datetime, sys
data, out, loc = sys.argv[1:4]
D = datetime.date
since = {int(r["customer_id"]): D.fromisoformat(r["signup_date"])
         for r in csv.DictReader(open(f"{data}/customers.csv", encoding="utf-8"))}
orders = {}
for r in csv.DictReader(open(f"{data}/orders.csv")):
    orders.setdefault(int(r["customer_id"]), []).append(
        (D.fromisoformat(r["order_date"]), float(r["amount"])))
first_loaded, start12, end = D(2023, 2, 1), D(2023, 4, 1), D(2024, 3, 31)
rec = {}
for c in since:
    if since[c] > end:
        continue
    own = [(d, a) for d, a in orders.get(c, []) if first_loaded <= d <= end]
    rec[c] = (sum(a for d, a in own if d >= start12), max((d for d, a in own), default=None))
top = sorted(rec, key=lambda c: (-rec[c][0], c))[:10]

# The locale's own writing, by hand: grouping, decimal comma, euro after.
group = {"de_DE": ".", "fr_FR": " "}[loc]
def money(v):
    whole, frac = "{:,.2f}".format(v).split(".")
    return whole.replace(",", group) + "," + frac + " €"
def day(d):
    return d.strftime("%d.%m.%Y" if loc == "de_DE" else "%d/%m/%Y")
months = {"de_DE": ("Feb.", "März"), "fr_FR": ("févr.", "mars")}[loc]

failed = False
def same(name, got, want):
    global failed
    if got != want:
        failed = True
        print(f"{loc}: {name}: got\n  {got}\nwanted\n  {want}")

# Every space-like character (no-break, narrow no-break) as a plain space.
text = open(f"{out}/{loc}.txt", encoding="utf-8").read()
for sp in "\u00a0\u202f\u2009":
    text = text.replace(sp, " ")
lines = text.splitlines()
same("title", lines[0].strip(), f"Kunden nach Umsatz, {months[0]}\u2013{months[1]} 2024")
same("subtitle", lines[1].strip(), f"Stand {months[1]} 2024")
rows = []
for l in lines:
    parts = [p.strip() for p in l.split("  ") if p.strip()]
    if len(parts) == 4 and parts[0].isdigit() and parts[2].endswith("€"):
        rows.append((int(parts[0]), parts[2], parts[3]))
same("top 10 in the PDF", rows, [(c, money(rec[c][0]), day(rec[c][1])) for c in top])
for m in months:
    if f"{m} 2024" not in text:
        failed = True
        print(f"{loc}: no \"{m} 2024\" in the PDF")
if "$" in text:
    failed = True
    print(f"{loc}: a dollar sign in the PDF")

# The attached files: dots and ISO dates, whatever the locale.
got = list(csv.reader(open(f"{out}/{loc}-table-01.csv")))
same("table file", [(int(r[0]), round(float(r[2]), 2), r[3]) for r in got[1:]],
     [(c, round(rec[c][0], 2), rec[c][1].isoformat()) for c in top])
got = list(csv.reader(open(f"{out}/{loc}-chart-01.csv")))
same("chart file months", sorted({r[1] for r in got[1:]}), ["2024-02", "2024-03"])
for r in got[1:]:
    float(r[2]) if r[2] else None
sys.exit(1 if failed else 0)
PY
done

# The stock sentences stay English, their numbers follow the locale.
grep -q "times as much" "$T/de_DE.txt" && grep -Eq "[0-9],[0-9] times as much" "$T/de_DE.txt" && ok \
    || bad "de_DE: the insight's ratio is not written with a decimal comma"
# French thousands are grouped by a narrow no-break space (U+202F), which
# the embedded DejaVu Sans draws: the text reads back with a space there.
pdftotext -q "$T/fr_FR.pdf" - | grep -q "[0-9] [0-9][0-9][0-9],[0-9][0-9]" && ok \
    || bad "fr_FR: no grouped amount in the text"
exits 0 "validate the de_DE spec" "$QUIRE" validate "$SPEC" --param data="$DATA"
done_checks locale
