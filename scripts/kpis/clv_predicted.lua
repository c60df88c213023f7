-- clv_predicted: the gross margin a customer of the segment is expected to
-- bring over the next HORIZON months (this one included).
--   per customer: monthly revenue = revenue_12m / min(12, tenure_months + 1)
--                 (purchase rate x order value over the months the customer
--                 could order in)
--   retention    = s.retained / s.prev_customers  (last month's members not
--                  churned now; 1 - churn_rate)
--   months       = sum over t = 0 .. HORIZON-1 of retention^t
--                = (1 - retention^HORIZON) / (1 - retention), HORIZON when 1
--   value        = gross_margin * mean monthly revenue * months
-- The capped horizon keeps it finite when retention is 1. gross_margin is
-- quire.params.gross_margin, 0.30 when the spec has none. Unit currency;
-- higher is better. Nil in a month whose previous month has no segments.
-- Needs revenue: sum(amount), the 12-month window and entities.since.
local DEFAULT_MARGIN = 0.30
local HORIZON = 36            -- months

local function gross_margin()
  local p = type(quire) == "table" and quire.params or nil
  return (p and tonumber(p.gross_margin)) or DEFAULT_MARGIN
end

local function expected_months(retention)
  if retention >= 1 then
    return HORIZON
  end
  return (1 - retention ^ HORIZON) / (1 - retention)
end

return {
  label = "Predicted CLV",
  description = "Expected gross margin per customer over the next 36 months, from monthly revenue and retention.",
  unit = "currency",
  decimals = 2,
  higher_is_better = true,
  needs = { "revenue_12m", "tenure_months" },
  customer = function(c)
    if c.revenue_12m == nil then
      return nil
    end
    return c.revenue_12m / math.min(12, (c.tenure_months or 11) + 1)
  end,
  value = function(s)
    local pc = s.per_customer
    local retention = quire.ratio(s.retained, s.prev_customers)
    local monthly = pc and quire.ratio(pc.sum, pc.count)
    if retention == nil or monthly == nil then
      return nil
    end
    return gross_margin() * monthly * expected_months(retention)
  end,
}
