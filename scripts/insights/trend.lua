-- trend.lua: how a KPI changed over the report's months for all customers,
-- the shape of the path, and which segments moved the most each way.
--
-- Arguments (the question's `with:`):
--   kpi    the KPI (required)
-- Changes are relative (+13.3%), or in percentage points for percent KPIs,
-- from the first to the last month.
--
-- Example: "For all customers, churn risk score went from 42.7 in Feb 2024 to
-- 45.1 in Apr 2024 (+5.6%), rising every month. Among the segments, New rose
-- the most (23.4 to 25.4, +8.2%) and only Regular fell (21.9 to 21.6, −1.5%)."

-- First and last month with a value in series s.
local function ends(s)
  local a, b
  for i = 1, s.n do
    if s[i] ~= nil then
      a = a or i
      b = i
    end
  end
  return a, b
end

-- The path of series s between months a and b, in words.
local function path(r, kpi, s, a, b)
  local dirs = {}
  for i = a + 1, b do
    local _, d = quire.change_text(s[i], s[i - 1], r.kpis[kpi].unit)
    if d == nil then return nil end
    dirs[#dirs + 1] = { i = i, d = d }
  end
  if #dirs < 2 then return nil end
  local ups, downs = 0, 0
  for _, e in ipairs(dirs) do
    if e.d > 0 then ups = ups + 1 elseif e.d < 0 then downs = downs + 1 end
  end
  if ups == #dirs then return "rising every " .. r.grain end
  if downs == #dirs then return "falling every " .. r.grain end
  if #dirs <= 3 then
    local t = {}
    for _, e in ipairs(dirs) do
      local w = e.d > 0 and "rising" or e.d < 0 and "falling" or "flat"
      t[#t + 1] = w .. " in " .. quire.month_label(r.months[e.i])
    end
    return quire.join(t)
  end
  return string.format("rising in %d and falling in %d of %d %ss", ups, downs, #dirs, r.grain)
end

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "trend")
  local label = info.phrase
  if not info.available then
    return quire.unavailable(info, "its trend cannot be shown")
  end
  if #r.months < 2 then
    return "The report covers a single " .. r.grain .. " (" .. quire.month_label(r.months[1]) .. "), so there is no trend to show yet."
  end
  local out
  local s = r.series(kpi, "All")
  local a, b = ends(s)
  local text = quire.change_text(s[b or 1], s[a or 1], info.unit)
  if a == nil or a == b or text == nil then
    out = "For all customers, the " .. label .. " has too few " .. r.grain .. "s with data to show a trend."
  else
    out = string.format("For all customers, %s went from %s in %s to %s in %s (%s)", label,
      r.format(kpi, s[a]), quire.month_label(r.months[a]), r.format(kpi, s[b]), quire.month_label(r.months[b]), text)
    local p = path(r, kpi, s, a, b)
    out = out .. (p and (", " .. p .. ".") or ".")
  end

  local first, last = 1, #r.months
  local list, missing, fresh = {}, {}, {}
  for _, seg in ipairs(r.segments) do
    local old, new = r.value(kpi, seg, first), r.value(kpi, seg, last)
    local t, d = quire.change_text(new, old, info.unit)
    if t == nil then missing[#missing + 1] = seg
    -- from 0: new, not a percentage (0 is a value, not missing)
    elseif d == math.huge or d == -math.huge then fresh[#fresh + 1] = { seg = seg, old = old, new = new }
    else list[#list + 1] = { seg = seg, d = d, text = t, old = old, new = new } end
  end
  table.sort(list, function(x, y) return x.d > y.d end)
  local function fig(e)
    return string.format("%s to %s, %s", r.format(kpi, e.old), r.format(kpi, e.new), e.text)
  end
  if #list == 1 then
    out = out .. string.format(" %s went from %s.", list[1].seg, fig(list[1]))
  elseif #list > 1 then
    local top, bottom = list[1], list[#list]
    if bottom.d > 0 then
      out = out .. string.format(" Every segment rose: %s the most (%s), %s the least (%s).",
        top.seg, fig(top), bottom.seg, bottom.text)
    elseif top.d < 0 then
      out = out .. string.format(" Every segment fell: %s the most (%s), %s the least (%s).",
        bottom.seg, fig(bottom), top.seg, top.text)
    else
      local parts, risers, fallers = {}, 0, 0
      for _, e in ipairs(list) do
        if e.d > 0 then risers = risers + 1 elseif e.d < 0 then fallers = fallers + 1 end
      end
      if risers == 1 then parts[#parts + 1] = string.format("only %s rose (%s)", top.seg, fig(top))
      elseif risers > 1 then parts[#parts + 1] = string.format("%s rose the most (%s)", top.seg, fig(top)) end
      if fallers == 1 then parts[#parts + 1] = string.format("only %s fell (%s)", bottom.seg, fig(bottom))
      elseif fallers > 1 then parts[#parts + 1] = string.format("%s fell the most (%s)", bottom.seg, fig(bottom)) end
      if #parts == 0 then
        out = out .. " No segment changed."
      else
        out = out .. " Among the segments, " .. quire.join(parts) .. "."
      end
    end
  end
  if #fresh > 0 then
    local t = {}
    for k, e in ipairs(fresh) do
      t[k] = string.format("%s (%s to %s)", e.seg, r.format(kpi, e.old), r.format(kpi, e.new))
    end
    out = out .. string.format(" %s %s new this period.", quire.join(t), #fresh == 1 and "is" or "are")
  end
  if #missing > 0 then
    out = out .. string.format(" No data for %s in %s or %s.", quire.join(missing), quire.month_label(r.months[first]),
      quire.month_label(r.months[last]))
  end
  return out
end
