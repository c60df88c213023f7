return {
  label = "Customers",
  unit = "count",
  value = function(s) return s.customers end,
}
