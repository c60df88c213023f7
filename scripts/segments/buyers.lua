-- A segment rule for shops whose customers are known from their orders
-- alone (entities since: min(order date)): this month's buyers by what they
-- spent, and the customers who did not buy this month.
--
-- Called once per customer and month with a record `c` (docs/spec.md):
--   c.tenure_months   whole months since the customer's first order
--                     (0 in the month of the first order)
--   c.revenue         what the customer spent in the month
--   c.has_orders      1 when the customer ordered in the month, else 0
-- It returns one of the segment names the spec lists.

local TOP_REVENUE = 1000      -- a month's spend that makes a top buyer

return function(c)
  if c.has_orders == 0 then
    return "Lapsed"
  end
  if c.revenue >= TOP_REVENUE then
    return "Top buyers"
  end
  if c.tenure_months == 0 then
    return "New"
  end
  return "Returning"
end
