# Imported with `infercost prices import` from genai-prices 0.2.3, prices as of 2026-12-02.
# Review before committing; `infercost prices outdated` compares with newer data.

price_sheet "llm" {
  currency  = "USD"
  effective = "2026-12-02"

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

  # not imported: input_audio_mtok = 1
  # not imported: cache_audio_read_mtok = 0.1
  # not imported: web_searches_kcount = 35
  # not imported: batch input_audio_mtok = 0.5
  model "gemini-2.5-flash" {
    source                = "genai-prices:google/gemini-2.5-flash"
    input_per_mtok        = 0.30
    cached_input_per_mtok = 0.03
    output_per_mtok       = 2.50

    batch {
      input_per_mtok        = 0.15
      cached_input_per_mtok = 0.03
      output_per_mtok       = 1.25
    }
  }
}
