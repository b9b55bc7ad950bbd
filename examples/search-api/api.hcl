unit "query" {
  description = "One /search request returning ranked passages"
}

unit "answer" {
  description = "One /answer request returning a generated, cited answer"
}

workflow "search" {
  cache_hit_rate = 0.25

  step "embed_query" {
    uses         = "openai/text-embedding-3-small"
    input_tokens = triangular(8, 16, 60)
    cacheable    = false
  }

  step "retrieve" {
    uses     = "pinecone/read_unit"
    quantity = between(5, 15)
  }

  step "rerank" {
    uses     = "internal/gpu_second"
    quantity = 0.05
  }
}

workflow "answer" {
  cache_hit_rate = 0.10

  step "embed_query" {
    uses         = "openai/text-embedding-3-small"
    input_tokens = triangular(8, 16, 60)
    cacheable    = false
  }

  step "retrieve" {
    uses     = "pinecone/read_unit"
    calls    = 2
    quantity = between(5, 15)
  }

  step "rerank" {
    uses     = "internal/gpu_second"
    calls    = 2
    quantity = 0.05
  }

  # A second call happens when the citation check rejects the first draft.
  step "generate" {
    uses           = "openai/gpt-4o-mini"
    calls          = between(1, 2)
    input_tokens   = triangular(1500, 2500, 5000)
    output_tokens  = between(150, 400)
    cached_share   = 0.5
    context_growth = 300
    retry_rate     = 0.02
  }
}

feature "search" {
  unit             = unit.query
  workflow         = workflow.search
  revenue_per_unit = 0.0005
  target_margin    = 0.70
}

feature "answer" {
  unit             = unit.answer
  workflow         = workflow.answer
  revenue_per_unit = var.answer_price
  target_margin    = 0.60
}
