-- buyers: the segment's customers who ordered in the month.
--   value = s.has_orders
-- Unit count; higher is better. Needs the measure orders: count.
return {
  label = "Buyers",
  description = "Customers of the segment who placed an order in the month.",
  unit = "count",
  higher_is_better = true,
  needs = { "has_orders" },
  value = function(s)
    return s.has_orders
  end,
}
