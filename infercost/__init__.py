"""infercost: budget-as-code for AI inference."""

__version__ = "0.1.0"
