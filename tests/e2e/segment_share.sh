# End to end: the segment pass shares the rules out between its workers by
# the customers signed up each month (core/engine/segment.c), on data where
# the customers sign up in key order, so that in the early months the first
# keys are the busy ones. The segments' sizes, a KPI of segment sums and a
# KPI of per-customer values are checked month by month against a
# computation in Python; the customers listed in reverse order (the busy
# ones last) give the same; -v says chunks were evaluated for another
# worker in both; and a rule that fails on one customer in a chunk left to
# another worker fails the run with that customer's error, every time.
. tests/lib.sh
D="$T/share"
mkdir -p "$D"

python3 - "$D" <<'PY' || bad "the data could not be made"
import datetime, sys
d = sys.argv[1]
N = 12000
start = datetime.date(2022, 1, 1)
cust, orders = [], []
for i in range(1, N + 1):
    since = start + datetime.timedelta(days=(i - 1) * 700 // N)
    cust.append((i, since.isoformat(), 1 if i == 3001 else 0))
    for j in range((i * 7919) % 5):
        day = since + datetime.timedelta(days=(i * 31 + j * 97) % 400)
        orders.append((i, day.isoformat(), "%.2f" % (((i * 13 + j * 17) % 9000) / 100 + 5)))
with open(f"{d}/customers.csv", "w") as f:
    f.write("customer_id,signup_date,flag\n")
    f.writelines("%d,%s,%d\n" % c for c in cust)
with open(f"{d}/reversed.csv", "w") as f:
    f.write("customer_id,signup_date,flag\n")
    f.writelines("%d,%s,%d\n" % c for c in reversed(cust))
with open(f"{d}/orders.csv", "w") as f:
    f.write("customer_id,order_date,amount\n")
    f.writelines("%d,%s,%s\n" % o for o in orders)
PY

cat > "$D/rule.lua" <<'EOF'
return function(c)
  if c.revenue_3m >= 100 then return "High" end
  if c.orders_3m > 0 then return "Low" end
  return "Idle"
end
EOF
# The same rule, failing on the one customer flagged.
sed '1a\  if c.flag == 1 then error("customer flagged") end' "$D/rule.lua" >"$D/failing.lua"
cat > "$D/aov.lua" <<'EOF'
return {
  label = "Average order value, 3 months",
  needs = { "revenue_3m", "orders_3m" },
  value = function(s) return quire.ratio(s.revenue_3m, s.orders_3m) end,
}
EOF
cat > "$D/rev.lua" <<'EOF'
return {
  label = "Revenue per customer, 3 months",
  needs = { "revenue_3m" },
  customer = function(c) return c.revenue_3m end,
}
EOF
cat > "$D/report.yaml" <<EOF
title: Shared segment pass
parameters:
  customers: { type: path, default: customers.csv }
  rule: { type: path, default: rule.lua }
periods: { grain: month, from: 2022-03, to: 2023-12, history: 2 }
sources:
  customers:
    plugin: csv
    path: \${customers}
    columns: { customer_id: integer, signup_date: date, flag: integer }
  orders:
    plugin: csv
    path: orders.csv
    columns: { customer_id: integer, order_date: date, amount: number }
entities: { source: customers, key: customer_id, since: signup_date, attributes: [flag] }
facts:
  - source: orders
    key: customer_id
    date: order_date
    measures: { orders: count, revenue: sum(amount) }
features:
  windows: [3]
segments:
  rule: \${rule}
  list: [High, Low, Idle]
kpis:
  customer_count: $(pwd)/scripts/kpis/customer_count.lua
  aov_3m: aov.lua
  revenue_per_customer: rev.lua
EOF

for c in customers reversed; do
    exits 0 "the report over $c.csv" "$QUIRE" run "$D/report.yaml" -v --param customers="$D/$c.csv" \
        --export "$D/$c" -o "$D/$c.pdf"
    n=$(sed -n 's/.*; \([0-9]*\) of [0-9]* chunk-months evaluated for another worker.*/\1/p' "$T/err")
    [ "${n:-0}" -gt 0 ] && ok || bad "$c.csv: no chunk evaluated for another worker: $(grep segments "$T/err")"
done

python3 - "$D" <<'PY' && ok || bad "the KPIs differ from their computation (above)"
import csv, datetime, sys
d = sys.argv[1]
since = {int(r["customer_id"]): datetime.date.fromisoformat(r["signup_date"])
         for r in csv.DictReader(open(f"{d}/customers.csv"))}
rev, cnt = {}, {}
for r in csv.DictReader(open(f"{d}/orders.csv")):
    k = (int(r["customer_id"]), r["order_date"][:7])
    rev[k] = rev.get(k, 0.0) + float(r["amount"])
    cnt[k] = cnt.get(k, 0) + 1
def months(a, b):
    y, m = a
    while (y, m) <= b:
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
want = {}
for y, m in months((2022, 3), (2023, 12)):
    end = (datetime.date(y + (m == 12), m % 12 + 1, 1) - datetime.timedelta(days=1))
    win = ["%04d-%02d" % ((y * 12 + m - 1 - k) // 12, (y * 12 + m - 1 - k) % 12 + 1) for k in range(3)]
    seg = {}
    for c, s in since.items():
        if s > end:
            continue
        r3 = sum(rev.get((c, w), 0.0) for w in win)
        o3 = sum(cnt.get((c, w), 0) for w in win)
        g = "High" if r3 >= 100 else "Low" if o3 > 0 else "Idle"
        t = seg.setdefault(g, [0, 0.0, 0])
        t[0] += 1; t[1] += r3; t[2] += o3
    for g, (n, r3, o3) in seg.items():
        p = "%04d-%02d" % (y, m)
        want[(p, g, "customer_count")] = n
        want[(p, g, "revenue_per_customer")] = r3 / n
        if o3:
            want[(p, g, "aov_3m")] = r3 / o3
bad = 0
for name in ("customers", "reversed"):
    got = {(r["period"], r["segment"], r["kpi"]): r["value"]
           for r in csv.DictReader(open(f"{d}/{name}/kpis.csv"))}
    for k, v in want.items():
        g = got.get(k, "")
        if g == "" or abs(float(g) - v) > 1e-9 * max(1.0, abs(v)):
            bad += 1
            if bad < 10:
                print(name, k, "got", g, "wanted", v)
sys.exit(1 if bad else 0)
PY
# The two orders agree on every segment of every customer and month.
sort "$D/customers/segments.csv" >"$D/a"
sort "$D/reversed/segments.csv" >"$D/b"
[ "$(wc -l <"$D/a")" -gt 100000 ] && cmp -s "$D/a" "$D/b" && ok ||
    bad "the segments differ with the customers in reverse order"

# Customer 3001 sits in a chunk of the first worker's part that the second
# evaluates in the early months: its error ends the run, the same each time.
for k in 1 2 3; do
    exits 2 "a rule failing on one customer ($k)" "$QUIRE" run "$D/report.yaml" \
        --param rule="$D/failing.lua" -o "$D/failing.pdf"
    contains "$T/err" "customer flagged"
    cp "$T/err" "$D/err$k"
done
cmp -s "$D/err1" "$D/err2" && cmp -s "$D/err1" "$D/err3" && ok || bad "the error differs between runs"
[ ! -e "$D/failing.pdf" ] && ok || bad "a PDF was written by a failed run"

done_checks segment_share
