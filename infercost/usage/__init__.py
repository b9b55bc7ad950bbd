"""Usage snapshots: what was used in a period, read strictly."""
