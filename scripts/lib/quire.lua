-- quire.lua: Quire's Lua library, the helpers that scripts share.
--
-- Scripts cannot require a file, so Quire runs this one whenever it creates
-- a Lua state, with the helpers written in C (quire.format, quire.join, ...)
-- as its argument, and adds the functions of the table it returns to the
-- read-only global quire: a script calls quire.ranked(...) as it calls
-- quire.format(...). A name is defined once, here or in C (Quire refuses a
-- name defined in both). docs/lua-api.md documents every function.
--
-- Errors about a script's arguments point at the script's line that called
-- the helper (error level 2), not at this file.

local quire = ...
local lib = {}
-- The library's own references: a script may shadow these globals.
local error, ipairs, tostring, string, table = error, ipairs, tostring, string, table

-- The spec's parameter name (quire.params[name]), for a script that cannot
-- do without it: an error when the spec does not declare it.
--   local margin = quire.param("gross_margin")
function lib.param(name)
  local value = quire.params[name]
  if value == nil then
    error("the spec has no parameter \"" .. tostring(name) .. "\"; declare it under parameters:", 2)
  end
  return value
end

-- "VIP's", "At Risk's"; a name ending in s takes the apostrophe alone
-- ("Loyal Customers'").
function lib.possessive(name)
  return name:match("s$") and (name .. "'") or (name .. "'s")
end

-- n and the noun that goes with it: "1 customer", "1,234 customers".
function lib.plural(n, one, many)
  return quire.format(n, "count") .. " " .. (n == 1 and one or many)
end

-- r.kpis[name], or an error naming the KPI the report does not have, at the
-- line level levels above the caller.
local function kpi_info(r, name, level)
  local info = r.kpis[name]
  if info == nil then
    error("the report has no KPI \"" .. tostring(name) .. "\"", level + 1)
  end
  return info
end

-- An insight's KPI argument: args.kpi, or default when the question does not
-- give it. Returns the name and its r.kpis entry. Without a name (and no
-- default) the error says that the insight needs the argument; a KPI the
-- report does not have is an error too.
--   local kpi, info = quire.kpi_arg(r, args, "trend")
--   local kpi, info = quire.kpi_arg(r, args, "seasonality", "customer_count")
function lib.kpi_arg(r, args, insight, default)
  local name = args.kpi
  if name == nil then
    name = default
  end
  if name == nil then
    error(insight .. " needs the argument kpi", 2)
  end
  return name, kpi_info(r, name, 2)
end

-- r.kpis[name] for a KPI named otherwise than by args.kpi; an error when the
-- report does not have it.
function lib.kpi_info(r, name)
  local info = kpi_info(r, name, 2)
  return info
end

-- The answer when the report's data cannot give a KPI (info.available is
-- false): "The data this report reads cannot give the <phrase>, so
-- <consequence>."
function lib.unavailable(info, consequence)
  return "The data this report reads cannot give the " .. info.phrase .. ", so " .. consequence .. "."
end

-- An insight's order argument: highest (the default) or lowest; true for
-- lowest.
function lib.order_arg(args)
  if args.order ~= nil and args.order ~= "highest" and args.order ~= "lowest" then
    error("order is highest or lowest, not \"" .. tostring(args.order) .. "\"", 2)
  end
  return args.order == "lowest"
end

-- The segments ranked by a KPI in month i (an index or "YYYY-MM", as for
-- r.value): a list of { seg = name, v = value, k = position in r.segments },
-- highest value first (lowest first with lowest), ties in the segments'
-- order; and the list of the segments without a value.
function lib.ranked(r, kpi, i, lowest)
  local list, missing = {}, {}
  for k, seg in ipairs(r.segments) do
    local v = r.value(kpi, seg, i)
    if v == nil then missing[#missing + 1] = seg else list[#list + 1] = { seg = seg, v = v, k = k } end
  end
  table.sort(list, function(x, y)
    if x.v ~= y.v then
      if lowest then return x.v < y.v end
      return x.v > y.v
    end
    return x.k < y.k
  end)
  return list, missing
end

-- A difference d between two values of a KPI, as text: in percentage points
-- for a KPI in percent ("12.5 percentage points", with the KPI's decimals, 1
-- by default), else as the report prints the KPI (r.format).
function lib.difference(r, kpi, d)
  local info = r.kpis[kpi]
  if info.unit == "percent" then
    local dec = info.decimals >= 0 and info.decimals or 1
    return string.format("%." .. dec .. "f percentage points", d * 100)
  end
  return r.format(kpi, d)
end

return lib
