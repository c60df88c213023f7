# End to end: the stock monthly report as one HTML page, read back with
# Python's html.parser: well-formed, self-contained, one inline SVG per
# chart, the tables' numbers those of kpis.csv, every hostile string inert;
# and the outputs a run writes with --format, atomically.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks html; exit 1; }

exits 0 "run the monthly report as pdf,html" \
    "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" -o "$T/o/r.pdf" \
    --format pdf,html --export "$T/x"
[ -s "$T/o/r.pdf" ] && [ -s "$T/o/r.html" ] && ok || bad "r.pdf and r.html not both written"
[ "$(ls "$T/o" | wc -l)" -eq 2 ] && ok || bad "other files than r.pdf and r.html: $(ls "$T/o")"

# The page checked by a parser: every element closed in order (void
# elements aside), one <svg> per chart (the charts are the PDF's attached
# chart-N files), nothing fetched, no script, and the table's numbers.
cat >"$T/check.py" <<'PYEOF'
import csv, sys
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "hr", "link", "input", "col", "source", "wbr", "area", "base"}
SVG_VOID = {"path", "rect", "circle", "line", "polyline", "polygon"}

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.svgs, self.figures = [], [], 0, 0
        self.scripts, self.fetches, self.files = 0, [], []
        self.cells, self.row, self.in_td, self.section = [], None, None, None
        self.text, self.title = [], ""
        self.in_title = False
        self.in_code = False
        self.tags = set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "svg":
            self.svgs += 1
        if tag == "figure":
            self.figures += 1
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            v = a.get(k)
            if v is not None and not v.startswith("#"):
                self.fetches.append(v)
        if tag == "link":
            self.fetches.append(a.get("href", "link"))
        if tag == "title":
            self.in_title = True
        if tag in ("tbody", "tfoot", "thead"):
            self.section = tag
        if tag == "tr":
            self.row = []
        if tag in ("td", "th"):
            self.in_td = [a.get("class", ""), a.get("data-value"), ""]
        if tag == "code":
            self.in_code = True
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        if tag not in VOID and tag not in SVG_VOID:
            self.errors.append("self-closed <%s/>" % tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
        else:
            self.stack.pop()
        if tag == "title":
            self.in_title = False
        if tag in ("td", "th") and self.in_td is not None and self.row is not None:
            self.row.append(tuple(self.in_td))
            self.in_td = None
        if tag == "tr" and self.row is not None:
            self.cells.append((self.section, self.row))
            self.row = None
        if tag == "code":
            self.in_code = False
    def handle_data(self, d):
        self.text.append(d)
        if self.in_title:
            self.title += d
        if self.in_td is not None:
            self.in_td[2] += d
        if self.in_code:
            self.files.append(d)

def main():
    html_path, kpis_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    src = open(html_path, encoding="utf-8").read()
    p = Page()
    p.feed(src)
    p.close()
    fails = []
    if not src.startswith("<!DOCTYPE html>"):
        fails.append("no doctype")
    if p.errors:
        fails.append("not well-formed: " + "; ".join(p.errors[:5]))
    if p.stack:
        fails.append("unclosed: " + " ".join(p.stack))
    if p.scripts:
        fails.append("%d <script> elements" % p.scripts)
    if p.fetches:
        fails.append("fetches: " + " ".join(p.fetches[:5]))
    charts = [f for f in p.files if f.startswith("chart-")]
    if p.svgs != len(charts) or p.svgs != p.figures or p.svgs == 0:
        fails.append("%d <svg>, %d figures, %d chart files" % (p.svgs, p.figures, len(charts)))
    if mode == "stock":
        if p.svgs != int(sys.argv[4]):
            fails.append("%d <svg>, the spec has %s charts" % (p.svgs, sys.argv[4]))
        # the first table: segments x KPIs in the last month, totals in tfoot
        kpis = {}
        for row in csv.DictReader(open(kpis_path)):
            kpis[(row["period"], row["segment"], row["kpi"])] = float(row["value"])
        order = ["customer_count", "average_order_value", "retention_rate",
                 "churn_risk_score", "email_open_rate", "website_visits_per_customer"]
        body = [r for s, r in p.cells if s == "tbody"]
        foot = [r for s, r in p.cells if s == "tfoot"]
        if len(foot) < 1 or not foot[0][0][2].startswith("All"):
            fails.append("no totals row in <tfoot>")
        checked = 0
        for cls, dv, shown in foot[0][1:] if foot else []:
            if "num" not in cls or dv is None:
                fails.append("totals cell %r has no number" % shown)
        for row in body[:5]:
            seg = row[0][2]
            for i, k in enumerate(order):
                cls, dv, shown = row[i + 1]
                want = kpis.get(("2024-04", seg, k))
                if want is None:
                    fails.append("kpis.csv has no %s / %s" % (seg, k))
                    continue
                if "num" not in cls:
                    fails.append("%s / %s not right-aligned" % (seg, k))
                if dv is None or abs(float(dv) - want) > 1e-9 * max(1, abs(want)):
                    fails.append("%s / %s: data-value %s, kpis.csv %s" % (seg, k, dv, want))
                # the shown text is the value rounded as shown
                t = shown.replace("$", "").replace(",", "")
                pct = t.endswith("%")
                num = float(t.rstrip("%")) / (100 if pct else 1)
                dec = len(t.rstrip("%").split(".")[1]) if "." in t else 0
                tol = 0.5 * 10 ** -dec / (100 if pct else 1) + 1e-12
                if abs(num - want) > tol:
                    fails.append("%s / %s shows %s, kpis.csv %s" % (seg, k, shown, want))
                checked += 1
        if checked != 30:
            fails.append("checked %d cells, not 30" % checked)
    else:
        # hostile: the markup shows as text, never as elements
        text = "".join(p.text)
        if "<script>alert(1)</script>" not in p.title:
            fails.append("title not kept as text: %r" % p.title)
        if text.count("<script>alert(1)</script>") < 3:
            fails.append("hostile strings missing from the text")
        if "<b>VIP</b>" not in text:
            fails.append("hostile segment name missing from the text")
        if "b" in p.tags:
            fails.append("a segment name's <b> became an element")
    for f in fails:
        print(f)
    return 1 if fails else 0

sys.exit(main())
PYEOF
nch=$(grep -c '^ *- chart:' reports/monthly_segments.yaml)
python3 "$T/check.py" "$T/o/r.html" "$T/x/kpis.csv" stock "$nch" >"$T/py.out" 2>&1 && ok \
    || bad "the page: $(cat "$T/py.out")"
# The charts are the PDF's charts: the same titles.
for s in "Customer Base by Segment" "Average Order Value Trends by Segment" \
         "Segment Retention Rates Over Time" "Website Engagement by Segment"; do
    contains "$T/o/r.html" "aria-label=\"$s\""
done
grep -q '<svg xmlns="http://www.w3.org/2000/svg" viewBox=' "$T/o/r.html" && ok \
    || bad "no inline SVG with a viewBox"
contains "$T/o/r.html" "@media print"

# A hostile title and segment name: shown, never interpreted.
mkdir -p "$T/h"
sed -e "s|\.\./scripts/segments/default.lua|$T/h/rule.lua|" -e "s|\.\./scripts/|$PWD/scripts/|" \
    -e 's|^title: .*|title: "<script>alert(1)</script> \& Co"|' \
    -e 's|name: VIP,|name: "<b>VIP</b>",|' -e 's|Regular, VIP\]|Regular, "<b>VIP</b>"]|' \
    reports/monthly_segments.yaml >"$T/h/h.yaml"
sed 's|return "VIP"|return "<b>VIP</b>"|' scripts/segments/default.lua >"$T/h/rule.lua"
sed -i 's|^  - title: At a Glance|  - title: "At a Glance <script>alert(1)</script>"|' "$T/h/h.yaml"
exits 0 "run the hostile report as html" \
    "$QUIRE" run "$T/h/h.yaml" --param data="$DATA" -o "$T/h/out.html" --format html
python3 "$T/check.py" "$T/h/out.html" - hostile >"$T/py.out" 2>&1 && ok \
    || bad "the hostile page: $(cat "$T/py.out")"
grep -q '<script>' "$T/h/out.html" && bad "a <script> element in the hostile page" || ok
contains "$T/h/out.html" "&lt;b&gt;VIP&lt;/b&gt;"
contains "$T/h/out.html" "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"

# The output path follows the format: -o r.pdf with html alone writes r.html.
exits 0 "html alone" "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" \
    -o "$T/one/r.pdf" --format html
[ -s "$T/one/r.html" ] && [ ! -e "$T/one/r.pdf" ] && ok || bad "--format html did not write r.html alone"
exits 0 "no extension, one format" "$QUIRE" run reports/monthly_segments.yaml --param data="$DATA" \
    -o "$T/one/page" -f html
head -c 15 "$T/one/page" | grep -q '<!DOCTYPE html>' && ok || bad "-o page -f html did not write page"
exits 1 "a bad format" "$QUIRE" run reports/monthly_segments.yaml --format pdf,docx
contains "$T/err" 'not "docx"'

# Failure: an unwritable folder gives a clear error, exit 3, nothing left.
mkdir -p "$T/ro"
chmod 555 "$T/ro"
if [ "$(id -u)" -eq 0 ] && touch "$T/ro/probe" 2>/dev/null; then
    rm -f "$T/ro/probe"
    # root writes anywhere: a folder that is a file instead
    rm -rf "$T/ro"
    echo "not a folder" >"$T/ro"
    exits 3 "an output folder that is a file" "$QUIRE" run reports/monthly_segments.yaml \
        --param data="$DATA" -o "$T/ro/sub/r.pdf" --format pdf,html,xlsx
else
    exits 3 "an unwritable output folder" "$QUIRE" run reports/monthly_segments.yaml \
        --param data="$DATA" -o "$T/ro/r.pdf" --format pdf,html,xlsx
    [ -z "$(ls -A "$T/ro")" ] && ok || bad "files left in the unwritable folder: $(ls -A "$T/ro")"
fi
grep -q "$T/ro" "$T/err" && ok || bad "the error does not name the path: $(cat "$T/err")"
chmod 755 "$T/ro" 2>/dev/null

# A later output failing leaves none of the earlier ones: html's path is a
# folder, so the PDF rendered first must not be published either.
mkdir -p "$T/half/r.html"
exits 3 "an output path that is a folder" "$QUIRE" run reports/monthly_segments.yaml \
    --param data="$DATA" -o "$T/half/r.pdf" --format pdf,html --export "$T/half/x"
[ ! -e "$T/half/r.pdf" ] && [ -z "$(find "$T/half/x" -type f 2>/dev/null)" ] && ok \
    || bad "outputs published though one failed: $(find "$T/half")"
[ -z "$(find "$T/half" -name '*.tmp.*')" ] && ok || bad "temporary files left: $(find "$T/half")"
grep -q "r.html" "$T/err" && ok || bad "the error does not name r.html: $(cat "$T/err")"

# Tiles show what the PDF's show: the change against the previous period
# unless the tile's comparisons leave it out, then each other comparison's
# line, as the PDF's text has them (the shop by week: previous, the last
# four weeks, the year to date; then without the previous period).
R=reports/online_retail_grains.yaml
sed 's/compare: \[previous, rolling_4, ytd\]/compare: [rolling_4, ytd]/' "$R" >"$T/nochange.yaml"
sed -i "s#\.\./#$(pwd)/#g" "$T/nochange.yaml"
for spec in "$R" "$T/nochange.yaml"; do
    name=$(basename "$spec" .yaml)
    exits 0 "run $name as pdf,html" "$QUIRE" run "$spec" --param to=2011-02-28 \
        -o "$T/t/$name.pdf" --format pdf,html
    pdftotext -q -layout "$T/t/$name.pdf" "$T/t/$name.txt"
    python3 - "$T/t/$name.html" "$T/t/$name.txt" "$name" <<'PYEOF' >"$T/py.out" 2>&1 && ok ||
import re, sys
from html.parser import HTMLParser
class Tiles(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tiles, self.cls = [], None
    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class", "")
        if cls == "tile":
            self.tiles.append({"change": [], "line": []})
        self.cls = cls.split()[0] if self.tiles and cls else None
    def handle_data(self, data):
        if self.cls in ("change", "line"):
            self.tiles[-1][self.cls].append(data)
        self.cls = None
p = Tiles()
p.feed(open(sys.argv[1], encoding="utf-8").read())
pdf = " ".join(open(sys.argv[2], encoding="utf-8").read().split())
want_change = sys.argv[3] != "nochange"
fails = []
if len(p.tiles) != 3:
    fails.append("%d tiles, wanted 3" % len(p.tiles))
for t in p.tiles:
    if bool(t["change"]) != want_change:
        fails.append("change line %s: %s" % ("missing" if want_change else "shown", t))
    if [l.split(":")[0] for l in t["line"]] != ["Last 4 weeks", "Year to date"]:
        fails.append("comparison lines: %s" % t["line"])
    for text in t["change"] + t["line"]:
        if " ".join(text.split()) not in pdf:
            fails.append("%r is not in the PDF's text" % text)
if fails:
    sys.exit("\n".join(fails))
PYEOF
        bad "$name: the HTML tiles are not the PDF's: $(cat "$T/py.out")"
done

done_checks html
