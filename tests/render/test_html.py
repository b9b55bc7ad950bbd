"""The HTML report: structure (golden), escaping, and what a real browser shows.

The browser test renders the page in headless Chromium (Debian's ``chromium``; .ci/run
installs it) and reads back the DOM Chromium built and a screenshot: the charts' SVG is
in the rendered DOM, every figure tagged with a JSON path equals the JSON document's
value, and the screenshot is not a blank page.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, run_cli, write_files

EXAMPLE = "examples/support-assistant"
WHAT_IF = f"{EXAMPLE}/what-if/gpt-4o-draft.hcl"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEPT = ("id", "role", "class", "aria-labelledby", "aria-label", "data-json", "lang", "href")


class Skeleton(HTMLParser):
    """Tags with the attributes that carry structure; no text, no coordinates."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.depth = 0
        self.figures: list[tuple[str, str]] = []
        self.svgs = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        kept = " ".join(f'{k}="{a[k]}"' for k in KEPT if k in a)
        self.lines.append("  " * self.depth + f"<{tag}{' ' + kept if kept else ''}>")
        if "data-json" in a:
            self.figures.append((a["data-json"] or "", a.get("data-value") or ""))
        if tag == "svg":
            self.svgs += 1
        if tag not in self.VOID:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def skeleton(page: str) -> Skeleton:
    parser = Skeleton()
    parser.feed(page)
    parser.close()
    return parser


def lookup(document: Any, path: str) -> Any:
    """``features/NAME/after/cogs``: list items are picked by their ``name``."""
    node = document
    for part in path.split("/"):
        if isinstance(node, list):
            matches = [x for x in node if isinstance(x, dict) and x.get("name") == part]
            assert len(matches) == 1, (path, part)
            node = matches[0]
        else:
            assert part in node, (path, part)
            node = node[part]
    return node


def assert_figures_match(figures: list[tuple[str, str]], document: dict[str, Any]) -> None:
    assert figures, "the page tags no figures"
    for path, value in figures:
        expected = lookup(document, path)
        if expected is None:
            assert value == "null", path
        else:
            assert Decimal(value) == Decimal(str(expected)), (path, value, expected)


def render(argv: list[str]) -> str:
    result = run_cli([*argv, "-o", "html"])
    assert result.code == 0, result.stderr
    return result.stdout


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_breakdown_page_structure(at_repo, assert_golden) -> None:
    page = render(["breakdown", EXAMPLE])
    tree = skeleton(page)
    assert_golden("html/breakdown.skeleton", "\n".join(tree.lines) + "\n")
    assert page.startswith("<!DOCTYPE html>")
    # self-contained: nothing is fetched, nothing runs
    assert "default-src 'none'" in page
    for marker in ("<script", "src=", "http://", "https://", "@import", "url("):
        assert marker not in page.replace('xmlns="http://www.w3.org/2000/svg"', ""), marker
    # one chart of margins, one of customers, one of steps per feature; each accessible
    assert tree.svgs == 2 + 2
    assert page.count("<title id=") == page.count("<desc id=") == tree.svgs
    assert "@media print" in page
    document = json.loads(run_cli(["breakdown", EXAMPLE, "-o", "json"]).stdout, parse_float=Decimal)
    assert_figures_match(tree.figures, document)


def test_the_whole_bill_on_the_page(at_repo, assert_golden) -> None:
    """GPU-hours, the COGS split and both margins, each figure as -o json has it."""
    stack = "examples/support-assistant/self-hosted"
    page = render(["breakdown", stack])
    tree = skeleton(page)
    assert_golden("html/breakdown-self-hosted.skeleton", "\n".join(tree.lines) + "\n")
    paths = {path for path, _ in tree.figures}
    for path in (
        "totals/variable_cogs",
        "totals/allocated_cogs",
        "totals/contribution_margin",
        "totals/gpu_hours",
        "features/support_assistant/cogs_per_unit",
        "features/support_assistant/contribution_margin",
    ):
        assert path in paths, path
    assert "vector_db_pods" in page
    document = json.loads(run_cli(["breakdown", stack, "-o", "json"]).stdout, parse_float=Decimal)
    assert_figures_match(tree.figures, document)


