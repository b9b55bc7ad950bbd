"""The command-line grammar (infercost/cli/commandline.py) on a small declared program:
what each form of option and argument gives the command, and every mistake's message."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest

from infercost.cli import commandline as cl

app = cl.App(name="prog", help="A test program.\n\nIts second paragraph.")
group = cl.App(name="grp", help="A group of commands.", no_args_is_help=True)
app.add_group(group)
seen: dict[str, Any] = {}


@app.command()
def run(
    ctx: cl.Context,
    stack: Annotated[Path | None, cl.Argument(help="The stack.")] = None,
    name: Annotated[str | None, cl.Option("--name", help="A name.")] = None,
    count: Annotated[int | None, cl.Option("--count", help="A count.")] = None,
    var: Annotated[list[str] | None, cl.Option("--var", help="Repeatable.")] = None,
    output: Annotated[list[str] | None, cl.Option("-o", "--output", help="Formats.")] = None,
    strict: Annotated[bool, cl.Option("--strict", help="A flag.")] = False,
    source: Annotated[str, cl.Option("--from", help="With a default.")] = "records",
) -> str:
    """Run one thing."""
    seen.update(
        ctx=ctx, stack=stack, name=name, count=count, var=var, output=output, strict=strict,
        source=source,
    )  # fmt: skip
    return "ran"


@group.command("take-all")
def take_all(
    paths: Annotated[list[Path], cl.Argument(help="[STACK] then files.")],
    source: Annotated[str, cl.Option("--from", help="Required.")],
) -> str:
    """Take every path."""
    seen.update(paths=paths, source=source)
    return "took"


def call(*args: str) -> Any:
    seen.clear()
    return app(list(args), prog_name="prog", obj="the console")


def test_defaults_when_nothing_is_given() -> None:
    assert call("run") == "ran"
    assert seen["stack"] is None and seen["name"] is None and seen["count"] is None
    assert seen["var"] is None and seen["strict"] is False and seen["source"] == "records"
    assert seen["ctx"].obj == "the console" and seen["ctx"].command_path == "prog run"


def test_every_form_of_option() -> None:
    call("run", "dir", "--name", "a", "--count=3", "--var", "x=1", "--var=y=2", "-o", "json",
         "-otext=f.txt", "--output", "sarif", "--strict", "--from", "-")  # fmt: skip
    assert seen["stack"] == Path("dir")
    assert (seen["name"], seen["count"], seen["strict"], seen["source"]) == ("a", 3, True, "-")
    assert seen["var"] == ["x=1", "y=2"]
    assert seen["output"] == ["json", "text=f.txt", "sarif"]


def test_an_option_takes_the_next_word_even_when_it_starts_with_a_dash() -> None:
    call("run", "--name", "-5", "--count", "-2")
    assert (seen["name"], seen["count"]) == ("-5", -2)


def test_options_and_arguments_interleave_and_a_double_dash_ends_options() -> None:
    call("grp", "take-all", "a", "--from", "otel", "b", "--", "--c")
    assert seen["paths"] == [Path("a"), Path("b"), Path("--c")] and seen["source"] == "otel"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--bogus"], "No such option: --bogus"),
        (["run", "--nam", "x"], "No such option: --nam (Possible options: --name, --var)"),
        (["--bogus"], "No such option: --bogus"),
        (["nope"], "No such command 'nope'."),
        (["run", "--name"], "Option '--name' requires an argument."),
        (["run", "-o"], "Option '-o' requires an argument."),
        (["run", "--strict=1"], "Option '--strict' does not take a value."),
        (["run", "--count", "x"], "Invalid value for '--count': 'x' is not a valid integer."),
        (["run", "--count", "５"], "Invalid value for '--count': '５' is not a valid integer."),
        (["run", "a", "b"], "Got unexpected extra argument(s) (b)"),
        (["grp", "take-all", "a"], "Missing option '--from'."),
        (["grp", "take-all", "--from", "x"], "Missing argument 'paths'."),
    ],
)
def test_mistakes_are_usage_errors(args: list[str], message: str) -> None:
    with pytest.raises(cl.UsageError) as caught:
        call(*args)
    assert caught.value.format_message() == message


def test_a_group_without_a_command_shows_its_help_as_the_error() -> None:
    with pytest.raises(cl.UsageError) as caught:
        call("grp")
    assert caught.value.format_message().startswith("Usage: prog grp [OPTIONS] COMMAND [ARGS]...")


def test_help_of_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(cl.Exit) as caught:
        call("--help")
    assert caught.value.exit_code == 0
    assert capsys.readouterr().out == (
        "Usage: prog [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  A test program.\n"
        "\n"
        "  Its second paragraph.\n"
        "\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n"
        "\n"
        "Commands:\n"
        "  grp  A group of commands.\n"
        "  run  Run one thing.\n"
    )


def test_help_of_a_command_wins_over_other_words(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(cl.Exit):
        call("run", "--bogus", "-h")
    assert capsys.readouterr().out == (
        "Usage: prog run [OPTIONS] [STACK]\n"
        "\n"
        "  Run one thing.\n"
        "\n"
        "Arguments:\n"
        "  [STACK]  The stack.\n"
        "\n"
        "Options:\n"
        "  --name TEXT        A name.\n"
        "  --count INTEGER    A count.\n"
        "  --var TEXT         Repeatable.\n"
        "  -o, --output TEXT  Formats.\n"
        "  --strict           A flag.\n"
        "  --from TEXT        With a default.  [default: records]\n"
        "  -h, --help         Show this message and exit.\n"
    )


def test_help_after_a_double_dash_is_an_argument() -> None:
    call("grp", "take-all", "--from", "x", "--", "--help")
    assert seen["paths"] == [Path("--help")]


def test_a_required_list_argument_is_marked_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(cl.Exit):
        call("grp", "take-all", "--help")
    out = capsys.readouterr().out
    assert out.startswith("Usage: prog grp take-all [OPTIONS] PATHS...\n")
    assert "  PATHS...  [STACK] then files.  [required]\n" in out
    assert "  --from TEXT  Required.  [required]\n" in out
