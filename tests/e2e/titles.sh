# End to end: titles that follow the parameters. tests/fixtures/tables has
# "title: Customers to Call, ${period}" and "subtitle: ... for ${to:month}";
# rendered for several periods, the first page must name each in words, as
# Python's calendar names them.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks titles; exit 1; }
SPEC=tests/fixtures/tables/report.yaml

for range in 2024-04:2024-04 2024-01:2024-03 2024-02:2024-04 2023-11:2024-01 2023-05:2024-04; do
    from=${range%:*} to=${range#*:}
    exits 0 "run for $from to $to" "$QUIRE" run "$SPEC" --param data="$DATA" \
        --param from="$from" --param to="$to" -o "$T/t.pdf"
    pdftotext -q -l 1 "$T/t.pdf" - | head -n 2 >"$T/got"
    python3 - "$from" "$to" >"$T/want" <<'PY'
import calendar, sys
(fy, fm), (ty, tm) = [map(int, a.split("-")) for a in sys.argv[1:3]]
a, b = fy * 12 + fm - 1, ty * 12 + tm - 1
abbr = calendar.month_abbr
if a == b:
    period = f"{abbr[fm]} {fy}"
elif a % 3 == 0 and b == a + 2:
    period = f"Q{(fm - 1) // 3 + 1} {fy}"
elif a % 12 == 0 and b == a + 11:
    period = str(fy)
elif fy == ty:
    period = f"{abbr[fm]}\u2013{abbr[tm]} {ty}"
else:
    period = f"{abbr[fm]} {fy} \u2013 {abbr[tm]} {ty}"
print(f"Customers to Call, {period}")
print(f"Rankings and filters for {calendar.month_name[tm]} {ty}")
PY
    if cmp -s "$T/got" "$T/want"; then ok; else
        bad "title for $from to $to: got '$(cat "$T/got")', wanted '$(cat "$T/want")'"
    fi
done
# The same words reach the PDF's metadata title.
pdfinfo "$T/t.pdf" | grep -q "^Title: *Customers to Call, May 2023 – Apr 2024" && ok \
    || bad "the PDF's Title is not the substituted title"
done_checks titles
