"""Argument wiring only: each command lives in its own module and returns an exit code.

Exit codes follow Terraform and tflint: 0 success, 1 error (bad input or a bad flag —
never Typer's 2), 2 "changes" (plan --detailed-exitcode) or "blocking violations" (check).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from infercost import __version__
from infercost.cli.context import Console
from infercost.cli.diagnostics import print_diagnostics
from infercost.errors import Diagnostic, InfercostError
from infercost.workspace import Options

app = typer.Typer(
    name="infercost",
    help="Budget-as-code for AI inference: cost plans and margin gates for LLM workflows.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

StackArg = Annotated[Path, typer.Argument(help="Stack directory (its *.hcl files).")]
UsageOpt = Annotated[
    Path | None, typer.Option("--usage", help="Usage snapshot (.csv, .json, .jsonl).")
]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help="Set a variable: NAME=VALUE.")]
VarFileOpt = Annotated[
    list[Path] | None, typer.Option("--var-file", help="HCL file of variable values.")
]
PeriodOpt = Annotated[
    str | None, typer.Option("--period", help="Usage period to use when the snapshot has several.")
]
OutputOpt = Annotated[
    list[str] | None,
    typer.Option("-o", "--output", help="Output format, or FORMAT=FILE; repeatable."),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write the output to FILE instead of stdout.")
]
NoColorOpt = Annotated[
    bool, typer.Option("--no-color", help="Never colour the output (also: NO_COLOR).")
]


def _options(
    stack: Path,
    usage: Path | None,
    var: list[str] | None,
    var_file: list[Path] | None,
    period: str | None,
) -> Options:
    return Options(
        stack=stack,
        vars=tuple(var or ()),
        var_files=tuple(var_file or ()),
        usage=usage,
        period=period,
    )


class _Result(Exception):
    """Carries a command's exit code out of typer without sys.exit inside commands."""

    def __init__(self, code: int) -> None:
        self.code = code


_session: list[Console] = []


def _console(no_color: bool) -> Console:
    """The console ``main`` was given (tests pass string buffers), with --no-color applied."""
    base = _session[-1] if _session else Console()
    return Console(base.stdout, base.stderr, base.no_color or no_color)


def _finish(command: Callable[..., int], *args: object) -> None:
    raise _Result(command(*args))


@app.command()
def validate(
    stack: StackArg = Path("."),
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """Parse the stack and check its schema, references and (if configured) usage."""
    from infercost.cli import validate as command

    _finish(
        command.run, _options(stack, usage, var, var_file, period), output, out, _console(no_color)
    )


@app.command()
def breakdown(
    stack: StackArg = Path("."),
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """Cost per unit, COGS, revenue and margin per feature, and where the money goes."""
    from infercost.cli import breakdown as command

    _finish(
        command.run, _options(stack, usage, var, var_file, period), output, out, _console(no_color)
    )


BaseOpt = Annotated[
    str | None, typer.Option("--base", help="Git ref of the base (the stack as committed there).")
]
BaseDirOpt = Annotated[
    Path | None, typer.Option("--base-dir", help="Directory holding the base stack.")
]
WhatIfOpt = Annotated[
    list[Path] | None,
    typer.Option("--what-if", help="Override file applied to the head; repeatable."),
]


@app.command()
def plan(
    stack: StackArg = Path("."),
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
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when anything changed.")
    ] = False,
    no_color: NoColorOpt = False,
) -> None:
    """The COGS diff between a base and the proposed configuration."""
    from infercost.cli import plan as command
    from infercost.workspace import Change

    change = Change(base, base_dir, tuple(what_if or ()))
    _finish(
        command.run,
        _options(stack, usage, var, var_file, period),
        change,
        output,
        out,
        detailed_exitcode,
        _console(no_color),
    )


@app.command()
def check(
    stack: StackArg = Path("."),
    base: BaseOpt = None,
    base_dir: BaseDirOpt = None,
    what_if: WhatIfOpt = None,
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", help="Guardrail file, folder or builtin:NAME; repeatable."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Block on existing violations too.")
    ] = False,
    soft_fail: Annotated[
        bool, typer.Option("--soft-fail", help="Report violations but exit 0 (errors still 1).")
    ] = False,
    usage: UsageOpt = None,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    period: PeriodOpt = None,
    output: OutputOpt = None,
    out: OutOpt = None,
    no_color: NoColorOpt = False,
) -> None:
    """Evaluate guardrails; exit 2 when a change breaks a blocking one."""
    from infercost.cli import check as command
    from infercost.workspace import Change

    change = Change(base, base_dir, tuple(what_if or ()))
    _finish(
        command.run,
        _options(stack, usage, var, var_file, period),
        change,
        list(policy or ()),
        strict,
        soft_fail,
        output,
        out,
        _console(no_color),
    )


@app.command()
def comment(
    body_file: Annotated[
        Path,
        typer.Option("--body-file", help="Markdown body (from check -o markdown); - for stdin."),
    ],
    repo: Annotated[
        str | None, typer.Option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
    ] = None,
    pr: Annotated[
        int | None, typer.Option("--pr", help="Pull request number (default: from the event).")
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Keep a separate comment per tag.")
    ] = None,
    valid_at: Annotated[
        str | None, typer.Option("--valid-at", help="ISO 8601 time the data is valid for.")
    ] = None,
) -> None:
    """Create or update the sticky pull-request comment (token from GITHUB_TOKEN)."""
    from infercost.github.command import comment_command

    console = _console(False)
    raise _Result(
        comment_command(body_file, repo, pr, tag=tag, valid_at=valid_at, stderr=console.stderr)
    )


@app.command()
def version() -> None:
    """Print the version."""
    _console(False).stdout.write(f"infercost {__version__}\n")
    raise _Result(0)


def main(argv: list[str] | None = None, console: Console | None = None) -> int:
    """Run the CLI and return its exit code; every error becomes a diagnostic, never a trace."""
    console = console or Console()
    # A run is short and builds large, acyclic structures (parse trees, a million usage
    # rows' groups); the cyclic GC's repeated full scans over them cost more than the
    # little cyclic garbage it would reclaim. Raising the threshold keeps it for safety.
    gc.set_threshold(200_000, 50, 1_000)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["--help"]
    _session.append(console)
    try:
        app(args=args, prog_name="infercost", standalone_mode=False)
    except _Result as result:
        return result.code
    except InfercostError as exc:
        print_diagnostics(exc.diagnostics, console.stderr, console.err_style)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.TyperException as exc:  # a bad flag, an unknown command: usage errors
        print_diagnostics(
            [Diagnostic("Invalid command line", exc.format_message())],
            console.stderr,
            console.err_style,
        )
        return 1
    except typer.Abort:
        console.stderr.write("Aborted.\n")
        return 1
    except KeyboardInterrupt:
        console.stderr.write("Interrupted.\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception:
        if os.environ.get("INFERCOST_DEBUG"):
            traceback.print_exc(file=console.stderr)
        print_diagnostics(
            [
                Diagnostic(
                    "Unexpected internal error",
                    "This is a bug in infercost. Run again with INFERCOST_DEBUG=1 to see "
                    "the details, and report them.",
                )
            ],
            console.stderr,
            console.err_style,
        )
        return 1
    finally:
        _session.pop()
    return 0


def run() -> None:
    sys.exit(main())
