"""``--seed`` and ``--samples``, checked, and how simulated figures are written.

Kept apart from :mod:`infercost.insight.simulate` so that parsing arguments does not
import numpy: commands that simulate nothing start as fast as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from infercost.errors import InfercostError

DEFAULT_SEED = 20261
DEFAULT_SAMPLES = 10_000
MAX_SAMPLES = 1_000_000
DIGITS = 6  # significant digits of every simulated figure
COGS_METHOD = "normal approximation from the exact mean and variance of the unit cost"
UNIT_METHOD = "simulation"


@dataclass(frozen=True)
class Settings:
    seed: int = DEFAULT_SEED
    samples: int = DEFAULT_SAMPLES


def check_settings(seed: int | None, samples: int | None) -> Settings:
    """Validate --seed/--samples: an error (exit 1) that says the bounds."""
    seed = DEFAULT_SEED if seed is None else seed
    samples = DEFAULT_SAMPLES if samples is None else samples
    if samples <= 0 or samples > MAX_SAMPLES:
        raise InfercostError.at(
            "Invalid --samples",
            f"--samples must be a whole number from 1 to {MAX_SAMPLES:,} (got {samples:,}); "
            f"the default {DEFAULT_SAMPLES:,} gives percentiles to about three digits.",
        )
    if seed < 0 or seed >= 2**63:
        raise InfercostError.at(
            "Invalid --seed", f"--seed must be a whole number from 0 to 2^63 − 1 (got {seed})."
        )
    return Settings(seed, samples)


def significant(value: float | Decimal, digits: int = DIGITS) -> Decimal:
    """A figure rounded to ``digits`` significant digits, half away from zero."""
    d = Decimal(repr(value)) if isinstance(value, float) else value
    if not d or not d.is_finite():
        return Decimal(0)
    return d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=ROUND_HALF_UP)
