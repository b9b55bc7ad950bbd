"""Which price data a command reads: the bundled genai-prices data as of a date, or a
LiteLLM file. One small interface, so commands never care which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from infercost.errors import InfercostError
from infercost.prices import genai, litellm
from infercost.prices.record import PriceRecord

SOURCES = ("genai-prices", "litellm")


@dataclass(frozen=True)
class PriceData:
    kind: str  # "genai-prices" | "litellm"
    at: date
    file: litellm.LiteLLMFile | None = None

    def describe(self) -> str:
        return genai.describe() if self.file is None else self.file.describe()

    def find(self, provider: str, model: str) -> PriceRecord:
        """The record, or LookupError with a "did you mean"."""
        if self.file is not None:
            return litellm.find(self.file, provider, model)
        return genai.find(provider, model, self.at)

    def lookup(self, reference: str) -> PriceRecord:
        """``PROVIDER/MODEL`` from the command line: InfercostError when unknown."""
        provider, slash, model = reference.partition("/")
        if not slash or not provider or not model:
            raise InfercostError.at(
                "Invalid model reference", f'"{reference}" is not of the form PROVIDER/MODEL.'
            )
        try:
            return self.find(provider, model)
        except LookupError as exc:
            raise InfercostError.at("Unknown model", str(exc)) from None


def open_data(source: str | None, at: date | None, file: Path | None = None) -> PriceData:
    """``--from genai-prices`` (default) or ``--from litellm FILE``."""
    from infercost.config.loader import display_path

    kind = source or "genai-prices"
    if kind not in SOURCES:
        raise InfercostError.at(
            "Invalid price source",
            f'--from must be "genai-prices" or "litellm", not "{kind}".',
        )
    when = at or date.today()
    if kind == "litellm":
        if file is None:
            raise InfercostError.at(
                "Missing price file",
                "--from litellm needs the file: --from litellm --file "
                "model_prices_and_context_window.json.",
            )
        if at is not None:
            raise InfercostError.at(
                "Invalid option", "--at needs time-dependent data; a LiteLLM file has one date."
            )
        return PriceData(kind, when, litellm.read(file, display_path(file)))
    if file is not None:
        raise InfercostError.at("Invalid option", "--file is read only with --from litellm.")
    return PriceData(kind, when)
