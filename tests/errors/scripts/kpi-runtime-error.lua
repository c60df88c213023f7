-- Divides a number by a missing field.
return {
  label = "Broken",
  unit = "number",
  value = function(s) return s.customers / s.nothing end,
}
