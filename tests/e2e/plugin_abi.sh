# The plugin ABI end to end, with plugins built here from tests/fixtures/plugins/:
#   tiny    a descriptor far too small: refused, naming the file, no crash;
#   old11   a plugin built against the ABI 1.1 header: loads and works;
#   future  a later minor version with larger structs: read by its strides;
#   probe   the current ABI: typed and enum options, secrets, typed errors,
#           bad batches, load/unload hooks.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks plugin_abi; exit 1; }
ROOT=$(pwd)
P="$T/plugins"
mkdir -p "$P"
export QUIRE_PLUGIN_PATH="$P"

# build NAME [INCLUDE]: tests/fixtures/plugins/NAME.c into $P/NAME.so, as the
# Makefile builds plugins (hidden symbols, everything resolved at link time).
build() {
    if ${CC:-cc} -std=c11 -Wall -Wextra -O1 -fPIC -fvisibility=hidden -shared -Wl,-z,defs \
        -I"${2:-core/include}" -o "$P/$1.so" "tests/fixtures/plugins/$1.c" 2>"$T/cc-$1.log"; then
        ok
    else
        bad "cannot build the $1 fixture"
        cat "$T/cc-$1.log" >&2
    fi
}
build tiny
build old11 tests/fixtures/plugins/abi-1.1
build future
build probe

# spec NAME: the stock report with one more source, "extra", whose options
# (indented by four) come from stdin; and a parameter probe_token.
spec() {
    {
        sed -n '1,/^parameters:/p' reports/monthly_segments.yaml
        printf '  probe_token:\n    type: string\n    default: none\n'
        sed -n '/^parameters:/,/^sources:/p' reports/monthly_segments.yaml | sed '1d'
        echo "  extra:"
        cat
        sed -n '/^sources:/,$p' reports/monthly_segments.yaml | sed '1d'
    } | sed "s#\.\./#$ROOT/#g" >"$T/$1.yaml"
}
# line NAME TEXT: the line of spec NAME that starts with TEXT.
line() { grep -n "^$2" "$T/$1.yaml" | head -n 1 | cut -d: -f1; }
q() { "$QUIRE" "$@" --param data="$DATA"; }

# ------------------------------------------------------------ listing

exits 0 "quire plugins with a broken plugin on the path" "$QUIRE" plugins
contains "$T/err" "$P/tiny.so: error: plugin descriptor is too small (struct_size 16"
grep -q "^tiny" "$T/out" && bad "the tiny plugin is listed" || ok
contains "$T/out" "old11 1.1.0 - a plugin built for ABI 1.1"
contains "$T/out" "abi: 1.1"
grep -Eq '^    word +string +the word to repeat \(required\)$' "$T/out" && ok || bad "old11's options: $(cat "$T/out")"
grep -Eq '^    loud +boolean +upper case \(default: "false"\)$' "$T/out" && ok || bad "old11's last option"
contains "$T/out" "abi: 1.3"
grep -Eq '^    shape +enum +a shape \(default: "round"\)$' "$T/out" && ok || bad "future's options: $(cat "$T/out")"
contains "$T/out" "one of: round, square"
grep -Eq '^    token +string +a secret, logged by the probe \(secret\)$' "$T/out" && ok || bad "the secret token"
grep -Eq '^    pin +integer +a secret number \(secret\)$' "$T/out" && ok || bad "a secret's default is shown"
contains "$T/out" "one of: ok, config, config_source, data, io, transient, old_error, emit_in_open"

echo "    plugin: tiny" | spec tiny
exits 1 "a spec using the broken plugin" q validate "$T/tiny.yaml"
contains "$T/err" "tiny.yaml:$(line tiny '    plugin'):13: error: $P/tiny.so: plugin descriptor is too small"

# ------------------------------------------------------------ ABI 1.1

