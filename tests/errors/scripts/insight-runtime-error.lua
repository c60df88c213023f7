-- Calls a helper that does not exist.
return function(r, args)
  return r.nothing.sentence()
end
