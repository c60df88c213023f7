-- email_open_rate: emails opened over emails sent in the month.
--   value = s.emails_opened / s.emails_sent        (nil when nothing was sent)
-- Unit percent; higher is better. Needs emails_sent and emails_opened
-- (sum measures of the engagement source).
return {
  label = "Email open rate",
  description = "Emails opened divided by emails sent to the segment in the month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "emails_sent", "emails_opened" },
  value = function(s)
    return quire.ratio(s.emails_opened, s.emails_sent)
  end,
}
