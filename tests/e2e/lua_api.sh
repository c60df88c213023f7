# End to end: every example of docs/lua-api.md, and the spec errors of
# docs/spec.md for the keys they use, run and checked against their expected
# output; the doc must quote each script and output as it is, so it cannot
# drift from the code. Then the KPI linkage report on the sample data.
. tests/lib.sh
F=tests/fixtures/lua_api
E=$F/expected
DOC=docs/lua-api.md
SPECDOC=docs/spec.md

# quoted FILE DOC: the doc holds the file's text verbatim.
quoted() {
    if python3 - "$1" "$2" <<'EOF'
import sys
text = open(sys.argv[1], encoding="utf-8").read().rstrip("\n")
sys.exit(0 if text in open(sys.argv[2], encoding="utf-8").read() else 1)
EOF
    then ok; else bad "$2 does not quote $1 as it is"; fi
}

# same EXPECTED GOT WHAT: the two files are equal.
same() {
    if cmp -s "$1" "$2"; then ok; else bad "$3 differs from $1"; diff "$1" "$2" >&2; fi
}

# run ARGS...: run the fixture report; its stderr goes to $T/stderr.
run() {
    "$QUIRE" run "$F/report.yaml" -o "$T/r.pdf" -q "$@" 2>"$T/stderr"
}

