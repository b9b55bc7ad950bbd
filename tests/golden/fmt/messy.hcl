# A stack written by hand, in a hurry.
price_sheet "openai" {
  region "eu" { multiplier = 1.10 } # eu prices

  model "gpt-4o" {
    input_per_mtok        = 2.50 # per million
    cached_input_per_mtok = 1.25 # cached
    output_per_mtok       = 10.00
  }
}

locals {
  sizes = [1, 2, 3]
  pair  = { x = 1, y = -2 }
  nested = {
    k = "v${var.x} ${ "a  b" }"
  }
  sum  = max(local.sizes[0], 1) + -1 /* inline */
  flag = !true && 1 - 2 <= 3
  pick = true ? 1 : 2
  // slash comment
  tail = 1
}
