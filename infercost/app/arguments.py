"""Each command's arguments as one frozen object, parsed before any work starts.

``-o`` values are already :class:`OutputSpec` here, so a bad format or file option
fails before a stack is read (black's ``Mode``, Terraform's ``arguments`` package).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from infercost.insight.sampling import Settings
from infercost.options import Change, Options


@dataclass(frozen=True)
class OutputSpec:
    """One view to produce: ``format`` to standard output, or to ``path``."""

    format: str
    path: Path | None = None


@dataclass(frozen=True)
class ValidateArgs:
    options: Options
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)


@dataclass(frozen=True)
class BreakdownArgs:
    options: Options
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)
    #: ``--seed``/``--samples`` of the percentile simulation.
    sampling: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class PlanArgs:
    options: Options
    change: Change = field(default_factory=Change)
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)
    #: Exit 2 when anything changed.
    detailed_exitcode: bool = False
    #: ``--seed``/``--samples`` of the percentile simulation.
    sampling: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class CheckArgs:
    options: Options
    change: Change = field(default_factory=Change)
    #: ``--policy`` values: files, folders or ``builtin:NAME``, in order.
    policies: tuple[str, ...] = ()
    #: Existing violations block too.
    strict: bool = False
    #: Violations are reported but exit 0; errors still exit 1.
    soft_fail: bool = False
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)
    #: ``--records``: request records whose observed shape feature and step ``self`` gain.
    records: tuple[Path, ...] = ()
    #: ``--from``: the records' source format.
    records_from: str = "records"


@dataclass(frozen=True)
class ExplainArgs:
    options: Options
    #: The feature to explain.
    feature: str
    #: ``--swing``, the tornado's swing in percent, as typed (checked by the app layer).
    swing: str = "20"
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)
    #: Percentiles only when ``--seed`` or ``--samples`` asks for them: without them
    #: explain does not load the simulation (numpy) and answers sooner.
    sampling: Settings | None = None
    #: A stack directory was given on the command line (else the project file, if any,
    #: decides which stack).
    stack_given: bool = True
    #: ``--stack NAME``: a stack of the project.
    stack_name: str | None = None


@dataclass(frozen=True)
class UsageImportArgs:
    options: Options
    #: Records files, in the order given.
    files: tuple[Path, ...] = ()
    #: ``--from``: records, otel, litellm, aggregated or focus.
    source: str = "records"
    #: ``--engine``: duckdb or spark.
    engine: str = "duckdb"
    #: The snapshot to write (default: the stack's ``usage`` setting).
    out: Path | None = None
    outputs: tuple[OutputSpec, ...] = (OutputSpec("text"),)


@dataclass(frozen=True)
class UsageSqlArgs:
    options: Options
    dialect: str = "duckdb"
    #: The table or view holding the record fields.
    table: str = "records"
