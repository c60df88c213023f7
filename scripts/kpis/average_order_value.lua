-- average_order_value: revenue per order over the last 12 months of the
-- segment's customers (a segment such as Inactive places no orders in the
-- month itself, so a trailing window is what makes segments comparable).
--   value = s.revenue_12m / s.orders_12m          (nil when no order in 12 months)
-- Unit currency; higher is better.
-- Needs the measures orders: count, revenue: sum(amount) and the 12-month window.
return {
  label = "Average order value",
  description = "12-month revenue divided by 12-month orders of the segment's customers.",
  unit = "currency",
  decimals = 2,
  higher_is_better = true,
  needs = { "revenue_12m", "orders_12m" },
  value = function(s)
    return quire.ratio(s.revenue_12m, s.orders_12m)
  end,
}
