# Bad input gets a clear error naming the file and line, and an exit status;
# never a crash, a hang or a partial PDF. Errors in the spec itself are cases
# in tests/errors (tests/e2e/error_cases.sh); here, bad data, failing rules and
# what a failed run leaves behind, on the stock report and the sample data.
. tests/lib.sh
DATA=$(sample_data) || { bad "quire sample failed"; done_checks errors; exit 1; }
ROOT=$(pwd)

# A copy of the stock spec whose script paths point back into the tree.
sed "s#\.\./scripts/#$ROOT/scripts/#" reports/monthly_segments.yaml > "$T/base.yaml"
run() { "$QUIRE" run "$@" --param data="$DATA" -o "$T/out.pdf"; }

# A missing CSV file: the path in the message, exit 2, no PDF.
exits 2 "missing CSV" "$QUIRE" run "$T/base.yaml" --param data="$T/nowhere" -o "$T/out.pdf"
grep -q "$T/nowhere/customers.csv" "$T/err" && ok || bad "missing file not named: $(cat "$T/err")"
[ ! -e "$T/out.pdf" ] && ok || bad "a PDF was written despite the error"

# A bad value in the data: file:line:col and the column.
mkdir -p "$T/d"
cp "$DATA"/*.csv "$T/d/"
sed -i '5s/,[0-9.]*$/,12.x5/' "$T/d/orders.csv"
exits 2 "bad number in orders.csv" "$QUIRE" run "$T/base.yaml" --param data="$T/d" -o "$T/out.pdf"
grep -Eq "orders.csv:5:[0-9]+: error: .*amount" "$T/err" && ok || bad "bad number message: $(cat "$T/err")"

# A Lua error in the rule names the report, script:line and the customer.
cat > "$T/broken.lua" <<'LUA'
return function(c)
  local x = nil
  return x.segment
end
LUA
sed "s#rule: .*#rule: $T/broken.lua#" "$T/base.yaml" > "$T/lua.yaml"
exits 2 "Lua error in the rule" run "$T/lua.yaml"
grep -q "broken.lua:3:" "$T/err" && ok || bad "Lua error without script:line: $(cat "$T/err")"
grep -q "customer_id" "$T/err" && ok || bad "Lua error does not name the customer: $(cat "$T/err")"
grep -q "^$T/lua.yaml: error: segment rule" "$T/err" && ok || bad "Lua error does not name the report: $(cat "$T/err")"

# A rule that loops forever is stopped by the instruction budget, fast.
cat > "$T/loop.lua" <<'LUA'
return function(c)
  while true do end
end
LUA
sed "s#rule: .*#rule: $T/loop.lua#" "$T/base.yaml" > "$T/loop.yaml"
start=$(date +%s)
exits 2 "endless rule" timeout 20 "$QUIRE" run "$T/loop.yaml" --param data="$DATA" -o "$T/out.pdf"
elapsed=$(( $(date +%s) - start ))
grep -q "instruction budget" "$T/err" && ok || bad "endless loop message: $(cat "$T/err")"
[ "$elapsed" -lt 5 ] && ok || bad "the endless rule took ${elapsed}s to stop"

# Limits are per customer and month, though the pass runs a chunk of
# customers in one protected call: under a budget of 200,000 instructions the
# first 50 calls spend about 60,000 each, 3 million in the first chunk.
cat > "$T/heavy.lua" <<'LUA'
local calls = 0
return function(c)
  calls = calls + 1
  if calls <= 50 then
    local s = 0
    for i = 1, 20000 do s = s + i end
  end
  return "Regular"
end
LUA
sed "s#rule: .*#rule: $T/heavy.lua#" "$T/base.yaml" > "$T/heavy.yaml"
printf 'lua:\n  instructions: 200000\n' >> "$T/heavy.yaml"
run "$T/heavy.yaml" 2>"$T/err" && ok || bad "a budget per call tripped over a chunk: $(cat "$T/err")"
# ... and one call that spends more is stopped, naming its customer.
sed -i 's/for i = 1, 20000 do/for i = 1, (calls == 40 and 200000 or 20000) do/' "$T/heavy.lua"
exits 2 "one call over the budget" run "$T/heavy.yaml"
grep -q "heavy.lua:6: instruction budget of 200000 exceeded" "$T/err" && ok || bad "budget message: $(cat "$T/err")"
grep -q "segment rule (customer_id [0-9]*, 20" "$T/err" && ok || bad "the customer is not named: $(cat "$T/err")"

# The record is filled raw, as it was by a call per customer, even when a rule
# gives it a metatable (and takes a field away, which a plain store would
# then pass to __newindex).
cat > "$T/meta.lua" <<'LUA'
return function(c)
  local s = c.tenure_months < 2 and "New" or "Regular"
  setmetatable(c, {__newindex = function() error("the record went through __newindex") end})
  rawset(c, "tenure_months", nil)
  return s
end
LUA
sed "s#rule: .*#rule: $T/meta.lua#" "$T/base.yaml" > "$T/meta.yaml"
run "$T/meta.yaml" 2>"$T/err" && ok || bad "a record with a metatable: $(cat "$T/err")"

# A rule returning a name that is not a segment.
printf 'return function(c) return "Gold" end\n' > "$T/gold.lua"
sed "s#rule: .*#rule: $T/gold.lua#" "$T/base.yaml" > "$T/gold.yaml"
exits 2 "unknown segment name" run "$T/gold.yaml"
grep -q '"Gold"' "$T/err" && ok || bad "unknown segment message: $(cat "$T/err")"

# The sandbox: no io, os or require in a rule.
printf 'return function(c) io.open("/etc/passwd") return "VIP" end\n' > "$T/io.lua"
sed "s#rule: .*#rule: $T/io.lua#" "$T/base.yaml" > "$T/io.yaml"
exits 2 "io in a rule" run "$T/io.yaml"

# A failed run leaves an existing PDF alone.
echo "previous report" > "$T/keep.pdf"
"$QUIRE" run "$T/loop.yaml" --param data="$DATA" -o "$T/keep.pdf" 2>/dev/null
[ "$(cat "$T/keep.pdf")" = "previous report" ] && ok || bad "a failed run touched the existing PDF"

done_checks errors
