-- seasonality.lua: are there seasonal patterns in a KPI? Honest about what
-- the months of the report can show:
--   * fewer than 13 months: too short to tell a seasonal pattern from a
--     trend; it reports the month-to-month swings of the KPI for all
--     customers and for the segment that swings the most;
--   * 13 to 23 months: each calendar month appears at most twice; it gives
--     the year-over-year changes and where the first year peaked and
--     bottomed, and says one year cannot show whether that shape repeats;
--   * 24 months or more: the calendar months furthest above and below the
--     centred 12-month moving average on average, and in how many years
--     they were, for all customers and the most seasonal segment.
--
-- Arguments (the question's `with:`):
--   kpi    the KPI (default customer_count)
-- Changes are relative (+2.0%), or in percentage points for percent KPIs.
--
-- Example: "The report covers 3 months (Feb 2024 to Apr 2024), too short to
-- separate seasonal patterns from trend: that needs at least 13 months, and
-- two years or more to see a pattern repeat. Month to month, the customer
-- count of all customers changed by +3.2% (Mar 2024) and +3.2% (Apr 2024); the
-- most volatile segment, VIP, changed by +11.7% and +12.1%."

local MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }

local function month_number(ym)
  return tonumber(ym:match("^%d+-(%d+)$"))
end

-- The change from old to new (a fraction; the difference for percent KPIs),
-- and a change as text ("+2.0%", or in points for percent KPIs).
local function delta(r, kpi, new, old)
  return quire.change(new, old, r.kpis[kpi].unit)
end

local function signed(r, kpi, d)
  return (quire.format_change(d, r.kpis[kpi].unit))
end

