# Rules `infercost check` enforces on top of every feature's target_margin.

guardrail "underwater_customers" {
  scope       = "subscription"
  severity    = "warning"
  description = "At most 15% of a plan's customers may cost more than they pay"
  condition   = self.underwater_share <= 0.15
  message     = "${self.name}: ${self.underwater_customers} of ${self.customers} customers are underwater"
}

guardrail "cost_per_unit_growth" {
  scope       = "feature"
  severity    = "warning"
  description = "A single change should not raise a feature's cost per unit by more than 25%"
  condition   = self.cost_per_unit_change_pct <= 25
  message     = "${self.name}: cost per ${self.unit} up ${self.cost_per_unit_change_pct}%"
}
