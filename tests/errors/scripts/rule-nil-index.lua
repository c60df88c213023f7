-- Indexes a field the record does not have.
return function(c)
  local x = nil
  return x.segment
end
