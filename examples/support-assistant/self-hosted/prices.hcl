# GPU time, and the API prices of what is still bought per call.

price_sheet "cluster" {
  description = "Reserved GPUs from the cloud provider, billed by the hour"
  effective   = "2026-11-01"

  # Llama 3.3 70B in FP8 with continuous batching, measured on our traffic.
  gpu "llama-3.3-70b-h100" {
    hourly                   = 3.60
    input_tokens_per_second  = 20000 # prefill of one GPU
    output_tokens_per_second = 1500  # decode of one GPU, batched
    utilization              = 0.60  # busy share of the paid hours
  }

  # An embedding model serves no output tokens: no decode throughput.
  gpu "bge-m3-l4" {
    hourly                  = 0.80
    input_tokens_per_second = 40000
    utilization             = 0.25
  }
}

price_sheet "openai" {
  currency  = "USD"
  effective = "2026-11-01"

  # Data-residency processing in the EU is billed 10% above the list price.
  region "eu" { multiplier = 1.10 }

  # not imported: web_searches_kcount = 10
  # not imported: storage_searches_kcount = 2.5
  model "gpt-4o" {
    source                = "genai-prices:openai/gpt-4o"
    input_per_mtok        = 2.50
    cached_input_per_mtok = 1.25
    output_per_mtok       = 10.00

    batch {
      input_per_mtok        = 1.25
      cached_input_per_mtok = 1.25
      output_per_mtok       = 5.00
    }
  }

  # Free, but declared so that its calls appear in the breakdown.
  model "omni-moderation" {
    source         = "genai-prices:openai/moderation"
    input_per_mtok = 0.00
  }
}

price_sheet "anthropic" {
  currency  = "USD"
  effective = "2026-11-01"

  # not imported: cache_write_1h_mtok = 2
  # not imported: web_searches_kcount = 10
  # not imported: batch cache_write_1h_mtok = 1
  model "claude-haiku-4-5" {
    source                = "genai-prices:anthropic/claude-haiku-4-5"
    input_per_mtok        = 1.00
    cached_input_per_mtok = 0.10
    cache_write_per_mtok  = 1.25
    output_per_mtok       = 5.00

    batch {
      input_per_mtok        = 0.50
      cached_input_per_mtok = 0.05
      cache_write_per_mtok  = 0.625
      output_per_mtok       = 2.50
    }
  }
}

price_sheet "pinecone" {
  description = "Serverless vector database, billed by read units"
  currency    = "USD"
  effective   = "2026-11-01"

  meter "read_unit" {
    price = 16.00
    per   = 1000000
    unit  = "read unit"
  }
}
