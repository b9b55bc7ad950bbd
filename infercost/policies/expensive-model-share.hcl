# Expensive-model share: one step that carries most of a workflow's cost per unit.
#
# Load with `--policy builtin:expensive-model-share`. cost_share is the step's part of
# its workflow's cost per unit (share, retries and cache included); it is null, and the
# result skipped, for a workflow that costs nothing.

guardrail "dominant_model_step" {
  scope       = "step"
  severity    = "warning"
  description = "No single model step makes up more than 80% of its workflow's cost per unit"
  condition   = self.kind == "meter" || self.cost_share <= 0.80
  message     = "${self.address}: ${self.uses} is ${round(self.cost_share * 100, 1)}% of the cost of one unit of ${self.workflow}; route easy requests to a smaller model or cache its answers"
}
