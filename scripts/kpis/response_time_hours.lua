-- response_time_hours: mean hours to the first response, per ticket opened
-- in the last 3 months (this one included) that has a response time.
--   value = s.response_hours_3m / s.responses_3m
-- Three months so that small segments have tickets. Unit number (hours);
-- lower is better. Needs, on the tickets source, response_hours:
-- sum(response_hours) and responses: count(response_hours), 3-month window.
return {
  label = "First response time (hours)",
  description = "Mean hours to the first response per ticket opened in the last 3 months.",
  unit = "number",
  decimals = 1,
  higher_is_better = false,
  needs = { "response_hours_3m", "responses_3m" },
  value = function(s)
    return quire.ratio(s.response_hours_3m, s.responses_3m)
  end,
}
