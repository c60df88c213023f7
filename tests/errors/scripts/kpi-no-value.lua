-- A KPI without its value function.
return {
  label = "Customers",
  unit = "count",
}
