# The same work as the API-served stack; the draft and the embeddings run on our GPUs.

unit "resolved_ticket" {
  description = "A customer support ticket answered end to end"
}

unit "search" {
  description = "One help-center search answered with ranked passages"
}

workflow "answer_ticket" {
  description    = "Moderate, retrieve, draft on Llama, escalate the hard ones"
  cache_hit_rate = var.cache_hit_rate

  step "moderate" {
    uses         = "openai/omni-moderation"
    calls        = between(1, 2)
    input_tokens = 500
    cacheable    = false
  }

  step "embed_query" {
    uses         = "cluster/bge-m3-l4"
    calls        = between(1, 3)
    input_tokens = 80
    cacheable    = false
  }

  step "retrieve" {
    uses     = "pinecone/read_unit"
    calls    = between(3, 7)
    quantity = 10
  }

  # Prefix caching keeps the system prompt on the GPU: cached tokens need no prefill.
  step "draft" {
    uses           = "cluster/llama-3.3-70b-h100"
    calls          = between(2, 5)
    input_tokens   = local.system_prompt_tokens + local.retrieved_context_tokens
    output_tokens  = 450
    cached_share   = 0.35
    context_growth = 600
    retry_rate     = 0.05
  }

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
    uses         = "cluster/bge-m3-l4"
    input_tokens = 40
    cacheable    = false
  }

  step "retrieve" {
    uses     = "pinecone/read_unit"
    calls    = between(1, 2)
    quantity = 10
  }

  step "summarise" {
    uses          = "anthropic/claude-haiku-4-5"
    share         = 0.40
    input_tokens  = triangular(1200, 2000, 4000)
    output_tokens = 200
  }
}