-- Month-to-month changes of a series: { {i = month index, d = change} ... }.
local function swings(r, kpi, seg)
  local s, out = r.series(kpi, seg), {}
  for i = 2, s.n do
    local d = delta(r, kpi, s[i], s[i - 1])
    if d then out[#out + 1] = { i = i, d = d } end
  end
  return out
end

local function mean_abs(list)
  local t = {}
  for _, e in ipairs(list) do t[#t + 1] = math.abs(e.d) end
  return quire.mean(t)
end

-- The swings as text: each of them when there are few, else the largest.
local function describe(r, kpi, list, with_months)
  if #list <= 3 then
    local t = {}
    for _, e in ipairs(list) do
      t[#t + 1] = signed(r, kpi, e.d) .. (with_months and (" (" .. quire.month_label(r.months[e.i]) .. ")") or "")
    end
    return "by " .. quire.join(t)
  end
  local big = list[1]
  for _, e in ipairs(list) do
    if math.abs(e.d) > math.abs(big.d) then big = e end
  end
  return string.format("by %s on average and by up to %s (%s)",
    signed(r, kpi, mean_abs(list)):gsub("^%+", ""), signed(r, kpi, big.d), quire.month_label(r.months[big.i]))
end

local function short_period(r, kpi, label)
  local n = #r.months
  local out
  if r.grain ~= "month" then
    -- seasons are read from calendar months; at another grain, the swings alone
    out = string.format("The report covers %d %ss (%s to %s); seasonal patterns are read from "
      .. "calendar months, so a report by %s shows its swings alone.", n, r.grain,
      quire.month_label(r.months[1]), quire.month_label(r.months[n]), r.grain)
  else
    out = string.format("The report covers %d months (%s to %s), too short to separate seasonal "
      .. "patterns from trend: that needs at least 13 months, and two years or more to see a pattern "
      .. "repeat.", n, quire.month_label(r.months[1]), quire.month_label(r.months[n]))
  end
  local all = swings(r, kpi, "All")
  if #all == 0 then
    return out .. " The " .. label .. " of all customers has too few " .. r.grain .. "s with data to show a swing."
  end
  out = out .. " " .. r.grain:gsub("^%l", string.upper) .. " to " .. r.grain .. ", the " .. label .. " of all customers changed " .. describe(r, kpi, all, true)
  local best, best_list, best_v
  for _, seg in ipairs(r.segments) do
    local l = swings(r, kpi, seg)
    local v = mean_abs(l)
    if v and (best_v == nil or v > best_v) then best, best_list, best_v = seg, l, v end
  end
  if best then
    out = out .. "; the most volatile segment, " .. best .. ", changed " .. describe(r, kpi, best_list, false)
  end
  return out .. "."
end

-- 13 to 23 months: year-over-year changes, and the first year's shape for
-- all customers and for the segment that varied the most in it.
local function first_year(r, kpi, seg)
  local s = r.series(kpi, seg)
  local hi, lo, vals = nil, nil, {}
  for i = 1, 12 do
    if s[i] ~= nil then
      vals[#vals + 1] = s[i]
      if hi == nil or s[i] > s[hi] then hi = i end
      if lo == nil or s[i] < s[lo] then lo = i end
    end
  end
  if hi == nil or hi == lo then return nil end
  local range = delta(r, kpi, s[hi], s[lo])
  if range == nil or signed(r, kpi, range):match("^0%.0") then return nil end
  return { hi = hi, lo = lo, s = s, range = range }
end

local function one_year(r, kpi, label)
  local s, n = r.series(kpi, "All"), #r.months
  local yoy, lo_d, hi_d = {}, nil, nil
  for i = 13, n do
    local d = delta(r, kpi, s[i], s[i - 12])
    if d then
      yoy[#yoy + 1] = signed(r, kpi, d) .. " (" .. MONTHS[month_number(r.months[i])] .. ")"
      if lo_d == nil or d < lo_d then lo_d = d end
      if hi_d == nil or d > hi_d then hi_d = d end
    end
  end
  local out = string.format("The report covers %d months (%s to %s): each calendar month appears at most "
    .. "twice, too little to establish a seasonal pattern.", n, quire.month_label(r.months[1]), quire.month_label(r.months[n]))
  if #yoy > 0 then
    local text
    if signed(r, kpi, lo_d) == signed(r, kpi, hi_d) then
      text = (#yoy == 1 and "by " or "by the same ") .. signed(r, kpi, lo_d) .. " in " ..
        (#yoy == 1 and yoy[1]:match("%((.-)%)") or (#yoy .. " months"))
    elseif #yoy <= 3 then
      text = "by " .. quire.join(yoy)
    else
      text = "by between " .. signed(r, kpi, lo_d) .. " and " .. signed(r, kpi, hi_d) .. " over " .. #yoy .. " months"
    end
    if signed(r, kpi, lo_d):match("^0%.0") and signed(r, kpi, hi_d):match("^0%.0") then
      out = out .. " Year over year, the " .. label .. " of all customers did not change ("
        .. (#yoy == 1 and "one month" or (#yoy .. " months")) .. " compared)."
    else
      out = out .. " Year over year, the " .. label .. " of all customers changed " .. text .. "."
    end
  end
  local shapes = {}
  local all = first_year(r, kpi, "All")
  if all then shapes[#shapes + 1] = { name = "all customers", p = all } end
  local best
  for _, seg in ipairs(r.segments) do
    local p = first_year(r, kpi, seg)
    if p and (best == nil or math.abs(p.range) > math.abs(best.p.range)) then best = { name = seg, p = p } end
  end
  if best then shapes[#shapes + 1] = best end
  local t = {}
  for _, e in ipairs(shapes) do
    t[#t + 1] = string.format("%s peaked in %s (%s) and was lowest in %s (%s)", e.name,
      quire.month_label(r.months[e.p.hi]), r.format(kpi, e.p.s[e.p.hi]), quire.month_label(r.months[e.p.lo]),
      r.format(kpi, e.p.s[e.p.lo]))
  end
  if #t > 0 then
    out = out .. " In the first 12 months, " .. table.concat(t, "; ") ..
      ", but a single year cannot show whether that shape repeats."
  end
  return out
end

-- 24 months or more: each calendar month's mean deviation from the centred
-- 12-month moving average of a segment's series (nil when too many gaps).
local function profile(r, kpi, seg)
  local s, n = r.series(kpi, seg), #r.months
  local dev = {}
  for i = 7, n - 6 do
    local w = {}
    for j = i - 6, i + 6 do
      local v = s[j]
      if v == nil then w = nil break end
      w[#w + 1] = (j == i - 6 or j == i + 6) and v / 2 or v
    end
    if w and s[i] ~= nil then
      local d = delta(r, kpi, s[i], quire.sum(w) / 12)
      if d then
        local m = month_number(r.months[i])
        dev[m] = dev[m] or {}
        table.insert(dev[m], d)
      end
    end
  end
  local p = { dev = dev }
  for m = 1, 12 do
    local v = dev[m] and quire.mean(dev[m])
    if v then
      if p.hi_v == nil or v > p.hi_v then p.hi, p.hi_v = m, v end
      if p.lo_v == nil or v < p.lo_v then p.lo, p.lo_v = m, v end
    end
  end
  if p.hi == nil then return nil end
  p.amplitude = p.hi_v - p.lo_v
  return p
end

-- How many years month m was on the side of the average given by sign.
local function years(p, m, sign)
  local k = 0
  for _, d in ipairs(p.dev[m]) do
    if d * sign > 0 then k = k + 1 end
  end
  return k, #p.dev[m]
end

-- The profile in words; whether its peak and trough held in every year
-- measured; and the fewest years either was measured in.
local function describe_profile(r, kpi, p)
  local function side(m, sign, word)
    local k, n = years(p, m, sign)
    if n == 1 then return "measured in one year only", k == n, n end
    return string.format("%s it in %d of %d years", word, k, n), k == n, n
  end
  local a, ok_a, na = side(p.hi, 1, "above")
  local b, ok_b, nb = side(p.lo, -1, "below")
  return string.format("highest in %s (%s against its 12-month moving average, %s) and lowest in %s (%s, %s)",
    MONTHS[p.hi], signed(r, kpi, p.hi_v), a, MONTHS[p.lo], signed(r, kpi, p.lo_v), b),
    ok_a and ok_b, math.min(na, nb)
end

local function seasonal(r, kpi, label)
  local n = #r.months
  local out = string.format("Over %d months (%s to %s), ", n, quire.month_label(r.months[1]), quire.month_label(r.months[n]))
  local steady, fewest = true, math.huge
  local function add(p)
    local text, ok, yrs = describe_profile(r, kpi, p)
    steady, fewest = steady and ok, math.min(fewest, yrs)
    return text
  end
  local all = profile(r, kpi, "All")
  if all == nil then
    out = out .. "the " .. label .. " of all customers has too many gaps to measure a seasonal pattern"
  elseif signed(r, kpi, all.amplitude):match("^0%.0") then
    out = out .. "the " .. label .. " of all customers shows no seasonal swing"
  else
    out = out .. "the " .. label .. " of all customers runs " .. add(all)
  end
  local best, best_p
  for _, seg in ipairs(r.segments) do
    local p = profile(r, kpi, seg)
    if p and (best_p == nil or p.amplitude > best_p.amplitude) then best, best_p = seg, p end
  end
  if best and not signed(r, kpi, best_p.amplitude):match("^0%.0") then
    out = out .. "; the most seasonal segment, " .. best .. ", runs " .. add(best_p)
  end
  out = out .. "."
  if fewest < 2 then
    out = out .. " With a single year measured for some months, this cannot yet show that the pattern repeats."
  elseif not steady then
    out = out .. " The pattern does not hold every year, so read it with care."
  end
  return out
end

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "seasonality", "customer_count")
  local label = info.phrase
  if not info.available then
    return quire.unavailable(info, "its seasonality cannot be judged")
  end
  local n = #r.months
  if n < 2 then
    return "The report covers a single " .. r.grain .. " (" .. quire.month_label(r.months[1]) .. "): it cannot show "
      .. "seasonal patterns, which need at least 13 months, nor any change."
  end
  if n < 13 or r.grain ~= "month" then return short_period(r, kpi, label) end
  if n < 24 then return one_year(r, kpi, label) end
  return seasonal(r, kpi, label)
end
