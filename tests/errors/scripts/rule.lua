-- Active in a month with an order, else Quiet.
return function(c)
  if c.orders > 0 then return "Active" end
  return "Quiet"
end
