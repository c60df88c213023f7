-- Names for the k-means clusters of reports/rfm_cohorts.yaml, from each
-- cluster's profile: its mean recency (days), orders and revenue over 12
-- months. The thresholds are this report's choice; adjust them to your data.
return function(p)
  local days, orders, revenue = p.days_since_last_order, p.orders_12m, p.revenue_12m
  if days > 180 then return string.format("Dormant (%d)", p.id) end
  if revenue >= 1000 or orders >= 8 then return string.format("High value (%d)", p.id) end
  if days <= 45 then return string.format("Active (%d)", p.id) end
  return string.format("Cooling (%d)", p.id)
end
