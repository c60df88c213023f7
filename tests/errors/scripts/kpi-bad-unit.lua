-- "dollars" is not a unit; currency is.
return {
  label = "Revenue",
  unit = "dollars",
  value = function(s) return s.revenue end,
}
