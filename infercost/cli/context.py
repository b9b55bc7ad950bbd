"""What a command needs from its environment, passed in so commands stay testable."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TextIO

from infercost.render.formatting import Style


@dataclass
class Console:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    no_color: bool = False

    def style_for(self, stream: TextIO) -> Style:
        """Colour only for a terminal, never with --no-color or NO_COLOR set."""
        if self.no_color or os.environ.get("NO_COLOR"):
            return Style(False)
        isatty = getattr(stream, "isatty", None)
        return Style(bool(isatty and isatty()))

    @property
    def out_style(self) -> Style:
        return self.style_for(self.stdout)

    @property
    def err_style(self) -> Style:
        return self.style_for(self.stderr)
