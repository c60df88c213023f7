-- The sandbox has no io library.
return function(c)
  io.open("/etc/passwd")
  return "Active"
end
