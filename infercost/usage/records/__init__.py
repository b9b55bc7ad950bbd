"""Request records (SPEC §12): read, map, validate and aggregate in an engine, never in a
Python loop per record."""
