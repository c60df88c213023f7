-- A KPI script must return a table; this returns its value function.
return function(s) return s.customers end
