locals {
  list = [
    1, # one
    2,
    3 // three
  ]
  objs = [{
    a  = 1
    bb = 2
    }, {
    c = 3
  }]
  cond = (
    true
    ? 1
    : 2
  )
  tmpl = "%{ if true }yes%{ endif } ${upper("x")}"
  neg  = -1
  m    = { "quoted key" = 1, b : 2 }
  idx  = local.list[0]
  /* multi
     line */ after = 1
  call = max(
    1,
    2,
  )
}
block "a" "b" {
}
