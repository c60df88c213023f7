-- Churn risk score, 0-100: the segment's mean days since the last order,
-- against a 180-day horizon (180 days or more without an order scores 100).
local HORIZON_DAYS = 180

return {
  label = "Churn risk score",
  description = "Mean days since the last order over 180 days, as a 0-100 score.",
  unit = "score",
  decimals = 1,
  higher_is_better = false,
  value = function(s)
    if s.customers == 0 then
      return nil
    end
    local mean_days = s.days_since_last_order / s.customers
    return math.min(100, 100 * mean_days / HORIZON_DAYS)
  end,
}
