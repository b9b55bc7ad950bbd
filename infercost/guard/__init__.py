"""Guardrails: conditions over the figures, judged with a ratchet against the base."""
