"""Half a project's stacks in a forked copy of the process: the same output, always.

The fork only saves time. The output and exit code of a project run must be byte for
byte those of running every stack here, and whatever goes wrong in the child (an
exception, a result that does not pickle) must end with the parent doing the child's
jobs itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infercost.app import forked
from infercost.app.forked import map_jobs
from tests.cli.test_projects import project_text, write_stack
from tests.helpers import run_cli

PARENT = os.getpid()


@pytest.fixture
def two_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERCOST_JOBS", "2")
    if forked.workers() < 2:
        pytest.skip("no fork on this platform")
    # The test runner may hold threads of earlier tests (an open connection's workers):
    # these tests are about the fork itself, so they take the process as single-threaded.
    monkeypatch.setattr(forked, "_single_threaded", lambda: True)


def square(x: int) -> int:
    return x * x


def test_results_come_back_in_order(two_jobs: None) -> None:
    assert map_jobs(square, list(range(9))) == [x * x for x in range(9)]


def test_the_child_really_runs_every_other_job(two_jobs: None) -> None:
    # The first job runs before the fork, then the child takes every other one.
    ran_here = map_jobs(lambda x: os.getpid() == PARENT, list(range(7)))
    assert ran_here == [True, True, False, True, False, True, False]


def test_a_failing_child_leaves_its_jobs_to_the_parent(two_jobs: None) -> None:
    def fails_in_child(x: int) -> int:
        if os.getpid() != PARENT:
            raise RuntimeError("child")
        return x + 1

    assert map_jobs(fails_in_child, list(range(5))) == [1, 2, 3, 4, 5]


def test_a_result_that_does_not_pickle_is_computed_here(two_jobs: None) -> None:
    def closure(x: int) -> object:
        return (lambda: x) if os.getpid() != PARENT else x

    assert map_jobs(closure, list(range(4))) == [0, 1, 2, 3]


def test_an_error_of_a_job_is_raised_here_as_without_the_fork(two_jobs: None) -> None:
    def bad(x: int) -> int:
        if x == 4:  # a job of the child: raised when the parent runs it again
            raise ValueError("job 4")
        return x

    with pytest.raises(ValueError, match="job 4"):
        map_jobs(bad, list(range(5)))


def test_a_process_with_threads_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERCOST_JOBS", "2")
    if forked.workers() < 2:
        pytest.skip("no fork on this platform")
    import threading

    from infercost.usage import engine

    con = engine.connect()  # its worker threads live until it is closed
    try:
        con.execute("SELECT 1").fetchall()
        assert not forked._single_threaded()
        assert map_jobs(lambda x: os.getpid() == PARENT, list(range(6))) == [True] * 6
    finally:
        con.close()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert map_jobs(lambda x: os.getpid() == PARENT, list(range(6))) == [True] * 6
    finally:
        stop.set()
        thread.join()


def test_few_jobs_or_one_core_never_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERCOST_JOBS", "2")
    assert map_jobs(lambda x: os.getpid() == PARENT, [1, 2, 3]) == [True] * 3
    monkeypatch.setenv("INFERCOST_JOBS", "1")
    assert map_jobs(lambda x: os.getpid() == PARENT, list(range(6))) == [True] * 6


@pytest.mark.parametrize(
    "argv",
    [["check", "-o", "json"], ["check"], ["breakdown", "-o", "json"], ["validate"], ["plan"]],
    ids=" ".join,
)
def test_a_project_prints_the_same_with_and_without_the_fork(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["a", "b", "c", "d", "e"]
    for i, name in enumerate(names):
        write_stack(tmp_path / "stacks" / name, str(i + 1), 100 * (i + 1))
    # A stack with an error, run by the child: its located message must come through.
    (tmp_path / "stacks" / "d" / "bad.hcl").write_text('unit "x" {\n  nope = 1\n}\n')
    (tmp_path / "infercost.project.hcl").write_text(project_text(*names), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INFERCOST_JOBS", "1")
    alone = run_cli(argv)
    monkeypatch.setenv("INFERCOST_JOBS", "2")
    split = run_cli(argv)
    assert (split.code, split.stdout, split.stderr) == (alone.code, alone.stdout, alone.stderr)
    assert "stacks/d/bad.hcl" in alone.stdout + alone.stderr
