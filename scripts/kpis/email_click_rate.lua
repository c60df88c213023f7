-- email_click_rate: emails clicked over emails sent in the month.
--   value = s.emails_clicked / s.emails_sent       (nil when nothing was sent)
-- Unit percent; higher is better. Needs emails_sent and emails_clicked
-- (sum measures of the engagement source).
return {
  label = "Email click rate",
  description = "Emails clicked divided by emails sent to the segment in the month.",
  unit = "percent",
  decimals = 1,
  higher_is_better = true,
  needs = { "emails_sent", "emails_clicked" },
  value = function(s)
    return quire.ratio(s.emails_clicked, s.emails_sent)
  end,
}
