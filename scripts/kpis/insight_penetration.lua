-- insight_penetration: the share of the segment's customers we know well:
-- a complete profile (age_band, gender, region, income_band and
-- preferred_channel all present) and at least one survey answer in the last
-- 12 months (this one included).
--   per customer: 1 when complete, else 0
--   value = per_customer.sum / per_customer.count  (= complete / customers)
-- Unit percent; higher is better. Needs the five entity attributes and
-- surveys: count on the surveys source, with the 12-month window.
return {
  label = "Insight penetration",
  description = "Share of customers with a complete profile and a survey answer in the last 12 months.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "age_band", "gender", "region", "income_band", "preferred_channel", "surveys_12m" },
  customer = function(c)
    if c.age_band and c.gender and c.region and c.income_band and c.preferred_channel
        and (c.surveys_12m or 0) > 0 then
      return 1
    end
    return 0
  end,
  value = function(s)
    local pc = s.per_customer
    return pc and quire.ratio(pc.sum, pc.count)
  end,
}
