-- support_tickets_per_customer: support tickets opened in the month over the
-- segment's customers.
--   value = s.tickets / s.customers
-- Unit number; lower is better. Needs tickets: count on the tickets source
-- (dated by the day the ticket was opened).
return {
  label = "Support tickets per customer",
  description = "Support tickets opened in the month divided by the segment's customers.",
  unit = "number",
  decimals = 3,
  higher_is_better = false,
  needs = { "tickets" },
  value = function(s)
    return quire.ratio(s.tickets, s.customers)
  end,
}
