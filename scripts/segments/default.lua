-- The default segment rule: recency, frequency and value, with tenure.
--
-- Called once per customer and month with a record `c` of that customer's
-- features as of the end of the month (see docs/spec.md, "The segment rule"):
--   c.tenure_months           whole months since sign-up (0 in the sign-up month)
--   c.days_since_last_order   days from the month's end to the last order
--                             (to sign-up when there is no order yet)
--   c.orders_12m, c.revenue_12m   orders and revenue over the last 12 months
--   c.orders_3m               orders over the last 3 months
-- It returns one of the segment names declared in the spec.

local NEW_MONTHS = 2          -- customers in their first two months are New
local AT_RISK_DAYS = 60       -- no order for this long: At Risk
local INACTIVE_DAYS = 120     -- no order for this long: Inactive
local VIP_REVENUE = 2000      -- 12-month revenue of a VIP...
local VIP_ORDERS = 12         -- ...or this many orders in 12 months

return function(c)
  if c.tenure_months < NEW_MONTHS then
    return "New"
  end
  local recency = c.days_since_last_order
  if recency > INACTIVE_DAYS then
    return "Inactive"
  end
  if recency > AT_RISK_DAYS then
    return "At Risk"
  end
  if c.revenue_12m >= VIP_REVENUE or c.orders_12m >= VIP_ORDERS then
    return "VIP"
  end
  return "Regular"
end
