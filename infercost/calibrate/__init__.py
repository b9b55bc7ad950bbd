"""calibrate: the declared shape against what production does (SPEC §12)."""
