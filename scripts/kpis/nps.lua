-- nps: Net Promoter Score over the answers of the last 3 months: the share
-- of promoters (9-10) minus the share of detractors (0-6), in points.
--   value = 100 * (s.promoters_3m - s.detractors_3m) / s.nps_answers_3m
-- From -100 to 100. Unit score; higher is better. Needs, on the surveys
-- source, nps_answers: count(nps), promoters: count(nps >= 9) and
-- detractors: count(nps <= 6), with the 3-month window.
return {
  label = "Net Promoter Score",
  description = "Promoters minus detractors, in points, over the NPS answers of the last 3 months.",
  unit = "score",
  decimals = 1,
  higher_is_better = true,
  needs = { "promoters_3m", "detractors_3m", "nps_answers_3m" },
  value = function(s)
    return quire.ratio(100 * (s.promoters_3m - s.detractors_3m), s.nps_answers_3m)
  end,
}
