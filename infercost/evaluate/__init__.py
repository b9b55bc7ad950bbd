"""Evaluating HCL expressions exactly, from the neutral syntax tree, without eval."""
