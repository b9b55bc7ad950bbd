# A usage-priced semantic search API: customers pay per request, there are no plans.

infercost {
  currency = "USD"
  period   = "month"
  usage    = "usage.jsonl"
}

variable "answer_price" {
  type        = number
  default     = 0.003
  description = "List price of one generated answer, in USD"
}
