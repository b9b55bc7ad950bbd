# How production records map onto this stack (see docs/usage.md).

# LiteLLM spend logs: the feature is a request tag, the plan sits in the metadata.
records "litellm" {
  fields = {
    feature      = "request_tags.feature"
    subscription = "metadata.plan"
  }
}

# OpenTelemetry: the application sets feature, customer and plan on the root span;
# vector reads are spans with a read-unit count.
records "otel" {
  fields = {
    feature      = "app.feature"
    customer     = "enduser.id"
    subscription = "app.plan"
    quantity     = "db.vector.read_units"
  }
}
