-- feedback_score: mean feedback (1-5) given on tickets opened in the last 3
-- months (this one included); tickets without feedback are left out.
--   value = s.feedback_points_3m / s.feedback_answers_3m
-- Unit score; higher is better. Needs, on the tickets source,
-- feedback_points: sum(feedback) and feedback_answers: count(feedback),
-- with the 3-month window.
return {
  label = "Ticket feedback score",
  description = "Mean 1-5 feedback on support tickets opened in the last 3 months.",
  unit = "score",
  decimals = 2,
  higher_is_better = true,
  needs = { "feedback_points_3m", "feedback_answers_3m" },
  value = function(s)
    return quire.ratio(s.feedback_points_3m, s.feedback_answers_3m)
  end,
}
