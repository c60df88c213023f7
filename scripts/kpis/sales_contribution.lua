-- sales_contribution: the segment's share of all customers' revenue in the
-- month. The segments' contributions of a month add up to 1 (All is 1).
--   value = s.revenue / s.all.revenue             (nil when nobody bought)
-- Unit percent; higher is better. At Risk and Inactive contribute 0 by the
-- stock rule's definition (no order in the last 60 days).
-- Needs the measure revenue: sum(amount).
return {
  label = "Contribution to sales",
  description = "The segment's revenue in the month divided by all customers' revenue.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "revenue" },
  value = function(s)
    return quire.ratio(s.revenue, s.all.revenue)
  end,
}
