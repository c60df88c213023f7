-- gap.lua: the gap in a KPI between the segment with the highest value and
-- the one with the lowest in a month: the difference, the ratio, and how the
-- gap changed since the report's first month.
--
-- Arguments (the question's `with:`):
--   kpi    the KPI (required)
--   month  "YYYY-MM" or an index 1..n (default the last month)
-- The difference is in the KPI's unit (percentage points for percent KPIs).
--
-- Example: "In Apr 2024, average order value ranges from $73.62 (New) to
-- $286.89 (VIP): a gap of $213.26, VIP's being 3.9 times New's. In Feb 2024
-- the gap was $235.12 (4.4 times): it has narrowed."

-- Highest and lowest segment in month i (the first in the segments' order
-- on a tie), and the segments without data.
local function extremes(r, kpi, i)
  local list, missing = quire.ranked(r, kpi, i)
  return list[1], quire.ranked(r, kpi, i, true)[1], missing
end

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "gap")
  local label = info.phrase
  if not info.available then
    return quire.unavailable(info, "the gap between segments cannot be measured")
  end
  local i = r.month_index(args.month)
  local name = quire.month_label(r.months[i])
  local hi, lo, missing = extremes(r, kpi, i)
  if hi == nil or hi.seg == lo.seg then
    return "In " .. name .. ", fewer than two segments have a " .. label .. ", so there is no gap to measure."
  end
  local gap = hi.v - lo.v
  local ratio = lo.v > 0 and quire.ratio(hi.v, lo.v)
  local out = string.format("In %s, %s ranges from %s (%s) to %s (%s): a gap of %s", name, label,
    r.format(kpi, lo.v), lo.seg, r.format(kpi, hi.v), hi.seg, quire.difference(r, kpi, gap))
  if gap == 0 then
    out = string.format("In %s, every segment with data has the same %s, %s", name, label, r.format(kpi, hi.v))
  elseif ratio then
    out = out .. string.format(", %s being %s times %s", quire.possessive(hi.seg), quire.format(ratio, "number", 1), quire.possessive(lo.seg))
  end
  out = out .. "."
  if #missing > 0 then
    out = out .. " No data for " .. table.concat(missing, ", ") .. "."
  end
  if i > 1 then
    local h0, l0 = extremes(r, kpi, 1)
    if h0 and h0.seg ~= l0.seg then
      local g0 = h0.v - l0.v
      local r0 = l0.v > 0 and quire.ratio(h0.v, l0.v)
      local trend
      local a, b = quire.difference(r, kpi, g0), quire.difference(r, kpi, gap)
      if a == b then trend = "it is unchanged"
      elseif g0 < gap then trend = "it has widened"
      else trend = "it has narrowed" end
      out = out .. string.format(" In %s the gap was %s%s: %s.", quire.month_label(r.months[1]), a,
        (r0 and ratio) and string.format(" (%s times)", quire.format(r0, "number", 1)) or "", trend)
    end
  end
  return out
end
