#!/bin/sh
# Sources that are not regular files: a device that never ends, a FIFO that
# would block (or split its stream with the input-hashing thread) are refused
# with a data error naming the source and the path. Every command runs under
# a timeout, so that a regression fails instead of hanging the suite.
. tests/lib.sh

W=$T/w
mkdir -p "$W"
cp -R tests/errors/data tests/errors/scripts "$W"/

# spec_with PATH: the usual error-case spec with orders read from PATH.
spec_with() {
    sed -e '/^#/d' -e "s|data/nowhere.csv|$1|" tests/errors/034-source-missing-file.yaml \
        >"$W/spec.yaml"
}

# /dev/zero: never ends. Refused before a byte is read.
spec_with /dev/zero
exits 2 "a /dev/zero source is refused" timeout 20 "$QUIRE" run "$W/spec.yaml" -o "$W/out.pdf"
contains "$T/err" '/dev/zero: error: cannot read: not a regular file (a character device) (source "orders")'
exits 2 "validate refuses a /dev/zero source" timeout 20 "$QUIRE" validate "$W/spec.yaml"
contains "$T/err" 'not a regular file'
check "no PDF after a refused source" test ! -e "$W/out.pdf"

# A FIFO with no writer: opening it must not block.
mkfifo "$W/orders.fifo"
spec_with orders.fifo
exits 2 "a FIFO source is refused" timeout 20 "$QUIRE" run "$W/spec.yaml" -o "$W/out.pdf"
contains "$T/err" 'orders.fifo: error: cannot read: not a regular file (a FIFO) (source "orders")'

# A FIFO with a writer: still refused, and the writer's bytes are not
# consumed by anyone (the hashing thread does not open it either).
( timeout 20 sh -c "cat tests/errors/data/orders.csv > '$W/orders.fifo'" ) &
writer=$!
exits 2 "a FIFO source with a writer is refused" timeout 20 "$QUIRE" run "$W/spec.yaml" -o "$W/out.pdf"
contains "$T/err" 'not a regular file (a FIFO)'
# Let the writer go: read what it wrote, all of it.
timeout 20 cat "$W/orders.fifo" >"$W/drained.csv"
wait "$writer"
check "the FIFO's bytes were left for their reader" cmp -s "$W/drained.csv" tests/errors/data/orders.csv

# A symlink to a regular file is still a regular file.
ln -s "$W/data/orders.csv" "$W/orders-link.csv"
spec_with orders-link.csv
exits 0 "a symlink to a regular file is read" timeout 60 "$QUIRE" run "$W/spec.yaml" -o "$W/out.pdf"

# A source appended to while the report is made: the run stops (exit 4, run
# again later) naming it, and writes no PDF over the torn file. A writer adds
# valid rows for the whole run (the stock report on the sample data, long
# enough for it to be seen), so the file the run hashed first is not the file
# it ends with, whenever the hash is taken.
DATA=$(sample_data) || bad "quire sample failed"
mkdir -p "$W/grow"
cp "$DATA"/*.csv "$W/grow/"
row=$(sed -n 2p "$W/grow/orders.csv")
size=$(wc -c <"$W/grow/orders.csv")
( while :; do printf '%s\n' "$row" >>"$W/grow/orders.csv"; done ) &
writer=$!
while [ "$(wc -c <"$W/grow/orders.csv")" -le "$size" ]; do sleep 0.01; done
exits 4 "a source appended to during the run" timeout 60 "$QUIRE" run \
    reports/monthly_segments.yaml --param data="$W/grow" -o "$W/grown.pdf"
kill "$writer"
wait "$writer" 2>/dev/null
contains "$T/err" "orders.csv: error: the file changed while the report was made ("
contains "$T/err" "run again once it is complete"
[ ! -e "$W/grown.pdf" ] && ok || bad "a PDF was written over a file that changed"

done_checks special_files
