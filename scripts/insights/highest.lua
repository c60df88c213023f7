-- highest.lua: which segment has the highest (or lowest) value of a KPI in a
-- month, by how much it leads the next segment, and how often it led.
--
-- Arguments (the question's `with:`):
--   kpi      the KPI (required)
--   order    highest (default) or lowest
--   month    "YYYY-MM" or an index 1..n (default the last month)
-- The lead is the difference in the KPI's unit (percentage points for
-- percent KPIs, points for scores), and the ratio when the leader has at least 1.5 times the
-- next segment's value.
--
-- Example: "In Apr 2024, VIP has the highest average order value, $286.89:
-- $157.52 more than At Risk ($129.36), 2.2 times as much. The lowest is New
-- ($73.62); all customers: $227.71. VIP was the highest in all 3 months."

-- The difference a - b (a ahead) in words.
local function difference(r, kpi, a, b, more)
  local info = r.kpis[kpi]
  if info.unit == "percent" then
    local dec = info.decimals >= 0 and info.decimals or 1
    return string.format("%." .. dec .. "f percentage points %s", math.abs(a - b) * 100, more)
  end
  if info.unit == "score" then
    return r.format(kpi, math.abs(a - b)) .. " points " .. more
  end
  return r.format(kpi, math.abs(a - b)) .. " " .. more
end

-- The segments ranked by the KPI in month i; those without a value apart.
local function ranked(r, kpi, i, lowest)
  local list, missing = {}, {}
  for k, seg in ipairs(r.segments) do
    local v = r.value(kpi, seg, i)
    if v == nil then missing[#missing + 1] = seg else list[#list + 1] = { seg = seg, v = v, k = k } end
  end
  table.sort(list, function(x, y)
    if x.v ~= y.v then
      if lowest then return x.v < y.v end
      return x.v > y.v
    end
    return x.k < y.k
  end)
  return list, missing
end

return function(r, args)
  local kpi = args.kpi or error("highest needs the argument kpi")
  local info = r.kpis[kpi] or error("the report has no KPI \"" .. tostring(kpi) .. "\"")
  local lowest = args.order == "lowest"
  if args.order ~= nil and args.order ~= "highest" and args.order ~= "lowest" then
    error("order is highest or lowest, not \"" .. tostring(args.order) .. "\"")
  end
  local label = r.kpis[kpi].phrase
  local word, other = lowest and "lowest" or "highest", lowest and "highest" or "lowest"
  local i = r.month_index(args.month)
  local name = quire.month_label(r.months[i])
  if not info.available then
    return "The data this report reads cannot give the " .. label .. ", so no segment can be named."
  end
  local list, missing = ranked(r, kpi, i, lowest)
  if #list == 0 then
    return "In " .. name .. ", no segment has a " .. label .. " (no data)."
  end
  local top = list[1]
  local out = string.format("In %s, %s has the %s %s, %s", name, top.seg, word, label, r.format(kpi, top.v))
  local second = list[2]
  if second then
    if second.v == top.v then
      out = out .. ", level with " .. second.seg
    else
      out = out .. ": " .. difference(r, kpi, top.v, second.v, lowest and "less than" or "more than")
        .. " " .. second.seg .. " (" .. r.format(kpi, second.v) .. ")"
      local ratio = lowest and quire.ratio(second.v, top.v) or quire.ratio(top.v, second.v)
      if ratio and ratio >= 1.5 and top.v > 0 and second.v > 0 then
        out = out .. string.format(lowest and ", which has %.1f times as much" or ", %.1f times as much", ratio)
      end
    end
  end
  out = out .. "."
  local last = list[#list]
  if #list > 2 then
    out = out .. string.format(" The %s is %s (%s)", other, last.seg, r.format(kpi, last.v))
  end
  local all = r.value(kpi, "All", i)
  if all ~= nil then
    out = out .. (#list > 2 and "; all customers: " or " All customers: ") .. r.format(kpi, all) .. "."
  elseif #list > 2 then
    out = out .. "."
  end
  if #missing > 0 then
    out = out .. " No data for " .. quire.join(missing) .. "."
  end
  if #r.months > 1 then
    local led, with_data = 0, 0
    for j = 1, #r.months do
      local l = ranked(r, kpi, j, lowest)
      if #l > 0 then
        with_data = with_data + 1
        if l[1].seg == top.seg then led = led + 1 end
      end
    end
    if led == with_data and with_data == 2 then
      out = out .. string.format(" %s was the %s in both months.", top.seg, word)
    elseif led == with_data then
      out = out .. string.format(" %s was the %s in all %d months.", top.seg, word, with_data)
    else
      out = out .. string.format(" %s was the %s in %d of %d months.", top.seg, word, led, with_data)
    end
  end
  return out
end
