-- segment_share: the segment's share of all customers at the end of the month.
--   value = s.customers / s.all.customers          (All: 1)
-- Unit percent; neither direction is good in itself, so higher_is_better is
-- true (a growing share of the segment) and the charts read it as size.
return {
  label = "Share of customers",
  description = "Customers in the segment divided by all customers at the end of the month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  value = function(s)
    return quire.ratio(s.customers, s.all.customers)
  end,
}
