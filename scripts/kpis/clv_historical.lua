-- clv_historical: gross margin earned per customer so far: the segment's
-- revenue since the first loaded month (periods.history months before the
-- report) times the gross margin, per customer of the segment.
--   value = gross_margin * s.revenue_lifetime / s.customers
-- gross_margin is the spec parameter of that name (a fraction): a spec that
-- lists this KPI declares it, with its default, under parameters:. Unit
-- currency; higher is better.
-- Needs revenue: sum(amount) and the lifetime window (features.windows).
local GROSS_MARGIN = quire.param("gross_margin")

return {
  label = "Historical CLV",
  description = "Gross margin of the segment's customers' revenue to date, per customer.",
  unit = "currency",
  decimals = 2,
  higher_is_better = true,
  needs = { "revenue_lifetime" },
  value = function(s)
    return quire.ratio(GROSS_MARGIN * s.revenue_lifetime, s.customers)
  end,
}
