-- engagement_score, 0-100: how engaged each customer was in the month, over
-- four channels, averaged over the segment's customers.
--   opens  = min(1, (emails_opened / emails_sent) / 0.50)   an open rate of 50 % scores full
--   clicks = min(1, (emails_clicked / emails_sent) / 0.10)  a click rate of 10 % scores full
--            (opens and clicks are 0 when no email was sent)
--   web    = min(1, web_visits / 12)                        12 visits a month score full
--   app    = min(1, app_sessions / 12)                      12 sessions a month score full
--   score  = 100 * (0.25 opens + 0.25 clicks + 0.25 web + 0.25 app)
--   value  = mean score of the segment's customers
-- Unit score; higher is better. Needs the engagement source's emails_sent,
-- emails_opened, emails_clicked, web_visits and app_sessions (sum measures).
local OPEN_TARGET, CLICK_TARGET = 0.50, 0.10
local WEB_TARGET, APP_TARGET = 12, 12

local function part(x, target)
  local v = x / target
  if v > 1 then
    return 1
  end
  return v
end

return {
  label = "Engagement score",
  description = "Email opens and clicks, web visits and app sessions in the month, 0-100, averaged.",
  unit = "score",
  decimals = 1,
  higher_is_better = true,
  needs = { "emails_sent", "emails_opened", "emails_clicked", "web_visits", "app_sessions" },
  customer = function(c)
    local sent = c.emails_sent or 0
    local opens, clicks = 0, 0
    if sent > 0 then
      opens = part((c.emails_opened or 0) / sent, OPEN_TARGET)
      clicks = part((c.emails_clicked or 0) / sent, CLICK_TARGET)
    end
    local web = part(c.web_visits or 0, WEB_TARGET)
    local app = part(c.app_sessions or 0, APP_TARGET)
    return 25 * (opens + clicks + web + app)
  end,
  value = function(s)
    local pc = s.per_customer
    return pc and quire.ratio(pc.sum, pc.count)
  end,
}
