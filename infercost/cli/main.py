"""Argument wiring only: options -> one frozen arguments object -> the command's module,
which calls the application layer and renders its views; the command's
:class:`~infercost.cli.diagnostics.Outcome` comes back to :func:`main`, the one handler
that prints diagnostics and returns the exit code.

Exit codes follow Terraform and tflint (precedence in :mod:`infercost.app.exit`): 0
success, 1 error (bad input or a bad flag — never the 2 of click-style parsers), 2 "changes" (plan
--detailed-exitcode) or "blocking violations" (check).
"""

from __future__ import annotations

import contextlib
import decimal
import errno
import gc
import io
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TextIO, cast

from infercost import __version__
from infercost.app.exit import ExitCode
from infercost.cli import commandline as cl
from infercost.cli.context import Console
from infercost.cli.diagnostics import Outcome, report
from infercost.cli.output import parse_outputs
from infercost.errors import Diagnostic, InfercostError
from infercost.files import remembering_inputs
from infercost.render.inert import InertStream

# Each command imports what it runs inside its function, so a command line loads only
# its own command's modules: start-up is most of a small stack's run (bench/run.py's
# "warm" figures), and tests/cli/test_startup.py keeps the heavy ones out.
if TYPE_CHECKING:
    from infercost.insight.sampling import Settings
    from infercost.options import Options

app = cl.App(
    name="infercost",
    help="Budget-as-code for AI inference: cost plans and margin gates for LLM workflows.",
    no_args_is_help=True,
)

StackArg = Annotated[
    Path | None,
    cl.Argument(
        help="Stack directory (its *.hcl files). Default: every stack of the project "
        "(infercost.project.hcl), else the working directory.",
        show_default=False,
    ),
]
StackNameOpt = Annotated[
    str | None, cl.Option("--stack", help="Run only this stack of the project.")
]
UsageScaleOpt = Annotated[
    str | None,
    cl.Option("--usage-scale", help="Multiply every usage row's units by F (F >= 0).", metavar="F"),
]
UsageOpt = Annotated[
    Path | None, cl.Option("--usage", help="Usage snapshot (.csv, .json, .jsonl).")
]
VarOpt = Annotated[list[str] | None, cl.Option("--var", help="Set a variable: NAME=VALUE.")]
VarFileOpt = Annotated[
    list[Path] | None, cl.Option("--var-file", help="HCL file of variable values.")
]
PeriodOpt = Annotated[
    str | None, cl.Option("--period", help="Usage period to use when the snapshot has several.")
]
OutputOpt = Annotated[
    list[str] | None,
    cl.Option("-o", "--output", help="Output format, or FORMAT=FILE; repeatable."),
]
OutOpt = Annotated[
    Path | None, cl.Option("--out", help="Write the output to FILE instead of stdout.")
]
NoColorOpt = Annotated[
    bool, cl.Option("--no-color", help="Never colour the output (also: NO_COLOR).")
]


SeedOpt = Annotated[
    int | None,
    cl.Option("--seed", help="Seed of the percentile simulation (default fixed: reproducible)."),
]
SamplesOpt = Annotated[
    int | None,
    cl.Option("--samples", help="Units simulated per feature for percentiles (default 10000)."),
]


def _sampling(seed: int | None, samples: int | None) -> Settings:
    from infercost.insight.sampling import check_settings

    return check_settings(seed, samples)


def _options(
    stack: Path | None,
    usage: Path | None,
    var: list[str] | None,
    var_file: list[Path] | None,
    period: str | None,
    usage_scale: str | None = None,
) -> Options:
    from infercost.options import Options

    scale = None
    if usage_scale is not None:
        from infercost.usage.scale import parse_scale

        scale = parse_scale(usage_scale)
    return Options(
        stack=stack or Path("."),
        vars=tuple(var or ()),
        var_files=tuple(var_file or ()),
        usage=usage,
        period=period,
        usage_scale=scale,
    )


def _dispatch(
    command: Literal["validate", "breakdown", "plan", "check"],
    args: Any,
    stack: Path | None,
    stack_name: str | None,
    console: Console,
) -> Outcome:
    """One stack through its command module, or every stack of the project."""
    import importlib

    from infercost.cli import project

    where = project.target(stack, stack_name)
    args = project.for_target(args, where)
    if where.whole_project and where.project is not None:
        return project.run(command, args, console, where.project)
    module = importlib.import_module(f"infercost.cli.{command}")
    outcome: Outcome = module.run(args, console)
    return outcome


