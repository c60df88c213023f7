-- brand_equity, 0-100: how the segment's customers rate the brand in the
-- brand surveys of the last 12 months (this one included): awareness,
-- perceived quality and loyalty (each 1-5), weighted equally, rescaled so
-- that 1 on every question is 0 and 5 on every question is 100.
--   mean  = (awareness_12m + quality_12m + loyalty_12m) / (3 * brand_answers_12m)
--   value = 100 * (mean - 1) / 4
-- Twelve months: brand surveys are rare. Unit score; higher is better.
-- Needs, on the brand source, brand_answers: count, awareness:
-- sum(awareness), quality: sum(quality), loyalty: sum(loyalty), 12-month window.
return {
  label = "Brand equity index",
  description = "Awareness, perceived quality and loyalty from 12 months of brand surveys, 0-100.",
  unit = "score",
  decimals = 1,
  higher_is_better = true,
  needs = { "awareness_12m", "quality_12m", "loyalty_12m", "brand_answers_12m" },
  value = function(s)
    local mean = quire.ratio(s.awareness_12m + s.quality_12m + s.loyalty_12m, 3 * s.brand_answers_12m)
    if mean == nil then
      return nil
    end
    return 100 * (mean - 1) / 4
  end,
}
