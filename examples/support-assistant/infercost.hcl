# Settings for the support-assistant stack.
#
# Every *.hcl file in this directory is read together as one configuration;
# the split into files is only for the people reading it.

infercost {
  currency = "USD"
  period   = "month"
  usage    = "usage.csv"
}

variable "cache_hit_rate" {
  type        = number
  default     = 0.15
  description = "Share of tickets answered straight from the semantic response cache"
}

locals {
  # The system prompt and tool definitions sent with every drafting call.
  system_prompt_tokens = 1800

  # Five retrieved help-center passages of about 450 tokens each.
  retrieved_context_tokens = 5 * 450
}
