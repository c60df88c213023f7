# Byte-identical outputs: the three stock reports rendered on the test sample
# with a fixed SOURCE_DATE_EPOCH, and their exported CSVs, hash to the figures
# in tests/golden/SHA256SUMS. A change that moves code must keep them; a
# change meant to alter the output regenerates them on purpose:
#   QUIRE_UPDATE_GOLDEN=1 sh tests/e2e/golden.sh
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks golden; exit 1; }
SUMS=tests/golden/SHA256SUMS
mkdir -p "$T/golden"

for r in monthly_segments kpi_scorecard kpi_linkage; do
    exits 0 "render $r" env SOURCE_DATE_EPOCH=1700000000 \
        "$QUIRE" run "reports/$r.yaml" --param data="$DATA" -o "$T/golden/$r.pdf" --export "$T/golden/$r"
done
(cd "$T/golden" && find . -type f | LC_ALL=C sort | xargs sha256sum) >"$T/sums"
if [ "${QUIRE_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$T/sums" "$SUMS"
    echo "golden: wrote $SUMS"
fi
while read -r sum file; do
    got=$(awk -v f="$file" '$2 == f {print $1}' "$T/sums")
    [ "$got" = "$sum" ] && ok || bad "$file differs from the golden output (sha256 $got)"
done <"$SUMS"
[ "$(wc -l <"$T/sums")" -eq "$(wc -l <"$SUMS")" ] && ok || bad "other files than the golden set"
done_checks golden