printf '    plugin: old11\n    word: hello\n    rows: 3\n' | spec old
exits 0 "preview of an ABI 1.1 plugin" q preview "$T/old.yaml" extra
printf 'n,word\n1,hello\n2,hello\n3,hello\n' >"$T/want"
cmp -s "$T/out" "$T/want" && ok || bad "old11 rows: $(cat "$T/out")"
printf '    plugin: old11\n    word: hello\n    loud: yes\n' | spec old_loud
exits 0 "an ABI 1.1 plugin's boolean option" q preview "$T/old_loud.yaml" extra
contains "$T/out" "2,HELLO"
printf '    plugin: old11\n    word: hi\n    rows: many\n' | spec old_bad
exits 1 "a bad option of an ABI 1.1 plugin" q validate "$T/old_bad.yaml"
contains "$T/err" "old_bad.yaml:$(line old_bad '    rows'):5: error: option \"rows\" must be a whole number, not \"many\""
printf '    plugin: old11\n    word: fail\n' | spec old_fail
# (it names the spec, in open(): a spec error at the source)
exits 1 "an ABI 1.1 plugin's error" q validate "$T/old_fail.yaml"
contains "$T/err" "old_fail.yaml:$(line old_fail '  extra'):3: error: source \"extra\": the word may not be fail (source \"extra\")"
printf '    plugin: old11\n    word: note\n' | spec old_note
exits 0 "an ABI 1.1 plugin's note" q preview "$T/old_note.yaml" extra
contains "$T/err" "the old plugin was here"

# ------------------------------------------------------------ a later ABI

printf '    plugin: future\n    count: 3\n    shape: square\n    columns:\n      a: integer\n      b: string\n      c: date\n' | spec future
exits 0 "preview of a plugin with larger structs" q preview "$T/future.yaml" extra
printf 'a,b,c\n1,square,2022-01-08\n2,square,2022-01-09\n3,square,2022-01-10\n' >"$T/want"
cmp -s "$T/out" "$T/want" && ok || bad "future rows: $(cat "$T/out")"
# as the report's customers: the projection goes to it at its stride
sed -e '/^  customers:/,/^  orders:/{/^    plugin: csv/s/csv/future/;/^    path:/s/.*/    count: 3000/}' \
    -e "s#\.\./#$ROOT/#g" reports/monthly_segments.yaml >"$T/future_run.yaml"
exits 0 "a report whose customers come from the later-ABI plugin" \
    q run "$T/future_run.yaml" -o "$T/future.pdf" --export "$T/xfuture"
grep -q "^2024-04,.*customer_count" "$T/xfuture/kpis.csv" && ok || bad "future run: no KPIs"

# ------------------------------------------------------------ typed and enum options

printf '    plugin: probe\n    level: 2.5\n    flag: yes\n    columns:\n      n: integer\n      level: number\n      flag: boolean\n      mode: string\n' | spec typed
exits 0 "typed option values" q preview "$T/typed.yaml" extra
printf 'n,level,flag,mode\n1,2.5,true,ok\n2,2.5,true,ok\n3,2.5,true,ok\n' >"$T/want"
cmp -s "$T/out" "$T/want" && ok || bad "typed values: $(cat "$T/out")"
printf '    plugin: probe\n    mode: trasient\n' | spec enum_typo
exits 1 "an enum option's typo" q validate "$T/enum_typo.yaml"
contains "$T/err" "enum_typo.yaml:$(line enum_typo '    mode'):5: error: option \"mode\" must be one of ok, config, config_source, data, io, transient, old_error, emit_in_open, not \"trasient\"; did you mean \"transient\"?"
printf '    plugin: probe\n    level: high\n' | spec number
exits 1 "a number option" q validate "$T/number.yaml"
contains "$T/err" "option \"level\" must be a number, not \"high\""

# ------------------------------------------------------------ secrets

