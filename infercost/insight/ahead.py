"""Percentiles simulated in a thread while the usage engine prices the customers.

A feature's percentiles (SPEC §16) come from simulating units of its workflow: work that
depends on the stack and ``--seed``/``--samples`` only, plus a last step that scales the
spread to the period's units. Pricing a large snapshot is mostly the engine's work, done
with the interpreter's lock released, so the simulation can run beside it instead of
after it. The units the simulation is given are the snapshot's per feature, read before
pricing; :func:`infercost.insight.report.attach` uses a spread only when they equal the
units the breakdown found, and simulates again otherwise, so the figures are those of a
simulation after pricing in every case. Equal in value is enough: the units enter only
through correctly rounded arithmetic and the rounding to significant digits, which
depend on a number's value, not on how many zeros its digits end with (the snapshot's
total of 21 units may be the breakdown's 21.0).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from infercost.arithmetic import exact
from infercost.insight.sampling import Settings
from infercost.model import Stack

if TYPE_CHECKING:
    from infercost.insight.simulate import Percentiles


class Spreads:
    """Each feature's percentiles, simulated in a thread from the snapshot's units."""

    def __init__(self, stack: Stack, units: Mapping[str, Decimal], settings: Settings) -> None:
        self._units = {name: units.get(name, Decimal(0)) for name in stack.features}
        self._found: dict[str, Percentiles | None] = {}
        self._failed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._simulate, args=(stack, settings), name="infercost-percentiles"
        )
        self._thread.start()

    def _simulate(self, stack: Stack, settings: Settings) -> None:
        from infercost.insight.simulate import percentiles

        try:
            with exact():  # the caller's context, not a new thread's default one
                for name, feature in stack.features.items():
                    if self._stop.is_set():
                        return
                    self._found[name] = percentiles(stack, feature, self._units[name], settings)
        except Exception:  # simulated again by the caller, which reports it there
            self._failed = True

    def wait(self) -> None:
        self._thread.join()

    def cancel(self) -> None:
        """Stop after the feature being simulated, and wait for the thread to end."""
        self._stop.set()
        self._thread.join()

    def spread(self, name: str, units: Decimal) -> tuple[bool, Percentiles | None]:
        """(True, the spread) when it was simulated for ``units``; (False, None) when the
        caller must simulate it."""
        self._thread.join()
        if self._failed or name not in self._found or self._units.get(name) != units:
            return False, None
        return True, self._found[name]