def _console(ctx: cl.Context, no_color: bool = False) -> Console:
    """The console ``main`` was given (tests pass string buffers), with --no-color applied."""
    base = ctx.obj if isinstance(ctx.obj, Console) else Console()
    return Console(base.stdout, base.stderr, base.no_color or no_color)


@app.command()
def validate(
    ctx: cl.Context,
    stack: StackArg = None,
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
    stack_name: StackNameOpt = None,
) -> Outcome:
    """Parse the stack and check its schema, references and (if configured) usage."""
    from infercost.app.arguments import ValidateArgs
    from infercost.cli import validate as command

    args = ValidateArgs(
        _options(stack, usage, var, var_file, period),
        parse_outputs(output, out, command.FORMATS),
    )
    return _dispatch("validate", args, stack, stack_name, _console(ctx, no_color))


@app.command()
def breakdown(
    ctx: cl.Context,
    stack: StackArg = None,
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
    seed: SeedOpt = None,
    samples: SamplesOpt = None,
    stack_name: StackNameOpt = None,
    usage_scale: UsageScaleOpt = None,
) -> Outcome:
    """Cost per unit, COGS, revenue and margin per feature, and where the money goes."""
    from infercost.app.arguments import BreakdownArgs
    from infercost.cli import breakdown as command

    args = BreakdownArgs(
        _options(stack, usage, var, var_file, period, usage_scale),
        parse_outputs(output, out, command.FORMATS),
        _sampling(seed, samples),
    )
    return _dispatch("breakdown", args, stack, stack_name, _console(ctx, no_color))


BaseOpt = Annotated[
    str | None,
    cl.Option(
        "--base",
        help="Git ref of the base (the stack as committed there); A...B is the merge base "
        "of A and B, as GitHub diffs a pull request.",
    ),
]
BaseDirOpt = Annotated[
    Path | None, cl.Option("--base-dir", help="Directory holding the base stack.")
]
WhatIfOpt = Annotated[
    list[Path] | None,
    cl.Option("--what-if", help="Override file applied to the head; repeatable."),
]


@app.command()
def plan(
    ctx: cl.Context,
    stack: StackArg = None,
    base: BaseOpt = None,
    base_dir: BaseDirOpt = None,
    what_if: WhatIfOpt = None,
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    detailed_exitcode: Annotated[
        bool, cl.Option("--detailed-exitcode", help="Exit 2 when anything changed.")
    ] = False,
    no_color: NoColorOpt = False,
    seed: SeedOpt = None,
    samples: SamplesOpt = None,
    stack_name: StackNameOpt = None,
    usage_scale: UsageScaleOpt = None,
) -> Outcome:
    """The COGS diff between a base and the proposed configuration."""
    from infercost.app.arguments import PlanArgs
    from infercost.cli import plan as command
    from infercost.options import Change

    args = PlanArgs(
        _options(stack, usage, var, var_file, period, usage_scale),
        Change(base, base_dir, tuple(what_if or ())),
        parse_outputs(output, out, command.FORMATS),
        detailed_exitcode,
        _sampling(seed, samples),
    )
    return _dispatch("plan", args, stack, stack_name, _console(ctx, no_color))


@app.command()
def check(
    ctx: cl.Context,
    stack: StackArg = None,
    base: BaseOpt = None,
    base_dir: BaseDirOpt = None,
    what_if: WhatIfOpt = None,
    policy: Annotated[
        list[str] | None,
        cl.Option("--policy", help="Guardrail file, folder or builtin:NAME; repeatable."),
    ] = None,
    strict: Annotated[
        bool, cl.Option("--strict", help="Block on existing violations too.")
    ] = False,
    soft_fail: Annotated[
        bool, cl.Option("--soft-fail", help="Report violations but exit 0 (errors still 1).")
    ] = False,
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
    stack_name: StackNameOpt = None,
    usage_scale: UsageScaleOpt = None,
    records: Annotated[
        list[Path] | None,
        cl.Option("--records", help="Request records for drift attributes; repeatable."),
    ] = None,
    records_from: Annotated[
        str, cl.Option("--from", help="Format of --records: records, otel or litellm.")
    ] = "records",
) -> Outcome:
    """Evaluate guardrails; exit 2 when a change breaks a blocking one."""
    from infercost.app.arguments import CheckArgs
    from infercost.cli import check as command
    from infercost.options import Change

    args = CheckArgs(
        _options(stack, usage, var, var_file, period, usage_scale),
        Change(base, base_dir, tuple(what_if or ())),
        tuple(policy or ()),
        strict,
        soft_fail,
        parse_outputs(output, out, command.FORMATS),
        tuple(records or ()),
        records_from,
    )
    return _dispatch("check", args, stack, stack_name, _console(ctx, no_color))


