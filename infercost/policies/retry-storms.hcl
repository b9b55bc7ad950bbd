# Retry storms: extra calls caused by retries, which are paid for in full.
#
# Load with `--policy builtin:retry-storms`. A step's retry_rate is the number of extra
# calls per call (0.25 = one retry for every four calls).

guardrail "retry_storm" {
  scope       = "step"
  severity    = "error"
  description = "No step retries more than 25% of its calls"
  condition   = self.retry_rate <= 0.25
  message     = "${self.address}: retry rate ${round(self.retry_rate * 100, 1)}% (limit 25%) adds paid calls; fix the failure before it is budgeted"
}

guardrail "retry_rate_elevated" {
  scope       = "step"
  severity    = "warning"
  description = "Steps retry at most 10% of their calls"
  condition   = self.retry_rate <= 0.10
  message     = "${self.address}: retry rate ${round(self.retry_rate * 100, 1)}% is above 10%"
}
