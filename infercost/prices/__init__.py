"""Maintained price data in, price sheets out.

This package is the only one that reads price data (the bundled ``genai-prices`` data,
a LiteLLM ``model_prices_and_context_window.json`` file). Both are mapped onto one
:class:`~infercost.prices.record.PriceRecord`, and everything else — writing sheets,
comparing a stack with the data, updating its files in place, reading the history of its
prices from git — works on those records and on the evaluated stack.
"""
