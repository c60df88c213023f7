-- sales_gbp: the segment's sales in the month, in pounds sterling.
--   value = s.revenue                 (sum of line amounts in the month)
-- Unit number (the report's currency symbol is the dollar; this KPI says
-- pounds in its label); higher is better. Needs the measure revenue.
return {
  label = "Sales (£)",
  description = "Sales of the segment's customers in the month, in pounds.",
  unit = "number",
  decimals = 0,
  higher_is_better = true,
  needs = { "revenue" },
  value = function(s)
    return s.revenue
  end,
}
