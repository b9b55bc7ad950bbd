# Context windows: how many input tokens a single model call carries.
#
# Load with `--policy builtin:context-windows`. Meter steps (vector search and other
# metered services) have no tokens and always pass.

guardrail "max_input_tokens_per_call" {
  scope       = "step"
  severity    = "error"
  description = "No model call sends more than 32,000 input tokens, context growth included"
  condition   = self.kind == "meter" || self.max_input_tokens_per_call <= 32000
  message     = "${self.address}: the largest call sends ${round(self.max_input_tokens_per_call)} input tokens (limit 32,000); trim the context or summarise the history"
}

guardrail "avg_input_tokens_per_call" {
  scope       = "step"
  severity    = "warning"
  description = "Model calls send at most 16,000 input tokens on average"
  condition   = self.kind == "meter" || self.input_tokens_per_call <= 16000
  message     = "${self.address}: calls send ${round(self.input_tokens_per_call)} input tokens on average (limit 16,000)"
}
