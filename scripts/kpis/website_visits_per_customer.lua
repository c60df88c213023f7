-- website_visits_per_customer: visits in the month over the segment's customers.
--   value = s.web_visits / s.customers
-- Unit number; higher is better. Needs web_visits (a sum measure).
return {
  label = "Website visits per customer",
  description = "Website visits in the month divided by the segment's customers.",
  unit = "number",
  decimals = 1,
  higher_is_better = true,
  needs = { "web_visits" },
  value = function(s)
    return quire.ratio(s.web_visits, s.customers)
  end,
}