# The scripts and their outputs, as the doc shows them.
for f in "$F"/rule.lua "$F"/record.lua "$F"/kpis/*.lua "$F"/insights/*.lua "$F"/errors/*.lua \
         "$E"/*.txt "$E"/errors/*.txt "$E"/kpis.csv "$E"/kpis-region.csv "$F"/report.yaml; do
    quoted "$f" "$DOC"
done

# (a) the record a rule receives
exits 0 "the record example" run --param rule=record.lua --param probe=kpis/satisfaction.lua
grep -E '^lua: [a-z_0-9]+=' "$T/stderr" > "$T/got"
same "$E/record.txt" "$T/got" "the records record.lua printed"

# (b) KPIs, (c) insights: the default run
exits 0 "the examples' report" run --export "$T/x"
grep -E '^lua: (s|prev)\.' "$T/stderr" > "$T/got"
same "$E/probe.txt" "$T/got" "what probe.lua printed"
grep '^lua: ' "$T/stderr" | grep -vE '^lua: (s|prev)\.' > "$T/got"
same "$E/tour.txt" "$T/got" "what tour.lua printed"
same "$E/kpis.csv" "$T/x/kpis.csv" "kpis.csv"
same "$E/kpis-region.csv" "$T/x/kpis-region.csv" "kpis-region.csv"
same "$E/segments.csv" "$T/x/segments.csv" "segments.csv"
pdftotext -q "$T/r.pdf" - | tr -s ' \n' '  ' > "$T/r.txt"
for s in "Active leads on Revenue per buyer with \$40.00 in 2024-03 (-36 % since 2024-02)." \
         "Of 2 Active customers in 2024-02, 1 to Lapsed and 1 to Active in 2024-03." \
         "North leads on Revenue per buyer with \$40.00 in 2024-03 (-60 % since 2024-02)." \
         "Net Promoter Score: no data; the report's data has no promoters_3m, detractors_3m, nps_answers_3m." \
         "Unknown"; do
    contains "$T/r.txt" "$s"
    grep -qF -- "$s" "$DOC" && ok || bad "$DOC does not show: $s"
done

# (d) the helpers
exits 0 "the helpers example" run --param tour=insights/helpers.lua
grep '^lua: ' "$T/stderr" | grep -vE '^lua: (s|prev)\.' > "$T/got"
same "$E/helpers.txt" "$T/got" "what helpers.lua printed"

# (d') Quire's Lua library: its functions, and the quoted library itself
exits 0 "the library example" run --param tour=insights/library.lua
grep '^lua: ' "$T/stderr" | grep -vE '^lua: (s|prev)\.' > "$T/got"
same "$E/library.txt" "$T/got" "what library.lua printed"
quoted scripts/lib/quire.lua "$DOC"

# (e) errors: the message and the exit status
for e in rule:compare_nil:2 rule:unknown_segment:2 probe:kpi_value:2 probe:kpi_customer:2 \
         probe:kpi_returns:2 probe:kpi_unit:1 tour:insight:2 tour:insight_segment:2 tour:library:2; do
    slot=${e%%:*} rest=${e#*:}
    name=${rest%%:*} code=${rest#*:}
    exits "$code" "errors/$name.lua" run --param "$slot=errors/$name.lua"
    grep -v '^lua: ' "$T/stderr" > "$T/got"
    same "$E/errors/$name.txt" "$T/got" "the error of errors/$name.lua"
done

# Where the library is found: next to the program (a build tree), in
# ../share/quire/scripts/lib from it (the layout of make install), or at
# QUIRE_LUA_LIB; without it, run and validate stop with an error naming the
# places looked in.
case $QUIRE in /*) QUIRE_ABS=$QUIRE ;; *) QUIRE_ABS=$(pwd)/$QUIRE ;; esac
PLUGINS_ABS=$(cd "$(dirname "$QUIRE_ABS")/plugins" && pwd)
mkdir -p "$T/inst/bin" "$T/inst/share/quire/scripts/lib" "$T/inst/lib/quire"
cp "$QUIRE_ABS" "$T/inst/bin/quire"
cp -r "$PLUGINS_ABS" "$T/inst/lib/quire/plugins"
exits 2 "a program without its library" "$T/inst/bin/quire" run "$F/report.yaml" -o "$T/i.pdf" -q
grep -qF "quire: error: Quire's Lua library is missing: neither $T/inst/bin/scripts/lib/quire.lua nor $T/inst/bin/../share/quire/scripts/lib/quire.lua can be read" \
    "$T/err" && ok || bad "no library: $(cat "$T/err")"
exits 2 "validate without the library" "$T/inst/bin/quire" validate "$F/report.yaml"
grep -qF "Quire's Lua library is missing" "$T/err" && ok || bad "validate without the library: $(cat "$T/err")"
[ ! -e "$T/i.pdf" ] && ok || bad "a PDF was written without the library"
exits 0 "the library named by QUIRE_LUA_LIB" \
    env QUIRE_LUA_LIB="$(pwd)/scripts/lib/quire.lua" "$T/inst/bin/quire" run "$F/report.yaml" -o "$T/i.pdf" -q
exits 2 "QUIRE_LUA_LIB naming no file" \
    env QUIRE_LUA_LIB="$T/none.lua" "$T/inst/bin/quire" run "$F/report.yaml" -o "$T/i.pdf" -q
grep -qF "$T/none.lua: error: cannot read Quire's Lua library (QUIRE_LUA_LIB): No such file or directory" \
    "$T/err" && ok || bad "QUIRE_LUA_LIB naming no file: $(cat "$T/err")"
cp scripts/lib/quire.lua "$T/inst/share/quire/scripts/lib/"
exits 0 "the library where make install puts it" \
    "$T/inst/bin/quire" run "$F/report.yaml" -o "$T/i.pdf" -q --param tour=insights/library.lua
grep '^lua: ' "$T/err" | grep -vE '^lua: (s|prev)\.' > "$T/got"
same "$E/library.txt" "$T/got" "what library.lua printed with an installed library"
# and the run manifest names it, by its place in Quire's tree whatever the
# install, with the hash of the file found
qpdf --show-attachment=manifest.json "$T/i.pdf" > "$T/manifest.json"
grep -qF "{\"path\": \"scripts/lib/quire.lua\", \"sha256\": \"$(sha256sum scripts/lib/quire.lua | cut -c1-64)\"}" \
    "$T/manifest.json" && ok || bad "the manifest does not list the library: $(cat "$T/manifest.json")"

# The spec errors of docs/spec.md: report.yaml with one line changed.
mkdir -p "$T/s" && cp -r "$F"/. "$T/s/"
spec_error() {
    cmd=$1 edit=$2 want=$3
    sed "$edit" "$F/report.yaml" > "$T/s/report.yaml"
    if [ "$cmd" = validate ]; then
        got=$(cd "$T/s" && "$QUIRE_ABS" validate report.yaml 2>&1 >/dev/null)
    else
        got=$(cd "$T/s" && "$QUIRE_ABS" run report.yaml -o out.pdf -q 2>&1 >/dev/null | grep -v '^lua: ')
    fi
    if [ "$got" = "$want" ]; then ok; else bad "spec error for '$edit': got '$got', wanted '$want'"; fi
    grep -qF -- "$want" "$SPECDOC" && ok || bad "$SPECDOC does not show: $want"
}
case ${PLUGIN_DIR:-} in ''|/*) ;; *) PLUGIN_DIR=$(pwd)/$PLUGIN_DIR; export PLUGIN_DIR ;; esac
spec_error validate 's/attributes: \[region, acquisition_cost\]/attributes: [region, acquisition_cost, age_band]/' \
    'report.yaml:43:42: error: attribute "age_band" must be a column declared in source "customers" (columns: { age_band: string })'
spec_error validate 's/count(csat >= 4)/count(csat => 4)/' \
    'report.yaml:60:18: error: a condition reads like count(column >= 9); operators: < <= > >= == !='
spec_error validate 's/satisfied: count(csat >= 4)/satisfied: sum(csat >= 4)/' \
    'report.yaml:60:18: error: only count takes a condition: count(column >= 9)'
spec_error validate 's/windows: \[3, lifetime\]/windows: [3, forever]/' \
    'report.yaml:68:16: error: a window (months, or lifetime) must be a whole number from 1 to 120, not "forever"'
spec_error validate 's/    segment: segment/    segment: segment\n    key: customer_id/' \
    'report.yaml:61:5: error: a fact needs either "key" (the column naming the entity) or "segment" (the column naming a segment)'
spec_error validate 's/retention_spend: sum(retention)/retention_spend: max(retention)/' \
    'report.yaml:65:24: error: facts about segments take count and sum measures only'
spec_error validate 's/    by: region/    by: country/' \
    'report.yaml:80:9: error: "by" must name one of the entities'"'"' attributes (entities: { attributes: [country] })'
spec_error validate 's/    by: region/    by: acquisition_cost/' \
    'report.yaml:80:9: error: "by" needs a text attribute; "acquisition_cost" is a number (segment numbers with a rule)'
spec_error validate 's/    title: Region/    title: Region\n    rule: rule.lua/' \
    'report.yaml:79:5: error: segmentation "region" needs one of "rule" (a Lua script returning the segment), "rules" (a list like "VIP if revenue_12m >= 2000") or "by" (a text attribute of the entities)'
spec_error validate 's/segmentation: region/segmentation: regoin/' \
    'report.yaml:107:25: error: no segmentation named "regoin"; did you mean "region"?'
spec_error validate 's/            insight: insights\/moves.lua/            answer: insights\/moves.lua/' \
    'report.yaml:100:13: error: unknown key "answer" in a question; allowed keys: ask, insight, with'
spec_error validate 's/            insight: insights\/moves.lua//' \
    'report.yaml:101:19: error: "with" gives arguments to an insight: add "insight"'

# The KPI linkage report on the sample data.
"$QUIRE" sample --out "$T/sample" >/dev/null 2>&1 && ok || bad "quire sample"
exits 0 "run the KPI linkage report" \
    "$QUIRE" run reports/kpi_linkage.yaml --param data="$T/sample" -o "$T/l.pdf" --export "$T/l"
check "qpdf --check accepts the linkage PDF" qpdf --check "$T/l.pdf"
pdftotext -q "$T/l.pdf" "$T/l.txt"
for s in "Linking Customer Segmentation Metrics to KPIs" \
         "Demographic Segments" "Behavioural Segments" "Preference Segments" \
         "18-24" "25-34" "35-44" "45-54" "55-64" "65+" \
         "under 25k" "25-50k" "50-100k" "100k+" \
         "VIP" "Regular" "At Risk" "Inactive" "New" \
         "email" "app" "sms" "social" "phone" "Unknown"; do
    contains "$T/l.txt" "$s"
done
# kpis-<segmentation>.csv: a value for each KPI of the segmentation, segment and month.
# kpi_values FILE "SEGMENTS" "KPIS"
kpi_values() {
    [ -f "$1" ] && ok || { bad "no $1"; return; }
    for seg in $2; do
        seg=$(echo "$seg" | tr '_' ' ')
        for kpi in $3; do
            for p in 2024-02 2024-03 2024-04; do
                v=$(awk -F, -v p="$p" -v s="$seg" -v k="$kpi" \
                    '$1 == p && $2 == s && $3 == k {print $4}' "$1")
                echo "$v" | grep -Eq '^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$' && ok \
                    || bad "$(basename "$1") has no value for $kpi / $seg / $p (got '$v')"
            done
        done
    done
}
kpi_values "$T/l/kpis-age.csv" "18-24 25-34 35-44 45-54 55-64 65+ Unknown" \
    "customer_count cac clv_historical retention_rate"
kpi_values "$T/l/kpis-income.csv" "under_25k 25-50k 50-100k 100k+ Unknown" \
    "customer_count cac clv_historical retention_rate"
kpi_values "$T/l/kpis.csv" "VIP Regular At_Risk Inactive New" \
    "customer_count csat average_order_value churn_rate"
kpi_values "$T/l/kpis-channel.csv" "email app sms social phone Unknown" \
    "customer_count engagement_score response_time_hours feedback_score"

done_checks lua_api
