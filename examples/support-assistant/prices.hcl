# List prices, in USD. Prices change: `infercost prices outdated` compares these with
# the maintained data and `infercost prices update` rewrites the ones that moved, in a
# pull request, so the plan shows what the change does to every feature's cost and
# margin. `infercost prices history` lists every change and its commit.
#
# Imported with `infercost prices import` from genai-prices 0.2.3, prices as of 2026-11-01.
# Review before committing; `infercost prices outdated` compares with newer data.

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

  model "text-embedding-3-small" {
    source         = "genai-prices:openai/text-embedding-3-small"
    input_per_mtok = 0.02
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
