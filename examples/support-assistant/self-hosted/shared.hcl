# Costs that do not scale per request, allocated to the features and, within a feature,
# to its customers by their units. Amounts are per month.

# Two p2 pods hold the help-center index; both features read it.
shared_cost "vector_db_pods" {
  amount   = 700
  features = [feature.support_assistant, feature.semantic_search]
  allocate = "units"
}

# Traces and logs by the gigabyte: the heavier the workflow, the more it logs.
shared_cost "observability" {
  amount   = 450
  allocate = "variable_cogs"
}

# The GPU platform's on-call rotation; tickets are what keeps the pool busy.
shared_cost "gpu_platform_oncall" {
  amount   = 1200
  allocate = { support_assistant = 0.9, semantic_search = 0.1 }
}