TOKEN="tok-$$-Vq93Lw"
printf '    plugin: probe\n    token: %s\n    pin: 12ab34\n' "$TOKEN" | spec secret_bad
exits 1 "a secret option's bad value" q validate "$T/secret_bad.yaml"
contains "$T/err" "option \"pin\" must be a whole number (its value is secret and not shown)"
grep -q "12ab34" "$T/err" && bad "a secret value was printed" || ok
printf '    plugin: probe\n    token: %s\n' "$TOKEN" | spec secret_log
exits 0 "a plugin that logs its secret" q preview "$T/secret_log.yaml" extra
contains "$T/err" "signing in with token ***"
printf '    plugin: probe\n    token: %s\n    mode: data\n' "$TOKEN" | spec secret_err
exits 2 "a plugin whose error holds its secret" q validate "$T/secret_err.yaml"
contains "$T/err" "a bad value near ***"
# a secret of any length is masked, a one-byte one and one the mask holds too
for short in Zq 7 '*'; do
    printf '    plugin: probe\n    token: "%s"\n    mode: data\n' "$short" | spec secret_short
    exits 2 "a short secret ($short) in an error" q validate "$T/secret_short.yaml"
    contains "$T/err" "a bad value near ***"
    [ "$short" = '*' ] && continue # unmasked it reads "near *", which fails above
    grep -F "near $short" "$T/err" >/dev/null && bad "the secret $short was printed" || ok
done
# a secret from a parameter: the run manifest shows "***" for it
sed -e '/^  customers:/,/^  orders:/{/^    plugin: csv/s/csv/probe/;/^    path:/s/.*/    count: 3000\n    token: ${probe_token}/}' \
    -e "s#\.\./#$ROOT/#g" -e 's/^parameters:/parameters:\n  probe_token:\n    type: string\n    default: none/' \
    reports/monthly_segments.yaml >"$T/secret_run.yaml"
exits 0 "a report with a secret parameter" q run "$T/secret_run.yaml" --param probe_token="$TOKEN" \
    -o "$T/secret.pdf"
mkdir -p "$T/detached"
pdfdetach -saveall -o "$T/detached" "$T/secret.pdf" >/dev/null 2>&1
contains "$T/detached/manifest.json" '"probe_token": "***"'
if grep -rlaF -e "$TOKEN" "$T/secret.pdf" "$T/detached" "$T/err" "$T/out" >/dev/null 2>&1; then
    bad "the secret is in the run's outputs"
else
    ok
fi

# ------------------------------------------------------------ typed errors

printf '    plugin: probe\n    count: 4\n    mode: config\n' | spec e_config
exits 1 "a configuration error" q validate "$T/e_config.yaml"
contains "$T/err" "e_config.yaml:$(line e_config '    count'):5: error: count is not what the probe wants (source \"extra\")"
printf '    plugin: probe\n    mode: config_source\n' | spec e_source
exits 1 "a configuration error of the source" q validate "$T/e_source.yaml"
contains "$T/err" "e_source.yaml:$(line e_source '  extra'):3: error: the probe does not like this source (source \"extra\")"
printf '    plugin: probe\n    mode: data\n' | spec e_data
exits 2 "a data error" q validate "$T/e_data.yaml"
contains "$T/err" "probe-data.txt:7:3: error: a bad value near nothing (source \"extra\")"
printf '    plugin: probe\n    mode: io\n' | spec e_io
exits 2 "an I/O error" q validate "$T/e_io.yaml"
contains "$T/err" "probe.io: error: cannot read it (source \"extra\")"
printf '    plugin: probe\n    mode: transient\n' | spec e_later
exits 4 "a transient error" q validate "$T/e_later.yaml"
contains "$T/err" "source \"extra\": error: the service is busy (a temporary failure: try again later)"
printf '    plugin: probe\n    mode: old_error\n' | spec e_old
exits 2 "the old error call" q validate "$T/e_old.yaml"
contains "$T/err" "probe.txt:9:2: error: an old-style error (source \"extra\")"

# ------------------------------------------------------------ bad batches

