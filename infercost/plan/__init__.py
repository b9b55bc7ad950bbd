"""Proposed changes: base and head assembly, what-if overrides, and the COGS diff."""
