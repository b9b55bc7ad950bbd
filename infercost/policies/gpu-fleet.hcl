# GPU fleet: self-hosted models must fit the GPUs reserved for them.
#
# Load with `--policy builtin:gpu-fleet`. A stack declares its reservation as the
# variable `reserved_gpu_hours` (GPU-hours per period); the stack's `self.gpu_hours`
# is units × GPU seconds per unit / 3600 over every gpu step, share, retries and cache
# hits included. Without the variable the rules are skipped, and a stack that serves
# nothing on GPUs has 0 GPU-hours and always passes.

guardrail "gpu_hours_within_reservation" {
  scope       = "stack"
  severity    = "error"
  description = "The GPU-hours the usage needs fit the reserved fleet"
  condition   = self.gpu_hours <= self.reserved_gpu_hours
  message     = "the usage needs ${round(self.gpu_hours, 1)} GPU-hours per period, more than the ${round(self.reserved_gpu_hours, 1)} reserved; reserve more GPUs or serve less on them"
}

guardrail "gpu_reservation_headroom" {
  scope       = "stack"
  severity    = "warning"
  description = "The usage leaves at least 20% of the reserved GPU-hours as headroom"
  condition   = self.gpu_hours <= 0.8 * self.reserved_gpu_hours
  message     = "the usage needs ${round(self.gpu_hours, 1)} of ${round(self.reserved_gpu_hours, 1)} reserved GPU-hours (more than 80%); a peak will not fit"
}
