# The repository's own examples as one project: `infercost check` (no stack argument)
# at the top of the repository checks both, and the pull-request workflow gates them
# with one comment. See docs/projects.md.

stack "support-assistant" {
  path = "examples/support-assistant"
}

stack "search-api" {
  path = "examples/search-api"
}

# Guardrail packs every stack is checked against, besides its own guardrails.
policies = ["builtin:retry-storms", "builtin:context-windows"]
