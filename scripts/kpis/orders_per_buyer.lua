-- orders_per_buyer: orders in the month per customer who ordered.
--   value = s.orders / s.has_orders        (nil when nobody ordered)
-- Unit number; higher is better. Needs the measure orders: count.
return {
  label = "Orders per buyer",
  description = "Orders placed in the month divided by the customers who ordered.",
  unit = "number",
  decimals = 2,
  higher_is_better = true,
  needs = { "orders", "has_orders" },
  value = function(s)
    return quire.ratio(s.orders, s.has_orders)
  end,
}
