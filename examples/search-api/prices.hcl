# Imported with `infercost prices import` from genai-prices 0.2.3, prices as of 2026-11-01.
# Review before committing; `infercost prices outdated` compares with newer data.

price_sheet "openai" {
  currency  = "USD"
  effective = "2026-11-01"

  model "text-embedding-3-small" {
    source         = "genai-prices:openai/text-embedding-3-small"
    input_per_mtok = 0.02
  }

  # not imported: web_searches_kcount = 10
  # not imported: storage_searches_kcount = 2.5
  model "gpt-4o-mini" {
    source                = "genai-prices:openai/gpt-4o-mini"
    input_per_mtok        = 0.15
    cached_input_per_mtok = 0.075
    output_per_mtok       = 0.60

    batch {
      input_per_mtok        = 0.075
      cached_input_per_mtok = 0.075
      output_per_mtok       = 0.30
    }
  }
}

price_sheet "pinecone" {
  effective = "2026-11-01"

  meter "read_unit" {
    price = 16.00
    per   = 1000000
    unit  = "read unit"
  }
}

# The cross-encoder reranker runs on our own GPUs: an L4 at $0.72 an hour.
price_sheet "internal" {
  description = "Self-hosted inference, priced at what the hardware costs us"

  meter "gpu_second" {
    price = 0.72
    per   = 3600
    unit  = "GPU-second"
  }
}
