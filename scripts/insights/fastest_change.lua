-- fastest_change.lua: which segments grew and which shrank the fastest by a
-- KPI between two months of the report (by default the first and the last).
--
-- Arguments (the question's `with:`):
--   kpi    the KPI to compare (default customer_count)
--   from   the earlier month: "YYYY-MM" or an index 1..n (default the first)
--   to     the later month (default the last)
-- Changes are relative (+25.2%), or in percentage points for percent KPIs.
-- Segments without a value in either month are named as missing. A 0 is a
-- value: a segment that starts at 0 is new ("At Risk is new this period (0
-- to 1,888)"), not missing and not a percentage.
--
-- Negative changes carry a minus sign (U+2212); months and "pts" are joined
-- to their number by a no-break space.
--
-- Example: "Between Feb 2024 and Apr 2024, VIP grew the fastest (customer
-- count 2,205 to 2,761, +25.2%), followed by Inactive (+21.7%); Regular shrank
-- the fastest (2,988 to 2,670, −10.6%), followed by At Risk (−9.6%). All
-- customers: 9,389 to 10,000 (+6.5%)."

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "fastest_change", "customer_count")
  local label = info.phrase
  if not info.available then
    return quire.unavailable(info, "there is no change to compare")
  end
  local a = r.month_index(args.from, 1)
  local b = r.month_index(args.to, #r.months)
  if a >= b then
    return "The report covers a single " .. r.grain .. " (" .. quire.month_label(r.months[b]) ..
      "), so there is no change to compare yet."
  end
  local up_word, down_word = "rose", "fell"
  if info.unit == "count" then up_word, down_word = "grew", "shrank" end

  local ups, downs, flat, fresh, missing = {}, {}, {}, {}, {}
  for _, seg in ipairs(r.segments) do
    local old, new = r.value(kpi, seg, a), r.value(kpi, seg, b)
    local text, d = quire.change_text(new, old, info.unit)
    if text == nil then
      missing[#missing + 1] = seg
    else
      local e = { seg = seg, d = d, text = text, old = old, new = new }
      if e.d == math.huge or e.d == -math.huge then fresh[#fresh + 1] = e
      elseif e.d > 0 then ups[#ups + 1] = e
      elseif e.d < 0 then downs[#downs + 1] = e
      else flat[#flat + 1] = e end
    end
  end
  table.sort(ups, function(x, y) return x.d > y.d end)
  table.sort(downs, function(x, y) return x.d < y.d end)

  local function lead(e, word, with_label)
    return string.format("%s %s the fastest (%s%s to %s, %s)", e.seg, word,
      with_label and (label .. " ") or "", r.format(kpi, e.old), r.format(kpi, e.new), e.text)
  end
  local parts = {}
  if #fresh > 0 then
    local function fig(e) return r.format(kpi, e.old) .. " to " .. r.format(kpi, e.new) end
    if #fresh == 1 then
      parts[#parts + 1] = string.format("%s is new this period (%s)", fresh[1].seg, fig(fresh[1]))
    else
      local t = {}
      for k, e in ipairs(fresh) do t[k] = e.seg .. " (" .. fig(e) .. ")" end
      parts[#parts + 1] = quire.join(t) .. " are new this period"
    end
  end
  if #ups > 0 then
    local s = lead(ups[1], up_word, true)
    if ups[2] then s = s .. ", followed by " .. ups[2].seg .. " (" .. ups[2].text .. ")" end
    parts[#parts + 1] = s
  end
  if #downs > 0 then
    local s = lead(downs[1], down_word, #ups == 0)
    if downs[2] then s = s .. ", followed by " .. downs[2].seg .. " (" .. downs[2].text .. ")" end
    parts[#parts + 1] = s
  end
  local period = "Between " .. quire.month_label(r.months[a]) .. " and " .. quire.month_label(r.months[b])
  local out
  if #parts == 0 then
    if #flat == 0 then
      return period .. ", no segment has a " .. label .. " in both " .. r.grain .. "s, so there is no change to compare."
    end
    out = period .. ", no segment's " .. label .. " changed (to one decimal)"
  else
    out = period .. ", " .. table.concat(parts, "; ")
    if #ups + #fresh > 0 and #downs == 0 then out = out .. "; no segment " .. down_word end
    if #downs > 0 and #ups + #fresh == 0 then out = out .. "; no segment " .. up_word end
  end
  if #parts > 0 and #flat > 0 then
    local names = {}
    for k, e in ipairs(flat) do names[k] = e.seg end
    out = out .. "; " .. quire.join(names) .. " did not change"
  end
  out = out .. "."
  if #missing > 0 then
    out = out .. " No data for " .. quire.join(missing) .. " in one of the two " .. r.grain .. "s."
  end
  local old, new = r.value(kpi, "All", a), r.value(kpi, "All", b)
  if old ~= nil and new ~= nil then
    local text = quire.change_text(new, old, info.unit)
    out = out .. string.format(" All customers: %s to %s%s.", r.format(kpi, old), r.format(kpi, new),
      text and (" (" .. text .. ")") or "")
  end
  return out
end
