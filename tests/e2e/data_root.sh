#!/bin/sh
# --data-root DIR (and QUIRE_DATA_ROOT): every source, script and output path
# must resolve inside DIR, symlinks and ".." included; else a spec error
# (exit 1) at the option's line:col, or a usage error for a command-line path.
. tests/lib.sh

R=$T/root
mkdir -p "$R/outside"
cp -R tests/errors/data tests/errors/scripts "$R"/
mkdir -p "$T/secret"
printf 'customer_id,order_date,amount\n1,2024-01-05,1\n' >"$T/secret/orders.csv"
chmod 600 "$T/secret/orders.csv"
ROOT=$(cd "$R" && pwd -P)

# spec_with PATH RULE: the usual error-case spec, orders from PATH, rule RULE.
spec_with() {
    sed -e '/^#/d' -e "s|data/nowhere.csv|$1|" -e "s|scripts/rule.lua|$2|" \
        tests/errors/034-source-missing-file.yaml >"$R/spec.yaml"
}

# Inside the root: runs.
spec_with data/orders.csv scripts/rule.lua
exits 0 "a spec inside the root runs" "$QUIRE" run "$R/spec.yaml" -o "$R/out/x.pdf" --data-root "$R"
exits 0 "validate inside the root" "$QUIRE" validate "$R/spec.yaml" --data-root "$R"

# A ../ escape in a source path: a spec error at the option, for run, validate, preview.
spec_with ../secret/orders.csv scripts/rule.lua
exits 1 "a ../ source path is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/out/y.pdf" --data-root "$R"
contains "$T/err" "spec.yaml:17:5: error: option \"path\": $R/../secret/orders.csv is outside the data root $ROOT (source \"orders\")"
check "no PDF" test ! -e "$R/out/y.pdf"
exits 1 "validate refuses a ../ source path" "$QUIRE" validate "$R/spec.yaml" --data-root "$R"
exits 1 "preview refuses a ../ source path" "$QUIRE" preview "$R/spec.yaml" orders --data-root "$R"
exits 1 "QUIRE_DATA_ROOT refuses a ../ source path" env QUIRE_DATA_ROOT="$R" "$QUIRE" run "$R/spec.yaml" -o "$R/out/y.pdf"
# Without a root the same spec reads the file (the default trusts the spec).
exits 0 "without a root the spec is trusted" "$QUIRE" run "$R/spec.yaml" -o "$R/out/y.pdf"

# A symlink inside the root that points out of it.
ln -s "$T/secret/orders.csv" "$R/data/link.csv"
spec_with data/link.csv scripts/rule.lua
exits 1 "a symlink escape is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/out/z.pdf" --data-root "$R"
contains "$T/err" "is outside the data root"
# A symlinked folder too.
ln -s "$T/secret" "$R/data/sub"
spec_with data/sub/orders.csv scripts/rule.lua
exits 1 "a symlinked folder escape is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/out/z.pdf" --data-root "$R"

# A script outside the root.
cp tests/errors/scripts/rule.lua "$T/secret/rule.lua"
spec_with data/orders.csv ../secret/rule.lua
exits 1 "a script outside the root is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/out/z.pdf" --data-root "$R"
contains "$T/err" "error: script $R/../secret/rule.lua is outside the data root"
exits 1 "validate refuses a script outside the root" "$QUIRE" validate "$R/spec.yaml" --data-root "$R"

# Outputs outside the root: the PDF, the export folder, through a symlink.
spec_with data/orders.csv scripts/rule.lua
exits 1 "a PDF outside the root is refused" "$QUIRE" run "$R/spec.yaml" -o "$T/x.pdf" --data-root "$R"
contains "$T/err" "output $T/x.pdf is outside the data root"
exits 1 "a ../ PDF path is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/out/../../x.pdf" --data-root "$R"
exits 1 "an export outside the root is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/out/x.pdf" --export "$T/exp" --data-root "$R"
ln -s "$T" "$R/escape"
exits 1 "a PDF through a symlinked folder is refused" "$QUIRE" run "$R/spec.yaml" -o "$R/escape/new/x.pdf" --data-root "$R"
check "nothing written outside" test ! -e "$T/x.pdf" -a ! -e "$T/exp" -a ! -e "$T/new"
exits 1 "a missing data root" "$QUIRE" run "$R/spec.yaml" --data-root "$T/nowhere"

done_checks data_root
