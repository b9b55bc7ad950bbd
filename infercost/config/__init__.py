"""Reading stacks: HCL files to a neutral, located syntax tree, checked for structure."""