usage_app = cl.App(
    name="usage",
    help="Usage from production: import request records, print the aggregation SQL.",
    no_args_is_help=True,
)
app.add_group(usage_app)


@usage_app.command("import")
def usage_import(
    ctx: cl.Context,
    paths: Annotated[
        list[Path],
        cl.Argument(help="[STACK] then records files (the stack defaults to .)."),
    ],
    source: Annotated[
        str,
        cl.Option("--from", help="Source format: records, otel, litellm, aggregated, focus."),
    ],
    period: PeriodOpt = None,
    out: Annotated[
        Path | None, cl.Option("--out", help="Snapshot to write (default: the stack's usage).")
    ] = None,
    engine: Annotated[str, cl.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
) -> Outcome:
    """Aggregate request records into the usage snapshot and price them exactly."""
    from infercost.app.arguments import UsageImportArgs
    from infercost.cli import usage as command

    stack, files = command.split_paths(paths)
    args = UsageImportArgs(
        _options(stack, None, var, var_file, period),
        tuple(files),
        source,
        engine,
        out,
        parse_outputs(output, None, command.FORMATS),
    )
    return command.run_import(args, _console(ctx, no_color))


@app.command()
def calibrate(
    ctx: cl.Context,
    paths: Annotated[
        list[Path],
        cl.Argument(help="[STACK] then records files (the stack defaults to .)."),
    ],
    source: Annotated[
        str | None,
        cl.Option(
            "--from",
            help="Source format: records, otel or litellm (default: the records setting's).",
        ),
    ] = None,
    period: PeriodOpt = None,
    write_what_if: Annotated[
        Path | None,
        cl.Option("--write-what-if", help="Write the observed shape as a what-if file."),
    ] = None,
    engine: Annotated[str, cl.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
) -> Outcome:
    """Declared shape vs what the records show; the observed shape as a what-if."""
    from infercost.cli import calibrate as command
    from infercost.cli.usage import split_paths

    stack, files = split_paths(paths)
    args = command.CalibrateArgs(
        _options(stack, None, var, var_file, period),
        tuple(files),
        source,
        write_what_if,
        parse_outputs(output, None, command.FORMATS),
        engine,
    )
    return command.run(args, _console(ctx, no_color))


@usage_app.command("sql")
def usage_sql(
    ctx: cl.Context,
    stack: StackArg = Path("."),
    dialect: Annotated[
        str, cl.Option("--dialect", help="spark, bigquery, snowflake, trino or duckdb.")
    ] = "duckdb",
    table: Annotated[
        str, cl.Option("--table", help="Table or view holding the record fields.")
    ] = "records",
    var: VarOpt = None,
    var_file: VarFileOpt = None,
) -> Outcome:
    """Print the aggregation query, to run where the records already are."""
    from infercost.app.arguments import UsageSqlArgs
    from infercost.cli import usage as command

    args = UsageSqlArgs(_options(stack, None, var, var_file, None), dialect, table)
    return command.run_sql(args, _console(ctx))


@app.command()
def explain(
    ctx: cl.Context,
    stack_and_feature: Annotated[
        list[str],
        cl.Argument(
            help="[STACK] FEATURE: a stack directory (default: the project's --stack, "
            "else .) and a feature."
        ),
    ],
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    swing: Annotated[
        str, cl.Option("--swing", help="Tornado swing in percent, in (0, 100); default 20.")
    ] = "20",
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
    seed: SeedOpt = None,
    samples: SamplesOpt = None,
    stack_name: StackNameOpt = None,
) -> Outcome:
    """What drives one feature's cost per unit, its headroom and its break-even prices."""
    from infercost.app.arguments import ExplainArgs
    from infercost.cli import explain as command

    stack, feature = command.split_arguments(stack_and_feature)
    args = ExplainArgs(
        _options(stack, usage, var, var_file, period),
        feature,
        swing,
        parse_outputs(output, out, command.FORMATS),
        _sampling(seed, samples) if seed is not None or samples is not None else None,
        stack_given=stack is not None,
        stack_name=stack_name,
    )
    return command.run(args, _console(ctx, no_color))


@app.command()
def compare(
    ctx: cl.Context,
    paths: Annotated[
        list[Path] | None,
        cl.Argument(
            help="[STACK] WHAT_IF.hcl...: the stack directory (optional), then what-if files.",
            show_default=False,
        ),
    ] = None,
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
    stack_name: StackNameOpt = None,
    usage_scale: UsageScaleOpt = None,
) -> Outcome:
    """The stack and each what-if applied alone, side by side: COGS, margin, underwater."""
    import dataclasses

    from infercost.app.compare import CompareArgs
    from infercost.cli import compare as command

    outputs = parse_outputs(output, out, command.FORMATS)
    options = _options(None, usage, var, var_file, period, usage_scale)
    stack, what_ifs = command.split(list(paths or ()), stack_name)
    directory, project_usage = command.one_stack(stack, stack_name)
    options = dataclasses.replace(options, stack=directory, usage=usage or project_usage)
    args = CompareArgs(options, what_ifs, outputs)
    return command.run(args, _console(ctx, no_color))


@app.command()
def comment(
    ctx: cl.Context,
    body_file: Annotated[
        Path,
        cl.Option("--body-file", help="Markdown body (from check -o markdown); - for stdin."),
    ],
    repo: Annotated[
        str | None, cl.Option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
    ] = None,
    pr: Annotated[
        int | None, cl.Option("--pr", help="Pull request number (default: from the event).")
    ] = None,
    tag: Annotated[str | None, cl.Option("--tag", help="Keep a separate comment per tag.")] = None,
    valid_at: Annotated[
        str | None, cl.Option("--valid-at", help="ISO 8601 time the data is valid for.")
    ] = None,
) -> Outcome:
    """Create or update the sticky pull-request comment (token from GITHUB_TOKEN)."""
    from infercost.github.command import run_comment

    return run_comment(body_file, repo, pr, tag=tag, valid_at=valid_at, console=_console(ctx))


@app.command()
def fmt(
    ctx: cl.Context,
    paths: Annotated[
        list[Path] | None,
        cl.Argument(help="Stack directories or .hcl files (default: the current directory)."),
    ] = None,
    check: Annotated[
        bool,
        cl.Option("--check", help="Write nothing; list the files to format and exit 3."),
    ] = False,
) -> Outcome:
    """Rewrite .hcl files in the canonical layout, and print the files changed."""
    from infercost.cli import fmt as command

    return command.run(tuple(paths or ()), check, _console(ctx, True))


@app.command()
def init(
    ctx: cl.Context,
    directory: Annotated[
        Path | None, cl.Argument(help="Directory of the new stack (default: here).")
    ] = None,
    model: Annotated[
        list[str] | None,
        cl.Option("--model", help="PROVIDER/MODEL to import prices for; repeatable."),
    ] = None,
    source: Annotated[
        str | None,
        cl.Option("--from", help="Price data: genai-prices (bundled, default) or litellm."),
    ] = None,
    file: Annotated[
        Path | None,
        cl.Option("--file", help="The LiteLLM model_prices_and_context_window.json file."),
    ] = None,
    at: Annotated[
        str | None, cl.Option("--at", help="Prices as of this date (YYYY-MM-DD).")
    ] = None,
) -> Outcome:
    """Start a new stack: prices imported for the models named, a workflow, a feature,
    guardrails and a usage file template."""
    from infercost.app.prices import DataArgs
    from infercost.cli import init as command
    from infercost.cli.prices import _date

    data = DataArgs(source, file, _date(at))
    return command.run(directory or Path("."), tuple(model or ()), data, _console(ctx))


@app.command()
def version(ctx: cl.Context) -> Outcome:
    """Print the version."""
    _console(ctx).stdout.write(f"infercost {__version__}\n")
    return Outcome(ExitCode.SUCCESS)


def main(argv: list[str] | None = None, console: Console | None = None) -> int:
    """Run the CLI and return its exit code: the one handler of every command.

    A command returns an :class:`Outcome`; an error that ends it becomes one. Either
    way its diagnostics are printed here, once, and never as a traceback. Every byte
    printed goes through inert streams (:mod:`infercost.render.inert`): nothing from a
    stack, a usage file or a message can start a CI runner command or show a token.
    """
    given = console or Console()
    if given.stdout is None:  # started with standard output closed (>&-)
        given = Console(_ClosedStream(), given.stderr, given.no_color)
    out, err = InertStream(given.stdout), InertStream(given.stderr)
    # InertStream writes like a text stream; it wraps one rather than being one.
    code = _main(argv, Console(cast(TextIO, out), cast(TextIO, err), given.no_color))
    try:
        out.flush()  # the last line, when it had no newline
    except BrokenPipeError:
        pass
    except OSError as exc:
        err.write(f"Error: Cannot write output\n\n{exc.strerror or exc}.\n")
        code = int(ExitCode.ERROR)
    with contextlib.suppress(OSError):
        err.flush()
    return code


def _main(argv: list[str] | None, console: Console) -> int:
    # A run is short and builds large, acyclic structures (parse trees, a million usage
    # rows' groups); the cyclic GC's repeated full scans over them cost more than the
    # little cyclic garbage it would reclaim. Raising the threshold keeps it for safety.
    gc.set_threshold(200_000, 50, 1_000)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["--help"]
    try:
        with remembering_inputs():  # no output of the run may replace a file it read
            returned = app(args, prog_name="infercost", obj=console)
    except InfercostError as exc:
        return report(Outcome(ExitCode.ERROR, tuple(exc.diagnostics)), console)
    except cl.Exit as exc:
        return int(exc.exit_code or 0)
    except cl.UsageError as exc:  # a bad flag, an unknown command: usage errors
        problem = Diagnostic("Invalid command line", exc.format_message())
        return report(Outcome(ExitCode.ERROR, (problem,)), console)
    except KeyboardInterrupt:
        console.stderr.write("Interrupted.\n")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.SUCCESS)
    except decimal.DecimalException:  # a derived figure (a percentage change) too large
        problem = Diagnostic(
            "Figure too large",
            "A figure derived from the configuration is too large to show at 28 "
            "significant digits; check prices, counts and usage for absurd values.",
        )
        return report(Outcome(ExitCode.ERROR, (problem,)), console)
    except OSError as exc:  # stdout closed (>&-), a full disk (/dev/full): said, not a bug
        problem = Diagnostic("Cannot write output", f"{exc.strerror or exc}.")
        return report(Outcome(ExitCode.ERROR, (problem,)), console)
    except Exception:
        if os.environ.get("INFERCOST_DEBUG"):
            traceback.print_exc(file=console.stderr)
        bug = Diagnostic(
            "Unexpected internal error",
            "This is a bug in infercost. Run again with INFERCOST_DEBUG=1 to see "
            "the details, and report them.",
        )
        return report(Outcome(ExitCode.ERROR, (bug,)), console)
    if isinstance(returned, Outcome):
        return report(returned, console)
    return int(returned or 0)  # --help and the like: click's own exit code


class _ClosedStream(io.StringIO):
    """Standard output when the process started without one: writing is an error."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def run() -> None:
    code = main()
    try:
        if sys.stdout is not None:
            sys.stdout.flush()  # a buffered write to a full disk fails here, not in main
    except BrokenPipeError:
        pass
    except OSError as exc:
        sys.stderr.write(f"Error: Cannot write output\n\n{exc.strerror or exc}.\n")
        code = 1
    else:
        _fast_exit(code)  # returns when it is not safe: the normal exit below
    if sys.stdout is not None:
        # Nothing more to write: keep the interpreter's final flush from failing again.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    sys.exit(code)


def _fast_exit(code: int) -> None:
    """End the process now when everything is written, skipping interpreter teardown.

    Tearing down a run's heap (every module, the parse trees, the usage groups) costs a
    tenth of a second or more on a large stack, all after the last byte is out. Only
    safe when nothing is left to do at exit: standard output and error are flushed here
    first (an error returns, leaving the caller's normal exit and its message), and a
    Spark session, whose driver must be stopped, keeps the normal exit."""
    spark = sys.modules.get("infercost.usage.records.spark")
    if spark is not None and getattr(spark, "_SESSION", None):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


app.add_lazy_group("prices", "infercost.cli.prices", "prices_app")
