-- retention_cost: what keeping a customer cost: last month's retention spend
-- on the segment over the members of last month's segment who are not in a
-- churned segment now (s.retained).
--   value = prev.retention_spend / s.retained
-- The spend is the segment-keyed fact retention_spend: sum(retention) (the
-- rows of spend.csv naming the segment; All: every row of the month). For a
-- churned segment (Inactive) it is the cost per win-back.
-- Nil when last month has no spend row for the segment or nobody was kept.
-- Unit currency; lower is better.
return {
  label = "Retention cost",
  description = "Last month's retention spend on the segment per member not lost this month.",
  unit = "currency",
  decimals = 2,
  higher_is_better = false,
  needs = { "retention_spend" },
  value = function(s, prev)
    if prev == nil then
      return nil
    end
    return quire.ratio(prev.retention_spend, s.retained)
  end,
}
