-- clv_growth: relative change of the segment's predicted CLV (clv_predicted)
-- against the month before.
--   clv(t)  = gross_margin * mean monthly revenue(t) * expected months(retention(t))
--             (see clv_predicted.lua: monthly revenue = revenue_12m /
--             min(12, tenure_months + 1); retention = retained / prev_customers;
--             expected months = sum of retention^k, k = 0 .. 35)
--   value   = clv(this month) / clv(last month) - 1
-- When last month's retention is unknown (the first month that has segments,
-- i.e. the month before the report), this month's retention stands in for it,
-- so the first report month shows the change in monthly revenue alone.
-- gross_margin cancels out. Unit percent; higher is better.
-- Needs revenue: sum(amount), the 12-month window and entities.since.
local HORIZON = 36

local function expected_months(retention)
  if retention >= 1 then
    return HORIZON
  end
  return (1 - retention ^ HORIZON) / (1 - retention)
end

local function retention(t)
  return quire.ratio(t.retained, t.prev_customers)
end

local function clv(t, ret)
  local pc = t.per_customer
  local monthly = pc and quire.ratio(pc.sum, pc.count)
  if ret == nil or monthly == nil then
    return nil
  end
  return monthly * expected_months(ret)
end

return {
  label = "CLV growth",
  description = "Change of the segment's predicted customer lifetime value against last month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "revenue_12m", "tenure_months" },
  customer = function(c)
    if c.revenue_12m == nil then
      return nil
    end
    return c.revenue_12m / math.min(12, (c.tenure_months or 11) + 1)
  end,
  value = function(s, prev)
    if prev == nil then
      return nil
    end
    local r = retention(s)
    local growth = quire.ratio(clv(s, r), clv(prev, retention(prev) or r))
    return growth and growth - 1
  end,
}
