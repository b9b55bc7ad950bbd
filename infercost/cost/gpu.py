"""The time and cost of a step served by a self-hosted model on GPUs (SPEC §18).

GPU seconds of one run = ((1 − s)·T_in / input_tokens_per_second
                          + T_out / output_tokens_per_second) / utilization
cost of one run         = GPU seconds · hourly / 3600

Cached input tokens need no prefill, so they take no time. The step's share, retries and
cache hits, and the sheet's factors (region multiplier; discount and exchange rate where
a sheet declares them), then apply as to any other step.
"""

from __future__ import annotations

from decimal import Decimal

from infercost.arithmetic import ONE, ZERO
from infercost.model import GpuPrice

SECONDS_PER_HOUR = Decimal(3600)


def gpu_seconds(item: GpuPrice, cached_share: Decimal, t_in: Decimal, t_out: Decimal) -> Decimal:
    """GPU seconds of one run of a step (before share, retries and cache hits)."""
    busy = (ONE - cached_share) * t_in / item.input_tokens_per_second
    if item.output_tokens_per_second is not None:
        busy += t_out / item.output_tokens_per_second
    return busy / item.utilization


def gpu_run_cost(item: GpuPrice, seconds: Decimal) -> Decimal:
    """The cost of one run from its GPU seconds, in the sheet's currency."""
    return seconds * item.hourly / SECONDS_PER_HOUR


def token_rates(item: GpuPrice, cached_share: Decimal) -> tuple[Decimal, Decimal]:
    """(cost per input token, cost per output token) of a run, the same bill as
    :func:`gpu_run_cost` written per token, for the views that take a step apart by its
    tokens (drivers, percentiles)."""
    per_second = item.hourly / SECONDS_PER_HOUR / item.utilization
    per_in = (ONE - cached_share) * per_second / item.input_tokens_per_second
    decode = item.output_tokens_per_second
    return per_in, (per_second / decode if decode is not None else ZERO)
