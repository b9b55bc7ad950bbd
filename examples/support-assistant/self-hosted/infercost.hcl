# The support-assistant product served on its own GPUs: the whole bill.
#
# The same features, units and usage as the stack one directory up, but the agent's
# drafts run on Llama 3.3 70B on rented H100s and the query embeddings on an L4, and
# the fixed costs that do not scale per request (vector database pods, observability,
# the GPU platform's on-call) are allocated to the features and their customers.
# Compare: infercost breakdown .. and infercost breakdown .

infercost {
  currency = "USD"
  period   = "month"
  usage    = "../usage.csv"
  policies = ["builtin:gpu-fleet"]
}

variable "cache_hit_rate" {
  type        = number
  default     = 0.15
  description = "Share of tickets answered straight from the semantic response cache"
}

variable "reserved_gpu_hours" {
  type        = number
  default     = 260
  description = "GPU-hours per month reserved for the H100 pool (read by builtin:gpu-fleet)"
}

locals {
  system_prompt_tokens     = 1800
  retrieved_context_tokens = 5 * 450
}
