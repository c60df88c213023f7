-- Retention rate: of the customers in the segment last month, the share that
-- is in a segment not marked `churned` (Inactive) this month.
return {
  label = "Retention rate",
  description = "Share of last month's segment members not churned this month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  value = function(s)
    if s.prev_customers == 0 then
      return nil
    end
    return s.retained / s.prev_customers
  end,
}
