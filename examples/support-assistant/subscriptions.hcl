# Plans. Prices are per customer per month (the stack's period).

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
