-- upgrades.lua: how well customers move up a value ladder of segments: how
-- many moved up and how many moved down in a month, and the share of the
-- lower rungs' customers who moved up, against the months before.
--
-- Arguments (the question's `with:`):
--   ladder   the segments from the lowest value to the highest, e.g.
--            [Inactive, At Risk, Regular, VIP] (required, at least two)
--   month    the month: "YYYY-MM" or an index 1..n (default the last)
-- Moves into or out of segments not on the ladder (New, say) are neither up
-- nor down. "Lower rungs" are every rung but the top one, as of the month
-- before.
--
-- Example: "In Apr 2024, 921 customers moved up the ladder Inactive → At
-- Risk → Regular → VIP and 1,081 moved down, a net 160 down. Of the 6,644
-- customers on the lower rungs in Mar 2024, 13.9% moved up; the most common
-- step up was At Risk → Regular (332 customers). The share moving up was 11.5%
-- in Feb 2024 and 13.2% in Mar 2024."

-- Moves along the ladder in month i: nil when the month before is unknown.
local function moves(r, ladder, i)
  local up, down, lower, steps = 0, 0, 0, {}
  for a = 1, #ladder do
    for b = 1, #ladder do
      if a ~= b then
        local n = r.moved(ladder[a], ladder[b], i)
        if n == nil then return nil end
        if b > a then
          up = up + n
          steps[#steps + 1] = { from = ladder[a], to = ladder[b], n = n }
        else
          down = down + n
        end
      end
    end
  end
  -- Customers on the lower rungs the month before, wherever they are now.
  for a = 1, #ladder - 1 do
    for _, seg in ipairs(r.segments) do
      lower = lower + (r.moved(ladder[a], seg, i) or 0)
    end
  end
  table.sort(steps, function(x, y)
    if x.n ~= y.n then return x.n > y.n end
    return x.from .. x.to < y.from .. y.to
  end)
  return { up = up, down = down, lower = lower, step = steps[1] }
end

return function(r, args)
  local ladder = args.ladder
  if type(ladder) ~= "table" or #ladder < 2 then
    error("upgrades needs a ladder: a list of at least two segments, lowest value first")
  end
  local known = {}
  for _, seg in ipairs(r.segments) do known[seg] = true end
  for _, seg in ipairs(ladder) do
    if not known[tostring(seg)] then
      error("the ladder names \"" .. tostring(seg) .. "\", which is not a segment of " .. r.segmentation)
    end
  end
  local i = r.month_index(args.month)
  local m = moves(r, ladder, i)
  local name = quire.month_label(r.months[i])
  if m == nil then
    return "The segments of the " .. r.grain .. " before " .. name .. " are not known, so moves between segments cannot be counted."
  end
  local out = string.format("In %s, %s moved up the ladder %s and %s moved down", name,
    quire.plural(m.up, "customer", "customers"), table.concat(ladder, " → "), quire.format(m.down, "count"))
  if m.up > m.down then
    out = out .. string.format(", a net %s up.", quire.format(m.up - m.down, "count"))
  elseif m.down > m.up then
    out = out .. string.format(", a net %s down.", quire.format(m.down - m.up, "count"))
  else
    out = out .. ", as many as moved up."
  end
  local share = quire.ratio(m.up, m.lower)
  if share == nil then
    return out .. " No customer was on the lower rungs in " .. quire.month_label(r.months[i], -1) .. "."
  end
  out = out .. string.format(" Of the %s on the lower rungs in %s, %s moved up", quire.plural(m.lower, "customer", "customers"),
    quire.month_label(r.months[i], -1), quire.format(share, "percent", 1))
  if m.step and m.step.n > 0 then
    out = out .. string.format("; the most common step up was %s → %s (%s).", m.step.from, m.step.to,
      quire.plural(m.step.n, "customer", "customers"))
  else
    out = out .. "."
  end
  local before = {}
  for j = 1, i - 1 do
    local p = moves(r, ladder, j)
    local s = p and quire.ratio(p.up, p.lower)
    if s then before[#before + 1] = quire.format(s, "percent", 1) .. " in " .. quire.month_label(r.months[j]) end
  end
  if #before > 3 then before = { table.unpack(before, #before - 2) } end
  if #before > 0 then
    out = out .. " The share moving up was " .. quire.join(before) .. "."
  end
  return out
end
