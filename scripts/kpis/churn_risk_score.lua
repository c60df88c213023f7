-- churn_risk_score, 0-100: how overdue each customer's next order is against
-- the customer's own purchase rhythm, averaged over the segment.
--   months   = min(12, tenure_months + 1)     months the customer could order in
--   gap      = 30.44 * months / orders_12m    the customer's usual days between orders
--              (DEFAULT_GAP days when there was no order in 12 months)
--   r        = days_since_last_order / gap    1: the next order is due now
--   score    = 100 * r^2 / (1 + r^2)          r 0.5: 20, r 1: 50, r 2: 80, r 3: 90
--   value    = mean score of the segment's customers
-- A weekly buyer silent for a month scores 94; a quarterly buyer silent for
-- a month scores 10. Unit score; lower is better.
-- Needs orders: count, last_order: max(order_date), the 12-month window and
-- entities.since (tenure_months).
local DAYS_PER_MONTH = 30.44
local DEFAULT_GAP = 60        -- days; the rhythm assumed for a customer with no order in 12 months

return {
  label = "Churn risk score",
  description = "Days since the last order against each customer's own order rhythm, 0-100, averaged.",
  unit = "score",
  decimals = 1,
  higher_is_better = false,
  needs = { "days_since_last_order", "orders_12m", "tenure_months" },
  customer = function(c)
    local d = c.days_since_last_order
    if d == nil then
      return nil
    end
    local n = c.orders_12m
    local gap = DEFAULT_GAP
    if n and n > 0 then
      local months = (c.tenure_months or 11) + 1
      if months > 12 then
        months = 12
      end
      gap = DAYS_PER_MONTH * months / n
    end
    local r = d / gap
    r = r * r
    return 100 * r / (1 + r)
  end,
  -- no value(): the KPI is the mean of customer() over the segment
}
