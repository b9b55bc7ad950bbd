"""User files: regular files only, stack-named paths inside the repository, and a
diagnostic that echoes at most one short line (issue: policies = ["/proc/self/environ"]
printed the environment)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from infercost.app.sources import one_line
from infercost.errors import InfercostError
from infercost.files import confine, read_text, refuse_special
from tests.helpers import BASE_STACK, run_cli

USAGE = "feature,units\nchat,10\n"


def settings(policies: str) -> str:
    return f'infercost {{\n  usage    = "usage.csv"\n  policies = [{policies}]\n}}\n'


def test_a_fifo_is_refused_not_read_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.hcl"
    os.mkfifo(fifo)
    with pytest.raises(InfercostError) as caught:
        read_text(fifo)
    (d,) = caught.value.diagnostics
    assert d.summary == "Not a regular file"
    assert "is a named pipe" in d.detail


def test_a_fifo_in_a_stack_is_refused_through_the_cli(write_stack) -> None:
    stack = write_stack(BASE_STACK)
    os.mkfifo(stack / "zz.hcl")
    code, out, err = run_cli(["validate", str(stack)])
    assert (code, out) == (1, "")
    assert "Error: Not a regular file" in err and "zz.hcl is a named pipe" in err


def test_a_stack_file_linked_outside_the_repository_is_never_read(
    tmp_path: Path, write_stack
) -> None:
    """A symlinked .hcl file from a pull request would print its target's first line in
    the syntax error, into a CI log; inside the repository a link is fine."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("token: hunter2\n")
    stack = write_stack(BASE_STACK)
    subprocess.run(["git", "init", "-q"], cwd=stack, check=True)
    (stack / "leak.hcl").symlink_to(secret)
    code, out, err = run_cli(["validate", str(stack)])
    assert (code, out) == (1, "")
    assert "Error: Path outside the repository" in err and "leak.hcl" in err
    assert "hunter2" not in err
    (stack / "leak.hcl").unlink()
    (stack / "linked").mkdir()
    (stack / "linked" / "units.hcl").write_text('unit "extra" {}\n')
    (stack / "more.hcl").symlink_to(Path("linked") / "units.hcl")
    assert run_cli(["validate", str(stack)]).code == 0


def _linked_outside(tmp_path: Path, write_stack, repository: bool) -> tuple[Path, Path]:
    target = tmp_path / "outside" / "main.hcl"
    target.parent.mkdir()
    target.write_text(BASE_STACK["main.hcl"])
    stack = write_stack({"prices.hcl": BASE_STACK["prices.hcl"]}, "repo/stack")
    if repository:
        subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", check=True)
    (stack / "main.hcl").symlink_to(target)
    return stack, target.resolve()


REFUSED = (
    "Error: Path outside the repository\n\nThe configuration file {path} (it resolves to "
    "{target}) lies outside {root}. A stack may only name files inside its repository (or "
    "its own directory); give other files on the command line.\n\n"
)


@pytest.mark.parametrize("cwd", ["repo", "repo/stack", "."])
def test_a_linked_file_outside_names_the_repository_not_the_working_directory(
    tmp_path: Path, write_stack, monkeypatch: pytest.MonkeyPatch, cwd: str
) -> None:
    """Run from the repository's top, the root was named "." (from the stack, "..")."""
    stack, target = _linked_outside(tmp_path, write_stack, repository=True)
    monkeypatch.chdir(tmp_path / cwd)
    argv = ["validate"] if cwd == "repo/stack" else ["validate", os.path.relpath(stack, cwd)]
    path = os.path.relpath(tmp_path / "repo" / "stack" / "main.hcl")
    code, out, err = run_cli(argv)
    assert (code, out) == (1, "")
    root = f"the repository at {(tmp_path / 'repo').resolve()}"
    assert err == REFUSED.format(path=path, target=target, root=root)


