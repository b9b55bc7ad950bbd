# Drift: the declared shape against what production does.
#
# Load with `--policy builtin:drift` and give the records:
#   infercost check --policy builtin:drift --records records.csv --from records
# Without records the observed attributes are null and these guardrails are skipped.
# drift_pct is the observed cost per unit (the records priced exactly, per unit) over the
# declared one, minus 1, in percent (docs/calibrate.md).

guardrail "cost_drift" {
  scope       = "feature"
  severity    = "error"
  description = "Production costs at most 20% more per unit than the stack declares"
  condition   = self.drift_pct <= 20
  message     = "${self.name}: observed cost per ${self.unit} is ${round(self.drift_pct, 1)}% above the declared one; run infercost calibrate and update the shape"
}

guardrail "cost_drift_down" {
  scope       = "feature"
  severity    = "warning"
  description = "Production costs at most 30% less per unit than declared (budgets stay honest both ways)"
  condition   = self.drift_pct >= -30
  message     = "${self.name}: observed cost per ${self.unit} is ${round(-self.drift_pct, 1)}% below the declared one"
}

guardrail "retry_drift" {
  scope       = "step"
  severity    = "warning"
  description = "A step retries in production at most 5 points more than it declares"
  condition   = self.observed_retry_rate <= self.retry_rate + 0.05
  message     = "${self.address}: observed retry rate ${round(self.observed_retry_rate * 100, 1)}%, declared ${round(self.retry_rate * 100, 1)}%"
}

guardrail "calls_drift" {
  scope       = "step"
  severity    = "warning"
  description = "A step makes at most 25% more calls per unit in production than declared"
  condition   = self.observed_calls_mean <= self.calls_mean * 1.25
  message     = "${self.address}: ${round(self.observed_calls_mean, 2)} calls per unit observed, ${self.calls_mean} declared"
}
