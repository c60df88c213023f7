-- seasonality.lua: are there seasonal patterns in a KPI? Honest about what
-- the months of the report can show:
--   * fewer than 13 months: too short to tell a seasonal pattern from a
--     trend; it reports the month-to-month swings of the KPI for all
--     customers and for the segment that swings the most;
--   * 13 to 23 months: each calendar month appears at most twice; it gives
--     the year-over-year changes and where the first year peaked and
--     bottomed, and says one year cannot show whether that shape repeats;
--   * 24 months or more: the average deviation of each calendar month from
--     its centred 12-month moving average, for all customers.
--
-- Arguments (the question's `with:`):
--   kpi    the KPI (default customer_count)
-- Changes are relative (+2.0%), or in percentage points for percent KPIs.
--
-- Example: "The report covers 3 months (Feb 2024 to Apr 2024), too short to
-- separate seasonal patterns from trend: that needs at least 13 months, and
-- two years or more to see a pattern repeat. Month to month, the customer
-- count of all customers changed by +2.0% (Mar 2024) and +1.2% (Apr 2024); the
-- most volatile segment, VIP, changed by +11.7% and +12.1%."

local MONTHS = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }

local function month_name(ym)
  local y, m = ym:match("^(%d+)-(%d+)$")
  return MONTHS[tonumber(m)] .. " " .. y
end

local function month_number(ym)
  return tonumber(ym:match("^%d+-(%d+)$"))
end

local function lower_label(r, kpi)
  local l = r.kpis[kpi].label
  if l:match("^%u%l") then l = l:sub(1, 1):lower() .. l:sub(2) end
  return l
end

local function join(list)
  if #list <= 1 then return list[1] or "" end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end

-- The change from old to new in percent (or points for percent KPIs).
local function delta(r, kpi, new, old)
  if new == nil or old == nil then return nil end
  if r.kpis[kpi].unit == "percent" then return (new - old) * 100 end
  local c = quire.change(new, old)
  return c and c * 100
end

local function signed(r, kpi, d)
  local suffix = r.kpis[kpi].unit == "percent" and " pts" or "%"
  local t = string.format("%.1f", d)
  if t == "0.0" or t == "-0.0" then return "0.0" .. suffix end
  return (d > 0 and "+" or "") .. t .. suffix
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
      t[#t + 1] = signed(r, kpi, e.d) .. (with_months and (" (" .. month_name(r.months[e.i]) .. ")") or "")
    end
    return "by " .. join(t)
  end
  local big = list[1]
  for _, e in ipairs(list) do
    if math.abs(e.d) > math.abs(big.d) then big = e end
  end
  return string.format("by %s on average and by up to %s (%s)",
    signed(r, kpi, mean_abs(list)):gsub("^%+", ""), signed(r, kpi, big.d), month_name(r.months[big.i]))
end

local function short_period(r, kpi, label)
  local n = #r.months
  local out = string.format("The report covers %d months (%s to %s), too short to separate seasonal "
    .. "patterns from trend: that needs at least 13 months, and two years or more to see a pattern "
    .. "repeat.", n, month_name(r.months[1]), month_name(r.months[n]))
  local all = swings(r, kpi, "All")
  if #all == 0 then
    return out .. " The " .. label .. " of all customers has too few months with data to show a swing."
  end
  out = out .. " Month to month, the " .. label .. " of all customers changed " .. describe(r, kpi, all, true)
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

-- 13 to 23 months: year-over-year changes, and the first year's shape.
local function one_year(r, kpi, label)
  local s, n = r.series(kpi, "All"), #r.months
  local yoy = {}
  for i = 13, n do
    local d = delta(r, kpi, s[i], s[i - 12])
    if d then yoy[#yoy + 1] = signed(r, kpi, d) .. " (" .. MONTHS[month_number(r.months[i])] .. ")" end
  end
  local hi, lo
  for i = 1, 12 do
    if s[i] ~= nil then
      if hi == nil or s[i] > s[hi] then hi = i end
      if lo == nil or s[i] < s[lo] then lo = i end
    end
  end
  local out = string.format("The report covers %d months (%s to %s): each calendar month appears at most "
    .. "twice, too little to establish a seasonal pattern.", n, month_name(r.months[1]), month_name(r.months[n]))
  if #yoy > 0 then
    out = out .. " Year over year, the " .. label .. " of all customers changed by " .. join(yoy) .. "."
  end
  if hi and lo and hi ~= lo then
    out = out .. string.format(" In the first 12 months it peaked in %s (%s) and was lowest in %s (%s), "
      .. "but a single year cannot show whether that shape repeats.", month_name(r.months[hi]),
      r.format(kpi, s[hi]), month_name(r.months[lo]), r.format(kpi, s[lo]))
  end
  return out
end

-- 24 months or more: deviation from the centred 12-month moving average.
local function seasonal(r, kpi, label)
  local s, n = r.series(kpi, "All"), #r.months
  local dev, years = {}, {}
  for i = 7, n - 6 do
    local w = {}
    for j = i - 6, i + 6 do
      local v = s[j]
      if v == nil then w = nil break end
      w[#w + 1] = (j == i - 6 or j == i + 6) and v / 2 or v
    end
    if w and s[i] ~= nil then
      local ma = quire.sum(w) / 12
      local d = delta(r, kpi, s[i], ma)
      if d then
        local m = month_number(r.months[i])
        dev[m] = dev[m] or {}
        table.insert(dev[m], d)
      end
    end
  end
  local hi, lo, hi_v, lo_v
  for m = 1, 12 do
    local v = dev[m] and quire.mean(dev[m])
    if v then
      if hi_v == nil or v > hi_v then hi, hi_v = m, v end
      if lo_v == nil or v < lo_v then lo, lo_v = m, v end
    end
  end
  if hi == nil or hi == lo then
    return string.format("The report covers %d months, but the %s of all customers has too many gaps "
      .. "to measure a seasonal pattern.", n, label)
  end
  local function consistent(m, sign)
    local k = 0
    for _, d in ipairs(dev[m]) do if d * sign > 0 then k = k + 1 end end
    return k, #dev[m]
  end
  local ka, na = consistent(hi, 1)
  local kb, nb = consistent(lo, -1)
  return string.format("Over %d months (%s to %s), the %s of all customers runs highest in %s "
    .. "(%s against its 12-month moving average, above it in %d of %d years) and lowest in %s "
    .. "(%s, below it in %d of %d years).", n, month_name(r.months[1]), month_name(r.months[n]), label,
    MONTHS[hi], signed(r, kpi, hi_v), ka, na, MONTHS[lo], signed(r, kpi, lo_v), kb, nb)
    .. (((ka < na or kb < nb) and " The pattern does not hold every year, so read it with care.") or "")
end

return function(r, args)
  local kpi = args.kpi or "customer_count"
  local info = r.kpis[kpi] or error("the report has no KPI \"" .. tostring(kpi) .. "\"")
  local label = lower_label(r, kpi)
  if not info.available then
    return "The data this report reads cannot give the " .. label .. ", so its seasonality cannot be judged."
  end
  local n = #r.months
  if n < 2 then
    return "The report covers a single month (" .. month_name(r.months[1]) .. "): it cannot show "
      .. "seasonal patterns, which need at least 13 months, nor any change."
  end
  if n < 13 then return short_period(r, kpi, label) end
  if n < 24 then return one_year(r, kpi, label) end
  return seasonal(r, kpi, label)
end
