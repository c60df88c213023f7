-- revenue: the segment's revenue in the month.
--   value = s.revenue                 (sum of order amounts in the month)
-- Unit currency; higher is better. Needs the measure revenue: sum(amount).
return {
  label = "Revenue",
  description = "Order revenue of the segment's customers in the month.",
  unit = "currency",
  decimals = 0,
  higher_is_better = true,
  needs = { "revenue" },
  value = function(s)
    return s.revenue
  end,
}