def test_plan_page_structure(at_repo, assert_golden) -> None:
    page = render(["plan", EXAMPLE, "--what-if", WHAT_IF])
    tree = skeleton(page)
    assert_golden("html/plan.skeleton", "\n".join(tree.lines) + "\n")
    document = json.loads(
        run_cli(["plan", EXAMPLE, "--what-if", WHAT_IF, "-o", "json"]).stdout, parse_float=Decimal
    )
    assert_figures_match(tree.figures, document)
    assert tree.svgs == 3  # margins, customers, the changed feature's steps
    assert "before (light) and after (dark)" in page


HOSTILE = {
    "main.hcl": """
        infercost {
          period = "month <script>alert(1)</script> \\"]] %%"
          usage  = "usage.csv"
        }
        price_sheet "p" {
          model "<script>x\\"]] %% `" {
            input_per_mtok  = 2
            output_per_mtok = 8
          }
        }
        unit "u" {}
        workflow "w" {
          step "s" {
            uses          = "p/<script>x\\"]] %% `"
            input_tokens  = 1000
            output_tokens = 100
          }
        }
        feature "f" {
          unit             = unit.u
          workflow         = workflow.w
          revenue_per_unit = 0.01
          target_margin    = 0.5
        }
        """,
    "usage.csv": "feature,units\nf,100\n",
}


def test_configuration_text_is_escaped(tmp_path: Path) -> None:
    stack = write_files(tmp_path / "hostile", HOSTILE)
    page = run_cli(["breakdown", str(stack), "-o", "html"]).stdout
    assert "<script" not in page
    assert "&lt;script&gt;x&#34;]] %% `" in page  # shown, as text
    for fmt in ("markdown",):
        body = run_cli(["check", str(stack), "-o", fmt]).stdout
        block = body.split("```mermaid\n", 1)[1].split("```", 1)[0]
        assert "%%" not in block and "<" not in block and "]]" not in block
        assert block.count('"') % 2 == 0
        inner = [line for line in block.splitlines() if '"' in line]
        for line in inner:
            # quotes only open and close labels: no label holds one
            for label in line.split('"')[1::2]:
                assert all(ch not in label for ch in '"`%[]<>{}#;')


# -- a real browser ---------------------------------------------------------------------


def chromium() -> str:
    found = next(
        (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))),
        None,
    )
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed: the browser test needs Debian's chromium")
    return found


def browse(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def png_ink(data: bytes) -> float:
    """Share of bytes in the filtered scanlines that are neither 0 nor 255: a blank page
    (one colour) filters to zeros or 255s, a page with text and charts does not."""
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    return sum(1 for b in raw[:: max(len(raw) // 200_000, 1)] if b not in (0, 255)) / min(
        len(raw), 200_000
    )


def test_the_report_in_a_real_browser(at_repo, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(["breakdown", EXAMPLE]), encoding="utf-8")
    document = json.loads(run_cli(["breakdown", EXAMPLE, "-o", "json"]).stdout, parse_float=Decimal)

    dom = browse(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    rendered = dom.stdout.decode("utf-8")
    tree = skeleton(rendered)
    assert tree.svgs == 4, "the charts' SVG is not in the rendered DOM"
    assert rendered.count("<rect") > 20
    assert_figures_match(tree.figures, document)
    text = " ".join(tree.text)
    assert "support_assistant" in text and "Margin per feature" in text

    shot = tmp_path / "shot.png"
    blank = tmp_path / "blank.png"
    (tmp_path / "blank.html").write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    size = "--window-size=1000,1400"
    run = browse(page, tmp_path / "profile-shot", size, f"--screenshot={shot}")
    assert run.returncode == 0 and shot.exists(), run.stderr.decode(errors="replace")[-2000:]
    browse(tmp_path / "blank.html", tmp_path / "profile-blank", size, f"--screenshot={blank}")
    data = shot.read_bytes()
    assert png_size(data) == (1000, 1400)
    assert png_ink(data) > 0.01
    if blank.exists():  # the same window with nothing on it compresses to far less
        assert png_ink(blank.read_bytes()) < png_ink(data) / 5
        assert len(data) > 5 * len(blank.read_bytes())


def test_plan_page_shows_the_cogs_split(at_repo) -> None:
    argv = ["plan", "examples/support-assistant/self-hosted", "--base-dir", EXAMPLE]
    tree = skeleton(render(argv))
    paths = {path for path, _ in tree.figures}
    assert {"totals/after/allocated_cogs", "totals/before/contribution_margin"} <= paths
    document = json.loads(run_cli([*argv, "-o", "json"]).stdout, parse_float=Decimal)
    assert_figures_match(tree.figures, document)
