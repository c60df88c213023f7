-- The mean churn propensity score (0-100) of the segment's customers, from
-- the models stage's churn model (models: churn, docs/analytics.md).
return {
  label = "Churn propensity",
  description = "Mean modelled probability (0-100) of no order in the model's horizon",
  unit = "score",
  decimals = 1,
  higher_is_better = false,
  customer = function(c)
    return c.churn.score
  end,
  value = function(s)
    local pc = s.per_customer
    if pc.count == 0 then return nil end
    return pc.sum / pc.count
  end,
}
