# End to end: themes (tests/fixtures/theme). The report is rendered with its
# shared theme file (accent, serif fonts, PNG logo, band cover) in landscape,
# and again in portrait with a centred cover and a JPEG logo; the PDF is read
# back for its page size, its embedded fonts, its images on each page, the
# accent among its fill colours and its text.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks theme; exit 1; }
SPEC=tests/fixtures/theme/report.yaml

exits 0 "run the themed report" "$QUIRE" run "$SPEC" --param data="$DATA" -o "$T/land.pdf"
pdfinfo "$T/land.pdf" 2>/dev/null | grep -q "^Page size: *841.89 x 595.276 pts" && ok \
    || bad "the landscape report's pages are not A4 across"
# The theme's faces are embedded, and DejaVu Sans is not.
pdffonts "$T/land.pdf" 2>/dev/null >"$T/fonts"
grep -q "+DejaVuSerif,Book .* yes yes yes" "$T/fonts" && ok || bad "DejaVu Serif is not embedded"
grep -q "+DejaVuSerif-Bold,Bold .* yes yes yes" "$T/fonts" && ok || bad "DejaVu Serif Bold is not embedded"
grep -q "DejaVuSans" "$T/fonts" && bad "DejaVu Sans is embedded too" || ok
# The logo, one image object, on the cover and in each later page's header.
pages=$(pdfinfo "$T/land.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
pdfimages -list "$T/land.pdf" 2>/dev/null | awk 'NR > 2 {print $1, $4, $5, $9}' >"$T/images"
seq 1 "$pages" | awk '{print $1, 240, 64, "image"}' | cmp -s - "$T/images" && ok \
    || bad "the logo is not on every page once: $(cat "$T/images")"
[ "$(pdfimages -list "$T/land.pdf" 2>/dev/null | awk 'NR > 2 {print $11}' | sort -u | wc -l)" -eq 1 ] \
    && ok || bad "the logo is embedded more than once"
# The accent #0b7a75 is a fill colour: 11/255, 122/255, 117/255.
qpdf --qdf --object-streams=disable "$T/land.pdf" "$T/land.qdf"
grep -aq "^0.04314 0.47843 0.45882 rg$" "$T/land.qdf" && ok || bad "the accent is not drawn"
grep -aq "^0.16 0.38 0.66 rg$" "$T/land.qdf" && bad "the default accent is drawn too" || ok
# The text reads back in the theme's font: the title, and the table's first
# row against the sample data (the customer with the most revenue in the
# 12 months to March 2024).
pdftotext -q -layout "$T/land.pdf" "$T/land.txt"
head -n 12 "$T/land.txt" | grep -q "ACME Customer Review, Feb–Mar 2024" && ok \
    || bad "no title on the cover"
want=$(python3 - "$DATA" <<'PY'
import csv, sys
tot = {}
for r in csv.DictReader(open(f"{sys.argv[1]}/orders.csv")):
    if "2023-04-01" <= r["order_date"] <= "2024-03-31":
        c = int(r["customer_id"])
        tot[c] = tot.get(c, 0) + float(r["amount"])
c = min(tot, key=lambda k: (-tot[k], k))
print(f"{c} VIP ${tot[c]:,.2f}")
PY
)
grep -E "^ *[0-9]+ +VIP +\\$" "$T/land.txt" | head -n 1 | awk '{print $1, $2, $3}' | grep -qxF "$want" \
    && ok || bad "the table's first row is not '$want'"

# Portrait, a centred cover and a JPEG logo, over the same theme file.
sed 's#^  file: acme.yaml .*#  file: acme.yaml\n  cover: centered\n  logo: logo.jpg#' "$SPEC" \
    >tests/fixtures/theme/portrait-$$.yaml
exits 0 "run the portrait variant" "$QUIRE" run tests/fixtures/theme/portrait-$$.yaml \
    --param data="$DATA" --param orientation=portrait -o "$T/port.pdf"
rm -f tests/fixtures/theme/portrait-$$.yaml
pdfinfo "$T/port.pdf" 2>/dev/null | grep -q "^Page size: *595.276 x 841.89 pts" && ok \
    || bad "the portrait report's pages are not A4 upright"
pdfimages -list "$T/port.pdf" 2>/dev/null | awk 'NR == 3 {print $9}' | grep -qx jpeg && ok \
    || bad "the JPEG logo is not embedded as a JPEG"
done_checks theme
