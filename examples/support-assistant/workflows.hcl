# The shape of the work behind one unit of each feature.

unit "resolved_ticket" {
  description = "A customer support ticket answered end to end"
}

unit "search" {
  description = "One help-center search answered with ranked passages"
}

workflow "answer_ticket" {
  description    = "Moderate, retrieve, draft an answer, escalate the hard ones"
  cache_hit_rate = var.cache_hit_rate

  # Moderation runs on the question, and on the answer when one is drafted.
  step "moderate" {
    uses         = "openai/omni-moderation"
    calls        = between(1, 2)
    input_tokens = 500
    cacheable    = false
  }

  # The query embedding is also the key of the response cache, so it always runs.
  step "embed_query" {
    uses         = "openai/text-embedding-3-small"
    calls        = between(1, 3)
    input_tokens = 80
    cacheable    = false
  }

  step "retrieve" {
    uses     = "pinecone/read_unit"
    calls    = between(3, 7)
    quantity = 10
  }

  # The agent loop: each call carries the previous turns, so the context grows.
  step "draft" {
    uses           = "openai/gpt-4o-mini"
    calls          = between(2, 5)
    input_tokens   = local.system_prompt_tokens + local.retrieved_context_tokens
    output_tokens  = 450
    cached_share   = 0.35
    context_growth = 600
    retry_rate     = 0.05
  }

  # Tickets the draft model is unsure about get a second, careful answer.
  step "escalate" {
    uses          = "openai/gpt-4o"
    share         = 0.15
    input_tokens  = local.system_prompt_tokens + local.retrieved_context_tokens + 6000
    output_tokens = 1000
  }
}

workflow "search_docs" {
  description    = "Embed the query, read the index, summarise the best passages"
  cache_hit_rate = 0.30

  step "embed_query" {
    uses         = "openai/text-embedding-3-small"
    input_tokens = 40
    cacheable    = false
  }

  step "retrieve" {
    uses     = "pinecone/read_unit"
    calls    = between(1, 2)
    quantity = 10
  }

  # Four searches in ten show a short generated summary above the results.
  step "summarise" {
    uses          = "anthropic/claude-haiku-4-5"
    share         = 0.40
    input_tokens  = triangular(1200, 2000, 4000)
    output_tokens = 200
  }
}
