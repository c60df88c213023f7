-- Returns a name that is not in the segment list.
return function(c) return "Gold" end
