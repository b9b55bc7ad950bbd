# Margin floors: gross-margin minimums that hold for every feature and plan, whatever
# each feature's own target_margin says.
#
# Load with `--policy builtin:margin-floors`. Thresholds are fixed in this file; to use
# others, copy it into your repository and load the copy by path.

guardrail "feature_margin_floor" {
  scope       = "feature"
  severity    = "error"
  description = "Every feature keeps a gross margin of at least 50%"
  condition   = self.margin >= 0.50
  message     = "${self.name}: gross margin ${round(self.margin * 100, 1)}% is below the 50% floor (COGS ${round(self.cogs, 2)} on revenue ${round(self.revenue, 2)})"
}

guardrail "subscription_margin_floor" {
  scope       = "subscription"
  severity    = "warning"
  description = "Every subscription plan keeps a gross margin of at least 60%"
  condition   = self.margin >= 0.60
  message     = "subscription ${self.name}: gross margin ${round(self.margin * 100, 1)}% is below 60% (COGS ${round(self.cogs, 2)} on revenue ${round(self.revenue, 2)})"
}

guardrail "underwater_customer_share" {
  scope       = "subscription"
  severity    = "warning"
  description = "At most 10% of a plan's customers cost more in inference than they pay"
  condition   = self.underwater_share <= 0.10
  message     = "subscription ${self.name}: ${self.underwater_customers} of ${self.customers} customers (${round(self.underwater_share * 100, 1)}%) cost more than they pay"
}
