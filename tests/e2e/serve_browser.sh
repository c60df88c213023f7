# quire serve's pages in a real browser: headless Chromium through
# python3-selenium (tests/e2e/serve_browser.py) against a server on
# 127.0.0.1 and a free port. Not skipped: without chromium the suite fails
# (scripts/install-deps.sh installs it).
. tests/lib.sh
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

# Debian's python3 has Debian's selenium and openpyxl.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
for need in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$need" ] && ok || bad "$need is missing (scripts/install-deps.sh installs it)"
done
$PY -c 'import selenium, openpyxl' 2>/dev/null && ok ||
    bad "python3-selenium or python3-openpyxl is missing (scripts/install-deps.sh installs them)"
[ "$fail" -eq 0 ] || { done_checks serve_browser; exit 1; }

"$QUIRE" sample --out "$T/data" --customers 300 --orders 3000 --months 24 --from 2023-01 \
    >/dev/null 2>&1 || { bad "quire sample failed"; done_checks serve_browser; exit 1; }
mkdir -p "$T/reports" "$T/dl"
sed -e "s#\.\./scripts/#$PWD/scripts/#" -e "s#default: \.\./data/sample#default: $T/data#" \
    -e 's#^  to:$#  region:\n    type: string\n    default: All\n    choices: [All, North, South]\n    help: the region named in the subtitle\n  to:#' \
    reports/monthly_segments.yaml >"$T/reports/monthly_segments.yaml"

"$QUIRE" serve --reports "$T/reports" --state "$T/state.db" --listen 127.0.0.1:0 \
    --port-file "$T/port" --access-log "$T/access.log" 2>"$T/server.log" &
srv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T/port" 2>/dev/null)
[ -n "$PORT" ] && ok || { bad "the server did not start: $(cat "$T/server.log")"; done_checks serve_browser; exit 1; }

timeout 300 $PY tests/e2e/serve_browser.py "http://127.0.0.1:$PORT" "$T/dl" "$T/counts" \
    "${SERVE_SCREENSHOT:-$T/page.png}"
rc=$?
if [ -s "$T/counts" ]; then
    read -r p f <"$T/counts"
    pass=$((pass + p)); fail=$((fail + f))
else
    bad "the browser script ended without results (exit $rc)"
fi
[ $rc -eq 0 ] && ok || bad "the browser script exited $rc"

kill -TERM "$srv"
wait "$srv"
rc=$?
srv=""
[ $rc -eq 0 ] && ok || bad "the server exited $rc on SIGTERM"
done_checks serve_browser
