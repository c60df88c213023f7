-- A rule must return a function; this returns a segment name.
return "Active"
