-- A script that does not compile: "then" is missing.
return function(c)
  if c.orders > 0
    return "Active"
  end
  return "Quiet"
end
