"""The command line's grammar: commands declared as annotated functions, parsed here.

:mod:`infercost.cli.main` declares each command as a function whose parameters carry
:class:`Option` or :class:`Argument` in ``Annotated`` (the style typer made familiar).
This module turns ``argv`` into a call of one of them. It replaced typer because start-up
is most of a small stack's run (bench/run.py, "check example (warm)"): typer imports
pydantic and builds a validator for every parameter of every command on each run, which
cost more than parsing and pricing the example stack. Here nothing is inspected until a
command is chosen, and then only that command's signature.

What it supports is what the commands use: long options (``--name VALUE``,
``--name=VALUE``), ``-o VALUE``/``-oVALUE``, flags, repeatable options (``list[...]``),
``str``/``int``/``Path`` values, positional arguments (one of them variadic), ``--``,
``-h``/``--help`` at every level, and groups of commands. Mistakes raise
:class:`UsageError` with click's wording, which ``main`` reports as "Invalid command
line" with exit 1. Help goes to standard output.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "App",
    "Argument",
    "Context",
    "Exit",
    "Option",
    "UsageError",
]

WIDTH = 78
HELP_NAMES = ("-h", "--help")


class UsageError(Exception):
    """A command line that does not fit the command: exit 1, the message said."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message


class Exit(Exception):
    """End the command line's handling with this exit code (help printed: 0)."""

    def __init__(self, exit_code: int = 0) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class Option:
    """``Annotated[T, Option("--name", help=...)]``: a named option of a command."""

    def __init__(
        self, *names: str, help: str = "", metavar: str | None = None, show_default: bool = True
    ) -> None:
        self.names = names
        self.help = help
        self.metavar = metavar
        self.show_default = show_default


class Argument:
    """``Annotated[T, Argument(help=...)]``: a positional argument of a command."""

    def __init__(self, help: str = "", metavar: str | None = None, show_default: bool = True):
        self.help = help
        self.metavar = metavar
        self.show_default = show_default


class Context:
    """What a command function may ask for by declaring a parameter of this type."""

    def __init__(
        self,
        obj: Any,
        command_path: str,
        help_text: Callable[[], str],
        invoked_subcommand: str | None = None,
    ) -> None:
        self.obj = obj
        self.command_path = command_path
        self.invoked_subcommand = invoked_subcommand
        self._help_text = help_text

    def get_help(self) -> str:
        return self._help_text()


class _Param:
    """One parameter of a command, read from its annotation."""

    def __init__(
        self,
        name: str,
        declared: Option | Argument,
        kind: type,  # str, int, bool or Path
        multiple: bool,
        required: bool,
        default: Any,
    ) -> None:
        self.name = name
        self.declared = declared
        self.kind = kind
        self.multiple = multiple
        self.required = required
        self.default = default

    @property
    def flag(self) -> bool:
        return self.kind is bool and not self.multiple

    @property
    def label(self) -> str:
        """How a mistake names it: the first option name, or the argument's name."""
        if isinstance(self.declared, Option):
            return max(self.declared.names, key=len)
        return self.name

    def metavar(self) -> str:
        if self.declared.metavar:
            return self.declared.metavar
        if isinstance(self.declared, Argument):
            shown = self.name.upper() + ("..." if self.multiple else "")
            return shown if self.required else f"[{shown}]"
        return {int: "INTEGER", Path: "PATH"}.get(self.kind, "TEXT")

    def convert(self, value: str) -> Any:
        if self.kind is int:
            try:
                if not value.isascii():  # int() reads other scripts' digits too
                    raise ValueError(value)
                return int(value)
            except ValueError:
                raise UsageError(
                    f"Invalid value for '{self.label}': '{value}' is not a valid integer."
                ) from None
        if self.kind is Path:
            return Path(value)
        return value


class _Command:
    def __init__(self, name: str, function: Callable[..., Any]) -> None:
        self.name = name
        self.function = function

    @property
    def summary(self) -> str:
        return _first_paragraph(self.function.__doc__)


