# List prices, in USD. Prices change: edit them here, in a pull request, and the
# plan shows what the change does to every feature's cost and margin.

price_sheet "openai" {
  currency  = "USD"
  effective = "2026-11-01"

  # Data-residency processing in the EU is billed 10% above the list price.
  region "eu" { multiplier = 1.10 }

  model "gpt-4o" {
    input_per_mtok        = 2.50
    cached_input_per_mtok = 1.25
    output_per_mtok       = 10.00
  }

  model "gpt-4o-mini" {
    input_per_mtok        = 0.15
    cached_input_per_mtok = 0.075
    output_per_mtok       = 0.60
  }

  model "text-embedding-3-small" {
    input_per_mtok = 0.02
  }

  # Free, but declared so that its calls appear in the breakdown.
  model "omni-moderation" {
    input_per_mtok = 0
  }
}

price_sheet "anthropic" {
  currency  = "USD"
  effective = "2026-11-01"

  model "claude-haiku-4-5" {
    input_per_mtok        = 1.00
    cached_input_per_mtok = 0.10
    output_per_mtok       = 5.00
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
