-- purchase_frequency: orders per customer over the last 12 months.
--   value = s.orders_12m / s.customers
-- Unit number (orders); higher is better. Customers who joined less than a
-- year ago have had fewer months to order, so young segments (New) read low.
-- Needs the measure orders: count and the 12-month window.
return {
  label = "Purchase frequency (orders per customer, 12 months)",
  description = "Orders placed in the last 12 months divided by the segment's customers.",
  unit = "number",
  decimals = 2,
  higher_is_better = true,
  needs = { "orders_12m" },
  value = function(s)
    return quire.ratio(s.orders_12m, s.customers)
  end,
}
