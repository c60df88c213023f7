-- cac: customer acquisition cost: the mean acquisition cost of the segment's
-- customers (the entity attribute acquisition_cost; customers without one
-- are left out).
--   value = s.acquisition_cost / s.has_acquisition_cost
-- Unit currency; lower is better.
-- Needs entities.attributes: [acquisition_cost] (a number column).
return {
  label = "Customer acquisition cost",
  description = "Mean acquisition cost of the segment's customers.",
  unit = "currency",
  decimals = 2,
  higher_is_better = false,
  needs = { "acquisition_cost", "has_acquisition_cost" },
  value = function(s)
    return quire.ratio(s.acquisition_cost, s.has_acquisition_cost)
  end,
}
