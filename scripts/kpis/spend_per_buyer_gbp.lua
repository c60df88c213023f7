-- spend_per_buyer_gbp: sales in the month per customer who ordered, in
-- pounds sterling.
--   value = s.revenue / s.has_orders   (nil when nobody ordered)
-- Unit number; higher is better. Needs the measures revenue and orders.
return {
  label = "Spend per buyer (£)",
  description = "Sales in the month divided by the customers who ordered, in pounds.",
  unit = "number",
  decimals = 0,
  higher_is_better = true,
  needs = { "revenue", "has_orders" },
  value = function(s)
    return quire.ratio(s.revenue, s.has_orders)
  end,
}
