# What customers use, and the gross margin each feature must keep (shared costs included).

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

subscription "pro" {
  description   = "Self-serve plan"
  price         = 29
  features      = [feature.support_assistant, feature.semantic_search]
  revenue_share = { support_assistant = 0.7, semantic_search = 0.3 }
}

subscription "team" {
  description   = "Plan for support teams with several seats"
  price         = 99
  features      = [feature.support_assistant, feature.semantic_search]
  revenue_share = { support_assistant = 0.8, semantic_search = 0.2 }
}
