-- concerning.lua: which segments' KPI moved the bad way (down when higher is
-- better, up when lower is better) by more than a threshold between the
-- report's first and last months, or that none did.
--
-- Arguments (the question's `with:`):
--   kpi        the KPI (required)
--   threshold  how large a bad move counts: percentage points for percent
--              KPIs, else a relative change in percent (default 2)
--
-- Example: "Between Jan 2024 and Mar 2024, the spend per customer fell by
-- more than 10% in 1 segment: Mid ($40.00 to $35.00, −12.5%)." or "No
-- segment's retention rate fell by more than 2 percentage points between Feb
-- 2024 and Apr 2024: every segment held steady or improved; Inactive improved
-- the least (+0.4 pts)."

local function number(x)
  -- one decimal at most, as the report's locale writes it ("2.5", "2,5", "2")
  return (quire.format(x, "number", 1):gsub("[.,]0$", ""))
end

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "concerning")
  local threshold = args.threshold or 2
  if type(threshold) ~= "number" or threshold < 0 then
    error("threshold is a number of at least 0, not \"" .. tostring(threshold) .. "\"")
  end
  local label = info.phrase
  if not info.available then
    return quire.unavailable(info, "its trends cannot be judged")
  end
  local n = #r.months
  if n < 2 then
    return "The report covers a single " .. r.grain .. " (" .. quire.month_label(r.months[1]) .. "), so there is no trend to judge yet."
  end
  -- sign: +1 when a rise is bad.
  local sign = info.higher_is_better and -1 or 1
  local bad_word = sign > 0 and "rose" or "fell"
  local noun = sign > 0 and "rise" or "fall"
  local size = info.unit == "percent" and (number(threshold) .. " percentage " .. (threshold == 1 and "point" or "points"))
    or (number(threshold) .. "%")
  local period = quire.month_label(r.months[1]) .. " and " .. quire.month_label(r.months[n])

  local bad, rest, missing = {}, {}, {}
  for _, seg in ipairs(r.segments) do
    local old, new = r.value(kpi, seg, 1), r.value(kpi, seg, n)
    local text, d = quire.change_text(new, old, info.unit)
    if text == nil then
      missing[#missing + 1] = seg
    else
      -- bad: how far the wrong way, in percent or points like the threshold
      local e = { seg = seg, bad = 100 * d * sign, text = text, old = old, new = new }
      if e.bad > threshold then bad[#bad + 1] = e else rest[#rest + 1] = e end
    end
  end
  table.sort(bad, function(x, y) return x.bad > y.bad end)
  table.sort(rest, function(x, y) return x.bad > y.bad end)

  local out
  if #bad > 0 then
    local t = {}
    for _, e in ipairs(bad) do
      t[#t + 1] = string.format("%s (%s to %s, %s)", e.seg, r.format(kpi, e.old), r.format(kpi, e.new), e.text)
    end
    out = string.format("Between %s, the %s %s by more than %s in %d %s: %s.", period, label, bad_word, size,
      #bad, #bad == 1 and "segment" or "segments", quire.join(t))
    local next_bad = rest[1]
    if next_bad and next_bad.bad > 0 then
      out = out .. string.format(" The next largest %s: %s (%s).", noun, next_bad.seg, next_bad.text)
    end
  else
    out = string.format("No segment's %s %s by more than %s between %s", label, bad_word, size, period)
    local worst = rest[1]
    if worst == nil then
      out = out .. "."
    elseif worst.bad > 0 then
      out = out .. string.format("; the largest %s was %s (%s to %s, %s).", noun, quire.possessive(worst.seg),
        r.format(kpi, worst.old), r.format(kpi, worst.new), worst.text)
    else
      out = out .. ": every segment held steady or improved"
      if worst.bad < 0 then
        out = out .. string.format("; %s improved the least (%s)", worst.seg, worst.text)
      end
      out = out .. "."
    end
  end
  if #missing > 0 then
    out = out .. " No data for " .. quire.join(missing) .. " in " .. quire.month_label(r.months[1]) .. " or "
      .. quire.month_label(r.months[n]) .. "."
  end
  return out
end
