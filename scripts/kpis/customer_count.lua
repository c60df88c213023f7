-- customer_count: the customers in the segment at the end of the month.
--   value = s.customers
-- Unit count; higher is better. Needs nothing beyond the segments.
return {
  label = "Customer count",
  description = "Customers assigned to the segment at the end of the month.",
  unit = "count",
  higher_is_better = true,
  value = function(s)
    return s.customers
  end,
}
