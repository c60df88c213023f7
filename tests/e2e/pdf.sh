# End to end: the renderer on tests/fixtures/unicode/report.yaml, over sample
# data whose first customers carry names in six scripts. Checks text
# extraction, embedded subset fonts, the 300-row table's header on every page
# it spans, the contents page against where each section title is found,
# bookmarks, attachments, same bytes from two runs, and qpdf --check.
. tests/lib.sh
SRC=$(sample_data) || { bad "quire sample failed"; done_checks pdf; exit 1; }
D="$T/data"
mkdir -p "$D"
cp "$SRC/orders.csv" "$SRC/engagement.csv" "$D/"
# The first six customers get the names the report must show.
awk -F, 'BEGIN { OFS = ","
        n[1] = "Zoë Müller"; n[2] = "Łódź"; n[3] = "Ελένη Παπαδοπούλου"
        n[4] = "Дмитрий"; n[5] = "東京都"; n[6] = "서울특별시" }
     NR > 1 && NR <= 7 { $2 = n[NR - 1] } { print }' "$SRC/customers.csv" > "$D/customers.csv"

SPEC=tests/fixtures/unicode/report.yaml
exits 0 "render the fixture report" "$QUIRE" run "$SPEC" --param data="$D" -o "$T/u.pdf" -q
check "qpdf --check accepts the PDF" qpdf --check "$T/u.pdf"
pdftotext -q "$T/u.pdf" "$T/u.txt"
for s in "Zoë Müller" "Łódź" "Ελένη Παπαδοπούλου" "Дмитрий" "東京都" "서울특별시"; do
    contains "$T/u.txt" "$s"
done
pdffonts "$T/u.pdf" 2>/dev/null > "$T/fonts"
[ "$(awk 'NR > 2' "$T/fonts" | wc -l)" -ge 4 ] && ok || bad "expected DejaVu regular and bold, a CJK and a Hangul face"
awk 'NR > 2 && $0 !~ / yes +yes +yes/ {bad = 1} END {exit bad}' "$T/fonts" \
    && ok || bad "a font is not embedded, subset and unicode"
pages=$(pdfinfo "$T/u.pdf" | awk '/^Pages:/ {print $2}')

# The contents (under the title when they fit there, else on page 2): each
# section's page number is the page on which its title is found, and not
# the page before (sections flow, so a title need not open its page).
tocp=1
pdftotext -q -layout -f 1 -l 1 "$T/u.pdf" "$T/toc.txt"
grep -q "^ *Contents" "$T/toc.txt" || { tocp=2; pdftotext -q -layout -f 2 -l 2 "$T/u.pdf" "$T/toc.txt"; }
contains "$T/toc.txt" "Contents"
for s in "Overview" "Value and Risk" "Customer Ledger"; do
    n=$(awk -v s="$s" '(index($0, s) == 1 || index($0, " " s)) && $NF ~ /^[0-9]+$/ { print $NF; exit }' \
        "$T/toc.txt")
    if [ -z "$n" ]; then bad "contents has no entry for $s"; continue; fi
    pdftotext -q -f "$n" -l "$n" "$T/u.pdf" "$T/p.txt"
    grep -qxF "$s" "$T/p.txt" && ok || bad "$s: contents says page $n, not found there"
    if [ $((n - 1)) -gt "$tocp" ]; then
        pdftotext -q -f $((n - 1)) -l $((n - 1)) "$T/u.pdf" "$T/p.txt"
        grep -qxF "$s" "$T/p.txt" && bad "$s: found on page $((n - 1)) before the $n the contents say" || ok
    fi
done

# The 300-row table: from the ledger's page to the last, every page shows the
# header row; the last row is there.
ledger=$(awk '$1 == "Customer" && $2 == "Ledger" && NF == 3 { print $NF; exit }' "$T/toc.txt")
[ $((pages - ledger)) -ge 2 ] && ok || bad "the 300-row table should span several pages"
p=$ledger
while [ "$p" -le "$pages" ]; do
    pdftotext -q -f "$p" -l "$p" "$T/u.pdf" "$T/p.txt"
    [ "$(grep -c '^customer_id$' "$T/p.txt")" -eq 1 ] && grep -q '^signup_date$' "$T/p.txt" \
        && ok || bad "page $p of the table lacks its header row"
    p=$((p + 1))
done
pdftotext -q -f "$pages" -l "$pages" "$T/u.pdf" "$T/p.txt"
contains "$T/p.txt" "300"

# One bookmark per section, and the data files attached.
n=$(qpdf --json --json-key=outlines "$T/u.pdf" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["outlines"]))')
[ "$n" = 3 ] && ok || bad "expected 3 top-level bookmarks, got $n"
qpdf --list-attachments "$T/u.pdf" > "$T/att"
for f in manifest.json table-01-segments-in-apr-2024.csv table-02-customers.csv; do
    contains "$T/att" "$f"
done
qpdf --show-attachment=table-02-customers.csv "$T/u.pdf" > "$T/cust.csv"
[ "$(wc -l < "$T/cust.csv")" -eq 301 ] && ok || bad "the attached customers table should hold 300 rows and a header"
qpdf --show-attachment=manifest.json "$T/u.pdf" | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["spec_sha256"] and len(m["inputs"]) >= 3 and "data" in m["parameters"]' \
    && ok || bad "manifest.json lacks its hashes or parameters"

# Same inputs, same bytes.
"$QUIRE" run "$SPEC" --param data="$D" -o "$T/u2.pdf" -q
[ "$(sha256sum < "$T/u.pdf")" = "$(sha256sum < "$T/u2.pdf")" ] && ok || bad "two runs gave different SHA-256"

# Strict mode turns a preflight problem (text that needs shaping) into an error.
sed -e 's/^strict: false/strict: true/' -e 's/Offices in/Offices in مرحبا and/' \
    -e 's|\.\./\.\./\.\./|'"$(pwd)"'/|g' "$SPEC" > "$T/strict.yaml"
exits 2 "strict preflight refuses text it cannot shape" \
    "$QUIRE" run "$T/strict.yaml" --param data="$D" -o "$T/s.pdf" -q
contains "$T/err" "needs shaping"
[ ! -f "$T/s.pdf" ] && ok || bad "strict mode wrote a PDF despite its preflight errors"

done_checks pdf
