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

-- The difference a - b (a ahead) in words: "12.3 points more than" for a
-- score.
local function difference(r, kpi, a, b, more)
  local text = quire.difference(r, kpi, math.abs(a - b))
  if r.kpis[kpi].unit == "score" then
    text = text .. " points"
  end
  return text .. " " .. more
end

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "highest")
  local lowest = quire.order_arg(args)
  local label = info.phrase
  local word, other = lowest and "lowest" or "highest", lowest and "highest" or "lowest"
  local i = r.month_index(args.month)
  local name = quire.month_label(r.months[i])
  if not info.available then
    return quire.unavailable(info, "no segment can be named")
  end
  local list, missing = quire.ranked(r, kpi, i, lowest)
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
        out = out .. string.format(lowest and ", which has %s times as much" or ", %s times as much", quire.format(ratio, "number", 1))
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
      local l = quire.ranked(r, kpi, j, lowest)
      if #l > 1 then -- a month with one segment's value leads nothing
        with_data = with_data + 1
        if l[1].seg == top.seg then led = led + 1 end
      end
    end
    if with_data < 2 then
      -- one month with data: nothing to say about the others
    elseif led == with_data and with_data == 2 then
      out = out .. string.format(" %s was the %s in both %ss.", top.seg, word, r.grain)
    elseif led == with_data then
      out = out .. string.format(" %s was the %s in all %d %ss.", top.seg, word, with_data, r.grain)
    else
      out = out .. string.format(" %s was the %s in %d of %d %ss.", top.seg, word, led, with_data, r.grain)
    end
  end
  return out
end
