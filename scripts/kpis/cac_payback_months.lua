-- cac_payback_months: months of gross margin it takes a customer of the
-- segment to pay back what acquiring them cost.
--   cac            = s.acquisition_cost / s.has_acquisition_cost   (see cac.lua)
--   monthly margin = gross_margin * mean over customers of
--                    revenue_12m / min(12, tenure_months + 1)
--   value          = cac / monthly margin        (nil when the margin is 0)
-- gross_margin is the spec parameter of that name (a fraction): a spec that
-- lists this KPI declares it, with its default, under parameters:.
-- Unit months; lower is better. Segments that hardly buy (Inactive) take
-- long: their monthly margin is small.
-- Needs entities.attributes: [acquisition_cost], revenue: sum(amount), the
-- 12-month window and entities.since.
local GROSS_MARGIN = quire.param("gross_margin")

return {
  label = "CAC payback (months)",
  description = "Acquisition cost over monthly gross margin per customer of the segment.",
  unit = "months",
  decimals = 1,
  higher_is_better = false,
  needs = { "acquisition_cost", "has_acquisition_cost", "revenue_12m", "tenure_months" },
  customer = function(c)
    if c.revenue_12m == nil then
      return nil
    end
    return c.revenue_12m / math.min(12, (c.tenure_months or 11) + 1)
  end,
  value = function(s)
    local pc = s.per_customer
    local cac = quire.ratio(s.acquisition_cost, s.has_acquisition_cost)
    local margin = pc and quire.ratio(GROSS_MARGIN * pc.sum, pc.count)   -- monthly, per customer
    if cac == nil or margin == nil or margin <= 0 then
      return nil
    end
    return cac / margin
  end,
}
