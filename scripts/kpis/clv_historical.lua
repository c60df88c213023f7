-- clv_historical: gross margin earned per customer so far: the segment's
-- revenue since the first loaded month (periods.history months before the
-- report) times the gross margin, per customer of the segment.
--   value = gross_margin * s.revenue_lifetime / s.customers
-- gross_margin is the spec parameter of that name (quire.params.gross_margin),
-- 0.30 when the spec has none. Unit currency; higher is better.
-- Needs revenue: sum(amount) and the lifetime window (features.windows).
local DEFAULT_MARGIN = 0.30

local function gross_margin()
  local p = type(quire) == "table" and quire.params or nil
  return (p and tonumber(p.gross_margin)) or DEFAULT_MARGIN
end

return {
  label = "Historical CLV",
  description = "Gross margin of the segment's customers' revenue to date, per customer.",
  unit = "currency",
  decimals = 2,
  higher_is_better = true,
  needs = { "revenue_lifetime" },
  value = function(s)
    return quire.ratio(gross_margin() * s.revenue_lifetime, s.customers)
  end,
}