class App:
    """A group of commands (the program, or a group such as ``prices``)."""

    def __init__(
        self,
        name: str | None = None,
        help: str | None = None,
        no_args_is_help: bool = False,
        invoke_without_command: bool = False,
    ) -> None:
        self.name = name
        self.help = help
        self.no_args_is_help = no_args_is_help
        self.invoke_without_command = invoke_without_command
        self.commands: dict[str, _Command | App] = {}
        self.group_callback: Callable[..., Any] | None = None
        self.lazy: dict[str, tuple[str, str]] = {}

    # -- declaring --------------------------------------------------------------------------
    def command(self, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            shown = name or function.__name__.replace("_", "-")
            self.commands[shown] = _Command(shown, function)
            return function

        return register

    def add_group(self, group: App, name: str | None = None) -> None:
        shown = name or group.name
        assert shown is not None, "a group needs a name"
        self.commands[shown] = group

    def add_lazy_group(self, name: str, module: str, attribute: str) -> None:
        """A group defined in ``module`` (as ``attribute``), imported only when a command
        line names it or the program's help lists it."""
        self.lazy[name] = (module, attribute)
        self.commands[name] = _Command(name, lambda: None)  # a place in the listing

    def _resolve(self, name: str) -> _Command | App | None:
        if name in self.lazy:
            import importlib

            module, attribute = self.lazy.pop(name)
            group = getattr(importlib.import_module(module), attribute)
            assert isinstance(group, App)
            self.commands[name] = group
        return self.commands.get(name)

    def callback(self) -> Callable[[Callable[..., Any]], Any]:
        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self.group_callback = function
            return function

        return register

    @property
    def summary(self) -> str:
        return _first_paragraph(self.help)

    # -- running ----------------------------------------------------------------------------
    def __call__(self, args: list[str], prog_name: str, obj: Any = None) -> Any:
        """Run the command ``args`` name and return what it returns."""
        return self._run(list(args), prog_name, obj)

    def _run(self, args: list[str], path: str, obj: Any) -> Any:
        if not args:
            if self.no_args_is_help:
                raise UsageError(self._help(path))
            if self.invoke_without_command and self.group_callback is not None:
                self.group_callback(Context(obj, path, lambda: self._help(path)))
                return None
            raise UsageError("Missing command.")
        first = args[0]
        if first in HELP_NAMES:
            sys.stdout.write(self._help(path) + "\n")
            raise Exit(0)
        if first.startswith("-"):
            raise UsageError(f"No such option: {first}")
        found = self._resolve(first)
        if found is None:
            raise UsageError(f"No such command '{first}'.")
        if self.group_callback is not None:
            self.group_callback(Context(obj, path, lambda: self._help(path), first))
        if isinstance(found, App):
            return found._run(args[1:], f"{path} {first}", obj)
        return _invoke(found, args[1:], f"{path} {first}", obj)

    def _help(self, path: str) -> str:
        lines = [f"Usage: {path} [OPTIONS] COMMAND [ARGS]...", ""]
        if self.help:
            lines += [_indent(self.help), ""]
        lines += ["Options:", *_rows([("-h, --help", "Show this message and exit.")])]
        lines += ["", "Commands:"]
        listed = [(name, self._resolve(name)) for name in list(self.commands)]
        lines += _rows([(name, c.summary) for name, c in listed if c], one_line=True)
        return "\n".join(lines)


def _invoke(command: _Command, args: list[str], path: str, obj: Any) -> Any:
    params, context_name = _params(command.function)
    if any(a in HELP_NAMES for a in args[: args.index("--") if "--" in args else None]):
        sys.stdout.write(_command_help(command, params, path) + "\n")
        raise Exit(0)
    values = _parse(params, args)
    if context_name is not None:
        values[context_name] = Context(obj, path, lambda: _command_help(command, params, path))
    return command.function(**values)


def _params(function: Callable[..., Any]) -> tuple[list[_Param], str | None]:
    """The command's parameters from its annotations, and the name of its Context one."""
    hints = typing.get_type_hints(function, include_extras=True)
    params: list[_Param] = []
    context_name = None
    for name, parameter in inspect.signature(function).parameters.items():
        hint = hints[name]
        if hint is Context:
            context_name = name
            continue
        declared: Option | Argument | None = None
        if typing.get_origin(hint) is typing.Annotated:
            hint, *extras = typing.get_args(hint)
            declared = next((e for e in extras if isinstance(e, Option | Argument)), None)
        if declared is None:
            raise TypeError(f"{function.__name__}: parameter {name} has no Option or Argument")
        kind, multiple = _kind(hint)
        required = parameter.default is inspect.Parameter.empty
        default = None if required else parameter.default
        if isinstance(declared, Option) and not declared.names:
            declared.names = ("--" + name.replace("_", "-"),)
        params.append(_Param(name, declared, kind, multiple, required, default))
    return params, context_name


def _kind(hint: Any) -> tuple[type, bool]:
    """``T``, ``T | None``, ``list[T]``, ``list[T] | None`` -> (T, is it a list)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return item, True
    assert hint in (str, int, bool, Path), f"unsupported parameter type {hint!r}"
    return hint, False


def _parse(params: list[_Param], args: list[str]) -> dict[str, Any]:
    options = {n: p for p in params if isinstance(p.declared, Option) for n in p.declared.names}
    given: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--":
            positional += args[i:]
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        if token.startswith("--"):
            name, eq, value = token.partition("=")
            inline = value if eq else None
        else:  # -o VALUE or -oVALUE
            name, inline = token[:2], (token[2:] or None)
        param = options.get(name)
        if param is None:
            raise UsageError(f"No such option: {name}{_possible(name, options)}")
        if param.flag:
            if inline is not None:
                raise UsageError(f"Option '{name}' does not take a value.")
            given[param.name] = True
            continue
        if inline is None:
            if i >= len(args):
                raise UsageError(f"Option '{name}' requires an argument.")
            inline = args[i]
            i += 1
        value_of = param.convert(inline)
        if param.multiple:
            given.setdefault(param.name, []).append(value_of)
        else:
            given[param.name] = value_of
    _place(params, positional, given)
    for p in params:
        if p.name in given:
            continue
        if p.required:
            what = "option" if isinstance(p.declared, Option) else "argument"
            raise UsageError(f"Missing {what} '{p.label}'.")
        given[p.name] = p.default
    return given


def _place(params: list[_Param], positional: list[str], given: dict[str, Any]) -> None:
    """Positional values to the arguments in order; one list argument takes the rest."""
    arguments = [p for p in params if isinstance(p.declared, Argument)]
    rest = list(positional)
    for index, p in enumerate(arguments):
        if p.multiple:
            after = len(arguments) - index - 1
            taken, rest = rest[: len(rest) - after], rest[len(rest) - after :]
            if taken:
                given[p.name] = [p.convert(v) for v in taken]
        elif rest:
            given[p.name] = p.convert(rest.pop(0))
    if rest:
        raise UsageError(f"Got unexpected extra argument(s) ({' '.join(rest)})")


def _possible(name: str, options: dict[str, _Param]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(options), n=3)
    return f" (Possible options: {', '.join(close)})" if close else ""


def _command_help(command: _Command, params: list[_Param], path: str) -> str:
    arguments = [p for p in params if isinstance(p.declared, Argument)]
    usage = " ".join([f"Usage: {path} [OPTIONS]", *(p.metavar() for p in arguments)])
    lines = [usage, ""]
    if command.function.__doc__:
        lines += [_indent(inspect.cleandoc(command.function.__doc__)), ""]
    if arguments:
        rows = [(p.metavar(), _described(p)) for p in arguments]
        lines += ["Arguments:", *_rows(rows), ""]
    rows = []
    for p in params:
        if isinstance(p.declared, Option):
            names = ", ".join(p.declared.names)
            rows.append((names if p.flag else f"{names} {p.metavar()}", _described(p)))
    rows.append(("-h, --help", "Show this message and exit."))
    lines += ["Options:", *_rows(rows)]
    return "\n".join(lines)


def _described(p: _Param) -> str:
    text = p.declared.help
    if p.required:
        text += "  [required]"
    elif p.declared.show_default and p.default not in (None, False) and not p.multiple:
        text += f"  [default:\u00a0{p.default}]"  # kept on one line; a space when shown
    return text.strip()


def _rows(rows: list[tuple[str, str]], one_line: bool = False) -> list[str]:
    """Two columns, the second wrapped (or cut to one line, for command lists)."""
    if not rows:
        return []
    left = min(max(len(a) for a, _ in rows), 30) + 2
    out = []
    for a, b in rows:
        room = WIDTH - left - 2
        if one_line and len(b) > room:
            b = b[: room - 3].rsplit(" ", 1)[0] + "..."
        wrapped = [w.replace("\u00a0", " ") for w in textwrap.wrap(b, room)] or [""]
        if len(a) + 2 > left:
            out.append(f"  {a}")
            out += [" " * (left + 2) + w for w in wrapped]
        else:
            out.append(f"  {a.ljust(left)}{wrapped[0]}".rstrip())
            out += [" " * (left + 2) + w for w in wrapped[1:]]
    return out


def _indent(text: str) -> str:
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        textwrap.fill(" ".join(p.split()), WIDTH, initial_indent="  ", subsequent_indent="  ")
        for p in paragraphs
    )


def _first_paragraph(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())
