"""Records of a step served on GPUs (SPEC §18).

A self-hosted model's serving stack (vLLM, TGI, a LiteLLM proxy in front of them) logs
tokens per request, like any model API: OpenTelemetry's ``gen_ai.usage.*`` attributes,
LiteLLM's ``prompt_tokens`` and ``completion_tokens``. Nothing in a record is GPU time,
so a record of a ``gpu`` item is read like a model call (input, cached and output
tokens) and priced through the item's throughput, exactly as the declared step is:
GPU seconds = ((input − cached) / input_tokens_per_second + output /
output_tokens_per_second) / utilization, at ``hourly`` / 3600
(:func:`infercost.cost.actual.price_usage`). What cannot be timed is an error naming
the record: output tokens on an item that serves none (no decode throughput), and a
meter quantity (GPU seconds measured some other way would not match the model's terms).
"""

from __future__ import annotations

from typing import Protocol

from infercost.cost.actual import UsageSums
from infercost.errors import InfercostError
from infercost.model import GpuPrice


class _Locate(Protocol):
    def __call__(self, condition: str, message: str) -> InfercostError: ...


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def check_gpu_sums(item: GpuPrice, feature: str, sums: UsageSums, locate: _Locate) -> None:
    """Raise, naming the first record, when the records of ``item`` cannot be timed."""
    these = f"item = {_lit(item.address)} AND feature = {_lit(feature)}"
    if item.output_tokens_per_second is None and sums.output_tokens:
        raise locate(
            f"{these} AND output_tokens > 0",
            f'"{item.address}" is a gpu item without "output_tokens_per_second" (it serves '
            "no output tokens), so its records cannot have output_tokens.",
        )
    if sums.quantity:
        raise locate(
            f"{these} AND quantity <> 0",
            f'"{item.address}" is a gpu item: its records are priced from their tokens '
            "through the item's throughput, so they take tokens, not a quantity.",
        )