# badbatch NAME TEXT [ROWS]: a preview of the probe sending batch NAME fails
# with exit 2, naming the plugin and source and saying TEXT.
badbatch() {
    printf '    plugin: probe\n    count: 5\n    batch: %s\n' "$1" | spec "b_$1"
    exits 2 "bad batch $1" q preview "$T/b_$1.yaml" extra --rows "${3:-100}"
    contains "$T/err" "source \"extra\": error: the probe plugin sent a bad batch: $2"
}
badbatch null_string 'column "n", record 1: a string of 3 bytes with no pointer'
badbatch long_string 'column "n", record 1: a string of 1073741825 bytes, more than a cell may hold (1073741824)'
badbatch bad_type 'column "n" has the unknown type 9'
badbatch bool 'column "n", record 1: the boolean 2 is neither 0 nor 1'
badbatch date 'column "n", record 1: the date 1099511627776 (days since 1970-01-01) is out of range'
badbatch too_many_rows '1048577 rows, more than a batch may hold (1048576)'
badbatch no_name 'column 1 has no name'
badbatch no_cells '5 rows but no cells'
badbatch ignore_limit '5 rows in all, more than the 2 asked for' 2
printf '    plugin: probe\n    mode: emit_in_open\n' | spec b_open
exits 2 "a batch sent from open()" q validate "$T/b_open.yaml"
contains "$T/err" "the probe plugin sent a batch outside scan()"
# against the projection: the report's customers from the probe
for b in wrong_name wrong_type missing_column good; do
    sed -e '/^  customers:/,/^  orders:/{/^    plugin: csv/s/csv/probe/;/^    path:/s/.*/    count: 3000\n    batch: '"$b"'/}' \
        -e "s#\.\./#$ROOT/#g" reports/monthly_segments.yaml >"$T/p_$b.yaml"
done
exits 2 "a column of another name" q run "$T/p_wrong_name.yaml" -o "$T/p.pdf"
contains "$T/err" "bad batch: column 1 is \"customer_idx\" (integer) where \"customer_id\" (integer) was asked for"
exits 2 "a column of another type" q run "$T/p_wrong_type.yaml" -o "$T/p.pdf"
contains "$T/err" "column 1 is \"customer_id\" (string) where \"customer_id\" (integer) was asked for"
exits 2 "a column short" q run "$T/p_missing_column.yaml" -o "$T/p.pdf"
contains "$T/err" "1 columns where 2 were asked for"
exits 0 "the probe as the report's customers" q run "$T/p_good.yaml" -o "$T/p.pdf"

# ------------------------------------------------------------ load and unload

export PROBE_HOOK_LOG="$T/hooks.log"
sed -e '/^  customers:/,/^  orders:/{/^    plugin: csv/s/csv/probe/;/^    path:/s/.*/    count: 3000/}' \
    "$T/typed.yaml" >"$T/twice.yaml"
exits 0 "a spec using the probe twice" q validate "$T/twice.yaml"
printf 'load\nunload\n' >"$T/want"
cmp -s "$T/hooks.log" "$T/want" && ok || bad "hooks of validate: $(cat "$T/hooks.log")"
rm -f "$T/hooks.log"
exits 0 "a report reading the probe" q run "$T/twice.yaml" -o "$T/twice.pdf"
cmp -s "$T/hooks.log" "$T/want" && ok || bad "hooks of run: $(cat "$T/hooks.log")"
rm -f "$T/hooks.log"
exits 0 "quire plugins" "$QUIRE" plugins
cmp -s "$T/hooks.log" "$T/want" && ok || bad "hooks of quire plugins: $(cat "$T/hooks.log")"
rm -f "$T/hooks.log"
export PROBE_LOAD_FAIL=1
exits 1 "a plugin whose load() fails" q validate "$T/typed.yaml"
contains "$T/err" "$P/probe.so: plugin \"probe\" failed to set up: the probe was told to fail"
printf 'load\n' >"$T/want"
cmp -s "$T/hooks.log" "$T/want" && ok || bad "hooks of a failed load: $(cat "$T/hooks.log")"
unset PROBE_LOAD_FAIL
unset PROBE_HOOK_LOG

done_checks plugin_abi
