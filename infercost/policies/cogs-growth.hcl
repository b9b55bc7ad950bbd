# COGS growth: how much one change may raise inference cost. These guardrails compare
# with a base (`--base`, `--base-dir` or `--what-if`); without one they are skipped.
#
# Load with `--policy builtin:cogs-growth`. Amounts are in the stack's currency, per
# the stack's period.

guardrail "stack_cogs_growth_pct" {
  scope       = "stack"
  severity    = "error"
  description = "One change raises total inference COGS by at most 10%"
  condition   = self.cogs_change_pct <= 10
  message     = "total COGS rises ${round(self.cogs_change_pct, 1)}% (by ${round(self.cogs_change, 2)}, to ${round(self.cogs, 2)}); the limit is 10%"
}

guardrail "stack_cogs_growth_amount" {
  scope       = "stack"
  severity    = "warning"
  description = "One change adds at most 10,000 to total inference COGS per period"
  condition   = self.cogs_change <= 10000
  message     = "total COGS rises by ${round(self.cogs_change, 2)} (to ${round(self.cogs, 2)}); the limit is 10,000 per period"
}

guardrail "feature_cost_per_unit_growth" {
  scope       = "feature"
  severity    = "warning"
  description = "One change raises a feature's cost per unit by at most 25%"
  condition   = self.cost_per_unit_change_pct <= 25
  message     = "${self.name}: cost per ${self.unit} rises ${round(self.cost_per_unit_change_pct, 1)}% (limit 25%)"
}
