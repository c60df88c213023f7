-- csat: customer satisfaction: the share of survey answers of the last 3
-- months (this one included) that rate 4 or 5 on the 1-5 CSAT scale.
--   value = s.csat_satisfied_3m / s.csat_answers_3m
-- Three months so that small segments have answers. Unit percent; higher is
-- better. Needs, on the surveys source, csat_answers: count(csat) and
-- csat_satisfied: count(csat >= 4) with the 3-month window.
return {
  label = "Satisfaction (CSAT)",
  description = "Share of CSAT answers of the last 3 months that rate 4 or 5 out of 5.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "csat_satisfied_3m", "csat_answers_3m" },
  value = function(s)
    return quire.ratio(s.csat_satisfied_3m, s.csat_answers_3m)
  end,
}
