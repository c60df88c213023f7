-- retention_rate: of the customers in the segment last month, the share who
-- ordered again this month (s.cohort holds last month's members as they are
-- this month; has_orders counts those with at least one order).
--   value = s.cohort.has_orders / s.cohort.customers
-- Unit percent; higher is better. Needs the measure orders: count.
return {
  label = "Retention rate",
  description = "Share of last month's segment members who ordered again this month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "has_orders" },
  value = function(s)
    return quire.ratio(s.cohort.has_orders, s.cohort.customers)
  end,
}
