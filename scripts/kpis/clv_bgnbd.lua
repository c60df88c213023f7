-- Predicted lifetime value per customer from the models stage's BG/NBD and
-- Gamma-Gamma models (models: clv, docs/analytics.md): the segment's mean
-- expected revenue over the model's horizon. Only the report's last month
-- has a value.
return {
  label = "Predicted CLV (BG/NBD)",
  description = "Mean revenue expected from the segment's customers over the model's horizon",
  unit = "currency",
  decimals = 0,
  higher_is_better = true,
  customer = function(c)
    return c.clv.value
  end,
  value = function(s)
    local pc = s.per_customer
    if pc.count == 0 then return nil end
    return pc.sum / pc.count
  end,
}
