-- compare.lua: the segments ranked by a KPI in a month, with all customers
-- for reference, and which segments changed places since the first month.
--
-- Arguments (the question's `with:`):
--   kpi    the KPI (required)
--   order  highest (default: highest first) or lowest (lowest first)
--   month  "YYYY-MM" or an index 1..n (default the last month)
--
-- Example: "In Apr 2024, retention rate is highest for VIP (78.8%), then
-- Regular (52.4%), New (35.7%), At Risk (33.2%) and Inactive (7.0%); 56.3% for
-- all customers. The order is the same as in Feb 2024."

local function ordinal(n)
  local s = "th"
  if n % 100 < 11 or n % 100 > 13 then
    s = ({ "st", "nd", "rd" })[n % 10] or "th"
  end
  return n .. s
end

return function(r, args)
  local kpi, info = quire.kpi_arg(r, args, "compare")
  local lowest = quire.order_arg(args)
  local label = info.phrase
  if not info.available then
    return quire.unavailable(info, "the segments cannot be compared")
  end
  local i = r.month_index(args.month)
  local name = quire.month_label(r.months[i])
  local list, missing = quire.ranked(r, kpi, i, lowest)
  if #list == 0 then
    return "In " .. name .. ", no segment has a " .. label .. " (no data)."
  end
  local items = {}
  for k, e in ipairs(list) do
    items[k] = e.seg .. " (" .. r.format(kpi, e.v) .. ")"
  end
  local out = string.format("In %s, %s is %s for %s", name, label, lowest and "lowest" or "highest", items[1])
  if #items > 1 then
    out = out .. ", then " .. quire.join({ table.unpack(items, 2) })
  end
  local all = r.value(kpi, "All", i)
  out = out .. (all and ("; " .. r.format(kpi, all) .. " for all customers.") or ".")
  if #missing > 0 then
    out = out .. " No data for " .. quire.join(missing) .. "."
  end
  if i > 1 and #list > 1 then
    local before = quire.ranked(r, kpi, 1, lowest)
    local place = {}
    for k, e in ipairs(before) do place[e.seg] = k end
    local moves = {}
    for k, e in ipairs(list) do
      if place[e.seg] and place[e.seg] ~= k then
        moves[#moves + 1] = string.format("%s%s from %s to %s", e.seg, #moves == 0 and " moved" or "",
                                          ordinal(place[e.seg]), ordinal(k))
      end
    end
    local first = quire.month_label(r.months[1])
    if #moves == 0 then
      out = out .. " The order is the same as in " .. first .. "."
    else
      out = out .. " Since " .. first .. ", " .. quire.join(moves) .. " place."
    end
  end
  return out
end
