-- repeat_purchase_rate: of the segment's customers who ordered in the last
-- 12 months, the share who ordered at least twice.
--   per customer: 1 when orders_12m >= 2, 0 when orders_12m == 1,
--                 skipped when orders_12m == 0
--   value = per_customer.sum / per_customer.count
-- Unit percent; higher is better. Nil when nobody in the segment ordered.
-- Needs the measure orders: count and the 12-month window.
return {
  label = "Repeat purchase rate",
  description = "Share of the segment's 12-month buyers with two or more orders in 12 months.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "orders_12m" },
  customer = function(c)
    local n = c.orders_12m
    if n == nil or n == 0 then
      return nil
    end
    return n >= 2 and 1 or 0
  end,
  value = function(s)
    local pc = s.per_customer
    return pc and quire.ratio(pc.sum, pc.count)
  end,
}
