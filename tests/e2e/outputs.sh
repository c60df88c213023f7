#!/bin/sh
# Where outputs go: a character device or FIFO is streamed to (a symlink to
# one is never replaced), the PDF and the exports are published together, a
# stopped run (SIGTERM, --timeout) leaves no temporary file. Commands run
# under timeouts so that a regression fails instead of hanging.
. tests/lib.sh

W=$T/w
mkdir -p "$W"
cp -R tests/errors/data tests/errors/scripts "$W"/
sed -e '/^#/d' -e 's|data/nowhere.csv|data/orders.csv|' tests/errors/034-source-missing-file.yaml \
    >"$W/spec.yaml"

# A symlink to a character device stays a symlink; the PDF streams to it.
ln -s /dev/null "$W/null-link"
exits 0 "-o a symlink to /dev/null" timeout 60 "$QUIRE" run "$W/spec.yaml" -o "$W/null-link"
check "the symlink to /dev/null is still a symlink" test -L "$W/null-link"
check "no temporary file beside it" sh -c "! ls '$W' | grep -q '\.tmp\.'"

# /dev/stdout: the PDF is written to standard output (a pipe here).
timeout 60 "$QUIRE" run "$W/spec.yaml" -o /dev/stdout -q | cat >"$W/piped.pdf"
check "-o /dev/stdout writes the PDF to a pipe" sh -c "head -c 5 '$W/piped.pdf' | grep -q '%PDF-'"
check "/dev/stdout is still a symlink" test -L /dev/stdout
# ... and to a file standard output is redirected to.
timeout 60 "$QUIRE" run "$W/spec.yaml" -o /dev/stdout -q >"$W/redirected.pdf"
check "-o /dev/stdout writes the PDF to a redirected file" \
    sh -c "head -c 5 '$W/redirected.pdf' | grep -q '%PDF-'"

# A FIFO: streamed to its reader.
mkfifo "$W/pdf.fifo"
( timeout 60 cat "$W/pdf.fifo" >"$W/fifo.pdf" ) &
reader=$!
exits 0 "-o a FIFO" timeout 60 "$QUIRE" run "$W/spec.yaml" -o "$W/pdf.fifo"
wait "$reader"
check "the FIFO's reader got the PDF" sh -c "head -c 5 '$W/fifo.pdf' | grep -q '%PDF-'"
check "the FIFO is still a FIFO" test -p "$W/pdf.fifo"

# A PDF that fails after the exports were written: no export is published.
mkdir -p "$W/out"
exits 3 "a PDF that cannot be written" timeout 60 "$QUIRE" run "$W/spec.yaml" \
    -o "$W/out/no/such/x.pdf" --export "$W/exp"
check "no export published when the PDF failed" test ! -e "$W/exp/kpis.csv"
check "no temporary export left" sh -c "! ls '$W/exp' 2>/dev/null | grep -q '\.tmp\.'"
exits 0 "the same run with a writable PDF" timeout 60 "$QUIRE" run "$W/spec.yaml" \
    -o "$W/out/x.pdf" --export "$W/exp"
check "then the exports are published" test -f "$W/exp/kpis.csv"

# --timeout: the run stops with exit 2 and writes nothing.
SAMPLE=$(sample_data) || bad "sample data"
exits 1 "--timeout needs a positive number" "$QUIRE" run "$W/spec.yaml" --timeout 0
exits 2 "--timeout stops a run" timeout 60 "$QUIRE" run reports/monthly_segments.yaml \
    --param data="$SAMPLE" -o "$W/t/x.pdf" --export "$W/t/exp" --timeout 0.001
contains "$T/err" "the run took longer than --timeout 0.001 seconds"
check "no PDF after a timeout" test ! -e "$W/t/x.pdf"
check "no temporary file after a timeout" sh -c "! ls -R '$W/t' 2>/dev/null | grep -q '\.tmp\.'"

# SIGTERM while outputs are being written: the temporary files are removed.
# A large export keeps a temporary file open long enough to catch it.
BIG=$W/big
"$QUIRE" sample --out "$BIG" --customers 200000 --orders 300000 >/dev/null 2>&1
mkdir -p "$W/s"
caught=0
for attempt in 1 2 3 4 5; do
    rm -rf "$W/s/exp" "$W/s/x.pdf"
    timeout 120 "$QUIRE" run reports/monthly_segments.yaml --param data="$BIG" \
        -o "$W/s/x.pdf" --export "$W/s/exp" -q &
    pid=$!
    n=0
    while [ $n -lt 3000 ] && kill -0 $pid 2>/dev/null; do
        if ls "$W/s/exp" 2>/dev/null | grep -q '\.tmp\.'; then
            kill -TERM $pid
            caught=1
            break
        fi
        sleep 0.01
        n=$((n + 1))
    done
    wait $pid
    [ $caught -eq 1 ] && break
done
if [ $caught -eq 1 ]; then
    ok
    check "no temporary file after SIGTERM" sh -c "! ls '$W/s/exp' '$W/s' | grep -q '\.tmp\.'"
    check "no PDF after SIGTERM" test ! -e "$W/s/x.pdf"
else
    bad "never saw a temporary export file to interrupt"
fi

done_checks outputs
