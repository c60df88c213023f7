# Rule tables (docs/spec.md, "Rule tables"): the doc's example, put in front
# of tests/fixtures/rule_table/report.yaml, segments the sample customers
# exactly as the Lua rule it mirrors; the errors the doc shows are the ones
# quire gives.
. tests/lib.sh
DOC=docs/spec.md
F=tests/fixtures/rule_table
DATA=$(sample_data) || { bad "quire sample failed"; done_checks rule_table; exit 1; }
DATA=$(cd "$DATA" && pwd)
case $QUIRE in /*) QUIRE_ABS=$QUIRE ;; *) QUIRE_ABS=$(pwd)/$QUIRE ;; esac
SCRIPTS=$(pwd)/scripts

# The first yaml block under "## Rule tables".
awk '/^## Rule tables/ {on = 1; next} on && /^```yaml/ {copy = 1; next}
     copy && /^```/ {exit} copy {print}' "$DOC" > "$T/table.yaml"
grep -q '^  rules:' "$T/table.yaml" && ok || bad "no rule table example in $DOC"
# The same segments, with the Lua rule.
sed -e '/^  rules:/,/^  list:/{/^  list:/!d}' -e "s|^  list:|  rule: $SCRIPTS/segments/default.lua\n  list:|" \
    "$T/table.yaml" > "$T/lua.yaml"
grep -q 'default.lua' "$T/lua.yaml" && ! grep -q ' if ' "$T/lua.yaml" && ok || bad "could not make the Lua spec"
cat "$T/table.yaml" "$F/report.yaml" > "$T/table-report.yaml"
cat "$T/lua.yaml" "$F/report.yaml" > "$T/lua-report.yaml"

exits 0 "validate the rule table" "$QUIRE" validate "$T/table-report.yaml" \
    --param data="$DATA" --param scripts="$SCRIPTS"
for r in table lua; do
    exits 0 "run with the $r" "$QUIRE" run "$T/$r-report.yaml" -q --param data="$DATA" \
        --param scripts="$SCRIPTS" -o "$T/$r.pdf" --export "$T/$r"
done
for f in segments.csv kpis.csv; do
    if cmp -s "$T/lua/$f" "$T/table/$f"; then ok; else bad "$f differs between the Lua rule and the table"; fi
done
# Every segment is used, so the comparison means something.
for s in VIP Regular "At Risk" Inactive New; do
    grep -q ",$s$" "$T/table/segments.csv" && ok || bad "no customer in $s"
done

# table_error EDIT WANT: the table with one edit gives the message, which the doc shows.
table_error() {
    sed "$1" "$T/table-report.yaml" > "$T/report.yaml"
    got=$(cd "$T" && "$QUIRE_ABS" validate report.yaml --param data="$DATA" \
        --param scripts="$SCRIPTS" 2>&1 >/dev/null)
    if [ "$got" = "$2" ]; then ok; else bad "rule table error for '$1': got '$got', wanted '$2'"; fi
    grep -qF -- "$2" "$DOC" && ok || bad "$DOC does not show: $2"
}
table_error 's/revenue_12m >= 2000/revenue_12 >= 2000/' \
    'report.yaml:6:14: error: unknown field "revenue_12" (did you mean "revenue_12m"?)'
table_error '/^    - Regular$/d' \
    'report.yaml:6:7: error: the last rule has no condition: it names the segment of every customer the others leave, as in "- New"'
done_checks rule_table
