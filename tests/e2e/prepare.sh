# End to end: the examples of docs/spec.md, "Preparing a source's rows"
# (tests/fixtures/prepare/report.yaml: two files of one source in two formats,
# a derived column, conditions, distinct rows, entities found in the orders).
# The doc quotes the spec's sources and entities and the preview as they are;
# the run's data note, KPIs and preview are the ones worked out by hand from
# the ten rows of the two files.
. tests/lib.sh
F=tests/fixtures/prepare

# The doc holds the fixture's sources and entities, and its preview, verbatim.
if python3 - "$F/report.yaml" "$F/preview.csv" docs/spec.md <<'PY'
import sys
spec, preview, doc = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
part = spec[spec.index("sources:"):spec.index("facts:")].rstrip("\n")
sys.exit(0 if part in doc and preview.rstrip("\n") in doc else 1)
PY
then ok; else bad "docs/spec.md does not quote $F/report.yaml and preview.csv as they are"; fi

exits 0 "render the fixture" "$QUIRE" run "$F/report.yaml" -o "$T/p.pdf" --export "$T/exp"
pdftotext "$T/p.pdf" - 2>/dev/null | tr -s ' \n' '  ' >"$T/text"
# 10 rows: 1002 has no customer, C1003 is cancelled, 1004 and a line of 1007
# are postage, the second 1001 is a copy of the first.
contains "$T/text" "orders: 10 rows read (6 from orders-2024-01.csv, 4 from orders-2024-02.csv); dropped: 1 no customer, 1 cancelled, 2 postage, 1 duplicate; 5 kept."
# January: 1001 (7: 2 x 3.5) and 1005 (8: 3 x 4); February: 1006 (7: 4),
# 1007 (9: 4 x 3.5), 1008 (8: 3), the day read as dd/mm/yyyy there.
contains "$T/exp/kpis.csv" "2024-01,Buyer,customers,2"
contains "$T/exp/kpis.csv" "2024-01,Buyer,revenue,19"
contains "$T/exp/kpis.csv" "2024-02,Buyer,customers,3"
contains "$T/exp/kpis.csv" "2024-02,Buyer,revenue,21"
# Customer 9 joins in February (since: min(day)): no customer before it.
contains "$T/exp/segments.csv" "9,2024-02,Buyer"
if grep -q "^9,2024-01" "$T/exp/segments.csv"; then bad "customer 9 is in January"; else ok; fi

# The rows as the report reads them: typed, trimmed, derived, filtered.
exits 0 "preview" "$QUIRE" preview "$F/report.yaml" orders
if cmp -s "$T/out" "$F/preview.csv"; then ok; else bad "preview differs"; diff "$F/preview.csv" "$T/out" >&2; fi
# The row table reads the derived column too, and stops at its rows.
exits 0 "preview --rows 2" "$QUIRE" preview "$F/report.yaml" orders --rows 2
[ "$(wc -l <"$T/out")" -eq 3 ] && ok || bad "preview --rows 2 printed $(wc -l <"$T/out") lines"
# The run's manifest names both parts' files, each with its hash.
qpdf --show-attachment=manifest.json "$T/p.pdf" >"$T/manifest.json" 2>/dev/null
for f in orders-2024-01.csv orders-2024-02.csv; do
    contains "$T/manifest.json" "{\"path\": \"$F/$f\", \"sha256\": \"$(sha256sum "$F/$f" | cut -d' ' -f1)\"}"
done

# The errors the doc shows are the ones tests/errors checks, word for word.
for line in $(sed -n 's/^\([0-9][0-9][0-9]-[a-z-]*\.yaml\):[0-9]*:[0-9]*: error: .*/\1/p' docs/spec.md |
              sort -u); do
    msg=$(grep -F "$line:" docs/spec.md | grep -F ': error: ' | head -n 1)
    grep -qxF "# expect: $msg" "tests/errors/$line" && ok || bad "docs/spec.md quotes $line as: $msg"
done
done_checks prepare
