# Verbose responses: output tokens cost four to eight times as much as input tokens at
# most vendors, so long answers are the most expensive tokens a workflow buys.
#
# Load with `--policy builtin:verbose-responses`. Meter steps always pass.

guardrail "verbose_responses" {
  scope       = "step"
  severity    = "warning"
  description = "Model calls produce at most 1,500 output tokens on average"
  condition   = self.kind == "meter" || self.output_tokens_per_call <= 1500
  message     = "${self.address}: ${round(self.output_tokens_per_call)} output tokens per call (limit 1,500); set max_tokens and ask for shorter answers"
}

guardrail "runaway_generation" {
  scope       = "step"
  severity    = "error"
  description = "No model call is budgeted for more than 4,000 output tokens on average"
  condition   = self.kind == "meter" || self.output_tokens_per_call <= 4000
  message     = "${self.address}: ${round(self.output_tokens_per_call)} output tokens per call (limit 4,000)"
}
