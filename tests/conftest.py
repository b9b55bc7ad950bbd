"""Fixtures shared by the whole suite; plain helpers live in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import BASE_STACK, GOLDEN_DIR, write_files

# Property tests judge values, never wall time: on a loaded machine (CI runners, several
# suites on two cores) a process can be descheduled for longer than Hypothesis's 200 ms
# deadline or its one-second "input generation is slow" check, and either failed the
# test at random. Every test's own settings are made from this profile.
settings.register_profile("infercost", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("infercost")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/* from the current output instead of comparing.",
    )


@pytest.fixture
def write_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write a stack directory from file texts (HCL is dedented) and work beside it.

    The working directory becomes ``tmp_path``, so paths in messages are short and stable
    (``stack/main.hcl``). Returns the stack directory relative to the working directory.
    """
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str | bytes], name: str = "stack", *,
              base: bool = False) -> Path:  # fmt: skip
        contents = {**BASE_STACK, **files} if base else files
        write_files(tmp_path / name, contents)
        return Path(name)

    return write


@pytest.fixture
def assert_golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare a text with tests/golden/NAME, or rewrite it with --update-goldens."""
    update = bool(request.config.getoption("--update-goldens"))

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}; run pytest --update-goldens"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"output differs from {path}; if intended, --update-goldens"

    return check


@pytest.fixture(scope="session")
def spark_session():  # type: ignore[no-untyped-def]
    """One local Spark session for the whole test run: starting one takes many seconds,
    so every test marked ``spark`` shares it. Skips where PySpark or Java is missing."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    from infercost.usage.records import spark

    session = spark.session(spark.SMALL_DATA)
    yield session
    session.stop()
    spark._SESSION.clear()


@pytest.fixture
def colour_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colour as a terminal gets it: NO_COLOR unset for the test."""
    monkeypatch.delenv("NO_COLOR", raising=False)
