# What if the drafting loop ran on gpt-4o instead of gpt-4o-mini?
#
#   infercost plan examples/support-assistant \
#     --what-if examples/support-assistant/what-if/gpt-4o-draft.hcl
#
# Only the attribute named here changes; every other attribute of the workflow
# and of the step keeps its value from the stack.

workflow "answer_ticket" {
  step "draft" {
    uses = "openai/gpt-4o"
  }
}
