-- nps_change: the change of the segment's NPS (see nps.lua: 3-month window)
-- against the month before, in points.
--   nps(t) = 100 * (promoters_3m - detractors_3m) / nps_answers_3m
--   value  = nps(this month) - nps(last month)
-- The segment is compared with itself: last month's members, last month.
-- Unit score (points); higher is better. Needs what nps needs.
local function nps(t)
  if t == nil then
    return nil
  end
  return quire.ratio(100 * (t.promoters_3m - t.detractors_3m), t.nps_answers_3m)
end

return {
  label = "NPS change (points)",
  description = "Change of the segment's 3-month Net Promoter Score against last month, in points.",
  unit = "score",
  decimals = 1,
  higher_is_better = true,
  needs = { "promoters_3m", "detractors_3m", "nps_answers_3m" },
  value = function(s, prev)
    local now, before = nps(s), nps(prev)
    if now == nil or before == nil then
      return nil
    end
    return now - before
  end,
}
