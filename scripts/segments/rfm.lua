-- The RFM segment of the models stage (docs/analytics.md), as the segment.
return function(c)
  return c.rfm.segment or "Others"
end
