-- Email open rate: emails opened over emails sent in the month.
return {
  label = "Email open rate",
  description = "Emails opened divided by emails sent to the segment in the month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  value = function(s)
    if s.emails_sent == 0 then
      return nil
    end
    return s.emails_opened / s.emails_sent
  end,
}
