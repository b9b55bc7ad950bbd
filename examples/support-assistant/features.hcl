# What customers use, and the margin each feature must keep.

feature "support_assistant" {
  description   = "AI answers to inbound support tickets"
  unit          = unit.resolved_ticket
  workflow      = workflow.answer_ticket
  target_margin = 0.60
}

feature "semantic_search" {
  description   = "Search over the customer's help center, served from the EU"
  unit          = unit.search
  workflow      = workflow.search_docs
  region        = "eu"
  target_margin = 0.75
}
