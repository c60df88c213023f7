-- relationship.lua: how two KPIs go together across segments (and months):
-- Pearson's correlation over every segment-month with both values, stated
-- as an association between segments, not as cause and effect.
--
-- Arguments (the question's `with:`):
--   x       the first KPI (required)
--   y       the second KPI (required)
--   months  all (default: every month of the report) or last (the last only)
-- Strength: |r| of 0.7 or more is strong, 0.4 moderate, 0.2 weak, below that
-- there is no clear relationship.
--
-- Example: "Segments with higher website visits per customer tend to have
-- higher average order value (r = 0.67, a moderate relationship, across 15
-- segment-months). With 5 segments this describes how the segments differ,
-- not what causes what."

return function(r, args)
  local x = args.x or error("relationship needs the arguments x and y (two KPIs)")
  local y = args.y or error("relationship needs the arguments x and y (two KPIs)")
  local ix, iy = quire.kpi_info(r, x), quire.kpi_info(r, y)
  if args.months ~= nil and args.months ~= "all" and args.months ~= "last" then
    error("months is all or last, not \"" .. tostring(args.months) .. "\"")
  end
  local lx, ly = ix.phrase, iy.phrase
  if not ix.available or not iy.available then
    return quire.unavailable(ix.available and iy or ix, "the relationship cannot be measured")
  end
  local first = args.months == "last" and #r.months or 1
  local xs, ys, pairs_n, segs = {}, {}, 0, {}
  for _, seg in ipairs(r.segments) do
    for i = first, #r.months do
      local a, b = r.value(x, seg, i), r.value(y, seg, i)
      if a ~= nil and b ~= nil then
        pairs_n = pairs_n + 1
        xs[pairs_n], ys[pairs_n] = a, b
        segs[seg] = true
      end
    end
  end
  local nseg = 0
  for _ in pairs(segs) do nseg = nseg + 1 end
  local unit = first == #r.months and "segment" or "segment-" .. r.grain
  local across = quire.plural(pairs_n, unit, unit .. "s")
  local cor = quire.correlation(xs, ys)
  if cor == nil then
    if pairs_n < 3 then
      return string.format("Only %s %s both %s and %s, too few to measure a relationship.", across,
        pairs_n == 1 and "has" or "have", lx, ly)
    end
    return string.format("Across %s, %s or %s does not vary, so there is no relationship to measure.",
      across, lx, ly)
  end
  local a = math.abs(cor)
  local rtext = string.format("r\u{A0}=\u{A0}%s%s", cor < 0 and "\u{2212}" or "", quire.format(math.abs(cor), "number", 2))
  local out
  if a < 0.2 then
    out = string.format("There is no clear relationship between %s and %s across %s (%s).", lx, ly, across, rtext)
  else
    local strength = a >= 0.7 and "strong" or a >= 0.4 and "moderate" or "weak"
    out = string.format("Segments with higher %s tend to have %s %s (%s, a %s relationship, across %s).",
      lx, cor > 0 and "higher" or "lower", ly, rtext, strength, across)
  end
  if nseg < 3 then
    out = out .. string.format(" With %s, this is too little to generalise.", quire.plural(nseg, "segment", "segments"))
  else
    out = out .. string.format(" With %d segments this describes how the segments differ, not what causes what.", nseg)
  end
  return out
end
