-- Never returns: stopped by the instruction budget.
return function(c)
  while true do end
end
