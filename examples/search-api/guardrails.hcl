guardrail "margin_floor" {
  scope       = "feature"
  severity    = "error"
  description = "No endpoint is ever sold below a 50% gross margin"
  condition   = self.margin >= 0.50
  message     = "${self.name}: margin ${self.margin} is below the 50% floor"
}

guardrail "retry_budget" {
  scope       = "step"
  severity    = "warning"
  description = "Retries above 10% of calls point at a reliability problem, not a cost one"
  condition   = self.retry_rate <= 0.10
}

guardrail "cogs_growth" {
  scope       = "stack"
  severity    = "error"
  description = "A single change may raise total inference COGS by at most 10%"
  condition   = self.cogs_change_pct <= 10
}
