# Observed shape from 15 records (examples/support-assistant/records/records.csv), period 2026-11.
# infercost plan --what-if THIS_FILE prices the stack as production behaves.

workflow "search_docs" {
  cache_hit_rate = 0

  # observed: 2 units, 2 records, calls mean 1, P50 1, P95 1
  step "embed_query" {
    uses              = "openai/text-embedding-3-small"
    calls             = empirical([1], [2])
    share             = 1
    retry_rate        = 0
    cacheable         = false
    input_tokens      = 39
    output_tokens     = 0
    cached_share      = 0
    cache_write_share = 0
    context_growth    = 0
  }

  # observed: 1 unit, 1 record, calls mean 1, P50 1, P95 1
  step "retrieve" {
    uses       = "pinecone/read_unit"
    calls      = empirical([1], [1])
    share      = 0.5
    retry_rate = 0
    cacheable  = true
    quantity   = 10
  }

  # observed: 1 unit, 1 record, calls mean 1, P50 1, P95 1
  step "summarise" {
    uses              = "anthropic/claude-haiku-4-5"
    calls             = empirical([1], [1])
    share             = 0.5
    retry_rate        = 0
    cacheable         = true
    input_tokens      = 2100
    output_tokens     = 200
    cached_share      = 0
    cache_write_share = 0
    context_growth    = 0
  }
}

workflow "answer_ticket" {
  cache_hit_rate = 0

  # observed: 2 units, 2 records, calls mean 1, P50 1, P95 1
  step "moderate" {
    uses              = "openai/omni-moderation"
    calls             = empirical([1], [2])
    share             = 1
    retry_rate        = 0
    cacheable         = false
    input_tokens      = 490
    output_tokens     = 0
    cached_share      = 0
    cache_write_share = 0
    context_growth    = 0
  }

  # observed: 2 units, 2 records, calls mean 1, P50 1, P95 1
  step "embed_query" {
    uses              = "openai/text-embedding-3-small"
    calls             = empirical([1], [2])
    share             = 1
    retry_rate        = 0
    cacheable         = false
    input_tokens      = 77.5
    output_tokens     = 0
    cached_share      = 0
    cache_write_share = 0
    context_growth    = 0
  }

  # observed: 2 units, 3 records, calls mean 1.5, P50 1, P95 2
  step "retrieve" {
    uses       = "pinecone/read_unit"
    calls      = empirical([1, 2], [1, 1])
    share      = 1
    retry_rate = 0
    cacheable  = true
    quantity   = 10
  }

  # observed: 2 units, 3 records, calls mean 1.5, P50 1, P95 2
  step "draft" {
    uses              = "openai/gpt-4o-mini"
    calls             = empirical([1, 2], [1, 1])
    share             = 1
    retry_rate        = 0
    cacheable         = true
    input_tokens      = 4075
    output_tokens     = 450
    cached_share      = 0.234375
    cache_write_share = 0
    context_growth    = 575
  }

  # observed: 1 unit, 1 record, calls mean 1, P50 1, P95 1
  step "escalate" {
    uses              = "openai/gpt-4o"
    calls             = empirical([1], [1])
    share             = 0.5
    retry_rate        = 0
    cacheable         = true
    input_tokens      = 10050
    output_tokens     = 1000
    cached_share      = 0
    cache_write_share = 0
    context_growth    = 0
  }
}
