# Retrieval fan-out: how much a metered step (vector search, reranking, web search)
# can consume for one unit of work in the worst case.
#
# Load with `--policy builtin:retrieval-fanout`. Model steps always pass.

guardrail "retrieval_fanout_calls" {
  scope       = "step"
  severity    = "warning"
  description = "A metered step runs at most 10 times for one unit of work"
  condition   = self.kind != "meter" || self.calls_max <= 10
  message     = "${self.address}: up to ${self.calls_max} calls to ${self.uses} per unit (limit 10); bound the retrieval loop"
}

guardrail "retrieval_fanout_volume" {
  scope       = "step"
  severity    = "error"
  description = "A metered step consumes at most 500 of its units for one unit of work in the worst case (most calls times quantity per call)"
  condition   = self.kind != "meter" || self.calls_max * self.quantity_per_call <= 500
  message     = "${self.address}: up to ${round(self.calls_max * self.quantity_per_call, 1)} ${self.uses} units per unit of work (${self.calls_max} calls x ${round(self.quantity_per_call, 1)} each; limit 500)"
}
