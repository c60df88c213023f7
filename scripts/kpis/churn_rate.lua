-- churn_rate: of the customers in the segment last month, the share who are
-- in a churned segment (churned: true in the spec, Inactive in the stock
-- reports) this month.
--   value = (s.prev_customers - s.retained) / s.prev_customers
-- For a churned segment itself this is the share who stayed lost (1 minus the
-- win-back rate). For All, last month's customers outside churned segments.
-- Unit percent; lower is better. Needs only the segments.
return {
  label = "Churn rate",
  description = "Share of last month's segment members who are in a churned segment now.",
  unit = "percent",
  decimals = 1,
  higher_is_better = false,
  value = function(s)
    return quire.ratio(s.prev_customers - s.retained, s.prev_customers)
  end,
}
