-- Website visits per customer: visits in the month over the segment's customers.
return {
  label = "Website visits per customer",
  description = "Website visits in the month divided by the segment's customers.",
  unit = "number",
  decimals = 1,
  higher_is_better = true,
  value = function(s)
    if s.customers == 0 then
      return nil
    end
    return s.web_visits / s.customers
  end,
}
