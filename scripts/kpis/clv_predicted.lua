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
-- the spec parameter of that name (a fraction): a spec that lists this KPI
-- declares it, with its default, under parameters:. Unit currency; higher is
-- better. Nil in a month whose previous month has no segments.
-- Needs revenue: sum(amount), the 12-month window and entities.since.
local GROSS_MARGIN = quire.param("gross_margin")
local HORIZON = 36            -- months

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
    return GROSS_MARGIN * monthly * expected_months(retention)
  end,
}
