price_sheet "openai" {
  effective = "2026-11-01"

  model "text-embedding-3-small" {
    input_per_mtok = 0.02
  }

  model "gpt-4o-mini" {
    input_per_mtok        = 0.15
    cached_input_per_mtok = 0.075
    output_per_mtok       = 0.60
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