def test_a_linked_file_outside_a_stack_without_a_repository_names_the_stack(
    tmp_path: Path, write_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, target = _linked_outside(tmp_path, write_stack, repository=False)
    assert run_cli(["validate", str(stack)]).stderr == REFUSED.format(
        path="repo/stack/main.hcl", target=target, root="repo/stack"
    )
    monkeypatch.chdir(stack)  # not ".": the stack's own path
    assert run_cli(["validate"]).stderr == REFUSED.format(
        path="main.hcl", target=target, root=(tmp_path / "repo" / "stack").resolve()
    )


@pytest.mark.parametrize("path", ["/dev/zero", "/proc/self/environ", "/proc/self/status"])
def test_devices_and_proc_are_refused(path: str) -> None:
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(InfercostError) as caught:
        read_text(Path(path))
    assert caught.value.diagnostics[0].summary == "Not a regular file"
    with pytest.raises(InfercostError):
        refuse_special(Path(path))


def test_a_policy_in_proc_named_by_the_stack_is_refused_without_echo(write_stack) -> None:
    stack = write_stack(
        {"infercost.hcl": settings('"/proc/self/environ"'), "usage.csv": USAGE}, base=True
    )
    os.environ["INFERCOST_TEST_SECRET"] = "hunter2-secret"
    try:
        code, out, err = run_cli(["check", str(stack)])
    finally:
        del os.environ["INFERCOST_TEST_SECRET"]
    assert (code, out) == (1, "")
    assert "hunter2" not in err
    assert "Error: Path outside the repository" in err


def test_a_policy_named_by_the_stack_must_stay_inside_it(write_stack, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "rules.hcl").write_text(
        'guardrail "g" {\n  condition = self.cogs >= 0\n}\n', encoding="utf-8"
    )
    stack = write_stack(
        {"infercost.hcl": settings('"../elsewhere/rules.hcl"'), "usage.csv": USAGE}, base=True
    )
    code, _out, err = run_cli(["check", str(stack)])
    assert code == 1
    assert "Error: Path outside the repository" in err
    assert "elsewhere/rules.hcl lies outside stack" in err
    # The same file given on the command line is trusted.
    stack2 = write_stack({"infercost.hcl": settings(""), "usage.csv": USAGE}, "stack2", base=True)
    code, _out, err = run_cli(["check", str(stack2), "--policy", "elsewhere/rules.hcl"])
    assert code == 0, err


def test_inside_a_git_repository_the_whole_work_tree_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "policies").mkdir()
    (tmp_path / "stack").mkdir()
    confine(tmp_path / "stack" / ".." / "policies", [tmp_path], "policy")  # inside: fine
    outside = tmp_path.parent / "x.hcl"
    with pytest.raises(InfercostError):
        confine(outside, [tmp_path], "policy")


def test_a_symlink_out_of_the_stack_is_outside(tmp_path: Path) -> None:
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "link.hcl").symlink_to("/etc/hostname")
    with pytest.raises(InfercostError) as caught:
        confine(tmp_path / "stack" / "link.hcl", [tmp_path / "stack"], "policy")
    assert caught.value.diagnostics[0].summary == "Path outside the repository"


def test_the_usage_file_named_by_the_stack_must_stay_inside_it(write_stack) -> None:
    stack = write_stack({"infercost.hcl": 'infercost {\n  usage = "/etc/hostname"\n}\n'}, base=True)
    code, _out, err = run_cli(["breakdown", str(stack)])
    assert code == 1
    assert "Error: Path outside the repository" in err
    assert "on stack/infercost.hcl line 2" in err


def test_a_usage_fifo_given_on_the_command_line_is_refused(write_stack) -> None:
    stack = write_stack(BASE_STACK)
    os.mkfifo("usage.csv")
    code, _out, err = run_cli(["breakdown", str(stack), "--usage", "usage.csv"])
    assert code == 1
    assert "Error: Not a regular file" in err and "named pipe" in err


def test_a_diagnostic_echoes_one_short_line() -> None:
    assert one_line("a" * 500) == "a" * 119 + "…"
    assert one_line("KEY=1\x00PATH=/bin\x00") == "KEY=1\\x00PATH=/bin\\x00"
    assert one_line("\x1b[31mred") == "\\x1b[31mred"
    assert one_line("short") == "short"


def test_a_long_source_line_is_cut_in_an_error(write_stack) -> None:
    long_value = "x" * 5000
    code, _out, err = run_cli(
        ["validate", str(write_stack({"x.hcl": f'locals {{\n  y = "{long_value}" + 1\n}}\n'}))]
    )
    assert code == 1
    assert max(len(line) for line in err.splitlines()) < 200
